"""cocotb testbench of the SoC: each test loads one firmware program into the
RAM, runs the PicoRV32 until the program writes EXIT, captures the console,
and checks every printed result against the golden models.

A run fails — with the program's whole output, the seed and the command to
reproduce — on a wrong result, a nonzero exit code, a bus error (the
control block's sticky latch, set by any DECERR/SLVERR response) unless the
program expects one, a trap of the core (illegal instruction, misaligned
access, ebreak), or a timeout (no EXIT within the program's clock budget).

Testplan (one cocotb test per program, firmware_models/c/programs/):
* test_buserr — unmapped read and write answer DECERR, the control block
  answers SLVERR on an unmapped offset, the latch records each and clears.
* test_sm4 — GB/T 32907-2016 Annex A example 1 and random blocks, both
  directions, against crypto.sm4; CCM* frames (tags 4/8/16, with and without
  AAD or payload) against crypto.modes.ccm_star_encrypt, their decryption,
  and a forged frame refused with no plaintext; clocks per block through the
  driver against the engine's 32.
* test_cordic — directed vectors (axes, diagonals, range corners, the zero
  vector) and random ones: the unit's and the software CORDIC's angle and
  magnitude against sensor_dsp.cordic.atan2_fixed; clocks per angle each way.
* test_viterbi — two terminated rate-1/2 frames with noise and erasures
  decoded by the unit against mesh_phy.coding.viterbi.decode (errors
  included); clocks per decoded bit.
* test_sensor — the angle chain's per-sample update on the CPU, every output
  sample against rtl_verif.soc.golden_sensor; clocks per update.

Seeds: the program's pseudo-random inputs come from the seed patched into
the image (word 2), derived from COCOTB_RANDOM_SEED (``SEED=``). Run lengths
per simulator (word 3, the count) and QUICK mode (word 4) are in
rtl_verif/soc/runs.py: Icarus, several times slower, runs the
programs shorter and without their timing loops.

Environment (``SocEnv``, the shared pattern of rtl_verif/tb): clock and reset
from rtl_verif.tb.axis_tb; a passive AXI4-Lite monitor
(rtl_verif.tb.axil_bus.AxilMonitor) on each device port inside the SoC (the
control block and the three blocks; not the RAM, whose fetches are most of
the traffic), the interconnect's error report, and per block the register
scoreboard (every read of a read/write field against what the firmware
wrote). Functional coverage (rtl_verif/plans/soc.yaml) is sampled from those
monitors: the programs that ran to exit 0, the firmware paths (program x
device), every register each driver's protocol uses, and the bus errors.

Figures (clocks per second of simulation, clocks per update, ...) are
logged and written to build/results/soc_figures-<sim>.json (with each
program's count), from which ``python -m rtl_verif.soc.docs --write`` makes
docs/soc.md's measured-figures table.
"""

import json
import os
import random
import time
from pathlib import Path
from typing import NamedTuple

import cocotb
from cocotb.triggers import ClockCycles, First, ReadOnly, RisingEdge, Timer

from crypto import modes, sm4
from mesh_phy.coding import viterbi
from rtl_verif.soc import firmware, golden_sensor, memory_map, runs
from rtl_verif.tb import fcov
from rtl_verif.tb.axil_bus import RESP, AxilMonitor, RegScoreboard
from rtl_verif.tb.axis_tb import CLK_NS, coverage_closure, describe_diff, export_coverage, seed, start_in_reset
from sensor_dsp import cordic

MAGIC = 0x31415746
_NAME = (cocotb.SIM_NAME or "unknown").lower()  # "icarus verilog", "verilator"
SIM = "icarus" if "icarus" in _NAME else "verilator" if "verilator" in _NAME else _NAME.split()[0]
# iteration counts (0 = the program's default), QUICK and clock budgets (rtl_verif/soc/runs.py)
_RUN_SIM = SIM if SIM in runs.SIMS else "verilator"
COUNTS = runs.COUNTS[_RUN_SIM]
QUICK = runs.QUICK[_RUN_SIM]  # fw_flags bit 0: the programs skip their timing loops and extra cases
BUDGET = runs.BUDGET
ENGINE_CLOCKS = 32  # the SM4 engine's clocks per block back to back (33 from load to result)
FIGURES = firmware.ROOT / "build" / "results" / f"soc_figures-{SIM}.json"


