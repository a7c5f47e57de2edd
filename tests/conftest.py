"""Shared fixtures and hypothesis profiles (``HYPOTHESIS_PROFILE=ci|dev|thorough``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from zyw_flow import CompiledCampaign, compile_campaign, load_template, resolve

settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "dev", max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def zhiyong() -> CompiledCampaign:
    """The compiled 2011 city-bureau campaign (seed 000)."""
    return compile_campaign(resolve(load_template("zhiyong-2011")))
