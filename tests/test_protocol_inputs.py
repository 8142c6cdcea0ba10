"""Typed errors on every public input of ``protocol`` (issue 10), and one hex
grammar for the dict form in the golden and the firmware codec.

* Sweeps: every public callable of the owned modules (codec, cli, vectors,
  pcap, airtime, dissector) is called with each argument replaced by every
  value of :data:`hostile.HOSTILE`; each call returns or raises FrameError,
  and every value of a type the argument does not take is refused.
* Coverage: the public callables of those modules, minus a justified
  exclusion list, must equal the swept set, so a new public function without
  a property test fails here. ``protocol.fleet``, ``protocol.security`` and
  ``protocol.frames`` are NOT covered here: they belong to the fleet/security
  rework, whose attack and property tests cover them.
* Structured fuzz (hypothesis): hostile values (nested junk, huge integers,
  NaN, bytes, 5,000-deep lists) put anywhere inside valid frames, bodies and
  dict forms: only FrameError, naming the argument, in one short line.
* Agreement: the golden codec and the firmware codec accept the same dict
  forms and give the same bytes, with the hex grammar checked against an
  independent oracle (a hex string is valid iff it is exactly the lowercase
  rendering ``bytes.hex()`` of the bytes it denotes): under CPython with
  hypothesis, and a few hundred cases under MicroPython 1.27.
* CLI: ``python -m protocol`` as a subprocess with bad files and arguments:
  exactly one stderr line, no traceback, non-zero status.
"""

import json
import math
import random
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import micropython_harness as mp
import numpy as np
import pytest
from hostile import HOSTILE
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st
from typed_inputs import BYTES, INT, NONE, PAIR, TEXT, check_entry, junk, public_api, swept_names

import protocol
from protocol import airtime, cli, codec, dissector, errors, pcap, vectors
from protocol.errors import FrameError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "firmware_models"))
import mesh_codec as fw  # noqa: E402  (the firmware module, here under CPython)

VECTORS = vectors.generate(96, seed=10)  # every frame type with every optional part, twice
FORMS = [d for d, _ in VECTORS]
FRAMES = [protocol.from_dict(d) for d in FORMS]
BEACON = next(i for i, d in enumerate(FORMS) if d["type"] == "beacon" and d["mesh"] and d["body"]["neighbours"])

# ---------------------------------------------------------------- sweeps

# What each argument accepts by *type* (tests/typed_inputs.py has the common ones);
# every hostile value outside it must be refused.
DICT = ("dict", lambda v: isinstance(v, dict))
REAL = ("real", lambda v: isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_)))
PATH = ("str or bytes path", lambda v: isinstance(v, (str, bytes)))


def _entries(tmp: Path) -> dict:
    """{module: [(name, callable, good keyword arguments, {argument: accepted type})]}."""
    form, frame, raw = FORMS[BEACON], FRAMES[BEACON], VECTORS[BEACON][1]
    body = frame["body"]
    return {
        codec: [
            ("encode", codec.encode, {"frame": frame}, {"frame": DICT}),
            ("decode", codec.decode, {"data": raw}, {"data": BYTES}),
            ("to_dict", codec.to_dict, {"frame": frame}, {"frame": DICT}),
            ("from_dict", codec.from_dict, {"form": form}, {"form": DICT}),
            ("encode_body", codec.encode_body, {"ftype": "beacon", "body": body}, {"ftype": TEXT, "body": DICT}),
            ("decode_body", codec.decode_body, {"ftype": "beacon", "data": codec.encode_body("beacon", body)},
             {"ftype": TEXT, "data": BYTES}),
        ],
        vectors: [
            ("generate", vectors.generate, {"n": 2, "seed": 1}, {"n": INT, "seed": INT}),
            ("document", vectors.document, {"n": 2, "seed": 1}, {"n": INT, "seed": INT}),
            ("frame", vectors.frame, {"k": 7, "rng": random.Random(1)}, {"k": INT, "rng": NONE}),
        ],
        pcap: [
            ("write", pcap.write, {"path": str(tmp / "s.pcap"), "frames": [raw], "start_s": 0.0, "interval_s": 1e-3},
             {"path": PATH, "frames": PAIR, "start_s": REAL, "interval_s": REAL}),
        ],
        airtime: [
            ("airtime_us", airtime.airtime_us, {"frame_bytes": 100, "rate_mbps": 6},
             {"frame_bytes": INT, "rate_mbps": INT}),
            ("handshake_frame_len", airtime.handshake_frame_len, {"message": b"m1"}, {"message": BYTES}),
            ("measure", airtime.measure, {"method": 0, "suite": 2}, {"method": INT, "suite": INT}),
            ("table", airtime.table, {"rates": (6,)}, {"rates": PAIR}),
        ],
        cli: [
            ("describe", cli.describe, {"frame": frame}, {"frame": DICT}),
            # argv=None (in HOSTILE) parses sys.argv: pytest's arguments, refused like any other
            ("main", cli.main, {"argv": ["dissector", "--out", str(tmp / "m.lua")]}, {"argv": PAIR}),
        ],
        dissector: [("generate", dissector.generate, {}, {}), ("field_names", dissector.field_names, {}, {})],
    }


