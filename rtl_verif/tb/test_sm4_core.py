"""Testbench of rtl/sm4_core.sv (top, register block, key memory, round
engine, S-box) against crypto.sm4 (checked against GB/T 32907-2016 Annex A).

Testplan: rtl_verif/plans/sm4_core.yaml. Environment: ``Sm4Env`` = the shared
``RegStreamEnv`` (rtl_verif/tb/axil_bus.py: clock, reset, AXI4-Stream source,
sink and monitors, AXI4-Lite master and monitor, register scoreboard,
register / interrupt / status coverage) plus SM4's predictor, which works
from the monitors only: the key is the one in KEY0..KEY3 when the register
monitor saw CTRL.KEY_LOAD written, the direction CTRL.DECRYPT as last written;
a stream block is predicted when the *input monitor* sees it accepted
(blocks are 128-bit beats, big-endian: beat = int.from_bytes(block, "big")),
a bus block when START is written (DIN0..DIN3 as written), and compared with
the output monitor and with DOUT0..DOUT3 as read after STATUS.DOUT_VALID.

Key and direction change only with the stream source idle (every sent block
accepted), so no change races an acceptance; a key load may still find a
block in its rounds ("while busy": the schedule waits for it, and the block
keeps the old key).

Registers are reached through the generated register model
(rtl_verif/regs/models/sm4_core.py, from rtl_verif/regs/sm4_core.rdl).
"""

import random

import cocotb
from cocotb.triggers import ClockCycles, RisingEdge

from crypto import sm4, sm4_annex
from firmware_models.drivers.sm4 import Sm4
from rtl_verif.regs.models.sm4_core import REGMAP
from rtl_verif.tb import driver_cases, fcov
from rtl_verif.tb.axil_bus import OKAY, BusOpScoreboard, RegStreamEnv, strobe_mask
from rtl_verif.tb.axis_tb import (
    IDLE,
    STALL,
    HandshakeLog,
    HandshakeWaits,
    Stimulus,
    coverage_closure,
    export_coverage,
    make_frame,
    n_frames,
    seed,
)

CTRL, STATUS = REGMAP.reg("CTRL"), REGMAP.reg("STATUS")
IRQ_STATUS, IRQ_ENABLE = REGMAP.reg("IRQ_STATUS"), REGMAP.reg("IRQ_ENABLE")
KEY_LOAD, START = CTRL.field("KEY_LOAD").mask, CTRL.field("START").mask
DOUTS = tuple(f"DOUT{i}" for i in range(4))
RESET_STATES = ("idle", "block_busy", "output_pending", "key_busy")
FRAME_EDGES = (1, 2, 4)  # blocks per stream frame: 1, 2-3, >= 4


def words(b: bytes) -> tuple:
    """Four big-endian 32-bit words of a 16-byte block (word 0 = bytes 0..3)."""
    return tuple(int.from_bytes(b[4 * i:4 * i + 4], "big") for i in range(4))


def cipher(key: bytes, block: bytes, decrypt: bool) -> bytes:
    return (sm4.decrypt_block if decrypt else sm4.encrypt_block)(key, block)


class Sm4Stimulus(Stimulus):
    """Stream blocks predicted from the input monitor with the key and
    direction the register monitor saw programmed."""

    def __init__(self, env):
        self.env = env

    def predict(self, rx):
        env = self.env
        return [int.from_bytes(env.expect_block(int(b).to_bytes(16, "big"), "stream"), "big") for b in rx.tdata]

    def frame(self, rng):
        return make_frame([rng.getrandbits(128) for _ in range(rng.randint(1, 5))])

    def cover_points(self):
        return (fcov.Point("cg_stream.frame_len",
                           lambda t: fcov.len_bin(t.beats, FRAME_EDGES) if t.side == "in" else None,
                           fcov.len_bins(FRAME_EDGES)),)


