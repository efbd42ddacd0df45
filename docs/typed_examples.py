"""Typed examples: user code that mypy --strict checks (``nox -s typing``) and the tests run.

With the plugin (``plugins = ["timeline.mypy"]``), mypy sees every field an event class has,
its own and those it inherits (``id``, ``occurred``, ``source``), and what each accepts.
"""

from __future__ import annotations

import timeline
from timeline import support


@timeline.abstract_event
class Milestone(timeline.Event):
    """A base for milestone events: never appended itself."""

    project: str


@timeline.event("typed-example.milestone-reached", version=1)
class MilestoneReached(Milestone):
    """A milestone was reached."""

    name: str


class Reached(timeline.Reducer[tuple[str, ...]]):
    """The names of the milestones reached, in valid-time order."""

    def initial(self) -> tuple[str, ...]:
        return ()

    @timeline.on(MilestoneReached)
    def reached(self, state: tuple[str, ...], event: MilestoneReached) -> tuple[str, ...]:
        return (*state, event.name)


def milestones() -> tuple[str, ...]:
    """A typed timeline: ``open(projection=Reached())`` is a ``Timeline[tuple[str, ...]]``."""
    tl = timeline.open(projection=Reached())
    tl.append(
        MilestoneReached(occurred="2025-03-03", project="docs", name="draft"),
        MilestoneReached(occurred="2025-03-05", project="docs", name="review"),
    )
    names: tuple[str, ...] = tl.state_at("2025-03-04")
    return names


def happened() -> int:
    """Without a projection the state is `timeline.Happened`."""
    tl = timeline.open()
    tl.append(MilestoneReached(occurred="2025-03-03", project="docs", name="draft"))
    state: timeline.Happened = tl.state_at("2025-03-31")
    return len(state.of_type(MilestoneReached))


def paused() -> str | None:
    """The support domain's timeline answers with a `SupportState`."""
    tl: timeline.Timeline[support.SupportState] = support.load_seed()
    return tl.state_at("2025-03-04", known_at="2025-03-07").aid_status("US", "military")


if __name__ == "__main__":
    assert milestones() == ("draft",)
    assert happened() == 1
    assert paused() == "paused"
