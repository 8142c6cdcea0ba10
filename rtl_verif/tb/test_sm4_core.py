"""pyuvm testbench of rtl/sm4_core.sv (top, register block, key memory,
round engine, S-box) against crypto.sm4.

Registers are reached through the generated register model
(rtl_verif/regs/models/sm4_core.py, from rtl_verif/regs/sm4_core.rdl) — no
address or bit position is written here.

Structure: sequences of Sm4Item (key, block, direction) → Sm4Driver (programs
key and mode over AXI4-Lite when they change, sends the block on AXI4-Stream
and publishes what it sent) → DUT → Sm4Monitor (publishes every output
block) → Sm4Scoreboard (golden model, compares in order, counts).

Testplan:
* StandardExampleTest — GB/T 32907 Annex A example 1, encrypt and decrypt.
* RoundValuesTest — every round key rk_0..rk_31 in the key store and every
  round output X_4..X_35 of example 1, clock by clock.
* RandomTrafficTest — random keys and blocks, both directions, key and mode
  changes between blocks, back-to-back with random back-pressure.
* ResetMidBlockTest — reset during a block: registers return to their reset
  values, nothing leaks out, then traffic is exact again.
* CsrTest — the CSR test generated from the description (reset values,
  read/write masks, byte strobes, read-only, write-only and pulse fields,
  SLVERR on every unmapped address).
* BusBlockTest — blocks through DIN/START/DOUT while stream traffic runs with
  back-pressure, both directions; BLOCKS counts both; clocks per bus block.
* InterruptTest — KEY_DONE and BLOCK_DONE set, irq follows IRQ_ENABLE, write
  1 clears.
* ThroughputTest — clocks from load to result, and per block back to back.
* DriverTest — the firmware driver (firmware_models/drivers/sm4.py: key load,
  ECB, CCM* seal/open, a forged frame refused) on the RTL through cocotb's
  AXI4-Lite master: the same cases and runner as under MicroPython on the
  device model (tests/test_drivers.py); clocks per block through the driver.
"""

import os
import random

import cocotb
import pyuvm
from cocotb.triggers import ClockCycles, RisingEdge
from cocotbext.axi import (
    AxiStreamBus,
    AxiStreamFrame,
    AxiStreamSink,
    AxiStreamSource,
)
from pyuvm import (
    uvm_analysis_port,
    uvm_component,
    uvm_driver,
    uvm_env,
    uvm_sequence,
    uvm_sequence_item,
    uvm_sequencer,
    uvm_test,
    uvm_tlm_analysis_fifo,
)

from crypto import sm4, sm4_annex
from firmware_models.drivers.sm4 import Sm4
from rtl_verif.regs.models.sm4_core import REGMAP
from rtl_verif.tb import driver_cases
from rtl_verif.tb.axil_bus import AxilBus
from rtl_verif.tb.axis_tb import HandshakeLog, seed, start_in_reset

TIMEOUT_US = 5000  # simulated; a stuck test fails instead of hanging
CTRL, STATUS = REGMAP.reg("CTRL"), REGMAP.reg("STATUS")
KEYS = [REGMAP.addr(f"KEY{i}") for i in range(4)]
DINS = [REGMAP.addr(f"DIN{i}") for i in range(4)]
DOUTS = [REGMAP.addr(f"DOUT{i}") for i in range(4)]


