"""Mesh frames: golden codec round trips, MAVLink 2 payloads, the MicroPython
firmware codec under real MicroPython, fuzzing, CLI, and tshark with the
generated dissector."""

import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import protocol
from mesh_phy.coding.crc import crc32
from protocol import dissector, pcap, vectors
from protocol import frames as F
from protocol.codec import to_dict

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "firmware_models"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import mesh_codec as fw  # noqa: E402  (the firmware module, run here under CPython)
import micropython_harness as mp  # noqa: E402

VECTORS = vectors.generate(1200, seed=20261129)


def _telemetry_vectors(seed):
    """Telemetry frames whose bodies the golden link statistics made from
    seeded events: no neighbour, a few, a full table; with and without a
    mesh header and options."""
    from protocol.linkstats import LinkStats

    rng = random.Random(seed)
    out = []
    for k, n in enumerate((0, 3, 8, 12)):
        stats = LinkStats()
        nodes = [rng.randrange(0xFE00) for _ in range(n)]
        for t in range(40 * n):
            stats.on_frame(rng.choice(nodes), rng.randrange(256), rng.randint(-100, -20), rng.randint(-10, 40), t)
            stats.on_latency(rng.randrange(12000))
        for _ in range(k):
            stats.on_replay(rng.choice(nodes or [1]))
            stats.on_forgery()
        f = {"type": "telemetry", "version": 0, "seq": rng.randrange(256), "net": 0x2A, "dst": F.BROADCAST,
             "src": rng.randrange(0xFE00), "ack_req": False,
             "options": [{"type": 1, "value": bytes(8)}] if k % 2 else None,
             "mesh": {"hop_limit": 3, "originator": 7, "final_dst": F.BROADCAST, "mesh_seq": k} if k > 1 else None,
             "security": None, "body": stats.telemetry(40 * n)}
        out.append((to_dict(f), protocol.encode(f)))
    return out


TELEMETRY = _telemetry_vectors(13)


def test_round_trip_every_vector():
    for d, b in VECTORS:
        f = protocol.from_dict(d)
        assert protocol.encode(f) == b
        assert protocol.decode(b) == f
        assert protocol.encode(protocol.decode(b)) == b
        assert to_dict(protocol.decode(b)) == d
        assert json.loads(json.dumps(d)) == d


def test_vectors_cover_every_type_and_option():
    seen = set()
    for d, _ in VECTORS:
        kind = d["body"]["kind"] if d["body"] and d["type"] == "route" else None
        seen.add((d["type"], d["mesh"] is not None, d["options"] is not None, d["security"] is not None))
        if kind:
            seen.add(("route", kind))
    assert len([s for s in seen if len(s) == 4]) == len(vectors.TYPES) * 8 == 7 * 8
    assert {("route", k) for k in ("rreq", "rrep", "rerr")} <= seen
    mics = {d["security"]["mic_len"] for d, _ in VECTORS if d["security"]}
    assert mics == {4, 8, 16}
    assert any(o["type"] not in (1, 2) for d, _ in VECTORS for o in d["options"] or [])


def test_option_types_are_one_table_the_network_model_and_the_tools_read():
    """Every option type the network model sends is named in
    protocol.frames.OPTION_TYPES, once (0xC2 was used twice, by the
    forwarding and the jammed-channel options), and the CLI and dissector
    name it from there."""
    from protocol.cli import describe
    from protocol.netsim import hopping, node, routing, slots
    assert len(set(F.OPTION_TYPES.values())) == len(F.OPTION_TYPES)
    used = {slots.OPTION, routing.VISITED, routing.CARRIED, node.WANT, node.TC_AGE, hopping.BAD_CHANNELS,
            node.TX_POWER_OPTION}
    assert len(used) == 7 and used <= set(F.OPTION_TYPES)
    f = {"type": "beacon", "version": 0, "seq": 1, "net": 1, "dst": F.BROADCAST, "src": 16, "ack_req": False,
         "mesh": None, "options": [{"type": node.WANT, "value": b"\x11\x00"}], "security": None,
         "body": {"capabilities": 0, "neighbours": []}}
    assert f"option {node.WANT} (want_tc)" in describe(protocol.decode(protocol.encode(f)))
    assert '[195] = "want_tc"' in dissector.generate()