# Public callables deliberately not swept, with the reason.
EXCLUDED = {
    errors: {"FrameError": "the package's error type itself: protocol constructs it (str reason, int offset); "
                           "it handles no user input"},
}


def _all(tmp):
    return [(m.__name__, e) for m, es in _entries(tmp).items() for e in es]


@pytest.mark.parametrize("index", range(len(_all(Path("/nonexistent")))),
                         ids=[f"{m}.{e[0]}" for m, e in _all(Path("/nonexistent"))])
def test_hostile_values_raise_only_frame_error(index, tmp_path, monkeypatch, capsys):
    """Every hostile value in every argument: a result or FrameError, never
    another exception; each argument refuses every value of a type it does not
    take (bool or 4.0 for an integer, str for bytes, ...)."""
    monkeypatch.chdir(tmp_path)  # pcap.write / cli.main given "x" as a path write it here
    module, entry = _all(tmp_path)[index]
    tried, refused = check_entry(entry, FrameError)
    name, kinds = entry[0], entry[3]
    wrong_total = sum(not accepts(v) for _, accepts in kinds.values() for v in HOSTILE)
    with capsys.disabled():
        print(f"\n{module}.{name}: tried {tried}, refused {refused} ({wrong_total} of a wrong type)", end="")


def test_every_public_callable_is_swept():
    """A new public function or class in an owned module fails here until it
    has a sweep entry (or a justified exclusion). protocol.fleet,
    protocol.security and protocol.frames are left to the fleet/security
    rework's own tests."""
    entries = _entries(Path("/nonexistent"))
    for module in (protocol, codec, cli, vectors, pcap, airtime, dissector, errors):
        swept = swept_names(entries.get(module, []))
        public = public_api(module, EXCLUDED.get(module, {}))
        assert public == swept, f"{module.__name__}: not swept {sorted(public - swept)}, stale {sorted(swept - public)}"
    for module, reasons in EXCLUDED.items():
        assert set(reasons) <= public_api(module) and all(len(r) > 20 for r in reasons.values())


