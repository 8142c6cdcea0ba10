"""Typed errors on every public input of the ``mesh_phy`` coding and
modulation models (issue 10).

Every public function of the owned modules is swept with
:data:`hostile.HOSTILE` (wrong types, NaN/inf, bools, huge and 5,000-deep
values, wrong dtypes and shapes): each call must return or raise
:class:`mesh_phy.errors.PhyError`, nothing else; each argument must refuse
every value of a type it does not take, and the cases seen in the issue
(str noise variance, ``scrambler.sequence(5, 1.5)``, bool lengths, float
rates, NaN LLRs) are refused with the argument's name in the message.
Hypothesis drives arrays of every dtype and shape, seeds, lengths and nested
junk. A coverage test fails when a module gains a public function without an
entry here.
"""

import importlib
import math
import pkgutil

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from typed_inputs import (
    ARRAY,
    BITS,
    BYTES,
    INT,
    NUMBERS,
    POSITIVE,
    TEXT,
    check_entry,
    junk_call,
    public_api,
    swept_names,
)

import mesh_phy
from mesh_phy import bits, coding, modulation, rates
from mesh_phy.coding import conv, crc, interleaver, scrambler
from mesh_phy.errors import PhyError
from mesh_phy.modulation import demapper, mapper

QPSK_BITS = [0, 1, 1, 0]
SCALE = ("None or real > 0", lambda v: v is None or (isinstance(v, (int, float, np.integer, np.floating))
                                                     and not isinstance(v, (bool, np.bool_)) and v > 0))

ENTRIES = {
    bits: [
        ("as_bits", bits.as_bits, {"bits": [0, 1, 1], "name": "bits"}, {"bits": BITS, "name": TEXT}),
        ("as_soft", bits.as_soft, {"values": [1.0, -2.0], "name": "soft"}, {"values": ARRAY, "name": TEXT}),
        ("bytes_to_bits", bits.bytes_to_bits, {"data": b"ab"}, {"data": BYTES}),
        ("bits_to_bytes", bits.bits_to_bytes, {"bits": [0, 1] * 4}, {"bits": ARRAY}),
    ],
    rates: [
        ("rate_params", rates.rate_params, {"rate_mbps": 6}, {"rate_mbps": INT}),
    ],
    scrambler: [
        ("check_seed", scrambler.check_seed, {"seed": 1}, {"seed": INT}),
        ("sequence", scrambler.sequence, {"seed": 1, "n": 10}, {"seed": INT, "n": INT}),
        ("scramble", scrambler.scramble, {"bits": [0, 1, 1], "seed": 5}, {"bits": BITS, "seed": INT}),
        ("seed_from_sequence", scrambler.seed_from_sequence, {"first7": [0, 0, 0, 0, 1, 1, 1]},
         {"first7": ARRAY}),
    ],
    crc: [
        ("crc32", crc.crc32, {"data": b"abc"}, {"data": BYTES}),
        ("crc16", crc.crc16, {"data": b"abc"}, {"data": BYTES}),
        ("crc32_update", crc.crc32_update, {"crc": 5, "data": b"x"}, {"crc": INT, "data": BYTES}),
    ],
    conv: [
        ("puncture_mask", conv.puncture_mask, {"rate": "2/3"}, {"rate": TEXT}),
        ("encode", conv.encode, {"bits": [0, 1, 1, 0, 1, 1], "rate": "3/4"}, {"bits": BITS, "rate": TEXT}),
        ("depuncture", conv.depuncture, {"soft": [1.0, -1.0, 0.5, 0.5], "rate": "3/4"},
         {"soft": ARRAY, "rate": TEXT}),
    ],
    interleaver: [
        ("permutation", interleaver.permutation, {"n_cbps": 48, "n_bpsc": 1}, {"n_cbps": INT, "n_bpsc": INT}),
        ("interleave", interleaver.interleave, {"bits": np.zeros(48, np.uint8), "n_cbps": 48, "n_bpsc": 1},
         {"bits": BITS, "n_cbps": INT, "n_bpsc": INT}),
        ("deinterleave", interleaver.deinterleave, {"values": np.zeros(48), "n_cbps": 48, "n_bpsc": 1},
         {"values": ARRAY, "n_cbps": INT, "n_bpsc": INT}),
    ],
    mapper: [
        ("modulation_params", mapper.modulation_params, {"modulation": "qpsk"}, {"modulation": TEXT}),
        ("levels", mapper.levels, {"bits": QPSK_BITS, "modulation": "qpsk"}, {"bits": BITS, "modulation": TEXT}),
        ("map_bits", mapper.map_bits, {"bits": QPSK_BITS, "modulation": "qpsk"},
         {"bits": BITS, "modulation": TEXT}),
        ("fixed_scale", mapper.fixed_scale, {"modulation": "qpsk", "width": 16}, {"modulation": TEXT, "width": INT}),
        ("map_bits_fixed", mapper.map_bits_fixed, {"bits": QPSK_BITS, "modulation": "qpsk", "width": 16},
         {"bits": BITS, "modulation": TEXT, "width": INT}),
    ],
    demapper: [
        ("llr", demapper.llr, {"symbols": [1 + 1j, -1 - 1j], "modulation": "qpsk", "noise_var": 0.5},
         {"symbols": NUMBERS, "modulation": TEXT, "noise_var": POSITIVE}),
        ("soft_max", demapper.soft_max, {"soft_bits": 6}, {"soft_bits": INT}),
        ("quantize", demapper.quantize, {"llrs": [1.0, -2.0, 0.0], "soft_bits": 6, "scale": 2.0},
         {"llrs": ARRAY, "soft_bits": INT, "scale": SCALE}),
        ("quantize(agc)", demapper.quantize, {"llrs": [[1.0, -np.inf, 0.0]], "soft_bits": 3},
         {"llrs": ARRAY, "soft_bits": INT}),
    ],
    mesh_phy: [],
    coding: [],
    modulation: [],
}

