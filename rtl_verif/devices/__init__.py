"""Device models: what each block's registers do, cycle-free, built on the
golden models, so firmware drivers run against them (under CPython, or under
MicroPython through :mod:`rtl_verif.devices.bus`) exactly as against the RTL.
One model per register map: sm4_core, cordic_csr, viterbi_csr."""


def build(spec: dict):
    """A DeviceBus from {block name: {"base": int, "params": {...}}}, block
    names sm4_core, cordic_csr (in_width, out_width, iterations) and
    viterbi_csr (soft_bits, traceback)."""
    from rtl_verif.devices.bus import DeviceBus
    from rtl_verif.devices.cordic_csr import CordicDevice
    from rtl_verif.devices.sm4_core import Sm4Device
    from rtl_verif.devices.viterbi_csr import ViterbiDevice
    from rtl_verif.regs.errors import RegsError

    models = {"sm4_core": Sm4Device, "cordic_csr": CordicDevice, "viterbi_csr": ViterbiDevice}
    devices = {}
    for name, s in spec.items():
        if name not in models:
            raise RegsError(f"no device model {name!r}; models: {sorted(models)}")
        devices[s["base"]] = models[name](**s.get("params", {}))
    return DeviceBus(devices)
