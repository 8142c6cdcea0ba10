"""Inductive position sensor chain (chip B): signal model, fixed-point
CORDIC, calibration, tracking observer, delay compensation, diagnostics,
fault injection and the accuracy and fault-detection KPI
(``python -m sensor_dsp.kpi``)."""

from sensor_dsp.errors import SensorError

__all__ = ["SensorError"]
