"""How long each SoC program runs on each simulator, and its clock budget.

The testbench (tb_soc.py) patches the count into the program's argument
block (word 3; 0 = the program's default) and QUICK into its flags (word 4,
bit 0: the programs skip their timing loops; sm4 also runs one key and its
first CCM* frame only). Icarus runs the core several times slower than
Verilator (the measured speeds are in docs/soc.md), so it runs the
programs shorter; figures that depend on the count (clocks per sensor update
averaged over the samples run, clocks per Viterbi bit for the frame length)
therefore differ between the simulators, and the timing loops' figures come
from Verilator only. docs/soc.md's run-length table is generated from here
(``python -m rtl_verif.soc.docs``).
"""

from rtl_verif.soc import firmware

SIMS = ("verilator", "icarus")
# program -> (what its count word counts, the program's default for 0: firmware_models/c/programs/*.c)
COUNT_MEANS = {"sensor": ("recorded samples updated", firmware.SENSOR_SAMPLES),
               "sm4": ("random blocks per key", 4),
               "cordic": ("random angles (after 16 directed ones)", 48),
               "viterbi": ("steps per frame (2 frames)", 96)}
# Verilator updates every recorded sample (the loss of signal at 60-70 % of the record included);
# Icarus the first SENSOR_HEAD (8) only (all 400 would cost it about 200 CPU s); the program times those
# first updates alone on both, a figure the two simulators must agree on
COUNTS = {"verilator": {"sensor": 0, "sm4": 0, "cordic": 0, "viterbi": 0},
          "icarus": {"sensor": firmware.SENSOR_HEAD, "sm4": 1, "cordic": 8, "viterbi": 24}}
QUICK = {"verilator": False, "icarus": True}
BUDGET = {"buserr": 20_000, "sensor": 5_000_000, "sm4": 1_000_000, "cordic": 1_000_000, "viterbi": 1_000_000}


def count(sim: str, program: str) -> int:
    """The number the program runs on ``sim`` (its default resolved)."""
    return COUNTS[sim].get(program, 0) or COUNT_MEANS[program][1]