class Sm4Env(RegStreamEnv):
    """The register environment plus SM4's key/direction predictor, the
    bus-block scoreboard, handshake-wait observers and SM4's covergroups."""

    def __init__(self, dut):
        super().__init__(dut, REGMAP)

    def _extra_agents(self):
        super()._extra_agents()
        dut = self.dut
        self.key = None  # the key of the last KEY_LOAD the monitor saw
        self.blocks_since_key = 0
        self.prev_dir = None
        self.reg_mon.subscribe(self._on_reg)
        shadow = self.reg_sb.shadow
        self.bus_sb = BusOpScoreboard(
            "sm4_core bus blocks", REGMAP, shadow, self.log,
            start=lambda t: t.write and REGMAP.at(t.word) is CTRL and bool(t.data & strobe_mask(t.strb) & START),
            predict=self._predict_bus, ready=("STATUS", "DOUT_VALID"))
        self.reg_mon.subscribe(self.bus_sb.observe)
        self.cov_block = fcov.Sampler("sm4_core", (
            fcov.Point("cg_block.dir", lambda b: b["dir"], ("encrypt", "decrypt")),
            fcov.Point("cg_block.path", lambda b: b["path"], ("stream", "bus")),
            fcov.Point("cg_block.mode", lambda b: b["mode"], ("same", "changed")),
            fcov.Point("cg_block.key_age", lambda b: b["key_age"], ("first_after_load", "later")),
        ), (("cg_block.dir_x_path", ("cg_block.dir", "cg_block.path")),
            ("cg_block.mode_x_path", ("cg_block.mode", "cg_block.path"))))
        self.cov_key = fcov.Sampler("sm4_core", (
            fcov.Point("cg_key.load_while", lambda s: s, ("engine_idle", "block_in_rounds")),))
        self.cov_flow = fcov.Sampler("sm4_core", (
            fcov.Point("cg_backpressure.in_wait", lambda w: w[1] if w[0] == "in" else None,
                       ("taken_at_once", "waited_for_engine")),
            fcov.Point("cg_backpressure.out_wait", lambda w: w[1] if w[0] == "out" else None,
                       ("taken_at_once", "sink_stalled")),))
        self.cov_reset = fcov.Sampler("sm4_core", (fcov.Point("cg_reset_state.point", lambda s: s, RESET_STATES),))
        self.in_waits, self.out_waits = HandshakeWaits(dut, "s_axis"), HandshakeWaits(dut, "m_axis")
        self.in_waits.subs.append(lambda w: self.cov_flow(("in", "waited_for_engine" if w else "taken_at_once")))
        self.out_waits.subs.append(lambda w: self.cov_flow(("out", "sink_stalled" if w else "taken_at_once")))

    # ---- prediction from the register monitor ----
    def _on_reg(self, t):
        if not (t.write and t.resp == OKAY and REGMAP.at(t.word) is CTRL):
            return
        if t.data & strobe_mask(t.strb) & KEY_LOAD:
            shadow = self.reg_sb.shadow
            self.key = b"".join(shadow.value[f"KEY{i}"].to_bytes(4, "big") for i in range(4))
            self.blocks_since_key = 0
            self.cov_key("block_in_rounds" if int(self.dut.u_round.busy.value) else "engine_idle")

    def expect_block(self, block: bytes, path: str) -> bytes:
        """The golden output of one block entering the engine now, and its coverage."""
        decrypt = bool(self.reg_sb.shadow.field("CTRL", "DECRYPT"))
        if self.key is None:
            raise AssertionError(f"sm4_core: a {path} block {block.hex()} was taken with no key loaded "
                                 f"(SEED={seed()})")
        d = "decrypt" if decrypt else "encrypt"
        self.cov_block({"dir": d, "path": path, "mode": "changed" if self.prev_dir not in (None, d) else "same",
                        "key_age": "later" if self.blocks_since_key else "first_after_load"})
        self.prev_dir = d
        self.blocks_since_key += 1
        return cipher(self.key, block, decrypt)

    def _predict_bus(self, shadow) -> dict:
        if self.key is None:
            return {}  # START with no key: the block waits for one (the CSR test's pulse)
        din = b"".join(shadow.value[f"DIN{i}"].to_bytes(4, "big") for i in range(4))
        return dict(zip(DOUTS, words(self.expect_block(din, "bus")), strict=True))

    async def reset(self, cycles: int = 3):
        if getattr(self, "resets", 0):  # not the reset that starts the test (the DUT's state is X before it)
            self.cov_reset(self.reset_state())
        self.resets = getattr(self, "resets", 0) + 1
        await super().reset(cycles)
        self.key, self.prev_dir, self.blocks_since_key = None, None, 0

    def reset_state(self) -> str:
        """What the DUT is doing right now (sampled into cg_reset_state before a reset)."""
        dut = self.dut
        if int(dut.u_key.busy.value):
            return "key_busy"
        if int(dut.m_axis_tvalid.value):
            return "output_pending"
        return "block_busy" if int(dut.u_round.busy.value) else "idle"

    # ---- sequences ----
    async def load_key(self, key: bytes, decrypt: bool = False):
        for i, w in enumerate(words(key)):
            await self.regs.write(f"KEY{i}", w)
        await self.regs.write("CTRL", CTRL.encode(DECRYPT=int(decrypt), KEY_LOAD=1))
        await self.regs.poll("STATUS", "KEY_READY")

    async def set_mode(self, decrypt: bool):
        await self.regs.write("CTRL", CTRL.encode(DECRYPT=int(decrypt)))

    async def bus_block(self, block: bytes) -> bytes:
        """One block through DIN, START and DOUT (direction and key as programmed)."""
        for i, w in enumerate(words(block)):
            await self.regs.write(f"DIN{i}", w)
        await self.regs.write("CTRL", CTRL.encode(DECRYPT=self.reg_sb.shadow.field("CTRL", "DECRYPT"), START=1))
        await self.regs.poll("STATUS", "DOUT_VALID")
        return b"".join([(await self.regs.read(r)).to_bytes(4, "big") for r in DOUTS])

    async def quiet(self, outputs_too: bool):
        """Until every sent block was accepted (and, with ``outputs_too``, came out)."""
        await self.source.wait()
        while self.in_mon.active or (outputs_too and (self.sb.expected or self.out_mon.active)):
            await RisingEdge(self.dut.clk)


