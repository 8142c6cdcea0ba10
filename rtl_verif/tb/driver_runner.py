# The firmware driver tests, run the same way in both worlds: under
# MicroPython against the device models (tests/test_drivers.py, bus = host
# calls into rtl_verif.devices) and under CPython in the cocotb testbenches
# against the RTL (bus = rtl_verif.tb.axil_bus.AxilBus). MicroPython-clean:
# only the drivers and binascii.
#
# A case is a dict of JSON types made by rtl_verif/tb/driver_cases.py, which
# also holds the golden expectations; run_case returns {"out": ...} or
# {"error": "<DriverError message>"}.

import binascii

from firmware_models import mesh_codec
from firmware_models.drivers.bus import DriverError
from firmware_models.drivers.cordic import Cordic
from firmware_models.drivers.sm4 import Sm4, frame_nonce
from firmware_models.drivers.viterbi import Viterbi


def _b(s):
    return binascii.unhexlify(s)


def _h(b):
    return binascii.hexlify(b).decode()


async def _sm4(bus, c):
    d = Sm4(bus, c["base"])
    await d.probe()
    await d.load_key(_b(c["key"]))
    op = c["op"]
    if op == "ecb":
        return _h(await d.ecb(_b(c["data"]), c["decrypt"]))
    if op == "frame_seal":  # a secured mesh frame: header + sealed body (the header its AAD) + FCS
        header = _b(c["header"])
        nonce = frame_nonce(c["src"], c["net"], c["key_id"], c["counter"], c["mic"])
        f = header + await d.ccm_seal(nonce, _b(c["data"]), header, c["mic"])
        return _h(f + (mesh_codec.crc32(f) & 0xFFFFFFFF).to_bytes(4, "little"))
    if op == "frame_open":  # the codec splits the frame, the driver opens it: its body
        raw = _b(c["data"])
        f = mesh_codec.decode(raw)
        sec = f["security"]
        sealed = _b(f["ciphertext"]) + _b(f["mic"])
        nonce = frame_nonce(f["src"], f["net"], sec["key_id"], sec["counter"], sec["mic_len"])
        return _h(await d.ccm_open(nonce, sealed, raw[:len(raw) - 4 - len(sealed)], sec["mic_len"]))
    if op == "ccm_seal":
        return _h(await d.ccm_seal(_b(c["nonce"]), _b(c["data"]), _b(c["aad"]), c["mic"]))
    return _h(await d.ccm_open(_b(c["nonce"]), _b(c["data"]), _b(c["aad"]), c["mic"]))


async def _cordic(bus, c):
    d = Cordic(bus, c["base"])
    await d.probe()
    await d.bus_mode(True)
    out = []
    for x, y in c["points"]:
        angle, mag = await d.atan2(y, x)
        out.append([angle, mag])
    return out


async def _viterbi(bus, c):
    d = Viterbi(bus, c["base"])
    await d.probe()
    bits = await d.decode(c["soft"], c["terminated"])
    return "".join("1" if b else "0" for b in bits)


RUNNERS = {"sm4_core": _sm4, "cordic_csr": _cordic, "viterbi_csr": _viterbi}


async def run_case(bus, case):
    try:
        return {"out": await RUNNERS[case["block"]](bus, case)}
    except DriverError as e:
        return {"error": str(e)}
