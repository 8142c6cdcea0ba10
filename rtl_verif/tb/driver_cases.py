"""The firmware driver tests' cases and their golden expectations, made on
the host (CPython) for both worlds: tests/test_drivers.py runs them under
MicroPython on the device models, each block's cocotb testbench on the RTL
(``make sim``), both through rtl_verif/tb/driver_runner.py.

Expectations come from the golden models, which are checked elsewhere
against standards and independent libraries: crypto.sm4 (GB/T 32907 Annex
A), crypto.aead.CCMStar (OpenSSL, and crypto.modes), sensor_dsp.cordic,
mesh_phy.coding.viterbi. Every case dict is JSON (hex strings for bytes).
"""

import numpy as np

from crypto import sm4, sm4_annex
from crypto.aead import CCMStar
from mesh_phy.coding import conv, viterbi
from protocol import codec, security
from protocol import frames as F
from sensor_dsp import cordic


def _case(block: str, base: int, expect: dict, **kw) -> tuple:
    return {"block": block, "base": base, **kw}, expect


def sm4_cases(rng, base: int = 0, n_ccm: int = 3) -> list:
    key = rng.randbytes(16)
    data = rng.randbytes(48)
    out = [
        # GB/T 32907-2016 Annex A, example 1
        _case("sm4_core", base, {"out": sm4_annex.CIPHERTEXT.hex()}, op="ecb", key=sm4_annex.KEY.hex(),
              data=sm4_annex.PLAINTEXT.hex(), decrypt=False),
        _case("sm4_core", base, {"out": sm4_annex.PLAINTEXT.hex()}, op="ecb", key=sm4_annex.KEY.hex(),
              data=sm4_annex.CIPHERTEXT.hex(), decrypt=True),
        _case("sm4_core", base, {"out": sm4.encrypt_blocks(key, data).hex()}, op="ecb", key=key.hex(),
              data=data.hex(), decrypt=False),
        _case("sm4_core", base, {"out": sm4.decrypt_blocks(key, data).hex()}, op="ecb", key=key.hex(),
              data=data.hex(), decrypt=True),
        _case("sm4_core", base, {"error": "16 bytes"}, op="ecb", key=key.hex()[:-2], data=data.hex(), decrypt=False),
        _case("sm4_core", base, {"error": "whole 16-byte blocks"}, op="ecb", key=key.hex(), data=data[:20].hex(),
              decrypt=False),
    ]
    for i in range(n_ccm):
        mic = (4, 8, 16)[i % 3]
        nonce, pt, aad = rng.randbytes(13), rng.randbytes(rng.choice((0, 1, 16, 17, 45))), rng.randbytes(
            rng.choice((0, 5, 21)))
        sealed = CCMStar(key, "sm4", mic).encrypt(nonce, pt, aad)
        args = {"key": key.hex(), "nonce": nonce.hex(), "aad": aad.hex(), "mic": mic}
        out.append(_case("sm4_core", base, {"out": sealed.hex()}, op="ccm_seal", data=pt.hex(), **args))
        out.append(_case("sm4_core", base, {"out": pt.hex()}, op="ccm_open", data=sealed.hex(), **args))
        bad = bytearray(sealed)
        bad[rng.randrange(len(bad))] ^= 1 << rng.randrange(8)  # one bit flipped anywhere: refused
        out.append(_case("sm4_core", base, {"error": "MIC does not verify"}, op="ccm_open", data=bad.hex(), **args))
    return out + sm4_frame_cases(rng, base, key)


