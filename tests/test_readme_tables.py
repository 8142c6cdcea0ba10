"""The README's RTL block table is generated (rtl_verif.readme_tables): the
committed section must equal what the registry, testbenches and plans give."""

from pathlib import Path

import pytest

from kpi import readme
from rtl_verif import readme_tables
from rtl_verif.blocks import Block


def test_committed_readme_block_table_is_current():
    text = readme_tables.README.read_text()
    why = readme_tables.stale(text, readme_tables.table())
    assert why is None, why


def _row(name, tests, functions, sets, points, **kw):
    return {"block": name, "job": kw.get("job", "does x"), "interface": kw.get("interface", ""),
            "throughput": kw.get("throughput", "1/clock"), "param_sets": sets, "functions": functions,
            "tests": tests, "testpoints": points, "goals": kw.get("goals", "")}


def test_table_rows_and_totals():
    text = readme_tables.table([_row("a", 7, 4, 2, 4, job="x | y", goals="line 90 %"), _row("b", 5, 5, 1, None)])
    lines = text.splitlines()
    assert lines[2] == "| `a` | x \\| y | — | 1/clock | 2 | 7 (4 functions) | 4 | line 90 % |"
    assert lines[3] == "| `b` | does x | — | 1/clock | 1 | 5 | no plan | — |"
    # by hand: 2 + 1 sets; 7 + 5 tests per simulator; 7 x 2 + 5 x 1 = 19 on every set; 4 testpoints in 1 plan
    assert lines[5].startswith("2 blocks, 3 parameter sets; 12 cocotb tests per simulator")
    assert "19 on every set" in lines[5] and "4 testpoints in 1 testplans" in lines[5]


def test_job_falls_back_to_the_rtl_header(tmp_path):
    sv = tmp_path / "blk.sv"
    sv.write_text("// Does the thing: x^7 + 1 (IEEE 1, 2.3). More words.\n// second line\n\nmodule blk; endmodule\n")
    b = Block("blk", (str(sv),), "m", ({},))
    assert readme_tables.summary(b, None)["job"] == "Does the thing: x^7 + 1 (IEEE 1, 2.3)."
    plan = {"summary": {"job": "given", "throughput": "1 bit/clock"}}
    assert readme_tables.summary(b, plan) == {"job": "given", "interface": "", "throughput": "1 bit/clock"}


def test_check_and_write(tmp_path, capsys):
    path = tmp_path / "README.md"
    path.write_text("# x\n\nno markers\n")
    assert readme_tables.main(["--check", "--readme", str(path)]) == 1
    assert "no <!-- rtl-blocks:begin -->" in capsys.readouterr().err
    assert readme_tables.main(["--write", "--readme", str(path)]) == 2  # nowhere to write: one-line error
    assert "run `python -m rtl_verif.readme_tables --write`" in capsys.readouterr().err
    begin, end = readme.markers("rtl-blocks")
    path.write_text(f"# x\n\n{begin}\n| old |\n{end}\n\nafter\n")
    assert readme_tables.main(["--check", "--readme", str(path)]) == 1
    assert "stale" in capsys.readouterr().err
    assert readme_tables.main(["--write", "--readme", str(path)]) == 0
    assert readme_tables.main(["--check", "--readme", str(path)]) == 0
    text = path.read_text()
    assert text.startswith(f"# x\n\n{begin}\n| block | job |") and text.endswith(f"{end}\n\nafter\n")
    assert "| `crc32` |" in text


@pytest.mark.parametrize("bad", ["{b}{b}{e}", "{e}{b}"])
def test_broken_markers_are_reported(bad):
    begin, end = readme.markers("rtl-blocks")
    why = readme_tables.stale(bad.format(b=begin, e=end), "x\n")
    assert why and "rtl-blocks" in why


def test_kpi_markers_unchanged():
    assert (readme.BEGIN, readme.END) == ("<!-- kpi-table:begin -->", "<!-- kpi-table:end -->")
    assert Path(readme_tables.README).name == "README.md"