@pytest.mark.parametrize("call, words", [
    (lambda: codec.encode({**FRAMES[0], "version": 0.0}), "frame.version must be one of 0"),
    (lambda: codec.encode({**FRAMES[0], "version": 0j}), "frame.version"),
    (lambda: codec.encode({**FRAMES[0], "version": False}), "frame.version"),
    (lambda: codec.encode({**FRAMES[0], "seq": 10**5000}), "frame.seq must be <= 255"),
    (lambda: codec.encode({**FRAMES[0], "seq": 3.0}), "frame.seq must be an integer, got float"),
    (lambda: codec.encode({**FRAMES[0], "type": ["data"]}), "frame.type must be one of"),
    (lambda: codec.encode({**FRAMES[0], "ack_req": 1}), "frame.ack_req must be True or False"),
    (lambda: codec.encode({**FRAMES[0], "body": HOSTILE[-1]}), "frame.body has missing keys"),
    (lambda: codec.encode({**FRAMES[0], ("tuple",): 1}), "unknown keys [tuple]"),
    (lambda: codec.encode({**FRAMES[BEACON], "body": {**FRAMES[BEACON]["body"], "neighbours": [
        {"addr": 1, "link_quality": 2, "rssi_dbm": -40.0}]}}), "frame.body.neighbours[0].rssi_dbm"),
    (lambda: codec.encode_body("data", {"proto": ["raw"], "payload": b""}), "body.proto must be one of"),
    (lambda: codec.encode_body("route", {"kind": {}, "unreachable": []}), "body.kind must be one of"),
    (lambda: codec.encode_body("data", {"proto": "raw", "payload": "00"}), "body.payload must be bytes"),
    (lambda: codec.decode_body(["beacon"], b""), "ftype must be one of"),
    (lambda: codec.decode("00"), "data must be bytes, got str"),
    (lambda: codec.from_dict({**FORMS[0], "body": {"proto": "raw", "payload": "AB"}}), "form.body.payload"),
    (lambda: codec.from_dict({**FORMS[0], "body": {"proto": "raw", "payload": "ab cd"}}), "form.body.payload"),
    (lambda: codec.from_dict({**FORMS[0], "body": {"proto": "raw", "payload": b"\xab"}}),
     "form.body.payload must be a hex string"),
    (lambda: codec.to_dict({**FRAMES[0], "net": True}), "frame.net must be an integer, got bool"),
    (lambda: vectors.generate(True), "n must be an integer, got bool"),
    (lambda: vectors.generate(3, seed=-1), "seed must be >= 0"),
    (lambda: pcap.write("p", [b"x"], interval_s=math.nan), "interval_s must not be NaN"),
    (lambda: pcap.write("p", [b"x"], start_s=1e300), "2^32 s"),
    (lambda: pcap.write("p", "frames"), "frames must be a list or tuple"),
    (lambda: pcap.write(0, [b"x"]), "path must be"),
    (lambda: airtime.airtime_us(True, 6), "frame_bytes must be an integer, got bool"),
    (lambda: airtime.airtime_us(100, 6.0), "rate_mbps must be one of"),
    (lambda: airtime.handshake_frame_len(bytes(2000)), "message of 2000 bytes does not fit"),
    (lambda: airtime.measure(0, 2.0), "suite must be one of"),
    (lambda: cli.main(["decode"]), "required: hex"),
    (lambda: cli.main("decode 00"), "argv must be a list of str"),
])
def test_refusals_name_the_argument_and_the_reason(call, words, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FrameError) as e:
        call()
    assert words in str(e.value)


def test_issue_10_loose_acceptance_is_gone_in_both_codecs():
    """version 0.0 or 0j, mic_len 4.0, bool lengths: refused by both codecs."""
    secured = next(d for d in FORMS if d["security"] and d["security"]["mic_len"] == 4)
    bad = [{**FORMS[0], "version": 0.0}, {**FORMS[0], "version": 0j}, {**FORMS[0], "version": False},
           {**secured, "security": {**secured["security"], "mic_len": 4.0}},
           {**secured, "security": {**secured["security"], "mic_len": True}},
           {**FORMS[0], "seq": True}, {**FORMS[0], "options": [{"type": 1, "value": "ab "}]}]
    for form in bad:
        with pytest.raises(FrameError):
            protocol.from_dict(form)
        with pytest.raises(fw.CodecError):
            fw.encode(form)


def test_memoryview_is_bytes_to_both_codecs():
    for d, b in VECTORS:
        assert protocol.decode(memoryview(b)) == protocol.decode(b) == protocol.decode(bytearray(b))
        assert fw.decode(memoryview(b)) == fw.decode(b) == d
        frame = protocol.from_dict(d)
        if frame["body"] is not None and "payload" in frame["body"]:
            mv = {**frame, "body": {**frame["body"], "payload": memoryview(frame["body"]["payload"])}}
            assert protocol.encode(mv) == b
        if frame["security"]:
            assert protocol.encode({**frame, "mic": memoryview(frame["mic"])}) == b
    body = FRAMES[BEACON]["body"]
    assert protocol.codec.decode_body("beacon", memoryview(protocol.codec.encode_body("beacon", body))) == body


