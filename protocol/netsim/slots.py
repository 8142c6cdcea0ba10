"""Distributed, two-hop-conflict-free assignment of data slots (owner
priority), after Z-MAC (Rhee, Warrier, Aia, Min, Sichitiu, "Z-MAC: a hybrid
MAC for wireless sensor networks", IEEE/ACM Trans. Netw. 16(3), 2008),
whose DRAND step we replace by a claim-and-resolve rule carried in HELLOs.

* Each node claims the smallest slot number that none of its one- and
  two-hop neighbours claims (their claims come in HELLOs: a HELLO carries
  the sender's slot and the slots of the neighbours it lists).
* Two claims of the same slot within two hops: the lower address keeps it,
  the higher one claims again (deterministic, no extra messages).
* Time frame (Z-MAC's rule): node i owns data slot d iff d mod F_i = s_i,
  F_i the smallest power of two above every slot in its two-hop
  neighbourhood (its own included). Two nodes within two hops have
  different slots, both below min(F_i, F_j), so they never own the same
  data slot.

An owner transmits at contention position 0 with no backoff; others back
off (positions 1..W−1, :mod:`protocol.netsim.mac`), so an owner's frame
never collides with a neighbour's and a slot its owner leaves idle is still
used. A slot in a periodic flow's reserved window
(:mod:`protocol.netsim.reservations`) known to the owner is the window's:
the owner then contends like the others.

HELLO option :data:`OPTION` (bytes): own slot, log2 of the time frame,
then one slot per listed neighbour in the HELLO's neighbour order
(:data:`NONE` = unknown).
"""

from protocol.frames import OPTION_CODES

OPTION = OPTION_CODES["slot_claims"]
NONE = 0xFF
MAX_SLOT = 254


class SlotAssignment:
    """Slot claims of one node. Claims heard are applied when the node next
    announces its own (:meth:`option`, at each HELLO), as DRAND's rounds are."""

    def __init__(self, address: int):
        self.address = address
        self.slot = 0
        self.one_hop: dict = {}  # neighbour -> its slot
        self.two_hop: dict = {}  # neighbour -> {address it lists: slot}
        self._frame = 1
        self._dirty = False

    def forget(self, nb: int) -> None:
        self.one_hop.pop(nb, None)
        self.two_hop.pop(nb, None)
        self._dirty = True

    def on_hello(self, src: int, option: bytes | None, listed: list) -> None:
        """A HELLO from ``src`` with its slot option and the addresses it lists."""
        if not option:
            return
        self.one_hop[src] = option[0]
        self.two_hop[src] = {a: s for a, s in zip(listed, option[2:], strict=False) if s != NONE and a != self.address}
        self._dirty = True

    def _claims(self) -> dict:
        """slot -> lowest address (other than this node) claiming it within two hops."""
        out: dict = {}
        for a, s in self.one_hop.items():
            if s not in out or a < out[s]:
                out[s] = a
        for listed in self.two_hop.values():
            for a, s in listed.items():
                if s not in out or a < out[s]:
                    out[s] = a
        return out

    def resolve(self) -> None:
        """Re-claim if a lower address holds this node's slot within two hops; update the time frame."""
        if not self._dirty:
            return
        self._dirty = False
        claims = self._claims()
        holder = claims.get(self.slot)
        if holder is not None and holder < self.address:
            self.slot = next((s for s in range(MAX_SLOT + 1) if s not in claims), MAX_SLOT)
        top = max([self.slot, *claims])
        f = 1
        while f <= top:
            f <<= 1
        self._frame = f

    @property
    def frame(self) -> int:
        return self._frame

    def owns(self, data_slot: int) -> bool:
        return data_slot % self._frame == self.slot

    def option(self, listed: list) -> bytes:
        self.resolve()
        return bytes([self.slot, self._frame.bit_length() - 1] + [self.one_hop.get(a, NONE) for a in listed])
