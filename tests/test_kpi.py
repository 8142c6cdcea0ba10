"""The KPI report: results and verdicts, the registry of every KPI of the
chip spec, the committed results against the summary and README tables
(stale tables fail here), the page, the CLI, and the arithmetic behind a
few rows checked by hand."""

import ast
import json
import math
import re
from pathlib import Path

import pytest

from kpi import collect, readme, report
from kpi.__main__ import main
from kpi.errors import KpiError
from kpi.registry import Kpi, discover, kpi, measured, not_measured, xy_plot

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "docs" / "kpi_results.json"
# every KPI the issue names (air-interface latency, transmit current, P2P/P2MP, anti-interference,
# encryption throughput and handshake time, angle error, mismatch estimation and flagging, sampling rate,
# temperature range, RTL throughput and latency)
SPEC_KPIS = {"A3", "A4", "A5-P2P", "A5-P2MP", "AI", "A7-enc", "A7-hs", "B1", "B4", "B5-est", "B5-flag", "B6",
             "RTL-vit", "RTL-sm4", "RTL-cordic", "RTL-fft"}


def test_margin_and_verdict():
    r = measured(0.3, "°", limit=0.45)
    assert math.isclose(r.margin, 0.15) and r.verdict == "pass"
    assert measured(0.5, "°", limit=0.45).verdict == "FAIL"
    assert measured(1000.0, "µs", limit=1000.0).verdict == "pass"  # "within": the limit itself passes
    assert measured(1000.0, "µs", limit=1000.0, strict=True).verdict == "FAIL"  # "below 1 ms": it does not
    h = measured(99.5, "%", limit=99.0, better="higher")
    assert math.isclose(h.margin, 0.5) and h.verdict == "pass"
    assert measured(98.0, "%", limit=99.0, better="higher").verdict == "FAIL"
    assert measured(4.0, "dB").verdict == "no limit" and measured(4.0, "dB").margin is None
    n = not_measured("no simulator")
    assert n.verdict == "not measured" and n.value is None and "no simulator" in n.shown


@pytest.mark.parametrize("value", [float("nan"), float("inf"), True, "1", None])
def test_measured_refuses_non_numbers(value):
    with pytest.raises(KpiError):
        measured(value, "°", limit=0.45)


def test_result_refuses_bad_arguments():
    with pytest.raises(KpiError):
        measured(1.0, "°", better="smaller")
    with pytest.raises(KpiError, match="reason"):
        not_measured("  ")
    with pytest.raises(KpiError):
        xy_plot([{"label": "a", "x": [1, 2], "y": [1]}], title="t", xlabel="x", ylabel="y")
    with pytest.raises(KpiError):
        measured(1.0, "°", plot={"kind": "pie"})


def test_margin_text():
    assert collect.margin_text(measured(0.3, "°", limit=0.45)) == "+0.15° (+33 %)"
    assert collect.margin_text(measured(250.0, "mA", limit=200.0, strict=True)) == "-50 mA (-25 %)"
    assert collect.margin_text(measured(3.0, "dB")) == "—"
    assert collect.margin_text(measured(99.5, "%", limit=99.0, better="higher")) == "+0.50 pp"


def test_every_kpi_of_the_spec_is_registered_with_a_command():
    kpis = discover()
    ids = [k.id for k in kpis]
    assert SPEC_KPIS <= set(ids), sorted(SPEC_KPIS - set(ids))
    assert len(ids) == len(set(ids))
    for k in kpis:
        assert k.command.startswith("python -m "), k.id
        assert k.spec.strip() and k.title.strip()


def test_registration_is_checked():
    discover()  # B4 must already be sensor_dsp.kpis's, whatever order the tests run in
    with pytest.raises(KpiError, match="registered twice"):
        kpi("B4", title="t", spec="s", command="c", order=1, chip="B")(lambda ctx: None)
    with pytest.raises(KpiError, match="id"):
        Kpi("4B", "t", "s", "c", lambda ctx: None, 1, "B")
    with pytest.raises(KpiError, match="chip"):
        Kpi("X1", "t", "s", "c", lambda ctx: None, 1, "C")
    with pytest.raises(KpiError, match="command"):
        Kpi("X1", "t", "s", " ", lambda ctx: None, 1, "A")