class Sm4Bfm:
    """Clock, reset and the AXI agents around the DUT (one per test)."""

    def __init__(self, dut):
        self.dut = dut
        self.bus = AxilBus(dut, regmap=REGMAP)
        self.source = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s_axis"), dut.clk, dut.rst,
                                      byte_lanes=1)
        self.sink = AxiStreamSink(AxiStreamBus.from_prefix(dut, "m_axis"), dut.clk, dut.rst,
                                  byte_lanes=1)
        for agent in (self.source, self.sink):
            agent.log.setLevel("WARNING")
        start_in_reset(dut)

    async def reset(self):
        self.dut.rst.value = 1
        await ClockCycles(self.dut.clk, 3)
        self.source.clear()
        self.sink.clear()
        self.dut.rst.value = 0
        await RisingEdge(self.dut.clk)

    async def write(self, name: str, value: int):
        await self.bus.write(name, value)

    async def read(self, name: str) -> int:
        return await self.bus.read(name)

    async def load_key(self, key: bytes, decrypt: bool):
        for i in range(4):
            await self.write(f"KEY{i}", int.from_bytes(key[4 * i:4 * i + 4], "big"))
        await self.write("CTRL", CTRL.encode(DECRYPT=int(decrypt), KEY_LOAD=1))
        while not STATUS.decode(await self.read("STATUS"))["KEY_READY"]:
            pass

    async def set_mode(self, decrypt: bool):
        await self.write("CTRL", CTRL.encode(DECRYPT=int(decrypt)))

    async def bus_block(self, block: bytes) -> bytes:
        """One block through DIN, START and DOUT (mode and key as programmed)."""
        for i, a in enumerate(DINS):
            await self.bus.write32(a, int.from_bytes(block[4 * i:4 * i + 4], "big"))
        await self.write("CTRL", CTRL.encode(DECRYPT=CTRL.decode(await self.read("CTRL"))["DECRYPT"], START=1))
        while not STATUS.decode(await self.read("STATUS"))["DOUT_VALID"]:
            pass
        return b"".join([(await self.bus.read32(a)).to_bytes(4, "big") for a in DOUTS])


class Sm4Item(uvm_sequence_item):
    def __init__(self, name, key=b"", block=b"", decrypt=False):
        super().__init__(name)
        self.key, self.block, self.decrypt = key, block, decrypt

    def expected(self) -> bytes:
        f = sm4.decrypt_block if self.decrypt else sm4.encrypt_block
        return f(self.key, self.block)

    def __str__(self):
        return f"{'dec' if self.decrypt else 'enc'} key={self.key.hex()} block={self.block.hex()}"


class StandardSeq(uvm_sequence):
    async def body(self):
        for decrypt, block in ((False, sm4_annex.PLAINTEXT), (True, sm4_annex.CIPHERTEXT)):
            item = Sm4Item("kat", sm4_annex.KEY, block, decrypt)
            await self.start_item(item)
            await self.finish_item(item)


class RandomSeq(uvm_sequence):
    """n random blocks; the key changes every 1..12 blocks, the direction at random."""

    def __init__(self, name, n, rng):
        super().__init__(name)
        self.n, self.rng = n, rng

    async def body(self):
        key, decrypt, left = None, False, 0
        for _ in range(self.n):
            if left == 0:
                key, left = self.rng.randbytes(16), self.rng.randint(1, 12)
            if self.rng.random() < 0.1:
                decrypt = not decrypt
            left -= 1
            item = Sm4Item("rnd", key, self.rng.randbytes(16), decrypt)
            await self.start_item(item)
            await self.finish_item(item)


class Sm4Driver(uvm_driver):
    def build_phase(self):
        self.ap = uvm_analysis_port("ap", self)
        self.sent = 0

    async def run_phase(self):
        bfm = self.cdb_get("BFM")
        key = mode = None
        while True:
            item = await self.seq_item_port.get_next_item()
            if item.key != key or item.decrypt != mode:
                await bfm.source.wait()  # earlier blocks accepted before key or mode change
                if item.key != key:
                    await bfm.load_key(item.key, item.decrypt)
                else:
                    await bfm.set_mode(item.decrypt)
                key, mode = item.key, item.decrypt
            await bfm.source.send(AxiStreamFrame([int.from_bytes(item.block, "big")]))
            self.sent += 1
            self.ap.write(item)
            self.seq_item_port.item_done()


class Sm4Monitor(uvm_component):
    def build_phase(self):
        self.ap = uvm_analysis_port("ap", self)
        self.seen = 0

    async def run_phase(self):
        bfm = self.cdb_get("BFM")
        while True:
            rx = await bfm.sink.recv()
            for word in rx.tdata:
                self.seen += 1
                self.ap.write(int(word).to_bytes(16, "big"))


