import numpy as np
import pytest

from mesh_phy import PhyError
from mesh_phy.annex_g import G16_SCRAMBLED_144, SEED
from mesh_phy.coding import scrambler

# IEEE 802.11a-1999, 17.3.5.4: the 127-bit sequence for the all-ones initial state.
STANDARD_127 = ("00001110" "11110010" "11001001" "00000010" "00100110" "00101110"
                "10110110" "00001100" "11010100" "11100111" "10110100" "00101010"
                "11111010" "01010001" "10111000" "1111111")


def test_all_ones_sequence_is_the_standards():
    assert "".join(map(str, scrambler.sequence(127, 127))) == STANDARD_127


@pytest.mark.parametrize("seed", range(1, 128))
def test_period_is_127_for_every_seed(seed):
    seq = scrambler.sequence(seed, 127 * 2)
    assert np.array_equal(seq[:127], seq[127:])
    # maximal length: no shorter period, and 64 ones / 63 zeros per period
    one = seq[:127]
    assert all(not np.array_equal(one, np.roll(one, p)) for p in range(1, 127))
    assert int(seq[:127].sum()) == 64


def test_scrambling_twice_restores(rng):
    data = rng.integers(0, 2, 5000, dtype=np.uint8)
    for seed in (1, 0x5D, 127):
        s = scrambler.scramble(data, seed)
        assert not np.array_equal(s, data)
        assert np.array_equal(scrambler.scramble(s, seed), data)


def test_annex_g_scrambled_service_field():
    # Table G.16 opens with the 16 SERVICE bits (all zero) after scrambling:
    # they are the scrambler sequence of the seed 1011101.
    assert "".join(map(str, scrambler.sequence(SEED, 16))) == G16_SCRAMBLED_144[:16]


@pytest.mark.parametrize("seed", range(1, 128))
def test_seed_recovered_from_first_seven_bits(seed):
    assert scrambler.seed_from_sequence(scrambler.sequence(seed, 7)) == seed


@pytest.mark.parametrize("seed", [0, 128, -1, 1.5, "1", None, True])
def test_bad_seed_is_refused(seed):
    with pytest.raises(PhyError):
        scrambler.scramble([0, 1], seed)


@pytest.mark.parametrize("data", [[0, 2], [0.5, 1], np.array([[0, 1]]), "0101"])
def test_bad_bits_are_refused(data):
    with pytest.raises(PhyError):
        scrambler.scramble(data, 1)


def test_all_zero_prefix_has_no_seed():
    with pytest.raises(PhyError):
        scrambler.seed_from_sequence([0] * 7)