def test_mavlink2_messages_ride_unchanged():
    from pymavlink.dialects.v20 import common as mav

    link = mav.MAVLink(None, srcSystem=7, srcComponent=1)
    link.robust_parsing = True
    msgs = [mav.MAVLink_heartbeat_message(mav.MAV_TYPE_QUADROTOR, mav.MAV_AUTOPILOT_PX4, 0x81, 0x12345, 4, 3),
            mav.MAVLink_command_long_message(1, 1, mav.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, 0, 25.5)]
    for m in msgs:
        raw = m.pack(link)
        frame = {"type": "data", "version": 0, "seq": 3, "net": 0x2A, "dst": 1, "src": 7, "ack_req": True,
                 "mesh": None, "options": None, "security": None, "body": {"proto": "mavlink2", "payload": raw}}
        got = protocol.decode(protocol.encode(frame))
        assert got["body"]["payload"] == raw
        parser = mav.MAVLink(None)
        out = parser.parse_char(bytearray(got["body"]["payload"]))
        assert out is not None and out.get_type() == m.get_type()
        assert out.to_dict() == m.to_dict()


def _mutations(n, seed):
    """Truncations, bit flips (FCS then recomputed, so parsing goes deep),
    byte insertions and random bytes."""
    rng = random.Random(seed)
    out = []
    for k in range(n):
        _, b = VECTORS[k % len(VECTORS)]
        r = rng.random()
        if r < 0.25:
            m = b[:rng.randrange(0, len(b))]
        elif r < 0.6:
            body = bytearray(b[:-4])
            for _ in range(rng.randint(1, 3)):
                i = rng.randrange(len(body))
                body[i] ^= 1 << rng.randrange(8)
            m = bytes(body) + crc32(bytes(body)).to_bytes(4, "little")
        elif r < 0.8:
            body = bytearray(b[:-4])
            i = rng.randrange(len(body) + 1)
            body[i:i] = rng.randbytes(rng.randint(1, 4))
            m = bytes(body) + crc32(bytes(body)).to_bytes(4, "little")
        else:
            m = rng.randbytes(rng.randint(0, 60))
        out.append(m)
    return out


def _golden(b):
    try:
        return to_dict(protocol.decode(b))
    except protocol.FrameError:
        return None


def test_firmware_codec_under_real_micropython():
    """Every vector, and 2000 mutated frames, through the firmware codec on
    MicroPython 1.27: identical bytes, identical dicts, identical rejections."""
    mutated = _mutations(2000, 7)
    cases = [{"hex": b.hex(), "dict": d} for d, b in VECTORS + TELEMETRY] + [{"hex": m.hex(), "dict": None}
                                                                             for m in mutated]
    results = mp.run_codec_cases(cases)
    rejected = 0
    for case, res in zip(cases, results, strict=True):
        b = bytes.fromhex(case["hex"])
        expect = _golden(b)
        if expect is None:
            rejected += 1
            assert "decode_error" in res, f"firmware accepted what the golden model rejects: {case['hex']}"
        else:
            assert res.get("decoded") == expect, case["hex"]
        if case["dict"] is not None:
            assert res.get("encoded") == case["hex"]
    assert rejected > 1000  # the mutations really exercise rejection paths
    assert len(mp.TRAP_RETRIES) <= 2, f"MicroPython runtime trapped {len(mp.TRAP_RETRIES)} times"


def test_firmware_compiles_with_mpy_cross(capsys):
    size = mp.mpy_cross("mesh_codec.py")
    with capsys.disabled():
        print(f"\nfirmware_models/mesh_codec.py → .mpy: {size} bytes")
    assert 0 < size < 16384


frames_st = st.sampled_from([b for _, b in VECTORS[:200]])


@settings(max_examples=3000, deadline=None)
@given(st.one_of(
    st.binary(max_size=80),
    st.tuples(frames_st, st.integers(0, 300)).map(lambda t: t[0][:t[1]]),
    st.tuples(frames_st, st.integers(0, 10**6), st.integers(0, 7), st.booleans()).map(
        lambda t: _flip(*t)),
))
def test_fuzz_golden_and_firmware_agree(data):
    try:
        golden = to_dict(protocol.decode(data))
    except protocol.FrameError as exc:
        assert exc.reason
        golden = None
    try:
        firmware = fw.decode(data)
    except fw.CodecError:
        firmware = None
    assert golden == firmware


def _flip(b, pos, bit, fix_fcs):
    body = bytearray(b[:-4])
    body[pos % len(body)] ^= 1 << bit
    tail = crc32(bytes(body)).to_bytes(4, "little") if fix_fcs else b[-4:]
    return bytes(body) + tail


