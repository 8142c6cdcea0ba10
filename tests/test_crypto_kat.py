"""Known-answer tests from the standards (each vector cites its source)."""

import pytest

from crypto import kdf, modes, sm2, sm3, sm4, sm4_annex
from crypto.aes import AES

H = bytes.fromhex


def test_sm4_example_1():
    # GB/T 32907-2016, Annex A, example 1: key = plaintext = 0123...3210.
    k = H("0123456789abcdeffedcba9876543210")
    assert sm4.encrypt_block(k, k) == H("681edf34d206965e86b3e94f536e4246")
    assert sm4.decrypt_block(k, H("681edf34d206965e86b3e94f536e4246")) == k


def test_sm4_example_2_one_million_iterations():
    # GB/T 32907-2016, Annex A, example 2: encrypt 1,000,000 times with the same key.
    k = H("0123456789abcdeffedcba9876543210")
    c = sm4.SM4(k)
    x = k
    for _ in range(1_000_000 // 10_000):
        x = _iterate(c, x, 10_000)
    assert x == H("595298c7c6fd271f0402f804c33d3f66")


def _iterate(cipher, block, n):
    for _ in range(n):
        block = cipher.encrypt_block(block)
    return block


def test_sm4_round_keys_and_outputs_of_example_1():
    # GB/T 32907-2016 Annex A example 1: every rk_i and every X_i.
    assert sm4.expand_key(sm4_annex.KEY) == sm4_annex.ROUND_KEYS
    assert tuple(sm4.round_states(sm4_annex.KEY, sm4_annex.PLAINTEXT)) == sm4_annex.ROUND_OUTPUTS


def test_sm4_ctr_example():
    # SM4-CTR example of the SM4 specification's appendix (draft-ribose-cfrg-sm4,
    # "Examples For Various Modes Of Operations"), verifiable with OpenSSL.
    pt = H("AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
           "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA")
    ct = modes.ctr(sm4.SM4(sm4_annex.KEY), sm4_annex.KEY, pt)
    assert ct == H("C2B4759E78AC3CF43D0852F4E8D5F9FD7256E8A5FCB65A350EE00630912E4449"
                   "2A0B17E1B85B060D0FBA612D8A95831638B361FD5FFACD942F081485A83CA35D")


def test_sm3_examples():
    # GB/T 32905-2016, Annex A: example 1 ("abc") and example 2 ("abcd" x 16).
    assert sm3.sm3(b"abc").hex() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert sm3.sm3(b"abcd" * 16).hex() == "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"


def test_sm2_signature_example_on_the_annex_curve():
    # GB/T 32918.2-2016 Annex A.2 (Fp-256): ID ALICE123@YAHOO.COM, "message digest".
    c = sm2.TEST_FP256
    d = 0x128B2FA8BD433C6C068C8D803DFF79792A519A55171B1B650C23661D15897263
    pub = sm2.multiply(c, d, sm2.generator(c))
    assert pub == (0x0AE4C7798AA0F119471BEE11825BE46202BB79E2A5844495E97C04FF4DF2548A,
                   0x7C0240F88F1CD4E16352A73C17B7F16F07353E53A176D684A9FE0C6BB798E857)
    uid = b"ALICE123@YAHOO.COM"
    assert sm2.z_a(c, uid, pub) == H("F4A38489E32B45B6F876E3AC2168CA392362DC8F23459C1D1146FC3DBFB7BC9A")
    k = 0x6CB28D99385C175C94F94E934817663FC176D925DD72B727260DBAAE1FB2F96F
    r, s = sm2.sign(c, d, b"message digest", uid, k=k)
    assert r == 0x40F1EC59F793D9F49E09DCEF49130D4194F79FB1EED2CAA55BACDB49C4E755D1
    assert s == 0x6FC6DAC32C5D5CF10C77DFB20F7C2EB667A457872FB09EC56327A67EC7DEEBE7
    sm2.verify(c, pub, b"message digest", (r, s), uid)


@pytest.mark.parametrize("curve", [sm2.SM2P256V1, sm2.TEST_FP256])
def test_curve_parameters_are_consistent(curve):
    g = sm2.generator(curve)
    assert sm2.on_curve(curve, g)
    # n is the order of G: (n-1)G = -G, so (n-1)G + G is the point at infinity
    m = sm2.multiply(curve, curve.n - 1, g)
    assert m == (g[0], (-g[1]) % curve.p)
    assert sm2.add(curve, m, g) is sm2.INFINITY


RFC8998_KEY = H("0123456789ABCDEFFEDCBA9876543210")
RFC8998_IV = H("00001234567800000000ABCD")
RFC8998_AAD = H("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
RFC8998_PT = H("AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
               "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA")


def test_rfc8998_sm4_gcm():
    # RFC 8998, Appendix A.1.
    ct, tag = modes.gcm_encrypt(sm4.SM4(RFC8998_KEY), RFC8998_IV, RFC8998_PT, RFC8998_AAD)
    assert ct == H("17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
                   "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D")
    assert tag == H("83DE3541E4C2B58177E065A9BF7B62EC")
    assert modes.gcm_decrypt(sm4.SM4(RFC8998_KEY), RFC8998_IV, ct, tag, RFC8998_AAD) == RFC8998_PT


def test_rfc8998_sm4_ccm():
    # RFC 8998, Appendix A.2.
    ct, tag = modes.ccm_encrypt(sm4.SM4(RFC8998_KEY), RFC8998_IV, RFC8998_PT, RFC8998_AAD)
    assert ct == H("48AF93501FA62ADBCD414CCE6034D895DDA1BF8F132F042098661572E7483094"
                   "FD12E518CE062C98ACEE28D95DF4416BED31A2F04476C18BB40C84A74B97DC5B")
    assert tag == H("16842D4FA186F56AB33256971FA110F4")
    assert modes.ccm_decrypt(sm4.SM4(RFC8998_KEY), RFC8998_IV, ct, tag, RFC8998_AAD) == RFC8998_PT


@pytest.mark.parametrize("key_len,expected", [
    (16, "69c4e0d86a7b0430d8cdb78070b4c55a"),  # FIPS-197 C.1
    (24, "dda97ca4864cdfe06eaf70a0ec0d7191"),  # FIPS-197 C.2
    (32, "8ea2b7ca516745bfeafc49904b496089"),  # FIPS-197 C.3
])
def test_aes_fips197_appendix_c(key_len, expected):
    a = AES(bytes(range(key_len)))
    pt = H("00112233445566778899aabbccddeeff")
    assert a.encrypt_block(pt).hex() == expected
    assert a.decrypt_block(H(expected)) == pt
    assert a.encrypt_blocks(pt * 5) == H(expected) * 5


def test_aes_sbox_first_values():
    # FIPS-197 Figure 7: S(00) = 63, S(01) = 7c, S(53) = ed.
    from crypto.aes import SBOX
    assert SBOX[0] == 0x63 and SBOX[1] == 0x7C and SBOX[0x53] == 0xED


def test_rfc3610_packet_vector_1():
    # RFC 3610, Packet Vector #1 (AES-128 CCM, 13-byte nonce, 8-byte tag).
    a = AES(H("C0C1C2C3C4C5C6C7C8C9CACBCCCDCECF"))
    nonce = H("00000003020100A0A1A2A3A4A5")
    packet = H("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E")
    ct, tag = modes.ccm_encrypt(a, nonce, packet[8:], packet[:8], 8)
    assert ct + tag == H("588C979A61C663D2F066D0C2C0F989806D5F6B61DAC38417E8D12CFDF926E0")


def test_hkdf_rfc5869_case_1():
    # RFC 5869, A.1 (SHA-256).
    prk = kdf.hkdf_extract("sha256", bytes(range(13)), bytes([0x0B]) * 22)
    assert prk == H("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5")
    okm = kdf.hkdf_expand("sha256", prk, bytes(range(0xF0, 0xFA)), 42)
    assert okm == H("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")


def test_hmac_rfc4231_case_2():
    # RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?".
    assert kdf.hmac("sha256", b"Jefe", b"what do ya want for nothing?") == H(
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