# Public names deliberately not swept, each with its reason.
EXCLUDED = {
    rates: {"RateParams": "plain record type of Table 78; instances come only from the RATES table"},
}
# Modules of mesh_phy outside this sweep, each with its reason.
OWNERS = "validated by their owners (issue 10 split)"
OTHER_MODULES = {
    "mesh_phy.errors": "the error types themselves",
    "mesh_phy.annex_g": "IEEE 802.11a Annex G test vectors (data for the tests)",
    "mesh_phy.tx": OWNERS, "mesh_phy.rx": OWNERS, "mesh_phy.ber": OWNERS, "mesh_phy.per": OWNERS,
    "mesh_phy.per_table": "load_table and interpolate, swept as mesh_phy.per's (the same functions), and "
                          "interpolate_many (tests/test_per.py)",
    "mesh_phy.data": "data files of the PHY (no code of this section)",
    "mesh_phy.kpis": "KPI registrations for python -m kpi (no arguments; tests/test_kpi.py)",
    "mesh_phy.coding.viterbi": OWNERS,
    "mesh_phy.ofdm": OWNERS, "mesh_phy.channel": OWNERS, "mesh_phy.link": OWNERS,  # whole subpackages
}
# Old module names kept as aliases: the same module object as the new one.
ALIASES = {"mesh_phy.conv": conv, "mesh_phy.crc": crc, "mesh_phy.interleaver": interleaver,
           "mesh_phy.scrambler": scrambler, "mesh_phy.mapper": mapper, "mesh_phy.demapper": demapper,
           "mesh_phy.viterbi": "mesh_phy.coding.viterbi"}

ALL = [(m.__name__, e) for m, es in ENTRIES.items() for e in es]


