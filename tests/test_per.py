"""The PER runner: a quick high-SNR point, PER monotone in SNR within its
confidence intervals, the SNR definition on the noise-only lead-in, the genie
modes, every channel, the CLI, and the committed PER table."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mesh_phy import per, rx
from mesh_phy.errors import PhyError
from mesh_phy.link import packet, runner, seeds, stats
from mesh_phy.link.packet import LinkConfig, PacketLink


# ---------------------------------------------------------------- PER
def test_quick_6_mbit_point_at_high_snr_loses_nothing(rng):
    # 1000-byte PSDUs, full synchronisation, CFO within ±100 kHz, 12 dB SNR
    link = PacketLink(LinkConfig(rate_mbps=6, snr_db=12.0))
    e, n, tally = runner.run_point(link, rng, target_errors=1, max_trials=40)
    assert (e, n) == (0, 40), tally
    assert stats.wilson(e, n)[1] < 0.09  # 3.84 / 43.84


def test_per_falls_monotonically_with_snr_within_its_confidence_intervals():
    curve = per.make_curves("awgn", [6], ["full"], 200, lambda r: [-3.0, -1.0, 1.0, 3.0, 5.0])[0]
    pts = [runner.measure(curve, i, 11, target_errors=25, max_trials=100) for i in range(len(curve.xs))]
    assert pts[0].rate > 0.5 and pts[-1].rate < 0.1, pts
    for i, a in enumerate(pts):
        for b in pts[i + 1:]:
            assert b.ci[0] <= a.ci[1], (a, b)  # a higher SNR is never significantly worse


def test_snr_is_burst_power_over_noise_in_20_mhz(rng):
    link = PacketLink(LinkConfig(rate_mbps=12, psdu_bytes=50, snr_db=7.0))
    noise, power = [], []
    for _ in range(20):
        sent = link.transmit(rng)
        got = link.channel(sent, rng)
        noise.append(np.mean(np.abs(got.samples[:got.start]) ** 2))  # the noise-only lead-in
        power.append(sent.power)
    assert 10 * np.log10(np.mean(power) / np.mean(noise)) == pytest.approx(7.0, abs=0.2)


def test_genie_modes_pass_the_right_truths(rng):
    truths = packet.Received(np.zeros(10, complex), 300, 1234.5, np.ones(64, complex))
    g = {m: PacketLink(LinkConfig(rate_mbps=6, genie=m)).genie(truths) for m in packet.GENIE_MODES}
    assert g["full"] == rx.Genie()
    assert (g["timing"].start, g["timing"].cfo_hz, g["timing"].channel) == (300, None, None)
    assert (g["timing+cfo"].start, g["timing+cfo"].cfo_hz, g["timing+cfo"].channel) == (300, 1234.5, None)
    assert g["ideal"].channel is truths.channel
    # the genie truths are the real ones: the ideal receiver decodes a clean packet
    link = PacketLink(LinkConfig(rate_mbps=24, psdu_bytes=100, channel="multipath", genie="ideal", snr_db=35.0))
    sent = link.transmit(rng)
    got = link.receive(link.channel(sent, rng))
    assert not isinstance(got, PhyError) and got.psdu == sent.psdu


def test_genie_modes_of_a_curve_see_the_same_packets_noise_and_cfo():
    # paired comparison: the implementation loss of each step is measured on the same draws
    for channel in ("awgn", "tone"):
        curves = per.make_curves(channel, [6], list(packet.GENIE_MODES), 100, lambda r: [4.0, 6.0])
        assert len({c.name for c in curves}) == len(packet.GENIE_MODES)
        got = []
        for c in curves:
            link = c.make_link(c.xs[1])
            rng = seeds.point_rng(11, c.name, 1)
            sent = link.transmit(rng)
            got.append((sent.psdu, link.channel(sent, rng)))
        for psdu, received in got[1:]:
            assert psdu == got[0][0] and received.cfo_hz == got[0][1].cfo_hz
            assert np.array_equal(received.samples, got[0][1].samples)


def test_clock_offset_of_one_oscillator_and_phase_noise_options(rng):
    # ±232 kHz is ±20 ppm per side at 5.8 GHz (17.3.9.4); the sampling clock drifts with it
    link = PacketLink(LinkConfig(rate_mbps=24, psdu_bytes=400, snr_db=30.0, cfo_max_hz=232e3, sco=True))
    sent = link.transmit(rng)
    got = link.channel(sent, rng)
    assert abs(got.cfo_hz) <= 232e3
    assert runner.run_point(link, rng, target_errors=1, max_trials=8)[:2] == (0, 8)
    # Wiener phase noise that is far too strong (-60 dBc/Hz at 1 MHz: 6.3 MHz linewidth) loses everything
    bad = PacketLink(LinkConfig(rate_mbps=6, psdu_bytes=100, snr_db=30.0, phase_noise_dbc_hz=-60.0))
    assert runner.run_point(bad, rng, target_errors=3, max_trials=3)[:2] == (3, 3)


@pytest.mark.parametrize("channel", ["a2g2", "a2g3", "tone", "partial", "ofdm"])
def test_every_channel_runs_and_a_strong_jammer_hurts(channel, rng):
    cfg = LinkConfig(rate_mbps=6, psdu_bytes=100, channel=channel, snr_db=30.0, sir_db=30.0)
    e, n, _ = runner.run_point(PacketLink(cfg), rng, target_errors=2, max_trials=10)
    assert n == 10 and e <= 1
    if channel in packet.JAMMERS:
        loud = PacketLink(LinkConfig(rate_mbps=6, psdu_bytes=100, channel=channel, snr_db=30.0, sir_db=-15.0))
        e, n, _ = runner.run_point(loud, rng, target_errors=5, max_trials=10)
        if channel == "tone":  # the receiver cancels a CW line (mesh_phy.ofdm.tones): 15 dB above the packet
            assert e <= 1, (channel, e, n)
        else:
            assert e >= 5, (channel, e, n)


def test_cli_quick_run_writes_csv_and_png_and_is_reproducible(tmp_path, capsys):
    args = ["--quick", "--rates", "6", "--psdu-bytes", "100", "--seed", "3", "--quiet"]
    assert per.main([*args, "--out", str(tmp_path / "a")]) == 0
    assert per.main([*args, "--out", str(tmp_path / "b"), "--jobs", "2", "--backend", "processes"]) == 0
    a = (tmp_path / "a" / "per_awgn_100B.csv").read_text()
    assert a == (tmp_path / "b" / "per_awgn_100B.csv").read_text()  # the backend does not change a number
    assert (tmp_path / "a" / "per_awgn_100B.png").stat().st_size > 10_000
    lines = a.splitlines()
    assert lines[0].split(",") == per.COLUMNS and len(lines) >= 3
    assert "seed 3" in capsys.readouterr().out


def test_cli_quick_run_without_out_writes_build_not_docs(tmp_path, monkeypatch, capsys):
    """A smoke run leaves the committed full curves in docs/ alone: it writes build/ and says so."""
    monkeypatch.chdir(tmp_path)
    assert per.main(["--quick", "--rates", "6", "--psdu-bytes", "100", "--seed", "3", "--quiet"]) == 0
    assert (tmp_path / "build" / "per_awgn_100B.csv").exists() and (tmp_path / "build" / "per_awgn_100B.png").exists()
    assert not (tmp_path / "docs").exists()
    out = capsys.readouterr().out
    assert "writing to build/" in out and f"wrote {Path('build') / 'per_awgn_100B'}.csv" in out


def test_cli_quick_table_is_refused(tmp_path, monkeypatch):
    """--table --quick would replace the committed package-data table with a smoke run's curve."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PhyError, match="--table with --quick"):
        per.main(["--quick", "--table", "--quiet"])
    assert list(tmp_path.iterdir()) == []