def test_a_failing_kpi_becomes_a_not_measured_row(capsys):
    def broken(ctx):
        raise ZeroDivisionError("bug")

    row, ok = collect.run_kpi(Kpi("X9", "broken", "s", "python -m kpi --only X9", broken, 1, "A"), None, True, "rev")
    assert not ok and row["verdict"] == "not measured" and "ZeroDivisionError" in row["reason"]
    assert "Traceback" in capsys.readouterr().err


def _doc(rows):
    return {"revision": "abc", "generated_utc": "2026-01-01T00:00:00+00:00", "rows": rows}


def _row(i, verdict="pass", plot=None, **kw):
    return {"id": i, "title": "t|x", "chip": "A", "spec": "s", "shown": "1 µs", "margin_shown": "+1",
            "verdict": verdict, "command": "python -m kpi --only " + i, "plot": plot, **kw}


def test_markdown_table_escapes_and_marks_failures():
    t = report.markdown_table(_doc([_row("A1"), _row("A2", "FAIL")]))
    lines = t.splitlines()
    assert lines[0].startswith("| KPI | spec | measured | margin | verdict | command |")
    assert "t\\|x" in lines[2] and "**FAIL**" in lines[3]
    assert all(line.count("|") - line.count("\\|") == 7 for line in lines)


def test_html_page_has_every_row_and_its_plot():
    plot = xy_plot([{"label": "a", "x": [1, 2], "y": [3, 4]}], title="p", xlabel="x", ylabel="y",
                   hlines=[(3.5, "limit")])
    page = report.html_page(_doc([_row("A1", plot=plot), _row("B2", "not measured")]))
    assert page.count("data:image/png;base64,") == 1
    assert "id='A1'" in page and "id='B2'" in page and "<script" not in page
    assert "t|x" in page  # escaped as HTML, not as Markdown


def test_readme_markers():
    text = f"intro\n{readme.BEGIN}\nold\n{readme.END}\nrest\n"
    new = readme.replace(text, "| a |\n")
    assert new == f"intro\n{readme.BEGIN}\n| a |\n{readme.END}\nrest\n"
    assert readme.section(new) == "| a |\n"
    for bad in ("no markers", f"{readme.END}{readme.BEGIN}", f"{readme.BEGIN}{readme.BEGIN}{readme.END}"):
        with pytest.raises(KpiError):
            readme.replace(bad, "| a |")
    with pytest.raises(KpiError):
        readme.replace(text, f"x {readme.END}")


def test_committed_results_have_a_figure_or_a_reason_for_every_kpi():
    doc = report.load(RESULTS)
    ids = [r["id"] for r in doc["rows"]]
    assert ids == [k.id for k in discover()], "docs/kpi_results.json is stale: run `make kpi`"
    for r in doc["rows"]:
        assert r["command"].startswith("python -m "), r["id"]
        if r["verdict"] == "not measured":
            assert r["reason"] and r["shown"].startswith("not measured: "), r["id"]
        else:
            assert isinstance(r["value"], (int, float)) and math.isfinite(r["value"]), r["id"]
        assert r["revision"] and r["measured_utc"], r["id"]


def test_committed_summary_and_readme_match_the_results():
    doc = report.load(RESULTS)
    assert (ROOT / "docs" / "kpi_summary.md").read_text(encoding="utf-8") == report.summary_markdown(doc), \
        "docs/kpi_summary.md is stale: run `python -m kpi render`"
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.has_markers(text), f"README.md lost its {readme.BEGIN} / {readme.END} markers: the KPI table " \
        "is no longer generated (put them back around the table, then run `python -m kpi render`)"
    assert readme.section(text) == report.markdown_table(doc), "README KPI table is stale: run `python -m kpi render`"


