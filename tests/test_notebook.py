"""Notebook helpers: pandas frames, plots saved to PNG, HTML reprs, the missing-extra error."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pandas")
pytest.importorskip("matplotlib")

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.collections import PathCollection

import timeline
from timeline import extensions
from timeline.notebook import events_frame


@pytest.fixture(scope="module")
def seed() -> timeline.Timeline[Any]:
    return timeline.load_seed()


def test_events_frame(seed: timeline.Timeline[Any]) -> None:
    frame = seed.to_pandas()
    assert len(frame) == 23  # 24 records, one a correction
    assert list(frame.columns) == [
        "id",
        "type",
        "occurred",
        "occurred_earliest",
        "occurred_latest",
        "precision",
        "amount",
        "currency",
        "approximate",
        "source_publisher",
        "source_published",
        "source_quote",
        "actors",  # registered by the support domain
    ]
    deal = frame.set_index("id").loc["uk-anduril-drones"]
    assert (deal["amount"], deal["currency"], bool(deal["approximate"])) == (
        30_000_000.0,
        "GBP",
        True,
    )
    assert deal["actors"] == "GB, UA"
    assert str(frame["occurred_earliest"].dt.tz) == "UTC"
    assert len(seed.to_pandas(at="2025-03-02")) < len(frame)


def test_state_frame(seed: timeline.Timeline[Any]) -> None:
    frame = seed.state_at("2025-03-07").to_pandas()
    loan = frame.set_index("id").loc["uk-era-loan"]
    assert loan["amount"] == 2.26e9
    assert loan["disbursed"] == 752e6
    assert set(frame["currency"]) == {"GBP", "EUR"}


def _save(ax: Any, path: Path) -> None:
    ax.figure.savefig(path)
    assert path.stat().st_size > 10_000
    plt.close(ax.figure)


def test_events_plot_is_drawn_with_the_pause_shaded(
    seed: timeline.Timeline[Any], tmp_path: Path
) -> None:
    ax = seed.plot("events")
    scatter = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(scatter) == len({e.event_type for e in seed.events()})
    shaded = [p for p in ax.patches if "paused" in (p.get_label() or "")]
    assert len(shaded) == 2  # military and intelligence
    assert ax.get_xlabel() == "occurred (valid time)"
    _save(ax, tmp_path / "events.png")


def test_commitments_plot_has_a_step_line_per_provider_and_currency(
    seed: timeline.Timeline[Any], tmp_path: Path
) -> None:
    ax = seed.plot("commitments", known_at="2025-03-07")
    labels = sorted(line.get_label() for line in ax.get_lines())
    assert labels == ["GB (GBP)"]  # ReArm Europe is context, not support
    gb = next(line for line in ax.get_lines() if line.get_label() == "GB (GBP)")
    assert max(gb.get_ydata()) == 2.29e9
    _save(ax, tmp_path / "commitments.png")
    with pytest.raises(ValueError, match="kind must be one of"):
        seed.plot("pie")


def test_html_reprs(seed: timeline.Timeline[Any]) -> None:
    assert "<table " in seed._repr_html_()
    assert "uk-anduril-drones" in seed._repr_html_()
    state_html = seed.state_at("2025-03-07")._repr_html_()
    assert "<h4>Aid</h4>" in state_html
    assert "Sergei Lavrov" in state_html
    changes = seed.diff("2025-02-27", "2025-03-07")
    assert (
        "US military aid: no record → paused (2025-03-03/2025-03-04T00:45:00Z)"
        in changes._repr_html_()
    )
    assert (
        str(changes).splitlines()[0]
        == "US military aid: no record → paused (2025-03-03/2025-03-04T00:45:00Z)"
    )


def test_missing_extra_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)  # what a missing package looks like
    with pytest.raises(ModuleNotFoundError, match=r"pip install 'timeline-asof\[notebook\]'"):
        events_frame([])
    with pytest.raises(ModuleNotFoundError, match=r"timeline-asof\[notebook\]"):
        timeline.load_seed().to_pandas()


def test_a_domain_registers_its_own_plot_kind(
    seed: timeline.Timeline[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn: list[Any] = []

    def plot_count(tl: Any, *, ax: Any = None, known_at: Any = None) -> Any:
        drawn.append((tl.head, known_at))
        return "axes"

    monkeypatch.setitem(extensions._plots, "count", plot_count)
    assert "count" in extensions.plot_kinds()
    assert seed.plot("count", known_at="2025-03-07") == "axes"
    assert drawn == [(seed.head, "2025-03-07")]
    with pytest.raises(TypeError, match="non-empty string"):
        extensions.register_plot("", plot_count)


def test_readme_picture_is_committed() -> None:
    picture = Path(__file__).resolve().parent.parent / "docs" / "pause.png"
    assert picture.stat().st_size > 10_000


def test_pipeline_lead_times_and_conversion_frames(
    seed: timeline.Timeline[Any], tmp_path: Path
) -> None:
    from timeline.support.notebook import conversion_frame, lead_times_frame, pipeline_frame

    state = seed.state_at("2025-04-30")
    pipeline = pipeline_frame(state).set_index("provider")
    assert pipeline.loc["GB", "disbursed"] == 1.504e9
    assert bool(pipeline.loc["GB", "approximate"])
    leads = lead_times_frame(state)
    assert list(leads["shortest_days"]) == [pytest.approx(129.0), pytest.approx(4.0)]
    pytest.importorskip("currency_converter")
    converted = conversion_frame(state.convert("EUR")).set_index("id")
    assert converted.loc["uk-era-loan", "rates"] == "GBP 0.82608 on 2025-02-28"
    ax = seed.plot("pipeline", known_at="2025-04-13")
    labels = sorted(line.get_label() for line in ax.get_lines())
    assert labels == ["GB pledged (GBP)"]  # the tranches were recorded on 14 April
    _save(ax, tmp_path / "pipeline.png")


def test_a_states_table_says_which_time_it_is_for(seed: timeline.Timeline[Any]) -> None:
    state = seed.state_at("2025-03-07", known_at="2025-03-08")
    assert state.as_of == ("2025-03-07", "2025-03-06T23:59:59.999999+00:00")
    assert (
        "State at 2025-03-07, as known at 2025-03-06T23:59:59.999999+00:00" in state._repr_html_()
    )
    same = seed.state_at("2025-03-07T12:00:00Z", known_at="2025-03-09")
    assert same.as_of != state.as_of
    assert state == same  # the label is not a fact
    generic = timeline.open()
    assert "as known at before any record" in generic.state_at("2025-03-07")._repr_html_()
