"""Device model of cordic_csr's registers on sensor_dsp.cordic
(docs/registers/cordic_csr.md).

Cycle-free: in BUS_MODE a write to SAMPLE produces its result at once.
Stream-mode samples (the sensor's ADC) are fed with :meth:`stream`; their
results land in RESULT as in the RTL. x and y are the low IN_W bits of the X
and Y fields, signed, as the RTL takes them.
"""

import numpy as np

from rtl_verif.devices.regfile import RegisterFile, signed
from rtl_verif.regs.models.cordic_csr import REGMAP
from sensor_dsp import cordic


class CordicDevice(RegisterFile):
    def __init__(self, in_width: int = 16, out_width: int = 16, iterations: int = 16):
        self.p = cordic.params(in_width, out_width, iterations)
        super().__init__(REGMAP)

    def reset(self):
        super().reset()
        self.result = (0, 0)  # (angle, magnitude)
        self.valid = False
        self.low = False

    def hw(self, reg: str, field: str) -> int:
        values = {
            ("PARAMS", "IN_W"): self.p.in_width, ("PARAMS", "OUT_W"): self.p.out_width,
            ("PARAMS", "ITER"): self.p.iterations, ("STATUS", "BUSY"): 0,
            ("STATUS", "RESULT_VALID"): self.valid, ("STATUS", "LOW_AMP"): self.low,
            ("RESULT", "ANGLE"): self.result[0], ("RESULT", "MAG"): self.result[1],
        }
        return int(values.get((reg, field), super().hw(reg, field)))

    def _results(self, xs, ys, bus: bool):
        w = self.p.in_width
        ang, mag = cordic.atan2_fixed(np.asarray(ys, np.int64), np.asarray(xs, np.int64), in_width=w,
                                      out_width=self.p.out_width, iterations=self.p.iterations)
        amp_min = self.get("AMP_MIN", "VALUE")
        for a, m in zip(ang.tolist(), mag.tolist(), strict=True):
            self.result, self.valid, self.low = (a, m), True, m < amp_min
            self.count("SAMPLES", "COUNT")
            if self.low:
                self.count("LOW_AMP_COUNT", "COUNT")
                self.set_flag("IRQ_STATUS", "LOW_AMP")
            if bus:
                self.set_flag("IRQ_STATUS", "RESULT")
        return ang, mag

    def stream(self, xs, ys):
        """Stream-mode samples (BUS_MODE = 0): their (angle, magnitude) arrays."""
        if self.get("CTRL", "BUS_MODE"):
            raise ValueError("the stream input is held off in BUS_MODE")
        return self._results(xs, ys, bus=False)

    def on_write(self, reg: str, pulses: dict, written: set):
        if reg == "CTRL" and "CLR_COUNTERS" in pulses:
            self.clear("SAMPLES", "COUNT")
            self.clear("LOW_AMP_COUNT", "COUNT")
        if reg == "SAMPLE" and written and self.get("CTRL", "BUS_MODE"):
            w = self.p.in_width
            self._results([signed(self.get("SAMPLE", "X"), w)], [signed(self.get("SAMPLE", "Y"), w)], bus=True)

    def on_read(self, reg: str):
        if reg == "RESULT":
            self.valid = False
