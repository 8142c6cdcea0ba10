"""SM4 and SM3 throughput: ours (numpy batch) against gmssl (pure Python) and
OpenSSL through ``cryptography``, from one run."""

import os
import time

from benchmarks.timing import best_time, row
from crypto import sm3, sm4


def _once(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def run() -> list:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from gmssl import sm3 as gsm3
    from gmssl import sm4 as gsm4

    out = ["crypto (SM4 ECB encrypt, SM3)"]
    key = os.urandom(16)
    data = os.urandom(1 << 20)  # 1 MiB
    small = data[:32 << 10]  # gmssl is slow: 32 KiB for it
    mb = len(data) / 1e6

    ours = best_time(lambda: sm4.encrypt_blocks(key, data), repeat=3)
    g = gsm4.CryptSM4()
    g.set_key(key, gsm4.SM4_ENCRYPT)
    peer_g = _once(lambda: g.crypt_ecb(small)) * len(data) / len(small)
    enc = Cipher(algorithms.SM4(key), modes.ECB())

    def openssl():
        e = enc.encryptor()
        e.update(data)
        e.finalize()

    peer_o = best_time(openssl, repeat=3)
    assert sm4.encrypt_blocks(key, small) == g.crypt_ecb(small)[:len(small)]
    out.append(row("sm4.encrypt_blocks, 1 MiB", mb / ours, "MB/s", "gmssl", peer_g / ours))
    out.append(row("  (gmssl CryptSM4.crypt_ecb)", mb / peer_g, "MB/s"))
    out.append(row("  (OpenSSL via cryptography)", mb / peer_o, "MB/s", "ours", ours / peer_o))
    scalar = best_time(lambda: sm4.encrypt_block(key, data[:16]))
    out.append(row("sm4.encrypt_block, one block at a time", 16 / scalar / 1e6, "MB/s"))

    msgs = [os.urandom(1024) for _ in range(1024)]  # 1 MiB in 1 KiB messages
    ours3 = best_time(lambda: sm3.sm3_batch(msgs), repeat=3)
    one = data[:64 << 10]
    single = _once(lambda: sm3.sm3(one)) * len(data) / len(one)
    peer3_g = _once(lambda: gsm3.sm3_hash(list(one[:16 << 10]))) * len(data) / (16 << 10)

    def openssl3():
        for m in msgs:
            h = hashes.Hash(hashes.SM3())
            h.update(m)
            h.finalize()

    peer3_o = best_time(openssl3, repeat=3)
    out.append(row("sm3.sm3_batch, 1024 x 1 KiB messages", mb / ours3, "MB/s", "gmssl sm3_hash",
                   peer3_g / ours3))
    out.append(row("sm3.sm3, one 1 MiB stream", mb / single, "MB/s", "gmssl sm3_hash", peer3_g / single))
    out.append(row("  (gmssl sm3_hash)", mb / peer3_g, "MB/s"))
    out.append(row("  (OpenSSL SM3 via cryptography, same messages)", mb / peer3_o, "MB/s", "ours batch",
                   ours3 / peer3_o))
    return out
