"""Hypothesis profiles (``HYPOTHESIS_PROFILE`` = default | fast | ci) and shared fixtures."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from timeline.testing import FrozenClock

settings.register_profile("default", max_examples=100, deadline=None)
settings.register_profile("fast", max_examples=20, deadline=None)
settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(dt.datetime(2025, 3, 6, 12, tzinfo=dt.UTC))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "log.db"


@pytest.fixture
def spawn_writer() -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """`tests._writer.spawn`; a child still running at teardown (the test failed) is killed."""
    from tests._writer import spawn

    children: list[subprocess.Popen[str]] = []

    def start(*args: str) -> subprocess.Popen[str]:
        children.append(spawn(*args))
        return children[-1]

    yield start
    for child in children:
        if child.returncode is None:  # not reaped yet
            child.kill()
            child.communicate(timeout=30)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the reliability figures of this run (docs/reliability.md quotes them)."""
    from tests.test_reliability import FIGURES, SCALE

    if FIGURES:
        terminalreporter.section(f"reliability figures (scale {SCALE})")
        for name, value in sorted(FIGURES.items()):
            terminalreporter.line(f"{name:>26}: {value}")