class Sm4Scoreboard(uvm_component):
    def build_phase(self):
        self.sent = uvm_tlm_analysis_fifo("sent", self)
        self.got = uvm_tlm_analysis_fifo("got", self)
        self.compared = 0
        self.errors = 0
        self.blocks_expected = True  # a test that sends no blocks clears this

    def check_phase(self):
        while self.got.can_get():
            _, out = self.got.try_get()
            ok, item = self.sent.try_get()
            if not ok:
                self.errors += 1
                self.logger.error(f"output {out.hex()} with nothing sent")
                continue
            self.compared += 1
            if out != item.expected():
                self.errors += 1
                self.logger.error(f"{item}: got {out.hex()}, expected {item.expected().hex()}")
        pending = 0
        while self.sent.can_get():
            self.sent.try_get()
            pending += 1
        msg = f"scoreboard compared {self.compared}, errors {self.errors}, pending {pending} (SEED={seed()})"
        self.logger.info(msg)
        assert self.errors == 0 and pending == 0, msg
        assert self.compared > 0 or not self.blocks_expected, msg + " — compared nothing"



class Sm4Env(uvm_env):
    def build_phase(self):
        self.seqr = uvm_sequencer("seqr", self)
        self.driver = Sm4Driver("driver", self)
        self.monitor = Sm4Monitor("monitor", self)
        self.scoreboard = Sm4Scoreboard("scoreboard", self)

    def connect_phase(self):
        self.driver.seq_item_port.connect(self.seqr.seq_item_export)
        self.driver.ap.connect(self.scoreboard.sent.analysis_export)
        self.monitor.ap.connect(self.scoreboard.got.analysis_export)


class Sm4BaseTest(uvm_test):
    backpressure = False

    def build_phase(self):
        self.bfm = Sm4Bfm(cocotb.top)
        self.cdb_set("BFM", self.bfm, "*")
        self.env = Sm4Env("env", self)
        self.rng = random.Random(random.getrandbits(64))

    def sequences(self):
        return [StandardSeq("standard")]

    async def run_phase(self):
        self.raise_objection()
        await self.bfm.reset()
        if self.backpressure:
            rng = random.Random(self.rng.getrandbits(32))
            self.bfm.sink.set_pause_generator(iter(lambda: rng.random() < 0.3, None))
        for seq in self.sequences():
            await seq.start(self.env.seqr)
        await self.drain()
        self.drop_objection()

    async def drain(self, timeout_cycles=200_000):
        """Wait until every block the driver sent has come out (or fail)."""
        env, dut = self.env, self.bfm.dut
        for _ in range(timeout_cycles):
            if env.monitor.seen >= env.driver.sent:
                break
            await RisingEdge(dut.clk)
        else:
            raise AssertionError(f"{env.driver.sent - env.monitor.seen} blocks never came out")
        await ClockCycles(dut.clk, 5)


@pyuvm.test(timeout_time=TIMEOUT_US, timeout_unit="us")
class StandardExampleTest(Sm4BaseTest):
    pass


@pyuvm.test(timeout_time=TIMEOUT_US, timeout_unit="us")
class RandomTrafficTest(Sm4BaseTest):
    backpressure = True

    def sequences(self):
        return [RandomSeq("random", int(os.environ.get("TB_FRAMES") or 1500), self.rng)]


class EncryptSeq(uvm_sequence):
    def __init__(self, name, key, blocks):
        super().__init__(name)
        self.key, self.blocks = key, blocks

    async def body(self):
        for b in self.blocks:
            item = Sm4Item("enc", self.key, b, False)
            await self.start_item(item)
            await self.finish_item(item)


@pyuvm.test(timeout_time=TIMEOUT_US, timeout_unit="us")
class RoundValuesTest(Sm4BaseTest):
    """Samples the round-key store after the key schedule and the newest
    state word after every round while example 1 runs through the env."""

    async def run_phase(self):
        self.raise_objection()
        bfm, dut = self.bfm, self.bfm.dut
        await bfm.reset()
        await bfm.load_key(sm4_annex.KEY, False)
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
        await EncryptSeq("example1", sm4_annex.KEY, [sm4_annex.PLAINTEXT]).start(self.env.seqr)
        await self.drain()
        await sampler
        assert tuple(outputs) == sm4_annex.ROUND_OUTPUTS, [hex(v) for v in outputs]
        self.logger.info("32 round keys and 32 round outputs match GB/T 32907 Annex A example 1")
        self.drop_objection()