def _form_of(ftype, **body):
    form = next(d for d in FORMS if d["type"] == ftype and not d["security"] and (
        ftype != "route" or d["body"]["kind"] == body.get("kind")))
    return {**form, "body": {**form["body"], **body}}


@pytest.mark.parametrize("form, ok", [
    (_form_of("beacon", neighbours=[{"addr": 1, "link_quality": 255, "rssi_dbm": -128}]), True),
    (_form_of("beacon", neighbours=[{"addr": 1, "link_quality": 255, "rssi_dbm": 127}]), True),
    (_form_of("beacon", neighbours=[{"addr": 1, "link_quality": 255, "rssi_dbm": -129}]), False),
    (_form_of("beacon", neighbours=[{"addr": 1, "link_quality": 256, "rssi_dbm": 0}]), False),
    (_form_of("beacon", neighbours=[{"addr": 65536, "link_quality": 0, "rssi_dbm": 0}]), False),
    (_form_of("group_key", epoch=2**32 - 1, wrapped_key="ab" * 255), True),
    (_form_of("group_key", epoch=2**32), False),
    (_form_of("group_key", wrapped_key="ab" * 256), False),
    (_form_of("route", kind="rerr", unreachable=[{"addr": 1, "seq": 1}] * 255), True),
    (_form_of("route", kind="rerr", unreachable=[{"addr": 1, "seq": 1}] * 256), False),
    (_form_of("route", kind="rrep", hop_count=255, lifetime_s=65535), True),
    (_form_of("route", kind="rrep", hop_count=256), False),
    (_form_of("handshake", session=65535, message_no=255), True),
    (_form_of("handshake", session=-1), False),
    (_form_of("data", payload="00" * 1300), True),
    (_form_of("data", payload="00" * 1490), False),  # the frame would exceed 1500 bytes
    ({**FORMS[0], "options": [{"type": 9, "value": ""}] * 127}, True),
    ({**FORMS[0], "options": [{"type": 9, "value": ""}] * 128}, False),  # 256 bytes of options
    ({**FORMS[0], "options": [{"type": 9, "value": "00" * 253}]}, True),
    ({**FORMS[0], "options": [{"type": 9, "value": "00" * 254}]}, False),  # 2 + 254 > 255
])
def test_field_ranges_are_the_declared_ones_in_both_codecs(form, ok):
    """Limits from the frame layout (protocol/frames.py: int8 RSSI, u8 counts
    and lengths, u32 epoch, 1,500-byte frames), not from the code under test."""
    assert (_golden_encode(form) is not None) == ok
    assert _golden_encode(form) == _firmware_encode(form)


def test_numpy_integers_are_integers_and_the_dict_form_stays_json():
    frame = {**FRAMES[0], "seq": np.int64(7), "net": np.uint16(9), "ack_req": np.bool_(True)}
    d = protocol.to_dict(frame)
    assert json.loads(json.dumps(d)) == d and (d["seq"], d["net"], d["ack_req"]) == (7, 9, True)
    assert protocol.decode(protocol.encode(frame)) == protocol.from_dict(d)


def test_pcap_timestamps_round_to_the_microsecond(tmp_path):
    """pcap record headers (seconds, microseconds < 10^6) of frames at 0.9999996 s and 1.5 s."""
    raw = VECTORS[0][1]
    assert pcap.write(tmp_path / "t.pcap", [raw, raw], start_s=0.9999996, interval_s=0.5000004) == 2
    data = (tmp_path / "t.pcap").read_bytes()
    first, second = data[24:40], data[40 + len(raw):56 + len(raw)]
    assert first == (1).to_bytes(4, "little") + bytes(4) + len(raw).to_bytes(4, "little") * 2
    assert second[:8] == (1).to_bytes(4, "little") + (500000).to_bytes(4, "little")


