"""The rows of the chip spec (docs/spec.md) that nothing in this repository
can measure: targets of the silicon, the analogue front end or the NPU. Each
row says "not measured" and why, so the report lists every target of the
spec and no row carries a figure that was not measured.

(A1, the RISC-V core, is measured on the simulated SoC: :mod:`rtl_verif.kpis`.)
"""

from kpi.registry import kpi, not_measured

NOT_MODELLED = "this repository holds the digital blocks' models, RTL and firmware"
# id, title, spec (docs/spec.md), report order, chip, why it is not measured, what the row adds
UNMODELLED = (
    ("A2", "integration (RF, baseband, AP, PMIC on one SoC; 28 nm)",
     "RF, baseband, AP and PMIC on one SoC, 28 nm domestic process", 2, "A",
     f"a property of the silicon (die integration and process); {NOT_MODELLED}, not the RF, PMIC or physical design",
     "The digital blocks the SoC integrates are verified in RTL (rows RTL-*) and run together on the simulated SoC "
     "with its RISC-V core (row A1, docs/soc.md); the RF front end, PMIC and the 28 nm implementation are outside "
     "this project."),
    ("A6", "AI edge compute", "at least 4 TOPS", 65, "A",
     f"the NPU is not modelled here ({NOT_MODELLED}; none of it is an NPU)",
     "TOPS are a property of the NPU's array size and clock on silicon; no NPU model, RTL or performance model "
     "exists in this repository."),
    ("B2", "supply range", "−24 V to 24 V", 101, "B",
     "a property of the analogue front end and its protection (supply regulation, reverse-polarity and transient "
     "protection), which is not modelled here",
     "The sensor models start at the digitised sine/cosine samples (sensor_dsp); the coils, excitation, supply and "
     "their protection circuits are analogue silicon."),
    ("B3", "ESD robustness", "HBM ±4 kV", 102, "B",
     "ESD robustness is qualified on silicon (HBM classification per ANSI/ESDA/JEDEC JS-001); no model here can "
     "measure it",
     "Physical qualification (HTOL, latch-up, HBM/CDM ESD, uHAST, temperature cycling, HTSL) is done on silicon, "
     "outside this project (docs/spec.md)."),
)


def _register(kpi_id: str, title: str, spec: str, order: float, chip: str, reason: str, detail: str):
    def row(ctx):
        return not_measured(reason, detail=detail)

    row.__qualname__ = row.__name__ = f"unmodelled_{kpi_id}"
    return kpi(kpi_id, title=title, spec=spec, command=f"python -m kpi --only {kpi_id}", order=order,
               chip=chip)(row)


for _row in UNMODELLED:
    _register(*_row)