@pyuvm.test(timeout_time=TIMEOUT_US, timeout_unit="us")
class ResetMidBlockTest(Sm4BaseTest):
    async def run_phase(self):
        self.raise_objection()
        bfm, dut = self.bfm, self.bfm.dut
        await bfm.reset()
        await bfm.load_key(self.rng.randbytes(16), False)
        await bfm.source.send(AxiStreamFrame([self.rng.getrandbits(128)]))
        await ClockCycles(dut.clk, self.rng.randint(3, 30))
        assert dut.u_round.busy.value, "block should be in its rounds"
        await bfm.reset()
        await ClockCycles(dut.clk, 40)
        assert not dut.m_axis_tvalid.value, "a block came out after reset"
        for name in ("STATUS", "BLOCKS", "CTRL", "IRQ_STATUS"):
            assert await bfm.read(name) == REGMAP.reg(name).reset_value, f"{name} not at its reset value"
        assert bfm.sink.empty()
        for seq in [RandomSeq("after-reset", 60, self.rng)]:
            await seq.start(self.env.seqr)
        await self.drain()
        self.drop_objection()


@pyuvm.test(timeout_time=TIMEOUT_US, timeout_unit="us")
class CsrTest(Sm4BaseTest):
    """The register map's generated CSR test (rtl_verif.regs.csr_check)."""

    async def run_phase(self):
        self.raise_objection()
        await self.bfm.reset()
        await self.bfm.bus.csr_test(self.rng, settle_clocks=100)
        self.env.scoreboard.blocks_expected = False  # a register test: no blocks sent
        self.drop_objection()


@pyuvm.test(timeout_time=TIMEOUT_US, timeout_unit="us")
class BusBlockTest(Sm4BaseTest):
    """Bus blocks (DIN/START/DOUT) in both directions, alone and while stream
    blocks run under back-pressure; the stream scoreboard stays exact."""

    async def run_phase(self):
        self.raise_objection()
        bfm, dut = self.bfm, self.bfm.dut
        await bfm.reset()
        rng = random.Random(self.rng.getrandbits(32))
        bfm.sink.set_pause_generator(iter(lambda: rng.random() < 0.3, None))
        key = self.rng.randbytes(16)
        await bfm.load_key(key, False)
        # alone: clocks per block through the bus
        cycle = [0]

        async def count():
            while True:
                await RisingEdge(dut.clk)
                cycle[0] += 1

        counter = cocotb.start_soon(count())
        n_alone = 8
        t0 = cycle[0]
        for _ in range(n_alone):
            block = self.rng.randbytes(16)
            assert await bfm.bus_block(block) == sm4.encrypt_block(key, block)
        per_block = (cycle[0] - t0) / n_alone
        counter.cancel()
        # with stream traffic (same key and mode: the stream's driver is idle on key changes)
        stream = [self.rng.randbytes(16) for _ in range(60)]
        seq = cocotb.start_soon(EncryptSeq("stream", key, stream).start(self.env.seqr))
        n_mixed = 0
        while not seq.done() or self.env.monitor.seen < len(stream):
            block = self.rng.randbytes(16)
            assert await bfm.bus_block(block) == sm4.encrypt_block(key, block), "bus block during stream"
            n_mixed += 1
        await self.drain()
        assert n_mixed >= 3, f"only {n_mixed} bus blocks overlapped the stream"
        # decrypt through the bus
        await bfm.set_mode(True)
        for _ in range(4):
            block = self.rng.randbytes(16)
            assert await bfm.bus_block(block) == sm4.decrypt_block(key, block)
        total = n_alone + n_mixed + 4 + len(stream)
        assert await bfm.read("BLOCKS") == total, "BLOCKS counts stream and bus blocks"
        self.logger.info(f"sm4_core: {per_block:.1f} clocks per block through the bus (4 DIN writes, START, "
                         f"STATUS polls, 4 DOUT reads; cocotbext-axi master); {n_mixed} bus blocks interleaved "
                         f"with {len(stream)} stream blocks")
        self.drop_objection()


