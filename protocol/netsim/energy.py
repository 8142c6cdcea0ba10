"""Radio supply current per state, applied to each node's state trace.

States and currents (mA at ``supply_v`` = 3.3 V), datasheet class of a
5 GHz 802.11a transceiver with an external front end (PA, LNA, switch):

* **TX** at output power P (the power at the antenna port):
  ``I_TX(P) = I_chain + P / (η(P) · V)`` with the PA efficiency of a linear
  (class-AB, OFDM) amplifier ``η(P) = η_max · sqrt(P / P_max)`` (efficiency
  falls with the square root of the back-off), ``I_chain`` = 60 mA
  (synthesiser, DAC, up-converter, driver), ``P_max`` = +26 dBm,
  ``η_max`` = 0.30. It gives 262 mA at +20 dBm — the 200–300 mA at
  +20 dBm of 5 GHz WLAN front ends on 3.3 V — and 127 mA of PA current at
  +16 dBm, the order of the Avago MGA-545P8 5.8 GHz 802.11a PA data sheet
  (135 mA at 3.3 V for +16 dBm OFDM at 5.6 % EVM, linear mode).
* **RX** (a frame being received) 80 mA and **listen** (carrier sense,
  preamble search) 70 mA — the 60–100 mA class of 802.11a receive chains;
* **turnaround** (RX↔TX switch, ``turnaround_us`` each way around a
  transmission) 70 mA; **off** (powered down or failed) 0.

The TX budget of the spec (< 200 mA) holds up to
:func:`max_power_for` (200) = +16.8 dBm with these figures: a node's
``tx_power_dbm`` above that fails it at its peak.

Mean current of a node = charge / time powered on; peak = the highest
supply current it drew: the highest state current, or for a node with
several transmit chains (a ground station, :mod:`protocol.netsim.mac`) the
sum over the transmissions it had on the air at once. A node never powered
on draws nothing: mean and peak 0.
"""

import math
from typing import NamedTuple


class Currents(NamedTuple):
    supply_v: float = 3.3
    chain_ma: float = 60.0
    pa_max_dbm: float = 26.0
    pa_eff_max: float = 0.30
    rx_ma: float = 80.0
    listen_ma: float = 70.0
    turnaround_ma: float = 70.0

    def tx_ma(self, p_dbm: float) -> float:
        """Supply current (mA) while transmitting at ``p_dbm``."""
        p_mw = 10 ** (p_dbm / 10)
        p_max_mw = 10 ** (self.pa_max_dbm / 10)
        return self.chain_ma + math.sqrt(p_mw * p_max_mw) / self.pa_eff_max / self.supply_v

    def max_power_for(self, budget_ma: float) -> float:
        """The highest output power (dBm) whose TX current stays within ``budget_ma``."""
        pa_mw = (budget_ma - self.chain_ma) * self.pa_eff_max * self.supply_v  # sqrt(P · P_max) in mW
        return 10 * math.log10(pa_mw ** 2 / 10 ** (self.pa_max_dbm / 10))


DEFAULT = Currents()


class EnergyMeter:
    """Charge per node by state (mA·µs)."""

    def __init__(self, n: int, turnaround_us: float, currents: Currents | None = None):
        self.c = currents or DEFAULT
        self.turn_us = turnaround_us
        self.tx_charge = [0.0] * n
        self.tx_us = [0.0] * n
        self.rx_us = [0.0] * n
        self.turns = [0] * n
        self.peak = [currents.listen_ma] * n
        self._tx_ma_cache: dict = {}
        self._on_air: dict = {}  # node -> [(start µs, end µs, mA)] of its recent transmissions

    def tx(self, i: int, air_us: float, p_dbm: float, start_us: float) -> None:
        """Node ``i`` transmits for ``air_us`` µs from ``start_us`` at ``p_dbm`` output power."""
        ma = self._tx_ma_cache.get(p_dbm)
        if ma is None:
            ma = self._tx_ma_cache[p_dbm] = self.c.tx_ma(p_dbm)
        self.tx_charge[i] += ma * air_us
        self.tx_us[i] += air_us
        self.turns[i] += 1
        end = start_us + air_us
        live = [t for t in self._on_air.get(i, ()) if t[1] > start_us - 10_000.0]  # recorded up to 10 ms ahead
        live.append((start_us, end, ma))
        over = [t for t in live if t[0] < end and t[1] > start_us]  # this one included
        # the supply current peaks at the start of one of the overlapping transmissions
        total = max(sum(u[2] for u in over if u[0] <= t0 < u[1]) for t0 in
                    [start_us] + [t[0] for t in over if t[0] > start_us])
        self._on_air[i] = live
        if total > self.peak[i]:
            self.peak[i] = total

    def rx(self, i: int, us: float) -> None:
        self.rx_us[i] += us
        if self.c.rx_ma > self.peak[i]:
            self.peak[i] = self.c.rx_ma

    def summary(self, i: int, on_us: float) -> dict:
        """{"mean", "peak", "tx_duty"} of node i, powered on for ``on_us``."""
        turn = 2 * self.turns[i] * self.turn_us
        listen = max(0.0, on_us - self.tx_us[i] - self.rx_us[i] - turn)
        charge = self.tx_charge[i] + self.rx_us[i] * self.c.rx_ma + listen * self.c.listen_ma \
            + turn * self.c.turnaround_ma
        if on_us <= 0:  # never powered on
            return {"mean": 0.0, "peak": 0.0, "tx_duty": 0.0}
        return {"mean": round(charge / on_us, 3), "peak": round(self.peak[i], 3),
                "tx_duty": round(self.tx_us[i] / on_us, 6)}