@pytest.mark.parametrize("bad", [
    {}, {"type": "data"}, "frame", None,
    {**to_dict(protocol.decode(VECTORS[0][1])), "seq": 256},
    {**to_dict(protocol.decode(VECTORS[0][1])), "type": "bogus"},
    {**to_dict(protocol.decode(VECTORS[0][1])), "extra": 1},
])
def test_bad_dicts_are_refused_by_both(bad):
    with pytest.raises(protocol.FrameError):
        protocol.encode(protocol.from_dict(bad) if isinstance(bad, dict) else bad)
    with pytest.raises(fw.CodecError):
        fw.encode(bad)


def test_frame_error_carries_reason_and_offset():
    b = bytearray(VECTORS[0][1])
    b[-1] ^= 1
    with pytest.raises(protocol.FrameError) as e:
        protocol.decode(bytes(b))
    assert e.value.reason == "bad FCS" and e.value.offset == len(b) - 4
    assert isinstance(e.value, ValueError)


def _cli(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "protocol", *args], capture_output=True, text=True, input=stdin)


def test_cli(tmp_path):
    d, b = next((d, b) for d, b in VECTORS if d["type"] == "beacon" and d["mesh"])
    r = _cli("decode", b.hex())
    assert r.returncode == 0 and "beacon frame" in r.stdout and "neighbours" in r.stdout
    r = _cli("decode", b.hex(), "--json")
    assert json.loads(r.stdout) == d
    (tmp_path / "f.json").write_text(json.dumps(d))
    assert _cli("encode", "--json", str(tmp_path / "f.json")).stdout.strip() == b.hex()
    assert _cli("encode", "--json", "-", stdin=json.dumps(d)).stdout.strip() == b.hex()
    doc = json.loads(_cli("vectors", "-n", "12", "--seed", "3").stdout)
    assert (doc["generator"], doc["version"], doc["seed"], doc["count"]) == ("protocol.vectors", 3, 3, 12)
    assert [(v["dict"], v["hex"]) for v in doc["vectors"]] == [(x, y.hex()) for x, y in vectors.generate(12, 3)]
    r = _cli("pcap", "--out", str(tmp_path / "x.pcap"), "-n", "10")
    assert r.returncode == 0 and (tmp_path / "x.pcap").stat().st_size > 24
    for args in (("decode", "zz"), ("decode", b[:-1].hex()), ("encode", "--json", "/nonexistent"),
                 ("encode", "--json", "-")):
        r = _cli(*args, stdin="{not json")
        assert r.returncode == 2 and r.stdout == "" and len(r.stderr.strip().splitlines()) == 1


def test_vectors_are_physically_plausible():
    """Issue 13: generated values a real link could produce (RSSI of a heard
    neighbour -100..-20 dBm, hop counts within a 15-hop mesh, option values of
    their declared size, acks only requested from one node, node addresses
    where a node is meant)."""
    seen = {"rssi": 0, "timestamp": 0, "tx_power": 0, "telemetry": 0}
    for d, _ in VECTORS:
        assert d["src"] < 0xFE00
        if d["ack_req"]:
            assert d["dst"] < 0xFE00
        if d["mesh"]:
            assert 0 <= d["mesh"]["hop_limit"] <= 15
        for o in d["options"] or []:
            v = bytes.fromhex(o["value"])
            if o["type"] == 1:
                assert len(v) == 8 and int.from_bytes(v, "little") < 10**12
                seen["timestamp"] += 1
            elif o["type"] == 2:
                assert len(v) == 1 and -10 <= int.from_bytes(v, "little", signed=True) <= 30
                seen["tx_power"] += 1
        body = d["body"] or {}
        for nb in body.get("neighbours", []):
            if d["type"] == "telemetry":  # link statistics: min <= mean <= max, received <= heard
                assert -100 <= nb["rssi_min_dbm"] <= nb["rssi_avg_dbm"] <= nb["rssi_max_dbm"] <= -20
                assert -5 <= nb["snr_min_db"] <= nb["snr_avg_db"] <= 40 and nb["received"] <= nb["heard"]
                assert nb["addr"] < 0xFE00
                seen["telemetry"] += 1
                continue
            assert -100 <= nb["rssi_dbm"] <= -20 and nb["addr"] < 0xFE00
            seen["rssi"] += 1
        if "hop_count" in body:
            assert 0 <= body["hop_count"] <= 15
            assert body["origin"] < 0xFE00 and body["target"] < 0xFE00
        for u in body.get("unreachable", []):
            assert u["addr"] < 0xFE00
    assert min(seen.values()) > 50