@pytest.mark.parametrize("module,entry", ALL, ids=[f"{m}.{e[0]}" for m, e in ALL])
def test_hostile_values_raise_only_phy_error(module, entry):
    """Every hostile value in every argument: a result or PhyError, never
    another exception (no numpy error, TypeError, OverflowError,
    RecursionError); each argument refuses every value of a type it does not
    take (str noise variances, bool or float lengths and rates, ...)."""
    tried, refused = check_entry(entry, PhyError)
    print(f"{module}.{entry[0]}: tried {tried}, refused {refused}")


def test_every_public_function_is_swept():
    """A new public function or class in an owned module fails here until it
    has a sweep entry (or a justified exclusion)."""
    for module, entries in ENTRIES.items():
        public = public_api(module, EXCLUDED.get(module, {}))
        swept = swept_names(entries)
        assert swept == public, f"{module.__name__}: not swept {public - swept}, stale {swept - public}"


def _modules(package) -> set:
    """Dotted names of the modules and subpackages directly in ``package``."""
    return {f"{package.__name__}.{m.name}" for m in pkgutil.iter_modules(package.__path__)}


def test_every_mesh_phy_module_is_owned_excluded_or_an_alias():
    owned = {m.__name__ for m in ENTRIES}
    found = _modules(mesh_phy) | _modules(coding) | _modules(modulation)
    expected = (owned - {"mesh_phy"}) | set(OTHER_MODULES) | set(ALIASES)
    assert found == expected, found ^ expected
    for alias, target in ALIASES.items():
        if not isinstance(target, str):  # the viterbi alias is not imported here (not ours)
            assert importlib.import_module(alias) is target


# ---- the cases seen in issue 10, and other known-bad calls: refused, naming the argument ----

