"""The register tooling (rtl_verif/regs): generated files are current, the
models agree with an independent exporter (peakrdl-cheader's C header,
compiled with gcc), and descriptions the generated RTL would not implement
faithfully are refused with RegsError.

The CSR tests themselves run in each block's cocotb testbench (RTL) and in
tests/test_drivers.py (device model)."""

import re
import shutil
import subprocess

import pytest

from rtl_verif.regs import generate
from rtl_verif.regs.elaborate import elaborate
from rtl_verif.regs.errors import RegsError


@pytest.fixture(scope="module")
def files():
    return generate.outputs()


def test_generated_files_are_current(files):
    stale = generate.stale(files)
    assert not stale, (f"stale generated files {[str(p.relative_to(generate.ROOT)) for p in stale]}: "
                       "run `python -m rtl_verif.regs` (make regs) and commit them")


def test_stale_copy_is_detected(files):
    path = next(p for p in files if p.suffix == ".sv")
    altered = dict(files)
    altered[path] = files[path].replace("endmodule", "endmodule // edited by hand")
    assert generate.stale(altered) == [path]


def test_check_cli_exits_1_on_stale(files, tmp_path, monkeypatch, capsys):
    from rtl_verif.regs import __main__ as cli

    path = next(p for p in files if p.name.endswith("_regs.sv"))
    altered = dict(files)
    altered[path] = files[path] + "// stale\n"
    monkeypatch.setattr(cli, "stale", lambda: generate.stale(altered))
    assert cli.main(["--check"]) == 1
    assert path.name in capsys.readouterr().out


def _header_macros(text: str) -> dict:
    return {m.group(1): int(m.group(2), 0) for m in re.finditer(r"#define (\w+) (0x[0-9a-fA-F]+|\d+)\b", text)}


@pytest.mark.parametrize("name", generate.MAPS)
def test_models_agree_with_peakrdl_cheader(name, files, tmp_path):
    """Offsets from the C struct (gcc's offsetof), masks, bit positions and
    reset values from the header's macros, against the testbench model and the
    MicroPython constants."""
    from systemrdl.node import RegNode

    from rtl_verif.regs.elaborate import compile_root

    if shutil.which("gcc") is None:
        pytest.skip("gcc missing")
    m = elaborate(generate.REGS_DIR / f"{name}.rdl")
    header = files[generate.C_INCLUDE / f"{name}_regs.h"]
    (tmp_path / f"{name}_regs.h").write_text(header)
    lines = [f'printf("{r.name} %zu\\n", offsetof({name}_t, {r.name}));' for r in m.regs]
    (tmp_path / "t.c").write_text(f'#include <stdio.h>\n#include <stddef.h>\n#include "{name}_regs.h"\n'
                                  "int main(void) {\n" + "\n".join(lines) + "\nreturn 0;\n}\n")
    subprocess.run(["gcc", "-std=gnu11", "-o", str(tmp_path / "t"), str(tmp_path / "t.c")], check=True)
    out = subprocess.run([str(tmp_path / "t")], capture_output=True, text=True, check=True).stdout
    offsets = {k: int(v) for k, v in (ln.split() for ln in out.splitlines())}
    assert offsets == {r.name: r.offset for r in m.regs}
    macros = _header_macros(header)
    types = {n.inst_name: n.type_name for n in compile_root(generate.REGS_DIR / f"{name}.rdl").top.children()
             if isinstance(n, RegNode)}
    fw = {}
    exec(files[generate.FW_REGS / f"{name}.py"], fw)
    prefix = name.upper()
    compared = 0
    for r in m.regs:
        assert fw[r.name] == r.offset
        for f in r.fields:
            group = next(f"{prefix}__{t.upper()}__{f.name}" for t in (r.name, types[r.name])
                         if f"{prefix}__{t.upper()}__{f.name}_bm" in macros)
            assert macros[group + "_bm"] == f.mask == fw[f"{r.name}_{f.name}"]
            assert macros[group + "_bp"] == f.lsb == fw[f"{r.name}_{f.name}_POS"]
            assert macros[group + "_bw"] == f.width
            if f.reset is not None:
                assert macros[group + "_reset"] == f.reset
            compared += 1
    assert compared == sum(len(r.fields) for r in m.regs) > 0


def test_docs_name_every_register(files):
    for name in generate.MAPS:
        doc = files[generate.DOCS / f"{name}.md"]
        for r in elaborate(generate.REGS_DIR / f"{name}.rdl").regs:
            assert f"| 0x{r.offset:02X} |" in doc and r.name in doc


UNSUPPORTED = {
    "rclr": "field { sw = r; hw = w; rclr; } F[0:0];",
    "woset": "field { sw = rw; hw = r; onwrite = woset; } F[0:0] = 0;",
    "woclr without hwset": "field { sw = rw; hw = r; onwrite = woclr; } F[0:0] = 0;",
    "woclr with sw precedence": "field { sw = rw; hw = r; onwrite = woclr; hwset; } F[0:0] = 0;",
    "rw singlepulse": "field { sw = rw; hw = r; singlepulse; } F[0:0] = 0;",
    "hw we": "field { sw = rw; hw = w; we; } F[0:0] = 0;",
    "rw counter": "field { sw = rw; hw = r; counter; } F[7:0] = 0;",
    "constant without reset": "field { sw = r; hw = na; } F[0:0];",
    "hwclr on storage": "field { sw = rw; hw = r; hwclr; } F[0:0] = 0;",
}