@pyuvm.test(timeout_time=TIMEOUT_US, timeout_unit="us")
class InterruptTest(Sm4BaseTest):
    async def run_phase(self):
        self.raise_objection()
        bfm, dut = self.bfm, self.bfm.dut
        irq_status, irq_enable = REGMAP.reg("IRQ_STATUS"), REGMAP.reg("IRQ_ENABLE")
        await bfm.reset()
        assert not dut.irq.value
        await bfm.load_key(sm4_annex.KEY, False)
        assert irq_status.decode(await bfm.read("IRQ_STATUS")) == {"BLOCK_DONE": 0, "KEY_DONE": 1}
        assert not dut.irq.value, "irq without an enable"
        await bfm.write("IRQ_ENABLE", irq_enable.encode(KEY_DONE=1))
        await RisingEdge(dut.clk)
        assert dut.irq.value, "enabled KEY_DONE does not raise irq"
        await bfm.write("IRQ_STATUS", irq_status.encode(KEY_DONE=1))  # write 1 to clear
        await RisingEdge(dut.clk)
        assert await bfm.read("IRQ_STATUS") == 0 and not dut.irq.value
        await bfm.write("IRQ_ENABLE", irq_enable.encode(BLOCK_DONE=1))
        assert await bfm.bus_block(sm4_annex.PLAINTEXT) == sm4_annex.CIPHERTEXT
        assert irq_status.decode(await bfm.read("IRQ_STATUS"))["BLOCK_DONE"] == 1 and dut.irq.value
        await bfm.write("IRQ_STATUS", irq_status.encode(BLOCK_DONE=0))  # writing 0 leaves it
        assert dut.irq.value
        await bfm.write("IRQ_STATUS", irq_status.encode(BLOCK_DONE=1))
        await RisingEdge(dut.clk)
        assert not dut.irq.value
        self.env.scoreboard.blocks_expected = False  # bus blocks only
        self.drop_objection()


@pyuvm.test(timeout_time=TIMEOUT_US, timeout_unit="us")
class ThroughputTest(Sm4BaseTest):
    """Clocks from a block's load to its result, and per block back to back."""

    async def run_phase(self):
        self.raise_objection()
        bfm, dut = self.bfm, self.bfm.dut
        await bfm.reset()
        key = self.rng.randbytes(16)
        await bfm.load_key(key, False)
        n = 50
        log = HandshakeLog(dut)
        await EncryptSeq("stream", key, [self.rng.randbytes(16) for _ in range(n)]).start(self.env.seqr)
        await self.drain()
        log.stop()
        loads, outs = log.loads, log.outs
        latency = outs[0] - loads[0]
        per_block = (outs[-1] - outs[0]) / (n - 1)
        self.logger.info(f"sm4_core: {latency} clocks from load to result; {per_block:.2f} clocks per "
                         f"block back to back over {n} blocks")
        assert len(outs) == n and latency == 33 and per_block <= 32
        self.drop_objection()


@pyuvm.test(timeout_time=TIMEOUT_US, timeout_unit="us")
class DriverTest(Sm4BaseTest):
    async def run_phase(self):
        self.raise_objection()
        bfm, dut = self.bfm, self.bfm.dut
        await bfm.reset()
        cases = driver_cases.sm4_cases(random.Random(self.rng.getrandbits(32)))
        bad = driver_cases.check(cases, await driver_cases.run_all(bfm.bus, cases))
        assert not bad, "\n".join(bad) + f" (SEED={seed()})"
        # clocks per block through the driver (ECB, 8 blocks)
        drv = Sm4(bfm.bus)
        key, data = self.rng.randbytes(16), self.rng.randbytes(128)
        await drv.load_key(key)
        t0 = [0]

        async def count():
            while True:
                await RisingEdge(dut.clk)
                t0[0] += 1

        counter = cocotb.start_soon(count())
        out = await drv.ecb(data)
        counter.cancel()
        assert out == sm4.encrypt_blocks(key, data)
        self.logger.info(f"sm4_core: firmware driver, {len(cases)} cases exact on the RTL; {t0[0] / 8:.1f} clocks "
                         "per block through the driver (ECB, 8 blocks, cocotbext-axi master)")
        self.env.scoreboard.blocks_expected = False  # bus blocks only
        self.drop_objection()