@pytest.mark.parametrize("arg,call", [
    ("noise_var", lambda: demapper.llr([1 + 1j], "qpsk", "0.5")),
    ("noise_var", lambda: demapper.llr([1 + 1j], "qpsk", True)),
    ("noise_var", lambda: demapper.llr([1 + 1j], "qpsk", 0.0)),
    ("noise_var", lambda: demapper.llr([1 + 1j], "qpsk", -1.0)),
    ("noise_var", lambda: demapper.llr([1 + 1j], "qpsk", math.nan)),
    ("noise_var", lambda: demapper.llr([1 + 1j], "qpsk", 0.5 + 0j)),
    ("noise_var", lambda: demapper.llr([1 + 1j, 1j], "qpsk", [0.5, 0.5, 0.5])),
    ("noise_var", lambda: demapper.llr([1 + 1j, 1j], "qpsk", np.ones((3, 1)))),
    ("symbols", lambda: demapper.llr([1 + 1j, math.nan], "qpsk", 0.5)),
    ("symbols", lambda: demapper.llr("1+1j", "qpsk", 0.5)),
    ("symbols", lambda: demapper.llr([[1], [1, 2]], "qpsk", 0.5)),
    ("modulation", lambda: demapper.llr([1 + 1j], "QPSK", 0.5)),
    ("n", lambda: scrambler.sequence(5, 1.5)),
    ("n", lambda: scrambler.sequence(5, True)),
    ("n", lambda: scrambler.sequence(5, -1)),
    ("n", lambda: scrambler.sequence(5, 2**62)),
    ("seed", lambda: scrambler.sequence(5.0, 3)),
    ("seed", lambda: scrambler.scramble([0, 1], True)),
    ("bits", lambda: scrambler.scramble(np.array([[0, 1]]), 5)),
    ("bits", lambda: scrambler.scramble(np.array([0.0, 1.0]), 5)),
    ("bits", lambda: scrambler.scramble("0101", 5)),
    ("first7", lambda: scrambler.seed_from_sequence([1] * 8)),
    ("rate_mbps", lambda: rates.rate_params(6.0)),
    ("rate_mbps", lambda: rates.rate_params(True)),
    ("rate_mbps", lambda: rates.rate_params("6")),
    ("rate_mbps", lambda: rates.rate_params([6])),
    ("rate", lambda: conv.encode([0, 1], 0.5)),
    ("rate", lambda: conv.encode([0, 1], "1/3")),
    ("rate", lambda: conv.puncture_mask(["1/2"])),
    ("bits", lambda: conv.encode(np.zeros((1, 1, 2), np.uint8), "1/2")),
    ("bits", lambda: conv.encode([0, 1], "3/4")),
    ("soft", lambda: conv.depuncture([math.nan, 1.0, 1.0, 1.0], "3/4")),
    ("soft", lambda: conv.depuncture([1 + 1j, 1.0, 1.0, 1.0], "3/4")),
    ("soft", lambda: conv.depuncture(1.0, "1/2")),
    ("soft", lambda: conv.depuncture([1.0, 2.0, 3.0], "3/4")),
    ("llrs", lambda: demapper.quantize([math.nan, 1.0], 6)),
    ("llrs", lambda: demapper.quantize(np.array([True, False]), 6)),
    ("llrs", lambda: demapper.quantize(0.5, 6)),
    ("scale", lambda: demapper.quantize([1.0], 6, scale=0)),
    ("scale", lambda: demapper.quantize([1.0], 6, scale="1")),
    ("scale", lambda: demapper.quantize([1.0], 6, scale=math.inf)),
    ("soft_bits", lambda: demapper.quantize([1.0], 6.0)),
    ("soft_bits", lambda: demapper.soft_max(True)),
    ("soft_bits", lambda: demapper.soft_max(9)),
    ("values", lambda: interleaver.deinterleave(np.full(48, np.nan), 48, 1)),
    ("values", lambda: interleaver.deinterleave(np.zeros(47), 48, 1)),
    ("bits", lambda: interleaver.interleave(np.zeros(47, np.uint8), 48, 1)),
    ("n_cbps", lambda: interleaver.permutation(48.0, 1)),
    ("n_cbps", lambda: interleaver.permutation([48], 1)),
    ("n_bpsc", lambda: interleaver.permutation(48, True)),
    ("n_cbps", lambda: interleaver.permutation(96, 1)),
    ("width", lambda: mapper.fixed_scale("qpsk", 16.0)),
    ("width", lambda: mapper.fixed_scale("qpsk", True)),
    ("width", lambda: mapper.fixed_scale("qpsk", 2)),
    ("modulation", lambda: mapper.map_bits(QPSK_BITS, None)),
    ("bits", lambda: mapper.map_bits([0, 1, 1], "qpsk")),
    ("bits", lambda: mapper.map_bits([0, 2], "qpsk")),
    ("crc", lambda: crc.crc32_update(-1, b"")),
    ("crc", lambda: crc.crc32_update(1.5, b"")),
    ("crc", lambda: crc.crc32_update(2**32, b"")),
    ("data", lambda: crc.crc32("abc")),
    ("data", lambda: crc.crc16([1, 2])),
    ("data", lambda: bits.bytes_to_bits("ab")),
    ("data", lambda: bits.bytes_to_bits(5)),
    ("bits", lambda: bits.bits_to_bytes([0] * 7)),
    ("bits", lambda: bits.bits_to_bytes(np.zeros((2, 8), np.uint8))),
    ("name", lambda: bits.as_bits([0], name=None)),
    ("tx_bits", lambda: bits.as_bits([0, 5], "tx_bits")),
])
def test_known_bad_call_names_the_argument(arg, call):
    with pytest.raises(PhyError, match=rf"(?<![\w]){arg}(?!\w)"):
        call()


def test_puncture_masks_cannot_be_changed_by_a_caller():
    with pytest.raises(ValueError):  # numpy's read-only error: the shared table stays intact
        conv.puncture_mask("3/4")[0] = False
    assert conv.puncture_mask("3/4").tolist() == [True, True, True, False, False, True]


# ---- hypothesis: structured values ----