def test_committed_dissector_is_generated_from_the_declarations():
    committed = Path(__file__).resolve().parent.parent / "protocol" / "meshlink.lua"
    regenerate = "python -m protocol dissector --out protocol/meshlink.lua"
    assert committed.read_text() == dissector.generate(), f"stale dissector: run {regenerate}"


def _expected_fields(frame: dict, raw: bytes) -> dict:
    """What the dissector must show for a frame, from the golden decoder."""
    d = to_dict(frame)
    fc = int.from_bytes(raw[:2], "little")
    e = {"fc.version": 0, "fc.type": (fc >> 2) & 15, "fc.security": int(d["security"] is not None),
         "fc.ack_req": int(d["ack_req"]), "fc.mesh": int(d["mesh"] is not None),
         "fc.options": int(d["options"] is not None), "mac.fc": fc, "mac.seq": d["seq"], "mac.net": d["net"],
         "mac.dst": d["dst"], "mac.src": d["src"], "fcs": int.from_bytes(raw[-4:], "little")}
    if d["mesh"]:
        e.update({f"mesh.{k}": v for k, v in d["mesh"].items()})
    if d["options"]:
        e["options.type"] = [o["type"] for o in d["options"]]
        vals = [o["value"] for o in d["options"] if o["value"]]
        if vals:
            e["options.value"] = vals
    if d["security"]:
        s = d["security"]
        e.update({"security.mic_code": {4: 1, 8: 2, 16: 3}[s["mic_len"]], "security.key_id": s["key_id"],
                  "security.counter": s["counter"], "mic": d["mic"]})
        if d["ciphertext"]:
            e["ciphertext"] = d["ciphertext"]
        return e
    body = d["body"]
    part = d["type"]
    if part == "route":
        part = body["kind"]
        e["route.kind"] = {"rreq": 1, "rrep": 2, "rerr": 3}[part]
    for k, v in body.items():
        if k == "kind":
            continue
        if k == "proto":
            v = {"raw": 0, "mavlink2": 1}[v]
        if isinstance(v, list):
            e[f"{part}.{k}.count"] = len(v)
            for item in v:
                for ik, iv in item.items():
                    e.setdefault(f"{part}.{k}.{ik}", []).append(iv)
        elif isinstance(v, str):
            if v:
                e[f"{part}.{k}"] = v
        else:
            e[f"{part}.{k}"] = v
    return e


def _as(expected, shown):
    """tshark's text for a field, read as the golden value's type: bytes as
    colon-separated hex, integers in decimal or 0x hex."""
    if isinstance(expected, str):
        return str(shown).replace(":", "").lower()
    text = str(shown)
    return int(text, 16) if text.startswith("0x") else int(text)


