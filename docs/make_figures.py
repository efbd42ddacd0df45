"""Draw the pictures the README shows:  python docs/make_figures.py  (needs timeline-asof[notebook])."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import timeline

HERE = Path(__file__).resolve().parent


def main() -> None:
    tl = timeline.load_seed()
    ax = tl.plot("events")
    ax.figure.savefig(HERE / "pause.png", dpi=110, bbox_inches="tight")
    print(f"wrote {HERE / 'pause.png'}")


if __name__ == "__main__":
    main()