DTYPES = st.sampled_from([np.uint8, np.int8, np.int64, np.bool_, np.float32, np.float64, np.complex128])


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(DTYPES, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6)), st.integers(1, 127))
def test_bit_arrays_of_any_dtype_and_shape(arr, seed):
    """Hard-bit inputs are integer or bool 0/1 arrays; any other dtype or
    value is refused by name, and scramble wants 1-D."""
    is_bits = arr.dtype.kind in "biu" and (arr.dtype.kind == "b" or np.isin(arr, (0, 1)).all())
    if is_bits:
        assert np.array_equal(bits.as_bits(arr), arr.astype(np.uint8))
    else:
        with pytest.raises(PhyError, match="bits"):
            bits.as_bits(arr)
    if is_bits and arr.ndim == 1:
        out = scrambler.scramble(arr, seed)
        assert np.array_equal(out ^ scrambler.sequence(seed, arr.size), arr)
    else:
        with pytest.raises(PhyError, match="bits"):
            scrambler.scramble(arr, seed)


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(st.sampled_from([np.int8, np.int64, np.float64, np.complex128, np.bool_]),
                  hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=8)),
       st.integers(2, 8))
def test_llr_arrays_quantise_or_are_refused(llrs, soft_bits):
    """Integer and float LLRs (±inf saturating) of at least one dimension are
    quantised into ±(2^(b-1) - 1); NaN, complex, bool and scalars are refused."""
    ok = llrs.ndim >= 1 and llrs.dtype.kind in "iuf" and not (llrs.dtype.kind == "f" and np.isnan(llrs).any())
    if ok:
        q = demapper.quantize(llrs, soft_bits)
        assert q.shape == llrs.shape and np.abs(q.astype(int)).max(initial=0) <= demapper.soft_max(soft_bits)
        assert np.array_equal(np.sign(q[np.isinf(llrs)]), np.sign(llrs[np.isinf(llrs)]))
    else:
        with pytest.raises(PhyError, match="llrs"):
            demapper.quantize(llrs, soft_bits)


@settings(max_examples=150, deadline=None)
@given(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4),
       hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4),
       st.floats(allow_nan=True, allow_infinity=True))
def test_noise_variance_shape_and_value(sym_shape, n0_shape, n0):
    """noise_var is finite and > 0, and broadcasts to the symbols' shape
    (no silent growth of the output)."""
    y = np.ones(sym_shape, complex)
    nv = np.full(n0_shape, n0)
    try:
        fits = np.broadcast_shapes(n0_shape, sym_shape) == sym_shape
    except ValueError:
        fits = False
    if fits and math.isfinite(n0) and n0 > 0:
        out = demapper.llr(y, "qpsk", nv)
        assert out.shape == (sym_shape[:-1] + (2 * sym_shape[-1],) if sym_shape else (2,))
    else:
        with pytest.raises(PhyError, match="noise_var"):
            demapper.llr(y, "qpsk", nv)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.integers(-3, 130), st.floats(), st.booleans(), st.just(2**70)),
       st.one_of(st.integers(-3, 300), st.floats(), st.booleans(), st.just(2**70)))
def test_seed_and_length(seed, n):
    seed_ok = type(seed) is int and 1 <= seed <= 127
    n_ok = type(n) is int and 0 <= n <= scrambler.MAX_SEQUENCE
    if seed_ok and n_ok:
        assert len(scrambler.sequence(seed, n)) == n
    else:
        with pytest.raises(PhyError, match="^seed must" if not seed_ok else "^n must"):
            scrambler.sequence(seed, n)


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.integers(0, 60), st.floats(0, 60), st.booleans(), st.text(max_size=3)))
def test_rates_are_exact_ints(rate):
    if type(rate) is int and rate in rates.RATES:
        assert rates.rate_params(rate).mbps == rate
    else:
        with pytest.raises(PhyError, match="rate_mbps"):
            rates.rate_params(rate)


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_any_junk_in_any_argument_is_a_result_or_phy_error(data):
    """Nested, huge and odd values (hypothesis) in any argument of any entry."""
    junk_call(data, [e for _, e in ALL], PhyError)