# ---------------------------------------------------------------- structured fuzz

def _paths(obj, prefix=()):
    """Every path (tuple of keys and indices) into the dicts and lists of ``obj``."""
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, (*prefix, i))


def _mutate(obj, path, how, value, key=None):
    """A copy of ``obj`` with the item at ``path`` replaced by ``value``
    (``how`` "replace"), deleted ("delete"), or, when it is a dict, given an
    extra ``key`` ("add")."""
    if not path:
        if how == "add" and isinstance(obj, dict):
            return {**obj, key: value}
        return value
    head, rest = path[0], path[1:]
    if how == "delete" and not rest:
        return {k: v for k, v in obj.items() if k != head} if isinstance(obj, dict) else obj[:head] + obj[head + 1:]
    copy = dict(obj) if isinstance(obj, dict) else list(obj)
    copy[head] = _mutate(obj[head], rest, how, value, key)
    return copy


KEYS = ["type", "version", "seq", "body", "kind", "mic_len", "payload", "value", "neighbours", "rssi_dbm", "x"]
BMP = st.characters(max_codepoint=0xFFFF, blacklist_categories=("Cs",))  # what MicroPython's json reads back
NEAR = st.sampled_from([0, 1, 4, 8, 16, 255, 256, 65535, 65536, 2**32, -1, -128, 127, -129, 0.0, 4.0, -0.0,
                        "", "00", "AB", "ab ", "0x00", "rreq", "rrep", "rerr", "data", "raw", "mavlink2", "beacon"])
JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(-2**70, 2**70), NEAR,
                         st.floats(-1e9, 1e9), st.text(BMP, max_size=8))
JSON_JUNK = st.recursive(JSON_SCALARS, lambda c: st.one_of(
    st.lists(c, max_size=3), st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(BMP, max_size=4)), c,
                                             max_size=3)), max_leaves=8)
PY_JUNK = st.one_of(JSON_JUNK, junk(), st.sampled_from(HOSTILE), st.integers(min_value=2**60, max_value=2**4000),
                    st.dictionaries(st.integers(), st.none(), max_size=2))


NOT_NUMPY = [v for v in HOSTILE if type(v).__module__ != "numpy"]


@st.composite
def mutated(draw, objs, junk):
    """One of ``objs`` with one item replaced, deleted or given a new key."""
    obj = draw(st.sampled_from(objs))
    path = draw(st.sampled_from(list(_paths(obj))))
    how = draw(st.sampled_from(["replace", "replace", "delete", "add"] if path else ["replace", "add"]))
    value = draw(st.one_of(NEAR, junk))  # NEAR: values valid at some paths, so some mutants are accepted
    return _mutate(obj, path, how, value, draw(st.one_of(st.sampled_from(KEYS), st.text(max_size=4))))


def _outcome(call, name):
    """("ok", result) or ("refused", None); fails on any other exception or on
    a FrameError that does not name ``name`` in one short line."""
    try:
        return "ok", call()
    except FrameError as exc:
        msg = str(exc)
        assert msg.startswith(name), f"error does not name {name}: {msg}"
        assert "\n" not in msg and len(msg) < 400, msg
        return "refused", None
    except Exception as exc:  # noqa: BLE001 - any other exception is the bug looked for
        raise AssertionError(f"{type(exc).__name__} escaped: {exc!s:.200}") from exc


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(FRAMES, PY_JUNK))
def test_junk_anywhere_in_a_frame(frame):
    how, b = _outcome(lambda: protocol.encode(frame), "frame")
    event(how)
    assert _outcome(lambda: protocol.to_dict(frame), "frame")[0] == how
    if how == "ok":
        assert protocol.encode(protocol.decode(b)) == b
        assert protocol.from_dict(protocol.to_dict(frame)) == protocol.decode(b)
        assert protocol.cli.describe(frame)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([f for f in FRAMES if f["body"] is not None]).flatmap(
    lambda f: st.tuples(st.just(f["type"]), mutated([f["body"]], PY_JUNK))))