PROGRAMS = tuple(firmware.PROGRAMS)
DEVICES = ("CTRL", "SM4", "CORDIC", "VITERBI")
# the firmware paths: which program drives which device (or the unmapped space)
PATHS = ("buserr:CTRL", "buserr:unmapped", "sm4:SM4", "cordic:CORDIC", "viterbi:VITERBI", "sensor:CTRL")
# the registers each driver's protocol uses (firmware_models/c/drivers, runtime/soc.c, programs/buserr.c)
REG_PATHS = (
    "CTRL.CONSOLE:write", "CTRL.EXIT:write", "CTRL.CYCLE_LO:read", "CTRL.CYCLE_HI:read", "CTRL.BUSERR:read",
    "CTRL.BUSERR:write", "CTRL.BUSERR_ADDR:read", "CTRL.unmapped:read", "CTRL.unmapped:write",
    "SM4.ID:read", "SM4.KEY0:write", "SM4.KEY1:write", "SM4.KEY2:write", "SM4.KEY3:write", "SM4.CTRL:write",
    "SM4.STATUS:read", "SM4.DIN0:write", "SM4.DIN1:write", "SM4.DIN2:write", "SM4.DIN3:write", "SM4.DOUT0:read",
    "SM4.DOUT1:read", "SM4.DOUT2:read", "SM4.DOUT3:read",
    "CORDIC.ID:read", "CORDIC.PARAMS:read", "CORDIC.CTRL:write", "CORDIC.SAMPLE:write",
    "CORDIC.STATUS:read", "CORDIC.RESULT:read",
    "VITERBI.ID:read", "VITERBI.PARAMS:read", "VITERBI.CTRL:write", "VITERBI.DIN:write",
    "VITERBI.DOUT:read",
)
BUS_ERRORS = ("DECERR:read", "DECERR:write", "SLVERR:read", "SLVERR:write")


def _ctrl_reg(offset: int) -> str:
    return next((r.name for r in memory_map.CTRL_REGS if r.offset == offset & ~3), "unmapped")


class SocEnv:
    """Clock, reset and the SoC's monitors, scoreboards and covergroups (one per test)."""

    def __init__(self, dut, program: str):
        self.dut, self.program, self.log = dut, program, dut._log
        self.mons, self.reg_sbs = {}, {}
        ports = {"CTRL": (dut.u_ctrl, "s"), "SM4": (dut.u_sm4, "s_axil"), "CORDIC": (dut.u_cordic, "s_axil"),
                 "VITERBI": (dut.u_viterbi, "s_axil")}
        for dev, (inst, prefix) in ports.items():
            mon = AxilMonitor(inst, prefix, dut.clk)
            mon.subscribe(lambda t, dev=dev: self._access(dev, t))
            if dev in memory_map.REGMAPS:
                sb = RegScoreboard(memory_map.REGMAPS[dev], self.log)
                mon.subscribe(sb.observe)
                self.reg_sbs[dev] = sb
            self.mons[dev] = mon
        self.cov = fcov.Sampler("soc", (
            fcov.Point("cg_fw.program", lambda e: e.get("program"), PROGRAMS),
            fcov.Point("cg_fw.path", lambda e: e.get("path"), PATHS),
            fcov.Point("cg_devices.access", lambda e: e.get("dev_dir"), tuple(f"{d}:{x}" for d in DEVICES
                                                                              for x in ("read", "write"))),
            fcov.Point("cg_regs.used", lambda e: e.get("reg"), REG_PATHS),
            fcov.Point("cg_bus_errors.kind", lambda e: e.get("error"), BUS_ERRORS),
        ))
        self.accesses = dict.fromkeys(DEVICES, 0)
        self.errors = []
        self._err_task = cocotb.start_soon(self._bus_errors())
        start_in_reset(dut, impl="gpi")

    def _access(self, dev: str, t) -> None:
        self.accesses[dev] += 1
        d = "write" if t.write else "read"
        if dev == "CTRL":
            reg = _ctrl_reg(t.word)
        else:
            r = memory_map.REGMAPS[dev].at(t.word)
            reg = r.name if r is not None else "unmapped"
        self.cov({"path": f"{self.program}:{dev}", "dev_dir": f"{dev}:{d}", "reg": f"{dev}.{reg}:{d}"})

    async def _bus_errors(self):
        dut = self.dut
        while True:
            await RisingEdge(dut.err_valid)
            await ReadOnly()
            kind = f"{RESP.get(int(dut.err_resp.value), '?')}:{'write' if int(dut.err_write.value) else 'read'}"
            addr = int(dut.err_addr.value)
            self.errors.append((kind, addr))
            unmapped = not any(addr & w.mask == w.base for w in memory_map.WINDOWS)
            self.cov({"error": kind, "path": f"{self.program}:unmapped" if unmapped else None})

    def finish(self, res) -> None:
        """The program ran to exit 0: its coverage, and the register scoreboards' verdicts."""
        if res.reason == "exit":  # the run ends at EXIT's write, before the monitor sees its response
            self.cov({"reg": "CTRL.EXIT:write", "dev_dir": "CTRL:write"})
        if res.reason == "exit" and res.exit_code == 0:
            self.cov({"program": self.program})
        try:
            for sb in self.reg_sbs.values():
                sb.report()
        finally:
            export_coverage()
        self.log.info("%s: device accesses %s; bus errors %s", self.program,
                      ", ".join(f"{d} {n}" for d, n in self.accesses.items()), self.errors or "none")