def test_ber_cli_gives_the_same_curve_on_every_backend(tmp_path):
    from mesh_phy import ber
    args = ["--rate", "6", "--ebn0", "0:2:4", "--errors", "20", "--max-bits", "2e5", "--seed", "1", "--quiet"]
    assert ber.main([*args, "--out", str(tmp_path / "s")]) == 0
    assert ber.main([*args, "--out", str(tmp_path / "p"), "--backend", "processes", "--jobs", "2"]) == 0
    s = (tmp_path / "s" / "ber_rate6.csv").read_text()
    assert s == (tmp_path / "p" / "ber_rate6.csv").read_text() and len(s.splitlines()) == 10


def test_cli_bad_argument_is_one_line():
    p = subprocess.run([sys.executable, "-m", "mesh_phy.per", "--rates", "7"], capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1 and "rate" in p.stderr
    assert "Traceback" not in p.stderr


# ---------------------------------------------------------------- the PER table
def test_interpolation_on_a_hand_made_table():
    tab = per.load_table("rate_mbps,psdu_bytes,snr_db,packets,errors,per,per_low,per_high\n"
                         "6,1000,0.0,100,10,0.1,0,1\n6,1000,1.0,1000,1,0.001,0,1\n6,1000,2.0,1000,0,0.0,0,1\n")
    assert per.interpolate(0.5, 6, 1000, tab) == pytest.approx(0.01)  # log-linear: 10^-2
    assert per.interpolate(-1.0, 6, 1000, tab) == 1.0
    assert per.interpolate(5.0, 6, 1000, tab) == pytest.approx(0.001)  # not extrapolated past the data
    # another length from independent errors per byte: 1 - (1 - 0.01)^(100/1000)
    assert per.interpolate(0.5, 6, 100, tab) == pytest.approx(1 - 0.99**0.1)
    with pytest.raises(PhyError):
        per.interpolate(0.5, 12, 1000, tab)


def test_committed_table_covers_every_rate_and_meets_the_sensitivity_margin():
    tab = per.load_table()
    for rate in per.REQUIRED_SNR_DB:
        for nbytes in (1000, 100):
            snr, p = tab[(rate, nbytes)]
            assert np.all(np.diff(snr) > 0) and np.all((0 <= p) & (p <= 1))
            assert p[0] > 0.5 and p[-1] < 0.05  # spans the waterfall
        # 17.3.10.1: PER ≤ 10 % at the sensitivity level, here with at least 3 dB to spare
        assert per.interpolate(per.REQUIRED_SNR_DB[rate] - per.REQUIRED_MARGIN_DB, rate, 1000, tab) < 0.1
        values = [per.interpolate(s, rate, 1000, tab) for s in np.arange(-5, 30, 0.25)]
        assert all(b <= a for a, b in zip(values, values[1:], strict=False))


def test_the_table_lookup_is_one_module_shared_by_the_sweeps_and_the_network_simulator():
    """mesh_phy.per re-exports the table lookup of mesh_phy.per_table (which
    protocol.netsim imports without the link-level simulation): one function,
    not a copy."""
    from mesh_phy import per_table
    from protocol.netsim import linkmodel
    assert per.load_table is per_table.load_table and per.interpolate is per_table.interpolate
    assert (per.TABLE, per.TABLE_COLUMNS) == (per_table.TABLE, per_table.TABLE_COLUMNS)
    assert per.CENTRE_DB is per_table.CENTRE_DB  # the sweeps' grids centre where the table's module says
    assert linkmodel.per_table is per_table


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-20, 60) | st.sampled_from([np.inf, -np.inf]), max_size=20),
       st.sampled_from([6, 24, 54]), st.integers(1, 4095))
