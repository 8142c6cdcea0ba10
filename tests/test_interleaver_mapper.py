import numpy as np
import pytest

from mesh_phy import PhyError
from mesh_phy.annex_g import G18_CODED_192, G21_INTERLEAVED_192, bits
from mesh_phy.coding import interleaver
from mesh_phy.modulation import mapper

PAIRS = [(48, 1), (96, 2), (192, 4), (288, 6)]


def test_annex_g_interleaving():
    # Table G.18 → Table G.21 (16-QAM, N_CBPS = 192), IEEE 802.11a-1999 Annex G.
    out = interleaver.interleave(np.array(bits(G18_CODED_192), np.uint8), 192, 4)
    assert "".join(map(str, out)) == G21_INTERLEAVED_192


@pytest.mark.parametrize("n_cbps,n_bpsc", PAIRS)
def test_permutation_is_bijective_and_inverted(n_cbps, n_bpsc, rng):
    perm = interleaver.permutation(n_cbps, n_bpsc)
    assert sorted(perm) == list(range(n_cbps))
    data = rng.integers(0, 2, (3, 5 * n_cbps), dtype=np.uint8)
    assert np.array_equal(interleaver.deinterleave(interleaver.interleave(data, n_cbps, n_bpsc),
                                                   n_cbps, n_bpsc), data)


@pytest.mark.parametrize("n_cbps,n_bpsc", PAIRS)
def test_adjacent_bits_land_on_distant_subcarriers(n_cbps, n_bpsc):
    # 17.3.5.6: the first permutation maps adjacent coded bits onto
    # non-adjacent subcarriers (N_CBPS/16 / N_BPSC = 3 subcarriers apart).
    sub = interleaver.permutation(n_cbps, n_bpsc) // n_bpsc
    assert np.all(np.abs(np.diff(sub.reshape(-1, 16), axis=1)) >= 3)


def test_bad_interleaver_args():
    with pytest.raises(PhyError):
        interleaver.interleave(np.zeros(48, np.uint8), 48, 2)
    with pytest.raises(PhyError):
        interleaver.interleave(np.zeros(50, np.uint8), 48, 1)


# Tables 82-85 of IEEE 802.11a-1999: (bits b0.., I level, Q level).
GRAY_TABLE_64 = {"000": -7, "001": -5, "011": -3, "010": -1, "110": 1, "111": 3, "101": 5, "100": 7}
GRAY_TABLE_16 = {"00": -3, "01": -1, "11": 1, "10": 3}


def test_mapping_tables():
    for b, lvl in GRAY_TABLE_64.items():
        for q, qlvl in GRAY_TABLE_64.items():
            sym = mapper.map_bits(bits(b + q), "64qam")[0]
            assert sym == pytest.approx((lvl + 1j * qlvl) / np.sqrt(42))
    for b, lvl in GRAY_TABLE_16.items():
        for q, qlvl in GRAY_TABLE_16.items():
            assert mapper.map_bits(bits(b + q), "16qam")[0] == pytest.approx((lvl + 1j * qlvl) / np.sqrt(10))
    assert list(mapper.map_bits([0, 1], "bpsk")) == [-1, 1]
    assert mapper.map_bits([0, 1], "qpsk")[0] == pytest.approx((-1 + 1j) / np.sqrt(2))


@pytest.mark.parametrize("mod", list(mapper.MODULATIONS))
def test_unit_average_power_and_gray_neighbours(mod):
    n = mapper.MODULATIONS[mod][0]
    pts = np.array([mapper.map_bits([(p >> k) & 1 for k in range(n)], mod)[0] for p in range(1 << n)])
    assert np.mean(np.abs(pts) ** 2) == pytest.approx(1.0)
    if n > 1:  # every nearest neighbour differs in exactly one bit (Gray)
        d = np.abs(pts[:, None] - pts[None, :])
        dmin = d[d > 0].min()
        for a in range(1 << n):
            for b in range(1 << n):
                if abs(d[a, b] - dmin) < 1e-9:
                    assert bin(a ^ b).count("1") == 1


@pytest.mark.parametrize("width", [8, 12, 16, 24])
def test_fixed_point_tracks_float(width, rng):
    for mod in mapper.MODULATIONS:
        n = mapper.MODULATIONS[mod][0]
        data = rng.integers(0, 2, n * 200, dtype=np.uint8)
        i, q = mapper.map_bits_fixed(data, mod, width)
        ref = mapper.map_bits(data, mod) * 2 ** (width - 2)
        err = np.max(np.abs((i + 1j * q) - ref))
        assert err <= 7 * 0.5 + 1e-9  # |level| <= 7 times the scale's rounding
        assert np.all(np.abs(i) < 2 ** (width - 1)) and np.all(np.abs(q) < 2 ** (width - 1))


def test_bad_mapper_args():
    with pytest.raises(PhyError):
        mapper.map_bits([0, 1], "8psk")
    with pytest.raises(PhyError):
        mapper.map_bits([0, 1, 1], "qpsk")
    with pytest.raises(PhyError):
        mapper.fixed_scale("qpsk", 2)