def test_cli_render_list_and_errors(tmp_path, capsys):
    doc = _doc([_row("A1", value=1.0, reason=None)])
    (tmp_path / "kpi_results.json").write_text(json.dumps(doc))
    rd = tmp_path / "README.md"
    rd.write_text(f"# x\n{readme.BEGIN}\n{readme.END}\n")
    assert main(["render", "--out", str(tmp_path), "--readme", str(rd)]) == 0
    assert readme.section(rd.read_text()) == report.markdown_table(doc)
    assert (tmp_path / "kpi.html").exists() and (tmp_path / "kpi_summary.md").exists()
    assert main(["list"]) == 0 and "B4" in capsys.readouterr().out
    for argv, what in ((["--only", "NOPE"], "unknown KPI"),
                       (["--backend", "serial", "--scheduler", "tcp://h:1"], "needs --backend dask"),
                       (["render", "--out", str(tmp_path / "none")], "cannot read"),
                       (["--seed", "-1"], "--seed")):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert what in err and len(err.strip().splitlines()) == 1
    with pytest.raises(SystemExit) as exit_:
        main(["--backend", "cloud"])
    assert exit_.value.code == 2 and "invalid choice" in capsys.readouterr().err


def test_ccm_clocks_by_hand():
    from rtl_verif.kpis import ccm_clocks

    # 100-byte payload, 22-byte header: CBC-MAC over B0, ceil(24/16) = 2 AAD blocks and 7 payload blocks
    # (10 blocks chained, 33 clocks each); CTR over A0 and 7 blocks (8 × 32 back to back); +1 for the first CTR
    assert ccm_clocks(100, 22, 33, 32) == 10 * 33 + 8 * 32 + 1
    assert ccm_clocks(16, 14, 33, 32) == (1 + 1 + 1) * 33 + 2 * 32 + 1


def test_cluster_cores_by_hand():
    from kpi.scaling import cluster_cores

    # 100 errors at 1e-8 = 1e10 bits; 1 Mbit/s per core = 3.6e9 bits per core-hour: 2.78 → 3 cores
    assert cluster_cores(1e6, 1.0) == 3
    assert cluster_cores(1e6, 0.5) == 6
    assert cluster_cores(1e5, 1.0, ber_target=1e-7) == 3
    assert cluster_cores(1e6, 1.0, safety=2.0) == 6  # 5.56 → 6
    assert cluster_cores(3.14e6, 1.0, safety=2.0) == 2  # 1e10 bits / 1.13e10 bits per core-hour = 0.885, × 2 → 2
    with pytest.raises(KpiError):
        cluster_cores(0.0, 1.0)
    with pytest.raises(KpiError, match="safety"):
        cluster_cores(1e6, 1.0, safety=0.5)


def test_error_count_quantile_against_scipy():
    """The bits to the 100th error at BER p are Gamma(100, 1/p): the
    Wilson–Hilferty quantile of kpi.scaling against scipy's gamma.ppf."""
    from scipy.stats import gamma

    from kpi.scaling import GAMMA_97, gamma_quantile

    assert math.isclose(gamma_quantile(100), gamma.ppf(0.975, 100), rel_tol=1e-3)
    assert math.isclose(gamma_quantile(10, z=-1.96), gamma.ppf(0.025, 10), rel_tol=1e-2)
    assert 1.19 < GAMMA_97 < 1.22


