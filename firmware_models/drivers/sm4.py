# Driver of the SM4 engine (rtl_verif/rtl/sm4_core.sv; registers:
# docs/registers/sm4_core.md), for MicroPython and CPython.
#
#   sm4 = Sm4(bus, base)
#   await sm4.probe()                       # checks the ID register
#   await sm4.load_key(key)                 # 16 bytes, GB/T 32907 byte order
#   await sm4.encrypt_block(block) / decrypt_block(block) -> 16 bytes
#   await sm4.ecb(data, decrypt=False) -> bytes (whole 16-byte blocks)
#   await sm4.ccm_seal(nonce, payload, aad=b"", mic_len=8) -> ciphertext + MIC
#   await sm4.ccm_open(nonce, data, aad=b"", mic_len=8) -> payload
#   frame_nonce(src, net, key_id, counter, mic_len) -> the 13-byte nonce of a secured mesh frame
#
# Blocks go through DIN0..3 / CTRL.START / DOUT0..3, one at a time (the
# stream port is for the radio's datapath). CCM* is IEEE 802.15.4's (13-byte
# nonce, 2-byte length field, MIC of 4, 8 or 16 bytes) with SM4 as the block
# cipher, the MIC checked in constant time; a frame that does not verify
# raises DriverError and releases no plaintext.
#
# A secured mesh frame (protocol/security.py, layout protocol/frames.py) is
# CCM* with the nonce of frame_nonce and, as associated data, every header
# byte before the ciphertext (MAC, mesh, options and security headers):
#   n = frame_nonce(src, net, key_id, counter, mic_len)
#   frame = header + await sm4.ccm_seal(n, body, header, mic_len)   # then the FCS (mesh_codec.crc32)
#   body = await sm4.ccm_open(n, ciphertext + mic, header, mic_len)  # the parts mesh_codec.decode gives

from firmware_models.drivers.bus import DriverError, byteslike, check_id, flag, integer, wait
from firmware_models.regs import sm4_core as R

_KEY = (R.KEY0, R.KEY1, R.KEY2, R.KEY3)
_DIN = (R.DIN0, R.DIN1, R.DIN2, R.DIN3)
_DOUT = (R.DOUT0, R.DOUT1, R.DOUT2, R.DOUT3)
NONCE_LEN = 13
MIC_LENS = (4, 8, 16)
MAX_PAYLOAD = 0xFFFF  # the 2-byte length field
MAX_AAD = 0xFEFF  # a 2-byte AAD length encoding


def _mic_len(mic_len):
    if isinstance(mic_len, bool) or not isinstance(mic_len, int) or mic_len not in MIC_LENS:
        raise DriverError("mic_len must be 4, 8 or 16")
    return mic_len


def frame_nonce(src, net, key_id, counter, mic_len):
    # src (2) | network id (2) | key id (1) | frame counter (4) | security level (1: the MIC length
    # code, 1/2/3 for 4/8/16 bytes) | 00 00 00, all big-endian: protocol.security.nonce's layout
    src = integer(src, "src", 0, 0xFFFF)
    net = integer(net, "net", 0, 0xFFFF)
    key_id = integer(key_id, "key_id", 0, 0xFF)
    counter = integer(counter, "counter", 0, 0xFFFFFFFF)
    return (src.to_bytes(2, "big") + net.to_bytes(2, "big") + bytes((key_id,)) + counter.to_bytes(4, "big")
            + bytes((MIC_LENS.index(_mic_len(mic_len)) + 1, 0, 0, 0)))


def _word(b, j):
    # big-endian 32-bit word of b[j:j+4], without slicing
    return (b[j] << 24) | (b[j + 1] << 16) | (b[j + 2] << 8) | b[j + 3]


