"""zyw_flow.sim off one process: a local pool and a Dask cluster give the serial summary,
bit for bit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zyw_flow.cli import main
from zyw_flow.sim import Simulation, run_simulation

distributed = pytest.importorskip("distributed")

SIM = Simulation(
    "zhiyong-2011", units=20, profile="seed004", seed=21, runs=3, evaluate=False,
    sweep=[["escalation[2].after=4", "escalation[2].after=6"]],
)  # fmt: skip


@pytest.fixture(scope="module")
def serial() -> str:
    return json.dumps(run_simulation(SIM).summary)


def test_process_pool_equals_serial(serial: str) -> None:
    """--workers 2: the same summary as one process."""
    assert json.dumps(run_simulation(SIM, workers=2).summary) == serial


def test_local_cluster_equals_serial(serial: str, tmp_path: Path) -> None:
    """A LocalCluster of two worker processes, through the CLI's --scheduler and through a
    Client: the same summary as one process."""
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    ) as cluster:
        with distributed.Client(cluster) as client:
            assert json.dumps(run_simulation(SIM, scheduler=client).summary) == serial
        out = tmp_path / "o"
        code = main(["simulate", "zhiyong-2011", "--units", "20", "--runs", "3", "--seed", "21",
                     "--profile", "seed004", "--no-evaluation", "--sweep",
                     "escalation[2].after=4,6", "--scheduler", cluster.scheduler_address,
                     "--out", str(out), "--no-report"])  # fmt: skip
        assert code == 0
    assert json.dumps(json.loads((out / "summary.json").read_text("utf-8"))) == serial
