"""The mesh network as a deterministic discrete-event golden model: the
medium, MAC, routing, security and radio energy of the drone fleet running
together on real frames, and the latency, delivery, P2P/P2MP and current
KPIs measured on it.

    python -m protocol.netsim SCENARIO.json [--seed N] [--json] [--plot PREFIX]

    from protocol.netsim import run
    result = run(scenario_dict, seed=1)

One job per module: :mod:`~protocol.netsim.scenario` (validation),
:mod:`~protocol.netsim.engine` (simpy clock, random streams, trace),
:mod:`~protocol.netsim.mobility`, :mod:`~protocol.netsim.propagation`
(A2G path loss, shadowing, fading), :mod:`~protocol.netsim.linkmodel`
(PER tables), :mod:`~protocol.netsim.medium` (SINR, interference, jammers),
:mod:`~protocol.netsim.mac` with :mod:`~protocol.netsim.slots` (slot
assignment) and :mod:`~protocol.netsim.hopping` (hopping, blacklisting),
:mod:`~protocol.netsim.routing` (link state, MPR, loop-free forwarding,
multicast trees), :mod:`~protocol.netsim.energy`,
:mod:`~protocol.netsim.node` (composes :class:`protocol.fleet.Node` with the
rest), :mod:`~protocol.netsim.metrics`, :mod:`~protocol.netsim.run`,
:mod:`~protocol.netsim.plot`, :mod:`~protocol.netsim.swarms` (scenario
builders) and the CLI.
"""

from protocol.netsim.run import run
from protocol.netsim.scenario import ScenarioError, validate

__all__ = ["ScenarioError", "run", "validate"]
