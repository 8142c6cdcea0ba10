import numpy as np
import pytest

from mesh_phy import PhyError
from mesh_phy.annex_g import G16_SCRAMBLED_144, G18_CODED_192, bits
from mesh_phy.coding import conv


def test_annex_g_rate_three_quarters():
    # IEEE 802.11a-1999 Annex G: Table G.16 encoded at rate 3/4 is Table G.18.
    out = conv.encode(np.array(bits(G16_SCRAMBLED_144), np.uint8), "3/4")
    assert "".join(map(str, out)) == G18_CODED_192


def _reverse7(g: int) -> int:
    return int(f"{g:07b}"[::-1], 2)


def test_rate_half_matches_scikit_commpy(rng):
    import commpy.channelcoding.convcode as commpy  # dev dependency: pip install -e '.[dev]'

    # scikit-commpy 0.8 reads a generator's octal digits with the LSB on the
    # current input, the reverse of 802.11a's Figure 114 (MSB = current input,
    # which Annex G above pins down). Bit-reversed over 7 taps, 133 → 155 and
    # 171 → 117 in its notation.
    trellis = commpy.Trellis(np.array([6]), np.array([[_reverse7(0o133), _reverse7(0o171)]]))
    for _ in range(20):
        msg = rng.integers(0, 2, int(rng.integers(1, 400)), dtype=np.uint8)
        # commpy's 'cont' termination encodes exactly the message, from state 0
        ref = commpy.conv_encode(msg, trellis, termination="cont")
        assert np.array_equal(conv.encode(msg, "1/2"), ref.astype(np.uint8))


def test_impulse_response_is_the_generators():
    out = conv.encode(np.array([1, 0, 0, 0, 0, 0, 0], np.uint8), "1/2")
    a, b = out[0::2], out[1::2]
    assert "".join(map(str, a)) == "1011011"  # 133 octal
    assert "".join(map(str, b)) == "1111001"  # 171 octal


@pytest.mark.parametrize("rate,ratio", [("1/2", 2.0), ("2/3", 1.5), ("3/4", 4 / 3)])
def test_punctured_lengths(rate, ratio):
    n = 144
    assert conv.encode(np.zeros(n, np.uint8), rate).size == int(n * ratio)


def test_batch_equals_rows(rng):
    batch = rng.integers(0, 2, (7, 96), dtype=np.uint8)
    out = conv.encode(batch, "2/3")
    for row, o in zip(batch, out, strict=True):
        assert np.array_equal(conv.encode(row, "2/3"), o)


def test_bad_input():
    with pytest.raises(PhyError):
        conv.encode([0, 1, 0], "5/6")
    with pytest.raises(PhyError):
        conv.encode([0, 1], "3/4")  # not a multiple of the period
    with pytest.raises(PhyError):
        conv.encode([0, 3], "1/2")