def test_junk_anywhere_in_a_body(case):
    ftype, body = case
    how, b = _outcome(lambda: codec.encode_body(ftype, body), "body")
    event(how)
    if how == "ok":
        assert codec.encode_body(ftype, codec.decode_body(ftype, b)) == b


def _golden_encode(form):
    how, frame = _outcome(lambda: protocol.from_dict(form), "form")
    return protocol.encode(frame).hex() if how == "ok" else None


def _firmware_encode(form):
    try:
        return fw.encode(form).hex()
    except fw.CodecError:
        return None


@settings(max_examples=500, deadline=None)
@given(mutated(FORMS, st.one_of(JSON_JUNK, st.sampled_from(NOT_NUMPY), st.floats(), st.text(max_size=6))))
def test_both_codecs_agree_on_any_dict_form(form):
    """Same accept/reject and the same bytes (firmware run under CPython: JSON
    values, NaN/inf, surrogates, 5,000-deep and 5,000-digit values; numpy
    values are not sent to the firmware, which never sees them)."""
    golden = _golden_encode(form)
    event("ok" if golden else "refused")
    assert golden == _firmware_encode(form)


# ---------------------------------------------------------------- the hex grammar

def _hex_oracle(s: str) -> bool:
    """Independent of both codecs: valid iff ``s`` is exactly the canonical
    lowercase rendering of the bytes it denotes."""
    try:
        return bytes.fromhex(s).hex() == s
    except ValueError:
        return False


def _hex_strings(chars):
    valid = st.binary(max_size=6).map(bytes.hex)
    odd = st.tuples(valid, st.sampled_from("0123456789abcdef")).map("".join)
    noisy = st.text(alphabet="0123456789abcdefABCDEF \t\n\r:xX-_\x00\u00a0\uff10\u0663", max_size=10)
    spliced = st.tuples(valid, st.integers(0, 12), st.text(chars, min_size=1, max_size=2)).map(
        lambda t: t[0][:t[1]] + t[2] + t[0][t[1]:])
    return st.one_of(valid, odd, noisy, spliced, st.text(chars, max_size=6))


# (form index, where the string goes) for a data payload, handshake message, option value and ciphertext
HEX_SLOTS = [(next(i for i, d in enumerate(FORMS) if d["type"] == "data" and not d["security"]), ("body", "payload")),
             (next(i for i, d in enumerate(FORMS) if d["type"] == "handshake" and not d["security"]),
              ("body", "message")),
             (next(i for i, d in enumerate(FORMS) if d["options"]), ("options", 0, "value")),
             (next(i for i, d in enumerate(FORMS) if d["security"]), ("ciphertext",))]
HEX_EDGES = ["", "00", "0a", "0A", "ab cd", " 00", "00 ", "00\n", "0x00", "000", "0", "\u0663\u0663", "\uff10\uff10",
             "gg", "ab:cd", "00\x00", "é0", "\u00a000", "ＡＢ", "a", "abcdef0123456789"]


def _with_hex(slot: int, s: str) -> dict:
    index, path = HEX_SLOTS[slot % len(HEX_SLOTS)]
    return _mutate(FORMS[index], path, "replace", s)


@settings(max_examples=500, deadline=None)
@given(st.integers(0, 3), _hex_strings(st.characters()))
def test_hex_grammar_one_rule_both_codecs(slot, s):
    form = _with_hex(slot, s)
    expect = _hex_oracle(s)
    golden, firmware = _golden_encode(form), _firmware_encode(form)
    event(f"valid hex: {expect}")
    assert (golden is not None) == expect, f"golden codec on {s!r}"
    assert golden == firmware, f"codecs disagree on {s!r}"
    if expect:
        path = HEX_SLOTS[slot % len(HEX_SLOTS)][1]
        decoded = protocol.decode(bytes.fromhex(golden))
        for k in path:
            decoded = decoded[k]
        assert decoded == bytes.fromhex(s)