def test_interpolate_many_is_interpolate_at_each_snr(snrs, rate, nbytes):
    from mesh_phy import per_table
    tab = per.load_table()
    assert per_table.interpolate_many(snrs, rate, nbytes, tab) == [per.interpolate(x, rate, nbytes, tab) for x in snrs]


HEADER = "rate_mbps,psdu_bytes,snr_db,packets,errors,per,per_low,per_high\n"


@pytest.mark.parametrize("text, reason", [
    ("", "no rows"), ("garbage\n", "no rows"), (HEADER, "no rows"),          # loaded as an empty table before
    (HEADER + "6,1000,nan,9,1,0.1,0,1\n", "finite"), (HEADER + "6,1000,1.0,9,1,nan,0,1\n", "finite"),
    (HEADER + "6,1000,inf,9,1,0.1,0,1\n", "finite"), (HEADER + "6,1000,1.0,9,1,1.5,0,1\n", r"\[0, 1\]"),
    (HEADER + "6,1000,1.0,9,1,-0.1,0,1\n", r"\[0, 1\]"),
    (HEADER + "6,1000,1.0,9,1,0.5,0,1\n6,1000,1.0,9,1,0.4,0,1\n", "increasing"),  # one SNR twice
    (HEADER + "7,1000,1.0,9,1,0.5,0,1\n", "rate"), (HEADER + "6,0,1.0,9,1,0.5,0,1\n", "length"),
    (HEADER + "9" * 4000 + ",1000,1.0,9,1,0.5,0,1\n", "rate"), (HEADER + "6,1000\n", "malformed"),
    (HEADER + "\uff16,1000,1.0,9,1,0.5,0,1\n", "ASCII"), (HEADER + "6,1_000,1.0,9,1,0.5,0,1\n", "plain number"),
    (HEADER + "6, 1000,1.0,9,1,0.5,0,1\n", "plain number")])
