"""The rows of the chip spec (docs/spec.md) that nothing in this repository
can measure: targets of the silicon, the analogue front end or the NPU. Each
row says "not measured" and why, so the report lists every target of the
spec and no row carries a figure that was not measured.

(A1, the RISC-V core, is measured on the simulated SoC: :mod:`rtl_verif.kpis`.)
"""

from kpi.registry import kpi, not_measured

NOT_MODELLED = "this repository holds the digital blocks' models, RTL and firmware"


@kpi("A2", title="integration (RF, baseband, AP, PMIC on one SoC; 28 nm)", spec="RF, baseband, AP and PMIC on one "
     "SoC, 28 nm domestic process", command="python -m kpi --only A2", order=2, chip="A")
def integration(ctx):
    return not_measured(f"a property of the silicon (die integration and process); {NOT_MODELLED}, not the RF, PMIC "
                        "or physical design",
                        detail="The digital blocks the SoC integrates are verified in RTL (rows RTL-*) and run "
                               "together on the simulated SoC with its RISC-V core (row A1, docs/soc.md); the RF "
                               "front end, PMIC and the 28 nm implementation are outside this project.")


@kpi("A6", title="AI edge compute", spec="at least 4 TOPS", command="python -m kpi --only A6", order=65, chip="A")
def edge_compute(ctx):
    return not_measured(f"the NPU is not modelled here ({NOT_MODELLED}; none of it is an NPU)",
                        detail="TOPS are a property of the NPU's array size and clock on silicon; no NPU model, RTL "
                               "or performance model exists in this repository.")


@kpi("B2", title="supply range", spec="−24 V to 24 V", command="python -m kpi --only B2", order=101, chip="B")
def supply_range(ctx):
    return not_measured("a property of the analogue front end and its protection (supply regulation, reverse-polarity "
                        "and transient protection), which is not modelled here",
                        detail="The sensor models start at the digitised sine/cosine samples (sensor_dsp); the coils, "
                               "excitation, supply and their protection circuits are analogue silicon.")


@kpi("B3", title="ESD robustness", spec="HBM ±4 kV", command="python -m kpi --only B3", order=102, chip="B")
def esd(ctx):
    return not_measured("ESD robustness is qualified on silicon (HBM classification per ANSI/ESDA/JEDEC JS-001); "
                        "no model here can measure it",
                        detail="Physical qualification (HTOL, latch-up, HBM/CDM ESD, uHAST, temperature cycling, HTSL) "
                               "is done on silicon, outside this project (docs/spec.md).")
