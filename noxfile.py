"""Sessions: tests, lint, typing, docs, notebook, bench, reliability. See README.md."""

from __future__ import annotations

import nox

nox.options.error_on_external_run = True
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["tests", "lint", "typing"]

PYTHON = "3.11"


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The whole test suite with branch coverage (README and docs examples included)."""
    session.install("-e", ".[test]")
    session.env.setdefault("HYPOTHESIS_PROFILE", "ci")
    session.run(
        "pytest",
        "--cov",
        "--cov-report=term",
        "--cov-fail-under=90",
        *session.posargs,
    )


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff lint and format check."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON)
def typing(session: nox.Session) -> None:
    """mypy --strict on the package."""
    session.install("-e", ".[test]", "mypy>=1.10")
    session.run("mypy")


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks side by side with the eventsourcing package (see benchmarks/README.md)."""
    session.install("-e", ".[bench]")
    session.run("python", "-m", "benchmarks", *session.posargs)


@nox.session(python=PYTHON)
def reliability(session: nox.Session) -> None:
    """The long crash, concurrency, hostile-input and tamper run; prints the figures."""
    session.install("-e", ".[test]")
    session.env["RELIABILITY_SCALE"] = session.env.get("RELIABILITY_SCALE", "10")
    session.env.setdefault("HYPOTHESIS_PROFILE", "ci")
    session.run("pytest", "tests/test_reliability.py", "-p", "no:randomly", *session.posargs)