def test_scaling_report_says_when_the_machine_was_loaded(tmp_path):
    """kpi_scaling.md records the load averages and calls a run whose workers
    got less than 0.8 of a core each loaded, not clean; the estimate uses the
    safety factor."""
    from kpi import scaling

    def run(backend, workers, wall, cpu):
        return {"backend": backend, "workers": workers, "wall_s": wall, "errors": 5, "bits": 1000, "cpu_s": cpu,
                "busy": cpu / wall, "load_before": [1.5, 1.0, 0.5], "load_after": [2.5, 1.2, 0.6],
                "speedup": 60.0 / wall}

    m = {"rate_bps": 3.14e6, "identical": True, "efficiency": 0.95, "cpu_share": 0.95, "chunks": 16,
         "bits_per_chunk": 12_500_000, "repeat": 1, "cpus": 2, "loadavg": [0.3, 0.2, 0.1],
         "loadavg_end": [2.0, 1.0, 0.5], "bits_needed": 1e10, "wilson": [8.2e-9, 1.2e-8], "ebn0_1e8_db": 5.88,
         "safety": 2.0, "gamma97": 1.2, "cores_ideal": 1, "cores_safe": 2, "cores_measured": 3,
         "packet_rate_bps": 1.3e6, "packet_cores": 5,
         "runs": [run("serial", 1, 62.0, 60.0), run("dask", 1, 60.0, 59.0), run("dask", 2, 31.5, 59.0)]}
    assert not scaling.loaded(m)
    scaling.write(m, tmp_path)
    text = (tmp_path / "kpi_scaling.md").read_text()
    assert "[0.3, 0.2, 0.1]" in text and "| [1.5, 1.0, 0.5] | [2.5, 1.2, 0.6] |" in text
    assert "**Estimate: 2 dedicated core(s)**" in text and "Safety factor **2**" in text
    assert "loaded by other users" not in text
    m["runs"][2] = run("dask", 2, 50.0, 59.0)  # 1.18 cores for 2 workers: 0.59 each
    assert scaling.loaded(m)
    scaling.write(m, tmp_path)
    assert "loaded by other users" in (tmp_path / "kpi_scaling.md").read_text()
    assert "not a clean figure" in json.loads((tmp_path / "kpi_scaling.json").read_text())["summary"]


def test_host_reads_are_the_chain_output_quantised(rng):
    """B6's u16 host reads: a subset of the chain's samples, so their error is
    within the chain's worst error plus half an LSB (2^-17 turn)."""
    from sensor_dsp.kpis import ANGLE_LSB, angle_point

    r = angle_point({"rpm": 200_000}, rng)
    assert r["host_reads"] == r["samples"] // 50 + (r["samples"] % 50 > 0)
    assert r["host_max_err_deg"] <= r["max_err_deg"] + ANGLE_LSB / 2 + 1e-12
    assert abs(r["mismatch_est"] - 0.005) < 0.002  # the realistic impairments' 0.5 % mismatch


@pytest.mark.parametrize("kpi_id", ["A3", "A4", "A5-P2P", "A5-P2MP", "AI"])
def test_network_rows_say_not_measured_without_the_simulator(monkeypatch, kpi_id):
    import protocol.kpis as pk
    from kpi.registry import REGISTRY, Context

    monkeypatch.setattr(pk, "_netsim_missing", lambda: "the network simulator (protocol.netsim) is not in this tree")
    r = REGISTRY[kpi_id].measure(Context(None, True))  # no runner: nothing may be swept
    assert r.verdict == "not measured" and "simulator" in r.reason and r.value is None


@pytest.mark.parametrize("kpi_id", ["RTL-vit", "RTL-sm4", "RTL-cordic", "RTL-fft"])
def test_rtl_rows_say_not_measured_without_a_simulator(monkeypatch, kpi_id):
    import rtl_verif.kpis as rk
    from kpi.registry import REGISTRY, Context

    monkeypatch.setattr(rk.shutil, "which", lambda name: None)
    r = REGISTRY[kpi_id].measure(Context(None, True))
    assert r.verdict == "not measured" and "iverilog" in r.reason


def _digest(path: Path) -> bytes:
    import hashlib

    return hashlib.sha256(path.read_bytes()).digest()


