"""Frame formats of the ad-hoc mesh link, declared once with ``construct``.

All integers are little-endian. A frame is::

    MAC header   frame control (2) | seq (1) | network id (2) | dst (2) | src (2)
    [mesh hdr]   hop limit (1) | originator (2) | final dst (2) | mesh seq (2)
    [options]    total length (1) | TLV* (type 1, length 1, value)
    [security]   sec control (1: MIC length code) | key id (1) | frame counter (4)
    body         by frame type; when security is on: ciphertext, then the MIC
    FCS          CRC-32 (IEEE 802.3, mesh_phy.coding.crc.crc32) over all before it

Frame control bits: 0-1 version (0), 2-5 frame type, 6 security, 7 ack
request, 8 mesh header present, 9 options present, 10-15 reserved (zero).
Addresses: 0xFFFF broadcast, 0xFE00-0xFEFF multicast groups (point to
multipoint), everything else a node (point to point).

Options are type-length-value: a decoder keeps an option type it does not
know as raw bytes and skips over it, so newer firmware's frames still decode.

A telemetry frame carries a node's link statistics (:mod:`protocol.linkstats`):
latency bins (each with its upper edge in µs, 0xFFFFFFFF unbounded) and one
entry per neighbour.
"""

from construct import (
    GreedyBytes,
    Int8sl,
    Int8ul,
    Int16ul,
    Int32ul,
    PrefixedArray,
    Struct,
)

BROADCAST = 0xFFFF
MULTICAST_FIRST = 0xFE00
MULTICAST_LAST = 0xFEFF

FRAME_TYPES = {0: "data", 1: "ack", 2: "beacon", 3: "route", 4: "handshake", 5: "group_key", 6: "telemetry"}
FRAME_TYPE_CODES = {v: k for k, v in FRAME_TYPES.items()}
MIC_LENGTHS = {1: 4, 2: 8, 3: 16}
MIC_CODES = {v: k for k, v in MIC_LENGTHS.items()}
DATA_PROTOCOLS = {0: "raw", 1: "mavlink2"}
ROUTE_KINDS = {1: "rreq", 2: "rrep", 3: "rerr"}
# Option types. 0xC0 and up are the network model's own (protocol.netsim: MAC slot
# claims, loop-free forwarding, TC repair, jammed channels, reserved windows); every decoder skips
# types it does not know. The one table: the netsim modules, the CLI and the
# Wireshark dissector all read their codes from it.
OPTION_TYPES = {1: "timestamp_us", 2: "tx_power_dbm", 0xC0: "slot_claims", 0xC1: "visited", 0xC2: "carried",
                0xC3: "want_tc", 0xC4: "bad_channels", 0xC5: "tc_age_ms",
                0xC6: "reservations"}
OPTION_CODES = {v: k for k, v in OPTION_TYPES.items()}

# Frame control bit fields (mask, shift) of the 16-bit little-endian word.
FC_FIELDS = {"version": (0x0003, 0), "frame_type": (0x003C, 2), "security": (0x0040, 6),
             "ack_req": (0x0080, 7), "mesh": (0x0100, 8), "options": (0x0200, 9),
             "reserved": (0xFC00, 10)}

MacHeader = Struct(
    "fc" / Int16ul,
    "seq" / Int8ul,
    "net" / Int16ul,
    "dst" / Int16ul,
    "src" / Int16ul,
)

MeshHeader = Struct(
    "hop_limit" / Int8ul,
    "originator" / Int16ul,
    "final_dst" / Int16ul,
    "mesh_seq" / Int16ul,
)

Option = Struct(
    "type" / Int8ul,
    "value" / PrefixedArray(Int8ul, Int8ul),
)

SecurityHeader = Struct(
    "mic_code" / Int8ul,
    "key_id" / Int8ul,
    "counter" / Int32ul,
)

DataBody = Struct("proto" / Int8ul, "payload" / GreedyBytes)
AckBody = Struct("acked_seq" / Int8ul)
Neighbour = Struct("addr" / Int16ul, "link_quality" / Int8ul, "rssi_dbm" / Int8sl)
BeaconBody = Struct("capabilities" / Int8ul, "neighbours" / PrefixedArray(Int8ul, Neighbour))
RouteRequest = Struct("rreq_id" / Int16ul, "origin" / Int16ul, "target" / Int16ul,
                      "hop_count" / Int8ul, "metric" / Int16ul)
RouteReply = Struct("rreq_id" / Int16ul, "origin" / Int16ul, "target" / Int16ul,
                    "hop_count" / Int8ul, "metric" / Int16ul, "lifetime_s" / Int16ul)
Unreachable = Struct("addr" / Int16ul, "seq" / Int16ul)
RouteError = Struct("unreachable" / PrefixedArray(Int8ul, Unreachable))
HandshakeBody = Struct("session" / Int16ul, "message_no" / Int8ul, "message" / GreedyBytes)
GroupKeyBody = Struct("group" / Int16ul, "epoch" / Int32ul, "key_id" / Int8ul,
                      "wrapped_key" / PrefixedArray(Int8ul, Int8ul))

LatencyBin = Struct("upper_us" / Int32ul, "samples" / Int16ul)
NeighbourStats = Struct("addr" / Int16ul, "heard" / Int16ul, "received" / Int16ul, "lost" / Int16ul,
                        "duplicates" / Int16ul, "replays" / Int16ul, "rssi_avg_dbm" / Int8sl, "rssi_min_dbm" / Int8sl,
                        "rssi_max_dbm" / Int8sl, "snr_avg_db" / Int8sl, "snr_min_db" / Int8sl, "age_ms" / Int16ul)
TelemetryBody = Struct("time_ms" / Int32ul, "forgeries" / Int32ul, "replays" / Int32ul, "evictions" / Int32ul,
                       "latency" / PrefixedArray(Int8ul, LatencyBin),
                       "neighbours" / PrefixedArray(Int8ul, NeighbourStats))

BODIES = {"data": DataBody, "ack": AckBody, "beacon": BeaconBody, "handshake": HandshakeBody,
          "group_key": GroupKeyBody, "telemetry": TelemetryBody}
ROUTE_BODIES = {"rreq": RouteRequest, "rrep": RouteReply, "rerr": RouteError}
RouteKind = Struct("kind" / Int8ul)

FCS = Int32ul
MAX_FRAME = 1500  # bytes, FCS included