@pytest.mark.parametrize("what", UNSUPPORTED)
def test_unsupported_field_is_refused(what, tmp_path):
    rdl = tmp_path / "x.rdl"
    rdl.write_text(f"addrmap x {{ reg {{ {UNSUPPORTED[what]} }} R @ 0x0; }};")
    with pytest.raises(RegsError, match="R.F"):
        elaborate(rdl)


@pytest.mark.parametrize("body,match", [
    ("reg { field { sw = rw; hw = r; } F[0:0] = 0; } R[4] @ 0x0;", "arrays"),
    ("reg { regwidth = 16; field { sw = rw; hw = r; } F[0:0] = 0; } R @ 0x0;", "32 bits"),
    ("regfile { reg { field { sw = rw; hw = r; } F[0:0] = 0; } R @ 0; } RF @ 0x0;", "flat"),
    ("external reg { field { sw = r; hw = w; } A[0:0]; field { sw = w; hw = r; } B[1:1]; } R @ 0x0;",
     "external"),
])
def test_unsupported_structure_is_refused(body, match, tmp_path):
    rdl = tmp_path / "x.rdl"
    rdl.write_text(f"addrmap x {{ {body} }};")
    with pytest.raises(RegsError, match=match):
        elaborate(rdl)


def test_syntax_error_is_a_regs_error(tmp_path):
    rdl = tmp_path / "x.rdl"
    rdl.write_text("addrmap x { reg { field { sw = rw; } F[0:0] = 0 } R @ 0; };")
    with pytest.raises(RegsError, match="SystemRDL errors"):
        elaborate(rdl)


def test_missing_region_markers_are_refused():
    from rtl_verif.regs.consts import fill_region

    with pytest.raises(RegsError, match="BEGIN GENERATED x"):
        fill_region("module m; endmodule\n", "x", ["// body"], "src", "m.sv")


# ---- generated cross-boundary constants ----

def test_cordic_rtl_tables_give_every_golden_angle():
    """cordic_atan2.sv's default ANGLES/KINV come from generated tables; every
    angle of every out_width (4..30) and iteration count (1..30) the golden
    model accepts is reproduced bit for bit (the RTL itself is run with
    defaults in its second regression parameter set)."""
    from rtl_verif.regs import consts

    assert consts.check_cordic_tables() == sum(range(1, 31)) * 27


def test_cordic_table_difference_is_caught(monkeypatch):
    from rtl_verif.regs import consts

    real = consts.atan_turns
    monkeypatch.setattr(consts, "atan_turns", lambda i: real(i) + (1 << 60) * (i == 7))
    with pytest.raises(RegsError, match="cordic angles differ"):
        consts.check_cordic_tables()


def test_fft_rtl_tables_give_every_golden_twiddle():
    """fft64_twiddle.sv's default TW comes from generated cos/-sin tables;
    every twiddle of every tw_width (4..24) the golden model accepts is
    reproduced bit for bit (tests/test_rtl_defaults.py elaborates the RTL)."""
    from rtl_verif.regs import consts

    assert consts.check_fft_twiddles() == 64 * 21


def test_fft_table_difference_is_caught(monkeypatch):
    from rtl_verif.regs import consts

    real = consts.twiddle_fixed
    # one unit at 22 fraction bits (TW_W = 24) added to the real part of W64^5
    monkeypatch.setattr(consts, "twiddle_fixed",
                        lambda k: (real(k)[0] + (1 << (consts.TW_BITS - 22)) * (k == 5), real(k)[1]))
    with pytest.raises(RegsError, match="fft64 twiddles differ"):
        consts.check_fft_twiddles()


def test_generated_regions_cover_every_golden_constant(files):
    """The stale check covers the regions holding the FFT twiddles and the CORDIC tables."""
    regions = {(fname, region) for fname, region, _, _ in generate.REGIONS}
    assert {("fft64_twiddle.sv", "fft64_twiddles"), ("cordic_atan2.sv", "cordic_consts")} <= regions
    assert "BEGIN GENERATED fft64_twiddles" in files[generate.RTL / "fft64_twiddle.sv"]


def test_firmware_phy_codes(files):
    """SIGNAL RATE bits against IEEE 802.11a-1999 Table 80 (R1..R4: 6 Mb/s
    1101, 54 Mb/s 0011) and the golden SIGNAL encoder; tuser codes against
    the golden tables."""
    from mesh_phy.coding import conv
    from mesh_phy.modulation import mapper
    from mesh_phy.ofdm import signal_field

    fw = {}
    exec(files[generate.FW_REGS / "phy_codes.py"], fw)
    assert fw["RATE_6MBPS"] == 0b1011 and fw["RATE_54MBPS"] == 0b1100  # R1 in bit 0
    for mbps in (6, 9, 12, 18, 24, 36, 48, 54):
        sig = signal_field.bits(mbps, 100)
        assert [(fw[f"RATE_{mbps}MBPS"] >> i) & 1 for i in range(4)] == list(sig[:4])
    assert {m: fw[f"MOD_{m.upper()}"] for m in mapper.MOD_CODE} == mapper.MOD_CODE
    assert [fw[f"CODE_RATE_{r.replace('/', '_')}"] for r in conv.PUNCTURE] == [0, 1, 2]
    header = files[generate.C_INCLUDE / "phy_codes.h"]
    assert "#define PHY_RATE_6MBPS 11u" in header and "#define PHY_MOD_64QAM 3u" in header