def test_cli_measures_real_kpis_into_a_folder_without_touching_the_docs(tmp_path, capsys):
    """Smoke test of the whole path: `python -m kpi --only B1,B4 --backend
    serial` runs the real KPI functions into a temporary folder and cache;
    the rows carry figures, the README and docs/ stay as they were, and a
    second run takes every chunk from the cache."""
    watched = [ROOT / "README.md", RESULTS, ROOT / "docs" / "kpi_summary.md", ROOT / "docs" / "kpi.html"]
    before = [_digest(p) for p in watched]
    argv = ["--only", "B1,B4", "--backend", "serial", "--out", str(tmp_path / "out"), "--cache",
            str(tmp_path / "cache"), "--no-readme", "--quiet"]
    assert main(argv) == 0
    first = capsys.readouterr().out
    doc = report.load(tmp_path / "out" / "kpi_results.json")
    assert [r["id"] for r in doc["rows"]] == ["B1", "B4"]
    for r in doc["rows"]:
        assert r["verdict"] in ("pass", "FAIL"), r
        assert isinstance(r["value"], float) and 0.0 < r["value"] < 10.0, r  # an angle error in degrees
        assert r["unit"] == "°" and r["limit"] == 0.45 and r["mode"] == "quick"
        assert r["plot"] and r["plot"]["series"][0]["y"], r["id"]
        assert r["chunks_computed"] > 0 and r["chunks_cached"] == 0
    assert (tmp_path / "out" / "kpi.html").exists() and (tmp_path / "out" / "kpi_summary.md").exists()
    assert " 0 from the cache" in first
    assert main(argv) == 0
    assert "\n0 chunks computed" in "\n" + capsys.readouterr().out.splitlines()[-1]
    again = report.load(tmp_path / "out" / "kpi_results.json")
    assert [r["value"] for r in again["rows"]] == [r["value"] for r in doc["rows"]]
    assert [_digest(p) for p in watched] == before


# the figures each RTL row's testbench logs, made up, and the row's value worked out by hand at 100 MHz
FAKE_FIGURES = {
    # 1 bit/clock + 64 clocks of flush: a 1000-byte PSDU (8022 DATA bits) takes 8086 clocks
    "RTL-vit": ({"latency": 100.0, "bits": 960.0, "clocks": 1064.0, "steps": 1000.0, "bits_per_clock": 0.902},
                8022 / 8086 * 100, 54.0),
    "RTL-sm4": ({"latency": 33.0, "clocks_per_block": 32.0}, 128 / 32 * 100, 54.0),  # 400 Mbit/s
    "RTL-cordic": ({"latency": 18.0}, 0.18, 0.375),  # 18 clocks of 10 ns
    "RTL-fft": ({"latency": 200.0, "samples_per_clock": 0.5}, 50.0, 20.0),  # 0.5 × 100 MHz
    "A1": ({"samples": 8.0, "clocks_per_update": 1621.0, "host_hz": 20000.0}, 1621 * 20000 / 1e8 * 100, 100.0),
}


