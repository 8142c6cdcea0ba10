"""EDHOC handshakes per second per suite and method, and link AEAD MB/s per
suite with cryptography's AES-CCM (OpenSSL) as the peer, from one run."""

import os
import time

from benchmarks.timing import best_time, row
from crypto import edhoc, modes
from crypto.aead import CCMStar
from crypto.aes import AES
from crypto.sm4 import SM4


def _handshakes_per_s(method, suite, seconds=1.0):
    curve = edhoc.SUITES[suite].curve
    ki, kr = edhoc.generate_keypair(curve), edhoc.generate_keypair(curve)
    ci, cr = edhoc.make_credential("i", b"\x07", ki), edhoc.make_credential("r", b"\x01", kr)
    store = edhoc.CredentialStore([ci, cr])
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        ini = edhoc.Initiator(method, [suite], ci, ki, store)
        resp = edhoc.Responder(method, [suite], cr, kr, store)
        resp.finish(ini.message_3(resp.message_2(ini.message_1())))
        n += 1
    return n / (time.perf_counter() - t0)


def run() -> list:
    from cryptography.hazmat.primitives.ciphers.aead import AESCCM

    out = ["security (EDHOC handshakes, link AEAD)"]
    for suite in (edhoc.SUITE_2, edhoc.SUITE_SM):
        for method in edhoc.METHODS:
            out.append(row(f"EDHOC method {method}, suite {suite} (both sides)", _handshakes_per_s(method, suite),
                           "hs/s"))
    key, nonce, aad = os.urandom(16), os.urandom(13), os.urandom(20)
    frame = os.urandom(100)  # a typical link frame payload
    peer = AESCCM(key, tag_length=8)
    t_peer = best_time(lambda: peer.encrypt(nonce, frame, aad))
    for name, cipher in (("AES-CCM*", AES(key)), ("SM4-CCM*", SM4(key))):
        t = best_time(lambda c=cipher: modes.ccm_star_encrypt(c, nonce, frame, aad, 8))
        out.append(row(f"{name} MIC 8, 100-byte frames (ours)", len(frame) / t / 1e6, "MB/s",
                       "cryptography AESCCM", t_peer / t))
    out.append(row("  (cryptography AESCCM, same frames)", len(frame) / t_peer / 1e6, "MB/s"))
    for cipher in ("aes", "sm4"):  # the OpenSSL fast path, byte-identical with the above (tests/test_aead_fast.py)
        fast = CCMStar(key, cipher, 8)
        t = best_time(lambda f=fast: f.encrypt(nonce, frame, aad))
        out.append(row(f"{cipher.upper()}-CCM* MIC 8, 100-byte frames (crypto.aead fast path)", 1 / t, "frames/s",
                       "cryptography AESCCM", t_peer / t))
    big = os.urandom(60_000)  # CCM* (13-byte nonce) carries at most 65,535 bytes
    t_big = best_time(lambda: modes.ccm_star_encrypt(SM4(key), nonce, big, aad, 8), repeat=2)
    out.append(row("SM4-CCM* MIC 8, 60 kB (ours)", len(big) / t_big / 1e6, "MB/s"))
    return out