async def _env(dut, attach: bool = True) -> Sm4Env:
    env = await Sm4Env.started(dut)
    if attach:
        env.attach(Sm4Stimulus(env))
    return env


async def _finish(env, min_stream: int = 0, min_bus: int = 0):
    """Drain, then every scoreboard's verdict; the coverage database in any case."""
    try:
        if hasattr(env, "sb"):
            await env.drain(200_000)
            env.stop_checking()
            env.sb.report(min_compared=min_stream)
        env.final_checks(min_bus)
    finally:
        export_coverage()


@cocotb.test()
async def test_standard_example(dut):
    """GB/T 32907-2016 Annex A example 1: encryption and decryption, stream and bus."""
    env = await _env(dut)
    await env.load_key(sm4_annex.KEY)
    await env.source.send(make_frame([int.from_bytes(sm4_annex.PLAINTEXT, "big")]))
    await env.quiet(outputs_too=True)
    assert env.sb.last_got == [int.from_bytes(sm4_annex.CIPHERTEXT, "big")], "Annex A example 1 encryption"
    await env.set_mode(True)
    await env.source.send(make_frame([int.from_bytes(sm4_annex.CIPHERTEXT, "big")]))
    assert await env.bus_block(sm4_annex.CIPHERTEXT) == sm4_annex.PLAINTEXT, "Annex A example 1 decryption (bus)"
    await _finish(env, min_stream=2, min_bus=1)


