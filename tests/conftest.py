"""Shared test fixtures: the shared-fixtures root, a CLI runner, small datasets on disk."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import settings

# Property tests draw the same examples on every run (no random seed, no example database):
# a suite that passes once passes again, and a failure reproduces on any machine.
settings.register_profile("cococonv", derandomize=True, database=None)
settings.load_profile("cococonv")

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"


@pytest.fixture(scope="session")
def fixtures_root() -> Path:
    """../shared/fixtures; skipped when absent, except under CI where that is a failure."""
    if not SHARED.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{SHARED} is missing; CI must run with ../shared beside the checkout")
        pytest.skip(f"{SHARED} is absent (clone shared/ beside this checkout to run these)")
    return SHARED


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def cli():
    from cococonv.cli import cli as group
    return group
