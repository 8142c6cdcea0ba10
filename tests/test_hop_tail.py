"""tools/hop_tail.py: its per-seed counts are those of the runs themselves
(recomputed here from run_world, in one process, against the tool's process
pool), its seed lists parse as written, and a bad scenario file is one line
(bad arguments: tests/test_cli_errors.py)."""

import subprocess
import sys
from pathlib import Path

import pytest

from protocol.netsim.run import run_world
from protocol.netsim.swarms import swarm

TOOLS = Path(__file__).resolve().parent.parent / "tools"
sys.path.insert(0, str(TOOLS))
import hop_tail  # noqa: E402


def test_the_counts_are_the_runs_own(capsys):
    assert hop_tail.main(["6", "3", "1-2", "--jobs", "2", "--over", "250"]) == 0
    lines = capsys.readouterr().out.splitlines()
    total_over = total_hops = 0
    for seed, line in zip((1, 2), lines, strict=False):
        r, w = run_world(swarm(6, duration_s=3.0, seed=seed), seed)
        lat = [h[0] for h in w.metrics.hops]
        over = sum(x > 250 for x in lat)
        total_over, total_hops = total_over + over, total_hops + len(lat)
        assert line.startswith(f"seed {seed}: {over} of {len(lat)} hops over 250 µs, worst {round(max(lat), 1)} µs, "
                               f"{r['mac']['retx']} retransmissions"), line
        assert len(lat) > 50
    assert total_over > 0  # the limit is low enough that the count is not trivially 0
    assert lines[2].startswith(f"total: {total_over} of {total_hops} hops over 250 µs in 2 seeds"), lines[2]


def test_seed_lists_use_the_shared_grammar():
    # the grammar itself is tested in test_argcheck; here: the tool's errors are ValueErrors naming SEEDS
    assert hop_tail.seeds_of("1-3,7") == [1, 2, 3, 7]
    with pytest.raises(ValueError, match="SEEDS"):
        hop_tail.seeds_of("3-1")


def test_a_bad_scenario_file_is_its_typed_error_in_one_line(tmp_path):
    f = tmp_path / "bad.json"

    def run(text: str) -> str:
        f.write_text(text)
        p = subprocess.run([sys.executable, str(TOOLS / "hop_tail.py"), str(f), "1", "1"], capture_output=True,
                           text=True, timeout=120)
        assert p.returncode == 2 and p.stdout == ""
        return p.stderr.strip()

    assert run('{"nodes": 3}') == "tools/hop_tail.py: error: scenario.nodes must be a list, got int"
    # read by the netsim CLI's loader: a key twice in one object is refused, not the last one kept
    twice = run('{"nodes": [], "nodes": []}')
    assert twice == f"tools/hop_tail.py: error: {f}: key 'nodes' appears twice in one object"