def variant() -> str:
    return os.environ.get("SOC_FW_VARIANT", "default")


def image_file() -> str:
    """The RAM image file this build's soc_ram reads (its FIRMWARE parameter)."""
    return json.loads(os.environ.get("TB_PARAMS", "{}")).get("FIRMWARE", '"firmware.hex"').strip('"')


class RunResult(NamedTuple):
    lines: list
    exit_code: int | None
    reason: str  # "exit", "bus_error", "trap", "timeout"
    clocks: int
    wall_s: float
    seed: int

    def text(self) -> str:
        return "\n".join(self.lines)

    def records(self, tag: str) -> list:
        """Fields of every console line starting with ``tag``."""
        return [ln.split()[1:] for ln in self.lines if ln.split()[:1] == [tag]]


def patched_image(program: str, prog_seed: int, count: int) -> str:
    """The program's RAM image with the seed, count and flags words set."""
    img = firmware.load(variant())[program]
    words = img.hex.read_text().splitlines()
    if int(words[1], 16) != MAGIC:
        raise AssertionError(f"{img.hex}: no argument block (word 1 is {words[1]})")
    words[2] = f"{prog_seed & 0xFFFFFFFF:08x}"
    words[3] = f"{count & 0xFFFFFFFF:08x}"
    words[4] = f"{int(QUICK):08x}"
    return "\n".join(words) + "\n"


async def _console(dut, sink: list):
    while True:
        await RisingEdge(dut.console_valid)
        await ReadOnly()
        sink.append(dut.console_data.value.to_unsigned())


