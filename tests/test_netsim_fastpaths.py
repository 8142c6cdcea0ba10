"""The simulator's fast paths give what the slow, reference forms give.

* protocol.codec reads and writes the Structs of protocol.frames with
  Python's ``struct``: checked here against ``construct``'s own parse and
  build of the same declarations (the independent reference), field values
  drawn at random over each field's whole range, and on truncated input
  (construct refuses exactly where the fast reader does);
* the FCS by zlib equals the golden table-driven CRC-32 of mesh_phy
  (itself checked against IEEE 802.3's check value in tests/test_crc.py);
* a broadcast's decryption is shared by its receivers (keyed by the key and
  the frame's bytes): a receiver holding another key still refuses it, and
  one receiver gets the same bytes only once (its replay window);
* the links between TC originators are kept incrementally: after random
  TCs and expiries, the routing graph equals one rebuilt from the database
  by the rule of protocol.netsim.routing's docstring (written here again).
"""

import construct
import pytest

from mesh_phy.coding.crc import crc32 as golden_crc32
from protocol import codec
from protocol import frames as F
from protocol.netsim import routing as R
from protocol.security import ForgeryError, LinkKey, ReplayError, SecureLink

STRUCTS = [F.MacHeader, F.MeshHeader, F.Option, F.SecurityHeader, F.RouteKind, F.Neighbour, F.LatencyBin,
           F.NeighbourStats, F.Unreachable, *F.BODIES.values(), *F.ROUTE_BODIES.values()]


def _value(rng, struct) -> dict:
    """Random field values of ``struct`` over each field's whole range (lists and byte strings of random length)."""
    out = {}
    for name, kind, detail in codec._layout(struct):
        if kind == "int":
            out[name] = int(rng.integers(detail[0], detail[1], endpoint=True))
        elif kind == "bytes":
            n = detail[0] if detail[0] == detail[1] else int(rng.integers(0, min(detail[1], 40), endpoint=True))
            out[name] = rng.bytes(n)
        else:
            out[name] = [_value(rng, detail[0]) for _ in range(int(rng.integers(0, 5)))]
    return out


def _plain(obj):
    """A construct container as plain dicts, lists and bytes."""
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items() if not k.startswith("_")}
    if isinstance(obj, list):
        return bytes(obj) if obj and all(isinstance(x, int) for x in obj) else [_plain(x) for x in obj]
    return obj


@pytest.mark.parametrize("struct", STRUCTS, ids=lambda s: "+".join(c.name for c in s.subcons))
def test_struct_reader_and_writer_match_construct(struct, rng):
    for _ in range(200):
        value = _value(rng, struct)
        data = struct.build(value)
        assert codec._write(struct, value) == data
        got, end = codec._read(struct, data, 0, len(data))
        ref = _plain(struct.parse(data))
        for name, kind, _ in codec._layout(struct):  # an empty byte array parses to [] in construct
            if kind == "bytes" and ref[name] == []:
                ref[name] = b""
        assert got == ref and end == len(data)
        for cut in range(len(data)):  # every truncation: construct refuses iff the fast reader does
            try:
                struct.parse(data[:cut])
                ref_ok = True
            except construct.ConstructError:
                ref_ok = False
            try:
                codec._read(struct, data[:cut], 0, cut)
                ok = True
            except codec._Short:
                ok = False
            assert ok == ref_ok, (cut, data.hex())


def test_zlib_fcs_is_the_golden_crc32(rng):
    for n in [0, 1, 2, 3, 4, 7, 64, 1500, *rng.integers(0, 1500, 50).tolist()]:
        data = rng.bytes(int(n))
        assert codec.crc32(data) == golden_crc32(data)


def _beacon(sender: SecureLink, src: int) -> bytes:
    frame = {"type": "beacon", "version": 0, "seq": 1, "net": 0x4D53, "dst": F.BROADCAST, "src": src,
             "ack_req": False, "mesh": None, "options": None, "security": None,
             "body": {"capabilities": 0, "neighbours": [{"addr": 5, "link_quality": 3, "rssi_dbm": -60}]}}
    return sender.protect(frame)