@cocotb.test()
@cocotb.parametrize(src_idle=IDLE, sink_stall=STALL)
async def test_random_traffic(dut, src_idle, sink_stall):
    """Random keys, blocks and frames of 1-5 blocks; the key changes every 1..8
    frames (half of the loads while a block is in its rounds), the direction
    at random; source idles and sink stalls as parametrised."""
    env = await _env(dut)
    env.set_flow(src_idle, sink_stall)
    rng = env.rng
    decrypt, left, n_blocks = False, 0, 0
    frames = n_frames(60)
    for _ in range(frames):
        change_key, change_mode = left == 0, rng.random() < 0.2
        if change_key:
            left = rng.randint(1, 8)
            busy = rng.random() < 0.5
            await env.quiet(outputs_too=not busy)
            if busy:  # wait until the last block is in its rounds (not yet out)
                for _ in range(40):
                    if int(dut.u_round.busy.value):
                        break
                    await RisingEdge(dut.clk)
            decrypt ^= change_mode
            await env.load_key(rng.randbytes(16), decrypt)
        elif change_mode:
            await env.quiet(outputs_too=rng.random() < 0.5)
            decrypt = not decrypt
            await env.set_mode(decrypt)
        left -= 1
        f = Sm4Stimulus(env).frame(rng)
        n_blocks += len(f.tdata)
        await env.source.send(f)
    await _finish(env, min_stream=frames)
    dut._log.info("sm4_core: %d stream blocks in %d frames bit-exact", n_blocks, frames)


@cocotb.test()
async def test_round_values(dut):
    """Every round key rk_0..rk_31 in the key store after the schedule and every
    round output X_4..X_35 of Annex A example 1, clock by clock."""
    env = await _env(dut)
    await env.load_key(sm4_annex.KEY, False)
    keys = tuple(int(dut.u_key.rk[i].value) for i in range(32))
    assert keys == sm4_annex.ROUND_KEYS, "round-key store differs from GB/T 32907 Annex A"
    outputs = []

    async def sample():
        rnd = dut.u_round
        while True:
            await RisingEdge(dut.clk)
            if rnd.busy.value and int(rnd.rnd.value) > 0:
                outputs.append(int(rnd.x3.value))  # X_{rnd+3}: the newest word
            if dut.m_axis_tvalid.value and len(outputs) == 31:
                outputs.append(int(dut.m_axis_tdata.value) >> 96)  # X35 leaves in the output
                return

    sampler = cocotb.start_soon(sample())
    await env.source.send(make_frame([int.from_bytes(sm4_annex.PLAINTEXT, "big")]))
    await sampler
    assert tuple(outputs) == sm4_annex.ROUND_OUTPUTS, [hex(v) for v in outputs]
    dut._log.info("32 round keys and 32 round outputs match GB/T 32907 Annex A example 1")
    await _finish(env, min_stream=1)


@cocotb.test()
async def test_reset_points(dut):
    """Reset idle, with a block in its rounds, with an output held by the sink,
    and during the key schedule: no output leaks, STATUS/BLOCKS/CTRL/IRQ_STATUS
    read their reset values, then fresh traffic is exact."""
    env = await _env(dut)
    rng = env.rng
    compared = 0
    try:
        for point in RESET_STATES:
            if point != "key_busy":
                await env.load_key(rng.randbytes(16), rng.random() < 0.5)
            if point == "block_busy":
                await env.source.send(make_frame([rng.getrandbits(128)]))
                await _until(dut, lambda: int(dut.u_round.busy.value), point)
                await ClockCycles(dut.clk, rng.randint(1, 25))
            elif point == "output_pending":
                env.sink.pause = True
                await env.source.send(make_frame([rng.getrandbits(128)]))
                await _until(dut, lambda: int(dut.m_axis_tvalid.value), point)
                await ClockCycles(dut.clk, rng.randint(0, 5))
            elif point == "key_busy":
                for i in range(4):
                    await env.regs.write(f"KEY{i}", rng.getrandbits(32))
                await env.regs.write("CTRL", CTRL.encode(KEY_LOAD=1))
                await ClockCycles(dut.clk, rng.randint(1, 20))
            assert env.reset_state() == point, f"reached {env.reset_state()}, wanted {point}"
            await env.reset()
            env.sink.pause = False
            await ClockCycles(dut.clk, 40)
            assert not dut.m_axis_tvalid.value, f"a block came out after a reset at {point}"
            for name in ("STATUS", "BLOCKS", "CTRL", "IRQ_STATUS"):
                got = await env.regs.read(name)
                assert got == REGMAP.reg(name).reset_value, f"{name} 0x{got:x} after a reset at {point}"
            await env.load_key(rng.randbytes(16), rng.random() < 0.5)
            for _ in range(3):
                await env.source.send(Sm4Stimulus(env).frame(rng))
            await env.quiet(outputs_too=True)
            compared += 3
    finally:
        env.sink.pause = False
    await _finish(env, min_stream=compared)


