# The SM4 driver against the SM4 engine's device model, under MicroPython:
#
#   python -m firmware_models run firmware_models/examples/sm4_demo.py
#
# (the import of firmware_models.hostbus turns the device models on; see
# python -m firmware_models --help). The same driver file drives the RTL in
# make sim BLOCK=sm4_core. Prints the engine's ID, GB/T 32907-2016 Annex A
# example 1 (encrypt, then decrypt back), and a CCM* seal and open of a
# short payload; exits 1 if the Annex A ciphertext is not the standard's.
# No asyncio here: run_sync drives each driver coroutine with send(None).
import binascii
import sys

from firmware_models.drivers.sm4 import Sm4
from firmware_models.hostbus import HostBus, run_sync

SM4_BASE = 0x40000000  # the SoC's SM4 window (rtl_verif/soc/memory_map.py)
# GB/T 32907-2016 Annex A, example 1: key = plaintext = 0123456789abcdeffedcba9876543210
KEY = binascii.unhexlify("0123456789abcdeffedcba9876543210")
ANNEX_A_CT = "681edf34d206965e86b3e94f536e4246"


def hexs(b):
    return binascii.hexlify(b).decode()


bus = HostBus()
sm4 = Sm4(bus, SM4_BASE)
run_sync(sm4.probe())
print("SM4 engine found at", hex(SM4_BASE))
run_sync(sm4.load_key(KEY))
ct = run_sync(sm4.encrypt_block(KEY))
pt = run_sync(sm4.decrypt_block(ct))
print("Annex A encrypt:", hexs(ct))
print("Annex A decrypt:", hexs(pt))
nonce = bytes(range(13))
sealed = run_sync(sm4.ccm_seal(nonce, b"hello, mesh", b"header", 8))
print("CCM* sealed:", hexs(sealed))
print("CCM* opened:", run_sync(sm4.ccm_open(nonce, sealed, b"header", 8)))
print("bus accesses:", bus.accesses)
if hexs(ct) != ANNEX_A_CT or pt != KEY:
    print("MISMATCH with GB/T 32907 Annex A", file=sys.stderr)
    sys.exit(1)