def test_a_damaged_table_is_refused_where_it_is_read(text, reason):
    with pytest.raises(PhyError, match=reason) as exc:
        per.load_table(text)
    assert len(str(exc.value)) < 200


def test_interpolate_many_against_the_formula_by_hand():
    # independent of the implementation: log10(PER) linear between the points, 1 below, held past the last
    tab = per.load_table(HEADER + "6,1000,0.0,9,1,0.2,0,1\n6,1000,2.0,9,1,0.002,0,1\n6,1000,3.0,9,0,0.0,0,1\n")
    from mesh_phy import per_table
    got = per_table.interpolate_many([-0.5, 0.0, 0.5, 1.0, 2.0, 2.5, np.inf], 6, 1000, tab)
    want = [1.0, 0.2, 10 ** (np.log10(0.2) - 0.25 * 2), 0.02, 0.002, 0.002, 0.002]
    assert got == pytest.approx(want, rel=1e-12)
    # 250 bytes from the 1000-byte curve, independent errors per byte
    assert per_table.interpolate_many([1.0], 6, 250, tab) == pytest.approx([1 - 0.98 ** 0.25], rel=1e-12)


def test_a_hand_made_table_for_interpolate_is_checked_like_a_loaded_one():
    good = per.load_table(HEADER + "6,1000,0.0,9,1,0.1,0,1\n6,1000,1.0,9,1,0.01,0,1\n")
    assert per.interpolate(0.5, 6, 1000, good) == pytest.approx(10 ** -1.5)
    s, p = good[(6, 1000)]
    for bad, reason in [([], "dict"), ({}, "no rows for 6"), ({(6, 1000): (s[::-1], p)}, "increasing"),
                        ({(6, 1000): (s, p + 1)}, r"\[0, 1\]"), ({(6, 1000): (s, p[:1])}, "one length"),
                        ({(5, 1000): (s, p)}, "rate"),
                        ({(10**5000, 1000): (s, p)}, "rate_mbps must be one of 6, .*got int$"),  # not str() of it
                        ({(6, 10**5000): (s, p)}, "length"), ({(12, 1000): (s, p)}, "no rows for 6")]:
        with pytest.raises(PhyError, match=reason):
            per.interpolate(0.5, 6, 1000, bad)
    # curves given as lists are read as the arrays load_table makes
    assert per.interpolate(0.5, 6, 1000, {(6, 1000): (s.tolist(), p.tolist())}) == pytest.approx(10 ** -1.5)


def test_table_is_written_only_if_it_loads_back(tmp_path):
    dest = tmp_path / per.TABLE
    dest.write_text("the old table\n")
    row = dict(rate_mbps=6, psdu_bytes=1000, snr_db=1.0, packets=9, errors=1, per=0.5, per_low=0.1, per_high=0.9)
    with pytest.raises(PhyError, match="each SNR once.*left as it was"):  # e.g. --snr 1,1,2: one SNR twice on a curve
        per._write_table([row, dict(row, per=0.4)], dest)
    assert dest.read_text() == "the old table\n" and sorted(p.name for p in tmp_path.iterdir()) == [per.TABLE]
    per._write_table([row, dict(row, snr_db=2.0, per=0.05)], dest)
    assert per.load_table(dest.read_text())[(6, 1000)][1].tolist() == [0.5, 0.05]


def test_hostile_arguments_raise_phy_error():
    import hostile

    tab = per.load_table("rate_mbps,psdu_bytes,snr_db,packets,errors,per,per_low,per_high\n6,1000,0.0,9,1,0.1,0,1\n")
    from mesh_phy import per_table
    for func, good in [(per.interpolate, dict(snr_db=3.0, rate_mbps=6, psdu_bytes=1000, table=tab)),
                       (per_table.interpolate_many, dict(snrs_db=[3.0, -np.inf], rate_mbps=6, psdu_bytes=1000,
                                                         table=tab)),
                       (per.default_grid, dict(channel="awgn", rate_mbps=6)),
                       (PacketLink, dict(config=LinkConfig(rate_mbps=6))),
                       (lambda **kw: LinkConfig(**kw).checked(), dict(rate_mbps=6, psdu_bytes=100, channel="ofdm",
                                                                       genie="ideal", snr_db=3.0, sir_db=1.0))]:
        assert hostile.sweep(func, good, PhyError) > 0
    with pytest.raises(PhyError):
        per.load_table("rate_mbps,psdu_bytes\n6,x\n")