async def _until(dut, cond, what: str, clocks: int = 200):
    for _ in range(clocks):
        if cond():
            return
        await RisingEdge(dut.clk)
    raise AssertionError(f"sm4_core never reached {what} in {clocks} clocks (SEED={seed()})")


@cocotb.test()
async def test_csr(dut):
    """The generated CSR test (reset values, read/write masks, byte strobes,
    read-only, write-only and pulse fields, SLVERR and no aliasing on every
    unmapped word), every register read, half-word writes, and CTRL bytes
    1..3 written with ones (KEY_LOAD and START live in byte 0: no pulse)."""
    env = await _env(dut, attach=False)
    try:
        await env.regs.csr_test(env.rng, settle_clocks=100)
        for r in REGMAP.regs:
            await env.regs.read(r.name)
        for reg in ("DIN0", "DIN3", "IRQ_ENABLE"):
            for lane in (0, 2):
                assert await env.regs.write_resp(REGMAP.addr(reg) + lane, env.rng.randbytes(2)) == OKAY
                await env.regs.read(reg)
        await env.regs.write("IRQ_ENABLE", 0)
        await env.load_key(env.rng.randbytes(16))
        before = await env.regs.read("BLOCKS")
        for lane in (1, 2, 3):
            assert await env.regs.write_resp(REGMAP.addr("CTRL") + lane, b"\xff") == OKAY
        await ClockCycles(dut.clk, 40)
        st = STATUS.decode(await env.regs.read("STATUS"))
        assert st["KEY_BUSY"] == 0 and st["BLOCK_BUSY"] == 0, f"a CTRL write without byte 0 pulsed: {st}"
        assert await env.regs.read("BLOCKS") == before
    finally:
        await _finish(env)


@cocotb.test()
async def test_bus_blocks(dut):
    """Bus blocks (DIN/START/DOUT) in both directions, alone and while stream
    blocks run under back-pressure; both scoreboards stay exact; BLOCKS counts
    both; clocks per bus block."""
    env = await _env(dut)
    env.set_flow(0.0, 0.3)
    rng = env.rng
    key = rng.randbytes(16)
    await env.load_key(key, False)
    log = HandshakeLog(dut)
    n_alone = 8
    t0 = log.cycle
    for _ in range(n_alone):
        await env.bus_block(rng.randbytes(16))
    per_block = (log.cycle - t0) / n_alone
    log.stop()
    stream = [make_frame([rng.getrandbits(128)]) for _ in range(60)]
    for f in stream:
        env.source.send_nowait(f)
    n_mixed = 0
    while not env.source.idle() or env.sb.compared < len(stream):
        await env.bus_block(rng.randbytes(16))
        n_mixed += 1
    assert n_mixed >= 3, f"only {n_mixed} bus blocks overlapped the stream"
    await env.set_mode(True)
    for _ in range(4):
        await env.bus_block(rng.randbytes(16))
    total = n_alone + n_mixed + 4 + len(stream)
    assert await env.regs.read("BLOCKS") == total, "BLOCKS counts stream and bus blocks"
    dut._log.info(f"sm4_core: {per_block:.1f} clocks per block through the bus (4 DIN writes, START, "
                  f"STATUS polls, 4 DOUT reads; cocotbext-axi master); {n_mixed} bus blocks interleaved "
                  f"with {len(stream)} stream blocks")
    await _finish(env, min_stream=len(stream), min_bus=n_alone + n_mixed + 4)