@pytest.mark.parametrize("kpi_id", sorted(FAKE_FIGURES))
def test_rtl_rows_plot_their_figure_against_the_limit(monkeypatch, kpi_id):
    """Each RTL row (and A1) plots its figure over the core clock with the
    limit line; at the 100 MHz SoC clock the first curve is the row's value."""
    import rtl_verif.kpis as rk
    from kpi.registry import REGISTRY, Context

    figures, value, limit = FAKE_FIGURES[kpi_id]
    monkeypatch.setattr(rk, "_figures", lambda ctx, block: (figures, {"command": "python -m rtl_verif ..."}))
    r = REGISTRY[kpi_id].measure(Context(None, True))
    assert math.isclose(r.value, value, rel_tol=1e-9) and r.limit == limit
    plot = r.plot
    assert plot is not None and plot["hlines"][0][0] == limit
    assert plot["vlines"][0][0] == 100.0 and plot["xlabel"] == "core clock (MHz)"
    first = plot["series"][0]
    assert math.isclose(first["y"][first["x"].index(100.0)], value, rel_tol=1e-9)
    assert math.isclose(first["y"][first["x"].index(50.0)], value / 2 if r.better == "higher" else value * 2,
                        rel_tol=1e-9)  # throughput scales with the clock, latency with its inverse
    assert report.render_plot(plot)[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_testbench_without_figures_fails_only_its_block(monkeypatch):
    """A block whose testbench logs no figures (a broken build) gives a
    record with the error, not an exception that would take the other RTL
    rows down; A1's pattern reads the SoC testbench's own log format."""
    import subprocess

    import numpy as np

    import rtl_verif.kpis as rk

    out = {"text": ""}
    monkeypatch.setattr(rk.subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(a, 2, out["text"], ""))
    out["text"] = "fft64_twiddle.sv:54: error: No function named `tw_nsin'\npython -m rtl_verif: error: build failed\n"
    r = rk.testbench({"block": "fft64", "sim": "icarus"}, np.random.default_rng(1))
    assert r["figures"] is None and "build failed" in r["error"] and r["failed"]
    # the line rtl_verif/soc/tb_soc.py test_sensor logs, made with the format string read from that file
    tree = ast.parse((ROOT / "rtl_verif" / "soc" / "tb_soc.py").read_text())
    fmts = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and n.value.startswith("sensor: %d samples compared")]
    assert len(fmts) == 1, "tb_soc.py no longer logs the sensor figures line A1 reads"
    left, right = fmts[0].split(" clocks per update")
    n_left, n_right = (len(re.findall(r"%[-+ #0-9.]*[dfg]", part)) for part in (left, right))
    line = fmts[0] % (8, *[2] * (n_left - 2), 1621.0, *[32.42] * (n_right - 1), 20000.0)
    out["text"] = f"INFO {line}\n** TESTS=1 PASS=1 FAIL=0 **\n1 passed, 0 failed\n"
    r = rk.testbench({"block": "soc", "sim": "icarus"}, np.random.default_rng(1))
    assert r["figures"] == {"samples": 8.0, "clocks_per_update": 1621.0, "host_hz": 20000.0}


def _spec_ids() -> list[str]:
    text = (ROOT / "docs" / "spec.md").read_text(encoding="utf-8")
    return re.findall(r"^\| ([AB]\d) \|", text, flags=re.M)


def test_every_target_of_the_spec_has_a_row():
    """Every numbered target of docs/spec.md (A1..A7, B1..B6) has a KPI row:
    its own id or ids starting with it (A5-P2P, A7-enc)."""
    spec = _spec_ids()
    assert spec[:3] == ["A1", "A2", "A3"] and "B6" in spec and len(spec) == 13
    ids = [k.id for k in discover()]
    for s in spec:
        assert any(i == s or i.startswith(s + "-") for i in ids), f"docs/spec.md target {s} has no KPI row"


@pytest.mark.parametrize("kpi_id, why", [("A2", "silicon"), ("A6", "NPU"), ("B2", "analogue"), ("B3", "silicon")])
def test_unmodelled_targets_say_why_they_are_not_measured(kpi_id, why):
    from kpi.registry import REGISTRY, Context

    discover()  # the registry fills as contributors import: hold in any test order
    r = REGISTRY[kpi_id].measure(Context(None, True))  # no runner: nothing may be swept
    assert r.verdict == "not measured" and r.value is None and why in r.reason


def test_a1_says_not_measured_without_the_risc_v_toolchain(monkeypatch):
    import rtl_verif.kpis as rk
    from kpi.registry import REGISTRY, Context
    from rtl_verif.soc import toolchain

    def missing():
        raise toolchain.ToolchainError("RISC-V toolchain missing (gcc-riscv64-unknown-elf): run  apt-get install")

    monkeypatch.setattr(rk.shutil, "which", lambda name: "/usr/bin/" + name)
    monkeypatch.setattr(toolchain, "find", missing)
    r = REGISTRY["A1"].measure(Context(None, True))
    assert r.verdict == "not measured" and "RISC-V toolchain" in r.reason