def _micropython_agrees(forms):
    """Run dict forms through the firmware codec under MicroPython; return the
    golden verdicts after checking the firmware gave the same ones."""
    cases = [{"hex": VECTORS[0][1].hex(), "dict": f} for f in forms]
    verdicts = []
    for form, res in zip(forms, mp.run_codec_cases(cases), strict=True):
        golden = _golden_encode(form)
        assert res.get("encoded") == golden, f"MicroPython firmware {res} vs golden {golden} on {form}"
        verdicts.append(golden is not None)
    return verdicts


MICROPYTHON = settings(max_examples=2, deadline=None, database=None, phases=[Phase.generate],
                       suppress_health_check=list(HealthCheck))


@MICROPYTHON
@given(st.lists(st.tuples(st.integers(0, 3), _hex_strings(BMP)), min_size=100, max_size=100))
def test_hex_grammar_under_micropython(cases):
    """Hypothesis strings (whitespace, uppercase, odd length, non-ASCII) and
    fixed edge cases through the firmware codec on MicroPython 1.27: the
    oracle's verdict, the golden codec's bytes."""
    cases = cases + [(k, s) for k, s in enumerate(HEX_EDGES)]
    verdicts = _micropython_agrees([_with_hex(k, s) for k, s in cases])
    assert verdicts == [_hex_oracle(s) for _, s in cases]


@MICROPYTHON
@given(st.lists(mutated(FORMS, JSON_JUNK), min_size=60, max_size=60))
def test_dict_forms_under_micropython(forms):
    """Junk dict forms through the firmware codec on MicroPython 1.27: the
    same accept/reject and bytes as the golden codec."""
    loose = [{**FORMS[0], "version": 0.0}, {**FORMS[0], "seq": True}, {**FORMS[0], "type": []},
             {**FORMS[0], "body": {"kind": {}, "unreachable": []}, "type": "route"}]
    verdicts = _micropython_agrees(forms + loose + FORMS[:8])
    assert verdicts[len(forms):] == [False] * len(loose) + [True] * 8


def test_micropython_firmware_decodes_memoryview_as_bytes():
    frames = [b for _, b in VECTORS[:48]]
    code = (
        "import sys, binascii\nsys.path.append('/input')\nimport mesh_codec as c\n"
        "for line in open('/input/frames.txt'):\n"
        "    b = binascii.unhexlify(line.strip())\n"
        "    print(c.decode(memoryview(b)) == c.decode(b) == c.decode(bytearray(b)))\n")
    out = mp.run_micropython(code, {"mesh_codec.py": mp.firmware_source("mesh_codec.py"),
                                    "frames.txt": "".join(b.hex() + "\n" for b in frames)})
    assert out.split() == ["True"] * len(frames)


# ---------------------------------------------------------------- the CLI