def test_shared_broadcast_decryption_keeps_every_receivers_checks(rng):
    key = LinkKey(200, rng.bytes(16), "aes", 8)
    other = LinkKey(200, rng.bytes(16), "aes", 8)  # the same key id, other bytes: an outsider's key
    tx = SecureLink(1)
    tx.install_network(key)
    rx1, rx2, outsider = SecureLink(2), SecureLink(3), SecureLink(4)
    rx1.install_network(key)
    rx2.install_network(key)
    outsider.install_network(other)
    data = _beacon(tx, 1)
    a = rx1.unprotect(data)
    b = rx2.unprotect(data)  # the second receiver: the body decrypted by the first
    assert a == b and a["body"]["neighbours"][0]["rssi_dbm"] == -60
    a["body"]["neighbours"][0]["rssi_dbm"] = 0  # each receiver's own copy
    assert rx2.unprotect(_beacon(tx, 1))["body"]["neighbours"][0]["rssi_dbm"] == -60
    with pytest.raises(ReplayError):
        rx1.unprotect(data)
    with pytest.raises(ForgeryError):
        outsider.unprotect(data)
    forged = bytearray(data)
    forged[-6] ^= 1  # a MIC byte, the FCS made right again
    forged = bytes(forged[:-4]) + golden_crc32(bytes(forged[:-4])).to_bytes(4, "little")
    fresh = SecureLink(5)
    fresh.install_network(key)
    with pytest.raises(ForgeryError):
        fresh.unprotect(forged)


def _reference_graph(ls: R.LinkState, now: float, shared: bool) -> dict:
    """The graph rebuilt from scratch: own usable links; other links where both ends advertise each
    other (TC, or the keyed HELLO list of a neighbour without a TC), at the larger cost."""
    adv = {o: dict(links) for o, (_, _, links) in ls.lsdb.items()}
    own = dict(ls.advertised) if shared else ls.usable_links(now)
    if shared:
        adv[ls.me] = own
    else:
        for a in own:
            adv.setdefault(a, {b: R.cost_of(lq & R.Q_MAX) for b, lq in ls.nbs[a].listed.items() if lq & R.KEYED})
    g: dict = {}
    for o in adv:
        for b in adv[o]:
            if not shared and ls.me in (o, b):
                continue
            if b in adv and o in adv[b]:
                g.setdefault(o, {})[b] = g.setdefault(b, {})[o] = max(adv[o][b], adv[b][o])
    if not shared:
        for a, c in own.items():
            g.setdefault(ls.me, {})[a] = g.setdefault(a, {})[ls.me] = c
    return g


def test_incremental_links_between_originators_match_a_rebuild(rng):
    addrs = list(range(1, 13))
    me = 1
    ls = R.LinkState(me, {a: i for i, a in enumerate(addrs)}, R.RoutingParams(), lambda a: True, 0.0, -95.0, False)
    seq = dict.fromkeys(addrs, 0)
    now = 0.0
    for step in range(400):
        now += float(rng.uniform(0, 2e6))
        o = int(rng.choice(addrs))
        if rng.random() < 0.3 and o != me:  # a HELLO: neighbours (some without TCs) enter the graph
            listed = {int(b): int(rng.integers(0, 64)) | R.KEYED for b in rng.choice(addrs, 4)}
            listed[me] = 40 | R.KEYED
            ls.on_hello(o, R.HelloView(listed, {b: -50 for b in listed}, list(listed)), 20.0, -50.0, now)
        elif o != me:
            seq[o] = (seq[o] + 1) & 0xFFFF
            nbs = [{"addr": int(b), "link_quality": int(rng.integers(0, 64)), "rssi_dbm": 0}
                   for b in sorted(set(rng.choice(addrs, int(rng.integers(0, 6))).tolist()))]
            ls.on_tc(o, seq[o], {"capabilities": 0, "neighbours": nbs}, 2, now)
        if step % 7 == 0:
            ls.expire(now)
        for shared in (False, True):
            assert ls._graph(now, shared) == _reference_graph(ls, now, shared), step
