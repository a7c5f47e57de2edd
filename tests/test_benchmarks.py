"""``python -m benchmarks --quick`` runs to the end and prints every bar (never its timings)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from benchmarks.__main__ import BARS
from tests.conftest import ROOT


@pytest.mark.slow
def test_quick_benchmarks_run_and_print_every_bar() -> None:
    """The smoke run exits 0 and names each bar of the issue in its verdicts."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    verdicts = done.stdout.split("verdicts:", 1)[-1]
    for bar in BARS.values():
        assert f" {bar.name}: " in verdicts, bar.name