def _cli_cases(tmp: Path) -> list:
    """(argv, stdin bytes or None, words the one error line must hold)."""
    form = FORMS[0]
    files = {
        "utf8.json": b'{"type": "\xff"}',
        "deep_list.json": b"[" * 100_000 + b"]" * 100_000,
        "deep_dict.json": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        "digits.json": json.dumps({**form, "seq": 0}).replace('"seq": 0', '"seq": ' + "9" * 5000).encode(),
        "list.json": b"[1, 2]",
        "types.json": json.dumps({**form, "seq": "3"}).encode(),
        "upper.json": json.dumps({**form, "body": {"proto": "raw", "payload": "AB"}}).encode(),
        "spaced.json": json.dumps({**form, "body": {"proto": "raw", "payload": "ab cd"}}).encode(),
        "nan.json": json.dumps({**form, "seq": math.nan}).encode(),
        "keys.json": b'{"type": "data"}',
        "empty.json": b"",
        "huge.json": b" " * (cli.MAX_INPUT + 1),
    }
    for name, content in files.items():
        (tmp / name).write_bytes(content)
    bad_fcs = bytearray(VECTORS[0][1])
    bad_fcs[-1] ^= 1
    nine = "9" * 5000
    return [
        (["encode", "--json", str(tmp / "utf8.json")], None, "not UTF-8"),
        (["encode", "--json", str(tmp / "deep_list.json")], None, "nested too deeply"),
        (["encode", "--json", str(tmp / "deep_dict.json")], None, "nested too deeply"),
        (["encode", "--json", str(tmp / "digits.json")], None, "5000 digits"),
        (["encode", "--json", str(tmp / "list.json")], None, "form must be a dict"),
        (["encode", "--json", str(tmp / "types.json")], None, "form.seq must be an integer, got str"),
        (["encode", "--json", str(tmp / "upper.json")], None, "form.body.payload"),
        (["encode", "--json", str(tmp / "spaced.json")], None, "form.body.payload"),
        (["encode", "--json", str(tmp / "nan.json")], None, "NaN is not JSON"),
        (["encode", "--json", str(tmp / "keys.json")], None, "missing keys"),
        (["encode", "--json", str(tmp / "empty.json")], None, "not JSON"),
        (["encode", "--json", str(tmp / "huge.json")], None, "larger than"),
        (["encode", "--json", str(tmp / "missing.json")], None, "No such file"),
        (["encode", "--json", str(tmp)], None, "Is a directory"),
        (["encode", "--json", "-"], b"\xff\xfe{}", "not UTF-8"),
        (["encode", "--json", "-"], b"[" * 100_000, "nested too deeply"),
        (["encode"], None, "required: --json"),
        (["decode", "zz"], None, "HEX is not hex"),
        (["decode", "abc"], None, "HEX is not hex"),
        (["decode", "0x0011"], None, "HEX is not hex"),
        (["decode", "ab" * 2000], None, "more than 1500 bytes"),
        (["decode", bad_fcs.hex()], None, "bad FCS"),
        (["decode", "00", "--bogus"], None, "unrecognized arguments"),
        ([b"decode", b"\xff\xfe"], None, "HEX is not hex"),
        (["bogus"], None, "invalid choice"),
        ([], None, "required: cmd"),
        (["--x"], None, "required: cmd"),
        (["vectors", "-n", "abc"], None, "-n: expected an integer"),
        (["vectors", "-n", nine], None, "-n: expected an integer"),
        (["vectors", "-n", "100001"], None, "-n: expected an integer in 0..100000"),
        (["vectors", "--seed", "-1"], None, "--seed: expected an integer"),
        (["vectors", "-n", "1", "--out", str(tmp)], None, "Is a directory"),
        (["pcap", "--out", str(tmp / "x.pcap"), "--hex", "zz"], None, "--hex 1 is not hex"),
        (["pcap", "--out", str(tmp / "x.pcap"), "--hex", bad_fcs.hex()], None, "bad FCS"),
        (["pcap", "--out", str(tmp / "no" / "x.pcap"), "-n", "1"], None, "cannot write"),
        (["dissector", "--out", str(tmp)], None, "Is a directory"),
    ]


def _run_cli(case):
    argv, stdin, _ = case
    return subprocess.run([sys.executable.encode(), b"-m", b"protocol",
                           *(a if isinstance(a, bytes) else a.encode() for a in argv)],
                          input=stdin if stdin is not None else b"", capture_output=True, timeout=120,
                          cwd=Path(__file__).resolve().parent.parent)


def test_cli_any_bad_input_is_one_line(tmp_path, capsys):
    cases = _cli_cases(tmp_path)
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(_run_cli, cases))
    for (argv, _, words), r in zip(cases, results, strict=True):
        err = r.stderr.decode("utf-8", "replace")
        shown = f"{[a[:30] for a in argv]}: rc {r.returncode}, stderr {err[:300]!r}"
        assert r.returncode != 0 and r.stdout == b"", shown
        assert len(err.splitlines()) == 1 and err.endswith("\n") and "Traceback" not in err, shown
        assert err.startswith("python -m protocol: error: ") and words in err, shown
    with capsys.disabled():
        print(f"\nCLI: {len(cases)} bad inputs, each one stderr line and a non-zero status", end="")