async def run_program(dut, program: str, *, expect_bus_error: bool = False) -> RunResult:
    """Load ``program``, run it to EXIT (or a failure) under the monitors of a
    :class:`SocEnv`, return what it printed (the env's checks run at the end)."""
    prog_seed = random.getrandbits(32)  # cocotb seeds random per test from COCOTB_RANDOM_SEED
    count = COUNTS.get(program, 0)
    Path(image_file()).write_text(patched_image(program, prog_seed, count))
    env = SocEnv(dut, program)
    dut.fw_load.value = 1
    await RisingEdge(dut.clk)
    dut.fw_load.value = 0
    await ClockCycles(dut.clk, 3)
    chars = []
    cocotb.start_soon(_console(dut, chars))
    dut.rst.value = 0
    t0, c0 = time.monotonic(), time.process_time()
    start_ns = cocotb.utils.get_sim_time("ns")
    waits = [RisingEdge(dut.exit_valid), RisingEdge(dut.trap), Timer(BUDGET[program] * CLK_NS, unit="ns")]
    if not expect_bus_error:
        waits.append(RisingEdge(dut.bus_error))
    fired = await First(*waits)
    await ReadOnly()
    wall, cpu = time.monotonic() - t0, time.process_time() - c0
    clocks = int((cocotb.utils.get_sim_time("ns") - start_ns) // CLK_NS)
    if fired is waits[0]:
        reason, code = "exit", dut.exit_code.value.to_unsigned()
    elif fired is waits[1]:
        reason, code = "trap", None
    elif fired is waits[2]:
        reason, code = "timeout", None
    else:
        reason, code = "bus_error", None
    text = bytes(chars).decode("ascii", "replace")
    res = RunResult(text.splitlines(), code, reason, clocks, wall, prog_seed)
    dut._log.info("%s: %s after %d clocks, %.1f s wall, %.1f s CPU (%.0f clocks per CPU second); output:\n%s",
                  program, reason, clocks, wall, cpu, clocks / max(cpu, 1e-9), text)
    record(f"{program}.clocks", clocks)
    record(f"{program}.cpu_s", round(cpu, 2))
    if program in runs.COUNT_MEANS:
        record(f"{program}.count", runs.count(_RUN_SIM, program))
    env.finish(res)
    return res


def check(res: RunResult, ok: bool, what: str):
    """Fail with the program's output, the seed and how to rerun."""
    if not ok:
        raise AssertionError(
            f"{what}\n--- ended by {res.reason} (exit code {res.exit_code}) after {res.clocks} clocks; "
            f"program seed {res.seed:#010x}; rerun with SEED={seed()} --- output:\n{res.text()}")


def check_exit(res: RunResult):
    check(res, res.reason == "exit" and res.exit_code == 0, "the program did not exit with 0")


def record(key: str, value):
    """Add one figure to build/results/soc_figures-<sim>.json."""
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(FIGURES.read_text()) if FIGURES.exists() else {}
    data[key] = value
    FIGURES.write_text(json.dumps(data, indent=1, sort_keys=True))


def _s16(text: str) -> int:
    v = int(text, 16)
    return v - (1 << 16) if v & 0x8000 else v


@cocotb.test()
async def test_buserr(dut):
    """DECERR for unmapped addresses, SLVERR for a read and a write of an unmapped
    control offset, latch (a 0 written keeps it) and clear; a console store
    without byte lane 0 prints nothing; the cycle counter's high word."""
    res = await run_program(dut, "buserr", expect_bus_error=True)
    check_exit(res)
    unmapped = memory_map.unmapped_example()
    ctrl = memory_map.window("CTRL").base
    # status: [0] ERR, [1] WRITE, [3:2] RESP (3 = DECERR, 2 = SLVERR)
    expected = [[f"{1 | 3 << 2:08x}", f"{unmapped:08x}"],
                [f"{1 | 1 << 1 | 3 << 2:08x}", f"{unmapped + 4:08x}"],
                [f"{1 | 2 << 2:08x}", f"{ctrl + memory_map.CTRL_UNMAPPED:08x}"],
                [f"{1 | 1 << 1 | 2 << 2:08x}", f"{ctrl + memory_map.CTRL_UNMAPPED:08x}"]]
    check(res, res.records("buserr") == expected, f"bus-error records differ from {expected}")
    check(res, len(res.lines) == len(expected), "output besides the bus-error records (a console store "
          "without byte lane 0 must print nothing)")


@cocotb.test()
async def test_sensor(dut):
    """Every per-sample output of the CPU's angle update against the golden update."""
    res = await run_program(dut, "sensor")
    check_exit(res)
    upd = golden_sensor.AngleUpdate(golden_sensor.params())
    rows = res.records("ang")
    n_expected = COUNTS["sensor"] or firmware.SENSOR_SAMPLES
    check(res, len(rows) == n_expected, f"{len(rows)} samples printed, expected {n_expected}")
    coasting = 0
    for k, (s, c, ang, om, mag, flags) in enumerate(rows):
        g = upd.step(_s16(s), _s16(c))
        got = (int(ang, 16), int(om, 16), int(mag, 16), int(flags, 16))
        exp = (g.angle, g.omega & (2**64 - 1), g.mag, g.flags)
        check(res, got == exp, f"sample {k}: (angle, omega, mag, flags) = {got}, golden {exp}")
        coasting += bool(g.flags & golden_sensor.chain.LOSS_OF_SIGNAL)
    record("sensor.loss_of_signal_samples", coasting)
    cyc = res.records("sensor_cycles")
    check(res, len(cyc) == 1, "no sensor_cycles record")
    n, clocks = int(cyc[0][0]), int(cyc[0][1])
    per = clocks / n
    record("sensor.clocks_per_update", round(per, 1))
    head = res.records("sensor_head_cycles")
    check(res, len(head) == 1 and int(head[0][0]) == min(n, firmware.SENSOR_HEAD), "no sensor_head_cycles record "
          f"for the first {firmware.SENSOR_HEAD} samples")
    record("sensor.clocks_per_update_head", round(int(head[0][1]) / int(head[0][0]), 1))
    dut._log.info("sensor: %d samples compared (%d with a loss of signal); %.0f clocks per update = %.2f %% of a "
                  "100 MHz core at %g Hz",
                  len(rows), coasting, per, per * golden_sensor.HOST_RATE_HZ / 1e8 * 100, golden_sensor.HOST_RATE_HZ)


def _hex_diff(got: str, exp: str) -> str:
    """Where two printed hex strings differ: first byte, xor and bits (axis_tb.describe_diff)."""
    try:
        return "bytes: " + describe_diff(list(_bytes(got)), list(_bytes(exp)))
    except ValueError:
        return f"not hex: {got[:40]!r}"


def _bytes(field: str) -> bytes:
    return b"" if field == "-" else bytes.fromhex(field)


@cocotb.test()
async def test_sm4(dut):
    """Blocks and CCM* frames through the SM4 driver against crypto.sm4 / crypto.modes."""
    res = await run_program(dut, "sm4")
    check_exit(res)
    blocks = res.records("blk")
    n_blocks = 2 + (COUNTS["sm4"] or 4) * (1 if QUICK else 2)
    check(res, len(blocks) == n_blocks, f"{len(blocks)} block records, expected {n_blocks}")
    # GB/T 32907-2016 Annex A example 1 (the standard's own ciphertext)
    std = bytes.fromhex("0123456789abcdeffedcba9876543210")
    std_ct = bytes.fromhex("681edf34d206965e86b3e94f536e4246")
    check(res, blocks[0] == [std.hex(), "e", std.hex(), std_ct.hex()], "GB/T 32907 example 1 encryption")
    check(res, blocks[1] == [std.hex(), "d", std_ct.hex(), std.hex()], "GB/T 32907 example 1 decryption")
    for key, d, x, y in blocks:
        f = sm4.decrypt_block if d == "d" else sm4.encrypt_block
        exp = f(bytes.fromhex(key), bytes.fromhex(x)).hex()
        if y != exp:
            check(res, False, f"block {d} key {key} in {x}: engine {y}, golden {exp} ({_hex_diff(y, exp)})")
    frames, decs, forged = res.records("ccm"), res.records("ccm_dec"), res.records("ccm_forged")
    n_frames = 1 if QUICK else 3
    check(res, len(frames) == len(decs) == len(forged) == n_frames, f"expected {n_frames} CCM* frames")
    for (tag_len, key, nonce, aad, pt, ct, tag), dec, bad in zip(frames, decs, forged, strict=True):
        exp_ct, exp_tag = modes.ccm_star_encrypt(sm4.SM4(bytes.fromhex(key)), bytes.fromhex(nonce), _bytes(pt),
                                                 _bytes(aad), int(tag_len))
        got = _bytes(ct) + _bytes(tag)
        if (_bytes(ct), _bytes(tag)) != (exp_ct, exp_tag):
            check(res, False, f"CCM* frame (key {key}, nonce {nonce}): ct/tag {ct}/{tag}, golden {exp_ct.hex()}/"
                              f"{exp_tag.hex()} (ct+tag {_hex_diff(got.hex(), (exp_ct + exp_tag).hex())})")
        check(res, dec == ["ok", pt], f"CCM* decryption of a good frame gave {dec}")
        check(res, bad[0] == "fail" and set(_bytes(bad[1])) <= {0},
              f"a forged CCM* frame was accepted or released plaintext: {bad}")
    key_clocks = int(res.records("sm4_key_cycles")[0][0])
    record("sm4.clocks_per_key_load", key_clocks)
    if QUICK:
        return
    cyc = res.records("sm4_cycles")
    check(res, len(cyc) == 1, "no sm4_cycles record")
    per = int(cyc[0][1]) / int(cyc[0][0])
    bus = res.records("sm4_bus_cycles")
    check(res, len(bus) == 1, "no sm4_bus_cycles record")
    record("sm4.bus_clocks_per_block", round(int(bus[0][1]) / int(bus[0][0]), 1))
    record("sm4.clocks_per_block", round(per, 1))
    dut._log.info("sm4: %d blocks and %d frames compared; %.1f clocks per block through the driver "
                  "(engine %d), key load %d clocks", len(blocks), len(frames), per, ENGINE_CLOCKS, key_clocks)


@cocotb.test()
async def test_cordic(dut):
    """The CORDIC unit and the software CORDIC against sensor_dsp.cordic.atan2_fixed."""
    res = await run_program(dut, "cordic")
    check_exit(res)
    rows = res.records("cor")
    n_expected = 16 + (COUNTS["cordic"] or 48)
    check(res, len(rows) == n_expected, f"{len(rows)} angles printed, expected {n_expected}")
    vals = [[_s16(r[0]), _s16(r[1])] + [int(v, 16) for v in r[2:]] for r in rows]
    x = [v[0] for v in vals]
    y = [v[1] for v in vals]
    ang, mag = cordic.atan2_fixed(y, x, in_width=memory_map.CORDIC["IN_W"], out_width=memory_map.CORDIC["OUT_W"],
                                  iterations=memory_map.CORDIC["ITER"])
    for v, a, m in zip(vals, ang.tolist(), mag.tolist(), strict=True):
        check(res, v[2:4] == [a, m], f"unit: atan2({v[1]}, {v[0]}) = {v[2:4]}, golden {[a, m]}")
        check(res, v[4:6] == [a, m], f"software: atan2({v[1]}, {v[0]}) = {v[4:6]}, golden {[a, m]}")
    if QUICK:
        return
    cyc = res.records("cordic_cycles")
    check(res, len(cyc) == 1, "no cordic_cycles record")
    n, hw, sw = (int(v) for v in cyc[0])
    record("cordic.clocks_per_angle_unit", round(hw / n, 1))
    record("cordic.clocks_per_angle_software", round(sw / n, 1))
    dut._log.info("cordic: %d angles compared; %.0f clocks per angle on the unit, %.0f in software",
                  len(rows), hw / n, sw / n)


@cocotb.test()
async def test_viterbi(dut):
    """Frames decoded by the Viterbi unit against mesh_phy.coding.viterbi.decode."""
    res = await run_program(dut, "viterbi")
    check_exit(res)
    rows = res.records("vit")
    check(res, len(rows) == 2, f"{len(rows)} frames printed, expected 2")
    p = memory_map.VITERBI
    bit_errors = 0
    for n, info, soft_hex, dec in rows:
        n = int(n)
        soft = [b - 256 if b > 127 else b for b in bytes.fromhex(soft_hex)]
        check(res, len(soft) == 2 * n and len(info) == n and len(dec) == n, "frame record lengths")
        exp = viterbi.decode(soft, "1/2", traceback=p["TB_LEN"], soft_bits=p["SOFT_W"], terminated=True)
        exp = "".join(str(int(b)) for b in exp)
        diff = describe_diff([int(c) for c in dec], [int(c) for c in exp])
        check(res, dec == exp, f"frame of {n} steps (bits: {diff}): unit decoded\n{dec}\ngolden\n{exp}")
        bit_errors += sum(a != b for a, b in zip(dec, info, strict=True))
    cyc = res.records("vit_cycles")
    check(res, len(cyc) == 2, "no vit_cycles records")
    bits, clocks = int(cyc[0][0]), int(cyc[0][1])
    record("viterbi.clocks_per_bit", round(clocks / bits, 1))
    dut._log.info("viterbi: %d frames compared (%d bit errors against the information); %.0f clocks per decoded "
                  "bit through the driver (the unit: 1 per bit)", len(rows), bit_errors, clocks / bits)


@cocotb.test()
async def test_coverage_closure(dut):
    """Every covergroup of rtl_verif/plans/soc.yaml at its goal over this simulation's programs."""
    coverage_closure(dut)