@cocotb.test()
async def test_interrupts(dut):
    """KEY_DONE and BLOCK_DONE each set while masked (irq low), enabled (irq
    high, checked at every IRQ_STATUS read), written 0 (kept), written 1
    (cleared, irq low)."""
    env = await _env(dut)
    assert not dut.irq.value
    await env.load_key(sm4_annex.KEY, False)
    assert IRQ_STATUS.decode(await env.regs.read("IRQ_STATUS")) == {"BLOCK_DONE": 0, "KEY_DONE": 1}
    assert not dut.irq.value, "irq without an enable"
    await env.regs.write("IRQ_ENABLE", IRQ_ENABLE.encode(KEY_DONE=1))
    await RisingEdge(dut.clk)
    assert dut.irq.value, "enabled KEY_DONE does not raise irq"
    await env.regs.read("IRQ_STATUS")
    await env.regs.write("IRQ_STATUS", IRQ_STATUS.encode(KEY_DONE=1))  # write 1 to clear
    await RisingEdge(dut.clk)
    assert await env.regs.read("IRQ_STATUS") == 0 and not dut.irq.value
    assert await env.bus_block(sm4_annex.PLAINTEXT) == sm4_annex.CIPHERTEXT
    assert IRQ_STATUS.decode(await env.regs.read("IRQ_STATUS"))["BLOCK_DONE"] == 1
    assert not dut.irq.value, "irq with BLOCK_DONE masked"
    await env.regs.write("IRQ_ENABLE", IRQ_ENABLE.encode(BLOCK_DONE=1))
    await RisingEdge(dut.clk)
    assert dut.irq.value
    await env.regs.read("IRQ_STATUS")
    await env.regs.write("IRQ_STATUS", IRQ_STATUS.encode(BLOCK_DONE=0))  # writing 0 leaves it
    assert dut.irq.value
    await env.regs.write("IRQ_STATUS", IRQ_STATUS.encode(BLOCK_DONE=1))
    await RisingEdge(dut.clk)
    assert not dut.irq.value
    await _finish(env, min_bus=1)


@cocotb.test()
async def test_throughput(dut):
    """Clocks from a block's load to its result, and per block back to back."""
    env = await _env(dut)
    await env.load_key(env.rng.randbytes(16), False)
    n = 50
    log = HandshakeLog(dut)
    await env.source.send(make_frame([env.rng.getrandbits(128) for _ in range(n)]))
    await env.quiet(outputs_too=True)
    log.stop()
    loads, outs = log.loads, log.outs
    latency = outs[0] - loads[0]
    per_block = (outs[-1] - outs[0]) / (n - 1)
    dut._log.info(f"sm4_core: {latency} clocks from load to result; {per_block:.2f} clocks per "
                  f"block back to back over {n} blocks")
    assert len(outs) == n and latency == 33 and per_block <= 32
    await _finish(env, min_stream=1)


@cocotb.test()
async def test_driver(dut):
    """The firmware driver (firmware_models/drivers/sm4.py: key load, ECB,
    CCM* seal/open, a forged frame refused) on the RTL: the same cases and
    runner as under MicroPython on the device model (tests/test_drivers.py);
    every block it runs is also checked by the bus-block scoreboard."""
    env = await _env(dut)
    cases = driver_cases.sm4_cases(random.Random(env.rng.getrandbits(32)))
    bad = driver_cases.check(cases, await driver_cases.run_all(env.regs, cases))
    assert not bad, "\n".join(bad) + f" (SEED={seed()})"
    drv = Sm4(env.regs)
    key, data = env.rng.randbytes(16), env.rng.randbytes(128)
    await drv.load_key(key)
    log = HandshakeLog(dut)
    out = await drv.ecb(data)
    log.stop()
    assert out == sm4.encrypt_blocks(key, data)
    dut._log.info(f"sm4_core: firmware driver, {len(cases)} cases exact on the RTL; {log.cycle / 8:.1f} clocks "
                  "per block through the driver (ECB, 8 blocks, cocotbext-axi master)")
    await _finish(env, min_bus=8)


@cocotb.test()
async def test_coverage_closure(dut):
    coverage_closure(dut)
