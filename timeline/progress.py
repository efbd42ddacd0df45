"""Progress of long work (imports, exports, copies) on a terminal, and silence elsewhere.

A `Progress` writes one line to standard error, rewritten in place at most ten times a second:
what it does, how many of how many, and the rate. It writes nothing when standard error is not
a terminal (a notebook, a pipe, CI logs) or when ``progress=False`` (the command line's
``--quiet``); ``progress=True`` forces it on.

>>> import io
>>> out = io.StringIO()
>>> with Progress("exporting", total=3, enabled=True, stream=out) as bar:
...     bar.advance(3)
>>> out.getvalue().rstrip().split("\\r")[-1].startswith("exporting: 3/3 (100%)")
True
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import Final, TextIO

__all__ = ["Progress"]

_EVERY: Final = 0.1  # seconds between redraws


class Progress:
    """A one-line progress report: ``with Progress("importing", total=n) as p: p.advance()``."""

    def __init__(
        self,
        label: str,
        *,
        total: int | None = None,
        enabled: bool | None = None,
        stream: TextIO | None = None,
    ) -> None:
        self.label = label
        self.total = total
        self.count = 0
        self._stream = stream if stream is not None else sys.stderr
        if enabled is None:
            isatty = getattr(self._stream, "isatty", None)
            enabled = bool(callable(isatty) and isatty())
        self.enabled = enabled
        self._started = time.monotonic()
        self._drawn = 0.0

    def advance(self, n: int = 1) -> None:
        """Count `n` more done, and redraw if it is time."""
        self.count += n
        if self.enabled:
            now = time.monotonic()
            if now - self._drawn >= _EVERY:
                self._draw(now)

    def _draw(self, now: float) -> None:
        self._drawn = now
        elapsed = max(now - self._started, 1e-9)
        done = f"{self.count:,}"
        if self.total:
            done += f"/{self.total:,} ({100 * self.count // self.total}%)"
        self._stream.write(f"\r{self.label}: {done} {self.count / elapsed:,.0f}/s")
        self._stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(failed=exc_type is not None)

    def close(self, *, failed: bool = False) -> None:
        """Finish the line (what leaving a ``with`` block does)."""
        if self.enabled:
            self._draw(time.monotonic())
            self._stream.write(" failed\n" if failed else " done\n")
            self._stream.flush()
            self.enabled = False