def test_tshark_decodes_every_field(tmp_path):
    tshark = shutil.which("tshark")
    assert tshark, "tshark missing: apt-get install tshark (make setup installs it as root)"
    lua = tmp_path / "meshlink.lua"
    lua.write_text(dissector.generate())
    chosen = VECTORS[:168] + TELEMETRY  # three times every type × option combination, and linkstats telemetry
    pcap.write(tmp_path / "v.pcap", [b for _, b in chosen])
    r = subprocess.run([tshark, "-X", f"lua_script:{lua}", "-r", str(tmp_path / "v.pcap"), "-T", "json",
                        "--no-duplicate-keys"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    packets = json.loads(r.stdout)
    assert len(packets) == len(chosen)
    compared = 0
    for pkt, (d, b) in zip(packets, chosen, strict=True):
        layer = pkt["_source"]["layers"]["meshlink"]
        got = {k.removeprefix("meshlink."): v for k, v in layer.items() if k.startswith("meshlink.")}
        expected = _expected_fields(protocol.from_dict(d), b)
        for k, v in expected.items():
            assert k in got, f"{k} missing from tshark's decode of {b.hex()}"
            shown = got[k]
            if isinstance(v, list):
                shown = shown if isinstance(shown, list) else [shown]
                value = [_as(e, x) for e, x in zip(v, shown, strict=True)]
            else:
                value = _as(v, shown)
            assert value == v, f"{k}: tshark {got[k]!r}, golden {v!r} (frame {b.hex()})"
            compared += 1
        assert "_ws.expert" not in json.dumps(pkt), "dissector flagged a valid frame"
        assert got["fcs.status"] == "1"
    assert compared > 2000


def _tshark(tmp_path, frames, *args):
    lua = tmp_path / "meshlink.lua"
    lua.write_text(dissector.generate())
    pcap.write(tmp_path / "f.pcap", frames)
    r = subprocess.run(["tshark", "-X", f"lua_script:{lua}", "-r", str(tmp_path / "f.pcap"), *args],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout


def _kind(a: int) -> str:
    """An address's kind by the address plan of protocol.frames."""
    if a == 0xFFFF:
        return "broadcast"
    return f"multicast group {a - 0xFE00}" if 0xFE00 <= a <= 0xFEFF else "node"


def test_tshark_shows_names_address_kinds_and_the_info_column(tmp_path):
    """Issue 13: names where the CLI prints names, hex addresses with their
    kind, and an Info summary, for every type × option combination and the
    telemetry frames."""
    import xml.etree.ElementTree as ET

    chosen = VECTORS[:48] + TELEMETRY
    frames = [b for _, b in chosen]
    infos = _tshark(tmp_path, frames, "-T", "fields", "-e", "_ws.col.Info").splitlines()
    pdml = ET.fromstring(_tshark(tmp_path, frames, "-T", "pdml"))
    shown = 0
    for (d, _), info, pkt in zip(chosen, infos, pdml.iter("packet"), strict=True):
        expect = f"{d['type']} frame, seq {d['seq']}, src 0x{d['src']:04x} ({_kind(d['src'])}) -> " \
                 f"dst 0x{d['dst']:04x} ({_kind(d['dst'])})"
        if d["type"] == "route" and d["body"]:
            expect += f", {d['body']['kind']}"
        if d["security"]:
            expect += ", secured"
        assert info == expect
        fields = [(f.get("name").removeprefix("meshlink."), f.get("showname")) for f in pkt.iter("field")
                  if f.get("name", "").startswith("meshlink.")]
        by_name = {}
        for name, text in fields:
            by_name.setdefault(name, []).append(text)
        code = {n: c for c, n in F.FRAME_TYPES.items()}[d["type"]]
        assert by_name["fc.type"][0].endswith(f"fc.type: {d['type']} ({code})")
        if d["body"] and "proto" in d["body"]:
            assert by_name["data.proto"] == [f"data.proto: {d['body']['proto']} ({int(d['body']['proto'] != 'raw')})"]
        if d["body"] and d["type"] == "route":
            code = {n: c for c, n in F.ROUTE_KINDS.items()}[d["body"]["kind"]]
            assert by_name["route.kind"] == [f"route.kind: {d['body']['kind']} ({code})"]
        if d["security"]:
            n = d["security"]["mic_len"]
            assert by_name["security.mic_code"] == [f"security.mic_code: {n}-byte MIC ({ {4: 1, 8: 2, 16: 3}[n]})"]
        for o, text in zip(d["options"] or [], by_name.get("options.type", []), strict=True):
            name = {1: "timestamp_us", 2: "tx_power_dbm"}.get(o["type"], "Unknown")
            assert text == f"options.type: {name} ({o['type']})"
        for name in dissector.ADDRESSES:
            for text in by_name.get(name, []):
                value = int(text.split(": ")[1].split()[0], 16)
                assert text == f"{name}: 0x{value:04x} ({_kind(value)})"
                shown += 1
    assert shown > 150


def test_tshark_marks_the_fcs_and_refuses_what_the_decoder_refuses(tmp_path):
    """A frame with its FCS flipped shows fcs.status bad, a checksum expert
    and "bad FCS" in Info; mutated frames (FCS recomputed, so the parse goes
    deep) carry an expert exactly when the golden decoder refuses them."""
    good = [b for _, b in VECTORS[:24]]
    flipped = [b[:-1] + bytes([b[-1] ^ 0x80]) for b in good]
    mutated = _mutations(400, 11)
    frames = good + flipped + mutated
    packets = json.loads(_tshark(tmp_path, frames, "-T", "json", "--no-duplicate-keys"))
    infos = _tshark(tmp_path, frames, "-T", "fields", "-e", "_ws.col.Info").splitlines()
    assert len(packets) == len(infos) == len(frames)
    refused = 0
    for k, (b, pkt, info) in enumerate(zip(frames, packets, infos, strict=True)):
        text = json.dumps(pkt)
        layer = pkt["_source"]["layers"]["meshlink"]
        if k < 24:
            assert layer["meshlink.fcs.status"] == "1" and "_ws.expert" not in text
        elif k < 48:
            assert layer["meshlink.fcs.status"] == "0" and '"_ws.expert.message": "Bad FCS"' in text
            assert info.endswith(", bad FCS")
        else:
            golden_refuses = _golden(b) is None
            refused += golden_refuses
            assert ("_ws.expert" in text) == golden_refuses, b.hex()
    assert 100 < refused < 380