class Sm4:
    def __init__(self, bus, base=0):
        self.bus = bus
        self.base = base = integer(base, "base", 0, 0xFFFFFF00)
        self._keyed = False
        # addresses computed once: at 0x4000_0000 and above they are long ints
        # on MicroPython, and every sum would allocate one
        self._din = tuple(base + a for a in _DIN)
        self._dout = tuple(base + a for a in _DOUT)
        self._ctrl = base + R.CTRL
        self._status = base + R.STATUS

    async def probe(self):
        await check_id(self.bus, self.base + R.ID, R.ID_RESET, "sm4_core")

    async def load_key(self, key):
        key = byteslike(key, "key", 16)
        for i in range(4):
            await self.bus.write32(self.base + _KEY[i], _word(key, 4 * i))
        await self.bus.write32(self.base + R.CTRL, R.CTRL_KEY_LOAD)
        await wait(self.bus, self.base + R.STATUS, R.STATUS_KEY_READY, "the SM4 key schedule")
        self._keyed = True

    async def _block(self, block, decrypt, out):
        # one block (16 bytes, any buffer) through the engine into out (a bytearray(16))
        if not self._keyed:
            raise DriverError("load_key before using the SM4 engine")
        bus = self.bus
        for i in range(4):
            await bus.write32(self._din[i], _word(block, 4 * i))
        await bus.write32(self._ctrl, R.CTRL_START | (R.CTRL_DECRYPT if decrypt else 0))
        await wait(bus, self._status, R.STATUS_DOUT_VALID, "an SM4 block")
        for i in range(4):
            v = await bus.read32(self._dout[i])
            for j in range(4):
                out[4 * i + j] = (v >> (24 - 8 * j)) & 0xFF

    async def encrypt_block(self, block):
        out = bytearray(16)
        await self._block(byteslike(block, "block", 16), False, out)
        return bytes(out)

    async def decrypt_block(self, block):
        out = bytearray(16)
        await self._block(byteslike(block, "block", 16), True, out)
        return bytes(out)

    async def ecb(self, data, decrypt=False):
        data = byteslike(data, "data")
        decrypt = flag(decrypt, "decrypt")
        if len(data) % 16:
            raise DriverError("data must be whole 16-byte blocks, got " + str(len(data)) + " bytes")
        out = bytearray(len(data))
        blk = bytearray(16)
        mv = memoryview(data)
        for k in range(0, len(data), 16):
            await self._block(mv[k:k + 16], decrypt, blk)
            out[k:k + 16] = blk
        return bytes(out)

    # ---- CCM* ----

    def _ccm_args(self, nonce, data, aad, mic_len, sealed):
        # checked (nonce, data, aad, payload length); sealed: data ends with the MIC
        nonce = byteslike(nonce, "nonce", NONCE_LEN)
        data = byteslike(data, "data" if sealed else "payload")
        aad = byteslike(aad, "aad")
        _mic_len(mic_len)
        if len(aad) > MAX_AAD:
            raise DriverError("aad longer than " + str(MAX_AAD) + " bytes")
        n = len(data) - mic_len if sealed else len(data)
        if n < 0:
            raise DriverError("data shorter than its " + str(mic_len) + "-byte MIC")
        if n > MAX_PAYLOAD:
            raise DriverError("payload longer than " + str(MAX_PAYLOAD) + " bytes")
        return nonce, data, aad, n

    async def _mac(self, nonce, aad, payload, mic_len):
        # CBC-MAC over B0, the encoded AAD and the payload, zero-padded blocks;
        # returns the 16-byte chaining value (the MIC is its first mic_len bytes)
        flags = (0x40 if aad else 0) | ((mic_len - 2) // 2) << 3 | 1
        x = bytearray(16)
        await self._block(bytes([flags]) + nonce + len(payload).to_bytes(2, "big"), False, x)
        buf = bytearray(16)
        for part in ((len(aad).to_bytes(2, "big") + aad) if aad else b"", payload):
            for k in range(0, len(part), 16):
                n = min(16, len(part) - k)
                for i in range(16):
                    buf[i] = x[i] ^ part[k + i] if i < n else x[i]
                await self._block(buf, False, x)
        return x

    async def _ctr(self, nonce, data, n, out):
        # out[:n] = data[:n] XOR S1 S2 ... (counter blocks A_i = 01 nonce i); returns S0, the MIC mask
        a = bytearray(b"\x01" + nonce + b"\x00\x00")
        s0 = bytearray(16)
        await self._block(a, False, s0)
        s = bytearray(16)
        for k in range(0, n, 16):
            i = k // 16 + 1
            a[14], a[15] = i >> 8, i & 0xFF
            await self._block(a, False, s)
            for j in range(min(16, n - k)):
                out[k + j] = data[k + j] ^ s[j]
        return s0

    async def ccm_seal(self, nonce, payload, aad=b"", mic_len=8):
        nonce, payload, aad, n = self._ccm_args(nonce, payload, aad, mic_len, False)
        mac = await self._mac(nonce, aad, payload, mic_len)
        out = bytearray(n + mic_len)
        s0 = await self._ctr(nonce, payload, n, out)
        for i in range(mic_len):
            out[n + i] = mac[i] ^ s0[i]
        return bytes(out)

    async def ccm_open(self, nonce, data, aad=b"", mic_len=8):
        nonce, data, aad, n = self._ccm_args(nonce, data, aad, mic_len, True)
        pt = bytearray(n)
        s0 = await self._ctr(nonce, data, n, pt)
        mac = await self._mac(nonce, aad, pt, mic_len)
        diff = 0
        for i in range(mic_len):
            diff |= mac[i] ^ s0[i] ^ data[n + i]
        if diff:
            raise DriverError("CCM* MIC does not verify")
        return bytes(pt)