def sm4_frame_cases(rng, base: int, key: bytes) -> list:
    """CCM* for real secured mesh frames: protocol.security protects a unicast
    frame (mesh header, 8-byte MIC) and a group frame (an option, 4-byte
    MIC) under SM4 with a random key id and frame counter; the driver must
    seal the body with the header as associated data into the same bytes
    (FCS included), open the frame back to its body, and refuse it once a
    header byte (the destination) is altered and the FCS recomputed."""
    out = []
    for dst, mic, opts in ((rng.randrange(1, F.MULTICAST_FIRST), 8, None),
                           (rng.randrange(F.MULTICAST_FIRST, F.MULTICAST_LAST + 1), 4,
                            [{"type": 1, "value": rng.randbytes(3)}])):
        src = rng.randrange(1, F.MULTICAST_FIRST)
        while src == dst:
            src = rng.randrange(1, F.MULTICAST_FIRST)
        link = security.SecureLink(src)
        lk = security.LinkKey(rng.randrange(256), key, "sm4", mic)
        link.install(lk, dst)
        link.tx_counter[dst] = counter = rng.randrange(security.MAX_COUNTER)  # a frame deep in the key's life
        frame = {"type": "data", "version": 0, "seq": rng.randrange(256), "net": rng.randrange(0x10000), "dst": dst,
                 "src": src, "ack_req": False, "options": opts, "security": None,
                 "mesh": {"hop_limit": 3, "originator": src, "final_dst": dst, "mesh_seq": 9} if opts is None else None,
                 "body": {"proto": "mavlink2", "payload": rng.randbytes(rng.choice((1, 15, 33)))}}
        sealed = link.protect(frame)
        body = codec.encode_body("data", frame["body"])
        header = sealed[:len(sealed) - 4 - len(body) - mic]
        args = {"key": key.hex(), "src": src, "net": frame["net"], "key_id": lk.key_id, "counter": counter, "mic": mic}
        out.append(_case("sm4_core", base, {"out": sealed.hex()}, op="frame_seal", header=header.hex(),
                         data=body.hex(), **args))
        out.append(_case("sm4_core", base, {"out": body.hex()}, op="frame_open", data=sealed.hex(), **args))
        bad = bytearray(sealed[:-4])
        bad[5] ^= 1 << rng.randrange(8)  # the destination's low byte (MAC header: fc 2, seq 1, net 2, dst 2)
        bad += codec.crc32(bytes(bad)).to_bytes(4, "little")
        out.append(_case("sm4_core", base, {"error": "MIC does not verify"}, op="frame_open", data=bad.hex(), **args))
    return out


def cordic_cases(rng, in_w: int = 16, out_w: int = 16, iterations: int = 16, base: int = 0,
                 n_random: int = 12) -> list:
    lo, hi = -(1 << (in_w - 1)), (1 << (in_w - 1)) - 1
    pts = [(hi, 0), (0, hi), (lo, 0), (0, lo), (lo, lo), (hi, hi), (0, 0), (1, -1), (-1, 0)]
    pts += [(rng.randint(lo, hi), rng.randint(lo, hi)) for _ in range(n_random)]
    xs, ys = np.array([p[0] for p in pts]), np.array([p[1] for p in pts])
    ang, mag = cordic.atan2_fixed(ys, xs, in_width=in_w, out_width=out_w, iterations=iterations)
    expect = [[int(a), int(m)] for a, m in zip(ang, mag, strict=True)]
    return [_case("cordic_csr", base, {"out": expect}, points=[list(p) for p in pts]),
            _case("cordic_csr", base, {"error": "x must be an int"}, points=[[hi + 1, 0]])]


def viterbi_cases(rng, soft_w: int = 6, tb_len: int = 64, base: int = 0, lengths=(30, 90)) -> list:
    nprng = np.random.default_rng(rng.getrandbits(32))
    q = (1 << (soft_w - 1)) - 1
    out = []
    for i, n in enumerate(lengths):
        terminated = i % 2 == 0
        info = nprng.integers(0, 2, n, dtype=np.uint8)
        if terminated:
            info[-6:] = 0
        coded = conv.encode(info, "1/2")
        sigma = 0.8  # Eb/N0 about 1.9 dB: some frames decode with errors, bit-exactly as the model
        llr = 2 * ((1 - 2.0 * coded) + sigma * nprng.standard_normal(coded.size)) / sigma**2
        soft = viterbi.to_soft(llr, soft_w)
        bits = viterbi.decode(soft, "1/2", traceback=tb_len, soft_bits=soft_w, terminated=terminated)
        out.append(_case("viterbi_csr", base, {"out": "".join(str(int(b)) for b in bits)},
                         soft=[int(s) for s in soft], terminated=terminated))
    out.append(_case("viterbi_csr", base, {"error": "soft values must be ints"}, soft=[q + 1, 0],
                     terminated=True))
    return out


async def run_all(bus, cases: list) -> list:
    """Each case through the driver runner on a bus (CPython: cocotb or asyncio)."""
    from rtl_verif.tb.driver_runner import run_case

    return [await run_case(bus, c) for c, _ in cases]


def check(cases: list, results: list) -> list:
    """Failures (strings) of results against the cases' expectations."""
    if len(results) != len(cases):
        return [f"{len(results)} results for {len(cases)} cases"]
    bad = []
    for k, ((case, expect), got) in enumerate(zip(cases, results, strict=True)):
        if "error" in expect:
            ok = expect["error"] in got.get("error", "")
        else:
            ok = got == expect
        if not ok:
            what = {key: v for key, v in case.items() if key not in ("soft", "points")}
            bad.append(f"case {k} {what}: got {str(got)[:200]}, expected {str(expect)[:200]}")
    return bad
