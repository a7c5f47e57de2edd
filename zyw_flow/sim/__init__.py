"""Campaign simulation: behaviour profiles, Monte Carlo replications, policy sweeps.

The real campaign runs through the real engine, many times: units behave as a
:class:`Profile` says, every random draw comes from a ``numpy.random.SeedSequence`` keyed
by (seed, replication, unit), and replications run serially, on a process pool or on a
Dask cluster with identical results. See ``docs/simulation.md``.

>>> from zyw_flow.sim import Simulation, run_simulation
>>> result = run_simulation(Simulation("zhiyong-2011", units=20, profile="punctual", runs=2))
>>> result.summary["arms"][0]["metrics"]["on_time_rate"]["mean"]
1.0
"""

from zyw_flow.sim._errors import ProfileError, SimulationError
from zyw_flow.sim._execute import SimResult, run_simulation
from zyw_flow.sim._metrics import aggregate, ci95, compare
from zyw_flow.sim._overrides import Override, parse_override, parse_sweep
from zyw_flow.sim._profile import (
    Behaviour,
    Profile,
    bundled_profiles,
    load_profile,
    load_profile_text,
)
from zyw_flow.sim._runner import RepResult, run_replication
from zyw_flow.sim._spec import Simulation, compile_arm
from zyw_flow.sim._units import UnitTree, generate_units, read_units_csv

__all__ = [
    "Behaviour",
    "Override",
    "Profile",
    "ProfileError",
    "RepResult",
    "SimResult",
    "Simulation",
    "SimulationError",
    "UnitTree",
    "aggregate",
    "bundled_profiles",
    "ci95",
    "compare",
    "compile_arm",
    "generate_units",
    "load_profile",
    "load_profile_text",
    "parse_override",
    "parse_sweep",
    "read_units_csv",
    "run_replication",
    "run_simulation",
]
