"""Sessions: tests, lint, typing, docs, notebook, bench, reliability. See README.md."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import nox

nox.options.error_on_external_run = True
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["tests", "lint", "typing"]

PYTHONS = ["3.11", "3.12", "3.13"]
"""The Pythons the classifiers claim; `tests` runs on each one found (CI has all three)."""


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The whole test suite with branch coverage (README and docs examples included)."""
    session.install("-e", ".[test,notebook]")
    session.env.setdefault("HYPOTHESIS_PROFILE", "ci")
    session.env["MPLBACKEND"] = "Agg"
    session.run(
        "pytest",
        "--cov",
        "--cov-report=term",
        "--cov-fail-under=90",
        *session.posargs,
    )


@nox.session
def lint(session: nox.Session) -> None:
    """ruff lint and format check, and the one-way layers (import-linter, pyproject.toml)."""
    session.install("ruff>=0.6", "import-linter>=2.1", "-e", ".")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("lint-imports")


@nox.session
def typing(session: nox.Session) -> None:
    """mypy --strict on the package, the tests and docs/typed_examples.py (with our plugin)."""
    session.install("-e", ".[test,browser]", "mypy>=1.10")
    session.run("mypy")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks side by side with the eventsourcing package (see benchmarks/README.md)."""
    session.install("-e", ".[bench]")
    postgres = os.environ.get("TIMELINE_BENCH_POSTGRES", os.environ.get("TIMELINE_TEST_POSTGRES"))
    if postgres:
        session.env["TIMELINE_BENCH_POSTGRES"] = postgres
    session.run("python", "-m", "benchmarks", *session.posargs)


@nox.session
def reliability(session: nox.Session) -> None:
    """The long crash, concurrency, hostile-input and tamper run; prints the figures."""
    session.install("-e", ".[test]")
    session.env["RELIABILITY_SCALE"] = session.env.get("RELIABILITY_SCALE", "10")
    session.env.setdefault("HYPOTHESIS_PROFILE", "ci")
    session.run("pytest", "tests/test_reliability.py", "-p", "no:randomly", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the HTML docs with Sphinx + MyST-NB (which executes docs/explore.ipynb); any
    warning is an error."""
    session.install("-e", ".[docs,test]")  # the API page documents timeline.testing too
    # no MPLBACKEND here: the kernel's inline backend puts the plots into the page; the kernel
    # is this session's own (JUPYTER_PATH comes before any user-wide kernel)
    session.run("python", "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3")
    session.env["JUPYTER_PATH"] = f"{session.virtualenv.location}/share/jupyter"
    session.run("sphinx-build", "-W", "--keep-going", "-b", "html", "docs", "docs/_build/html")


@nox.session
def notebook(session: nox.Session) -> None:
    """Execute docs/explore.ipynb top to bottom in a real Jupyter kernel."""
    session.install(
        "-e", ".[notebook,rates]", "nbclient>=0.10", "nbformat>=5.10", "ipykernel>=6.29"
    )
    session.env["MPLBACKEND"] = "Agg"
    session.run("python", "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3")
    session.env["JUPYTER_PATH"] = f"{session.virtualenv.location}/share/jupyter"
    session.run("python", "docs/run_notebook.py", "docs/explore.ipynb")


@nox.session
def browser(session: nox.Session) -> None:
    """The published HTML page in headless Chromium (Debian's chromium and chromium-driver,
    driven by selenium): fails, not skips, when the browser is missing."""
    session.install("-e", ".[test,browser]")
    session.env["TIMELINE_REQUIRE_BROWSER"] = "1"
    session.run("pytest", "tests/test_browser.py", "-s", *session.posargs)


@nox.session
def screenshot(session: nox.Session) -> None:
    """Redraw docs/timeline.png, the seed page in headless Chromium, for the README."""
    session.install("-e", ".[test,browser]")
    session.run("python", "docs/make_screenshot.py")


@nox.session(python=False)
def install(session: nox.Session) -> None:
    """The README's first Quickstart command, run as written in a fresh clone (a new virtual
    environment, ``pip install .``, the demo); then ``import timeline`` there must load neither
    pandas nor the support domain."""
    readme = Path("README.md").read_text(encoding="utf-8")
    found = re.search(r"```console\n(.*?)\n", readme)
    assert found, "README.md has no console block"
    first = found.group(1)
    check = (
        "import sys, timeline; loaded = [m for m in sys.modules if m.startswith"
        "(('pandas', 'matplotlib', 'timeline.support', 'timeline.sources'))]; "
        "assert not loaded, loaded; print('import timeline loads only the core')"
    )
    with tempfile.TemporaryDirectory() as tmp:
        session.run("git", "clone", "-q", ".", tmp, external=True)
        session.chdir(tmp)
        session.run("bash", "-c", first, external=True)
        session.run(".venv/bin/python", "-c", check, external=True)
