from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import timeline
from timeline import Correction, Event, InvalidEvent, Money, Retraction, UnknownEventType, codec
from timeline.codec import canonical_json, decode, encode, from_dict, to_dict
from timeline.events import event_class, event_type_of, registered_types, upcast
from timeline.support import AidPaused, Channel, DealSigned, LoanAnnounced, StatementMade
from timeline.support.testing import support_events


@timeline.event("test.milestone", version=1)
class Milestone(Event):
    name: str
    tags: tuple[str, ...] = ()


@timeline.event("test.renamed", version=3)
class Renamed(Event):
    title: str
    weight: Decimal = Decimal(1)


@timeline.upcaster("test.renamed", from_version=1)
def _v1(data: dict[str, Any]) -> dict[str, Any]:
    data["title"] = data.pop("name")
    return data


@timeline.upcaster("test.renamed", from_version=2)
def _v2(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "weight": "2"}


def test_event_is_frozen_slotted_keyword_only() -> None:
    m = Milestone(occurred="2025-03", name="kick-off")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        m.name = "x"  # type: ignore[misc]
    assert not hasattr(m, "__dict__")
    with pytest.raises(TypeError):
        Milestone("2025-03", "kick-off")  # type: ignore[call-arg]
    assert m.occurred == timeline.When.parse("2025-03")
    assert len(m.id) == 36


def test_registry_names_and_versions() -> None:
    assert event_type_of(Milestone(occurred="2025", name="x")) == ("test.milestone", 1)
    assert event_class("aid.paused") is AidPaused
    assert registered_types()["timeline.correction"] is Correction
    with pytest.raises(UnknownEventType, match="'nope'") as info:
        event_class("nope")
    assert info.value.event_type == "nope"


def test_registering_a_name_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="already registered"):

        @timeline.event("test.milestone")
        class Other(Event):
            pass


@pytest.mark.parametrize(("name", "version"), [("", 1), ("x.y", 0), ("x.y", True)])
def test_bad_registrations(name: str, version: int) -> None:
    with pytest.raises(timeline.EventDefinitionError, match="must be"):

        @timeline.event(name, version=version)
        class Bad(Event):
            pass


def test_event_decorator_needs_an_event_subclass() -> None:
    with pytest.raises(TypeError, match="must subclass"):
        timeline.event("test.plain")(object)  # type: ignore[type-var]


def test_unregistered_subclass_cannot_be_encoded() -> None:
    @attrs.frozen(kw_only=True)
    class Loose(Event):
        pass

    with pytest.raises(UnknownEventType, match="not a registered event type"):
        encode(Loose(occurred="2025"))


def test_construction_errors_name_the_field() -> None:
    with pytest.raises(InvalidEvent, match="occurred: '2025-02-30' is not a possible date") as info:
        Milestone(occurred="2025-02-30", name="x")
    assert info.value.field == "occurred"
    with pytest.raises(InvalidEvent, match="provider: 'UK' is not") as info:
        AidPaused(occurred="2025-03-03", provider="UK", recipient="UA", channel="military")
    assert info.value.field == "provider"
    with pytest.raises(InvalidEvent, match="channel") as info:
        AidPaused(occurred="2025-03-03", provider="US", recipient="UA", channel="moral")
    with pytest.raises(InvalidEvent, match="id"):
        Milestone(id=" padded ", occurred="2025", name="x")
    with pytest.raises(InvalidEvent, match="source must be a Source"):
        Milestone(occurred="2025", name="x", source="BBC")  # type: ignore[arg-type]


def test_correction_needs_an_event_replacement() -> None:
    with pytest.raises(InvalidEvent, match="replacement must be an Event") as info:
        Correction(target="a", replacement="nope")  # type: ignore[arg-type]
    assert info.value.field == "replacement"


def test_round_trip_of_a_correction_with_nested_event() -> None:
    deal = DealSigned(
        id="d",
        occurred="2025-03-06",
        buyer="GB",
        supplier="Anduril UK",
        beneficiary="UA",
        amount=Money.parse("nearly £30m"),
        items=("Altius 600m", "Altius 700m"),
        delivery="2025-03/2025-06?",
    )
    fix = Correction(target="d", replacement=deal, reason="amount")
    name, version, data = encode(fix)
    assert data["replacement"]["type"] == "deal.signed"
    assert decode(name, version, json.loads(canonical_json(data))) == fix


@given(support_events())
def test_every_support_event_round_trips_through_json(ev: Event) -> None:
    name, version, data = encode(ev)
    text = canonical_json(data)
    again = decode(name, version, json.loads(text))
    assert again == ev
    assert canonical_json(to_dict(again)) == text


def test_canonical_json_is_sorted_and_compact() -> None:
    assert canonical_json({"b": 1, "a": [1, "é"]}) == '{"a":[1,"é"],"b":1}'
    with pytest.raises(ValueError, match="not JSON compliant"):
        canonical_json({"x": float("nan")})


def _aid_data(**changes: Any) -> dict[str, Any]:
    ev = AidPaused(
        id="a", occurred="2025-03-03", provider="US", recipient="UA", channel=Channel.MILITARY
    )
    return {**to_dict(ev), **changes}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"occurred": "2025-02-30"}, "occurred", "not a possible date"),
        ({"occurred": "2025-03-03T10:00:00"}, "occurred", "naive"),
        ({"provider": 5}, "provider", "expected a string"),
        ({"provider": "ZZ"}, "provider", "'ZZ' is not"),
        ({"channel": "moral"}, "channel", "moral"),
        ({"scope": ["list"]}, "scope", "expected a string"),
        ({"surprise": 1}, None, "extra fields found"),
    ],
)
def test_decode_errors_name_the_field(
    changes: dict[str, Any], field: str | None, message: str
) -> None:
    with pytest.raises(InvalidEvent, match=message) as info:
        decode("aid.paused", 1, _aid_data(**changes))
    if field is not None:
        assert info.value.field == field
    assert info.value.event_type == "aid.paused"


def test_decode_missing_field() -> None:
    data = _aid_data()
    del data["provider"]
    with pytest.raises(InvalidEvent, match="required field missing") as info:
        decode("aid.paused", 1, data)
    assert info.value.field == "provider"


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ({"amount": "-1", "currency": "GBP", "approximate": False}, "negative"),
        ({"amount": "1", "currency": "GBQ", "approximate": False}, "GBQ"),
        ({"amount": 1.5, "currency": "GBP", "approximate": False}, "decimal string"),
        ({"amount": "x", "currency": "GBP", "approximate": False}, "not a decimal"),
        ({"amount": "1", "currency": "GBP", "approximate": "yes"}, "true or false"),
    ],
)
def test_decode_money_errors(amount: dict[str, Any], message: str) -> None:
    ev = LoanAnnounced(
        id="l",
        occurred="2025",
        loan="l",
        lender="GB",
        borrower="UA",
        amount=Money.parse("£1"),
        stage="agreed",
    )
    data = {**to_dict(ev), "amount": amount}
    with pytest.raises(InvalidEvent, match=message) as info:
        decode("loan.announced", 1, data)
    assert info.value.field == "amount"


@pytest.mark.parametrize(
    ("name", "version", "data", "error", "message"),
    [
        ("nope", 1, {}, UnknownEventType, "no event type is registered under 'nope'"),
        (5, 1, {}, UnknownEventType, "must be a string"),
        ("aid.paused", 0, {}, InvalidEvent, "version must be an int"),
        ("aid.paused", "1", {}, InvalidEvent, "version must be an int"),
        ("aid.paused", 1, [], InvalidEvent, "data must be an object"),
        ("aid.paused", 2, {}, UnknownEventType, "knows up to 1"),
        (
            "test.milestone",
            1,
            {"id": "x", "occurred": "2025", "source": None, "name": 1, "tags": []},
            InvalidEvent,
            "expected a string",
        ),
    ],
)
def test_decode_refuses_bad_envelopes(
    name: Any, version: Any, data: Any, error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        decode(name, version, data)


def test_upcasting_runs_every_step() -> None:
    old = {"id": "r", "occurred": "2025", "source": None, "name": "old title"}
    ev = decode("test.renamed", 1, old)
    assert ev == Renamed(id="r", occurred="2025", title="old title", weight=Decimal(2))
    assert upcast("test.renamed", 3, {"x": 1}) == {"x": 1}


def test_upcaster_failure_and_missing_step() -> None:
    with pytest.raises(InvalidEvent, match="upcasting from version 1 failed"):
        decode("test.renamed", 1, {"no": "name"})

    @timeline.event("test.gap", version=3)
    class Gap(Event):
        pass

    with pytest.raises(UnknownEventType, match="no upcaster from it"):
        decode("test.gap", 1, {})


def test_from_dict_of_replacement_envelope_errors() -> None:
    fix = Correction(target="m", replacement=Milestone(id="m", occurred="2025", name="x"))
    data = to_dict(fix)
    data["replacement"] = {"type": "test.milestone"}
    with pytest.raises(InvalidEvent, match="exactly 'type', 'version' and 'data'"):
        from_dict("timeline.correction", data)
    data["replacement"] = {
        "type": "timeline.retraction",
        "version": 1,
        "data": to_dict(Retraction(target="m")),
    }
    with pytest.raises(InvalidEvent, match="not an event about the world"):
        from_dict("timeline.correction", data)
    with pytest.raises(InvalidEvent, match="data must be an object"):
        from_dict("timeline.correction", [])  # type: ignore[arg-type]


def test_statement_people_must_be_people() -> None:
    with pytest.raises(InvalidEvent, match="people"):
        AidPaused(occurred="2025", provider="US", recipient="UA", channel="military", people=("x",))  # type: ignore[arg-type]
    with pytest.raises(InvalidEvent, match="speaker"):
        decode(
            "statement.made",
            1,
            {
                "id": "s",
                "occurred": "2025",
                "source": None,
                "speaker": "Lavrov",
                "actor": "RU",
                "subject": "x",
                "stance": "opposes",
                "quote": None,
            },
        )
    assert StatementMade.event_type == "statement.made"


@given(support_events())
def test_trusted_read_path_builds_the_same_event(ev: Event) -> None:
    from timeline.codec import decode_trusted

    name, version, data = encode(ev)
    assert decode_trusted(name, version, canonical_json(data)) == ev


def test_trusted_read_path_falls_back_to_validation() -> None:
    from timeline.codec import decode_trusted

    with pytest.raises(InvalidEvent, match="required field missing"):
        decode_trusted("test.milestone", 1, '{"id": "m", "occurred": "2025", "source": null}')
    old = json.dumps({"id": "r", "occurred": "2025", "source": None, "name": "t"})
    assert decode_trusted("test.renamed", 1, old) == Renamed(
        id="r", occurred="2025", title="t", weight=Decimal(2)
    )
    fix = Correction(target="m", replacement=Milestone(id="m", occurred="2025", name="x"))
    assert decode_trusted(*encode(fix)[:2], canonical_json(encode(fix)[2])) == fix


def test_a_value_of_the_wrong_type_is_an_invalid_event_naming_its_field() -> None:
    """A dict where `Money` is declared: the write path names the field, never a bare
    AttributeError from the converter, and nothing is appended."""
    from timeline.support.events import DealSigned

    log = timeline.open()
    bad = DealSigned(
        occurred="2025-03-08",
        buyer="GB",
        supplier="Anduril",
        beneficiary="UA",
        amount={"amount": "30000000", "currency": "GBP"},  # type: ignore[arg-type]
    )
    with pytest.raises(InvalidEvent, match=r"deal.signed.amount: .* is not a Money") as info:
        log.append(bad)
    assert info.value.field == "amount"
    assert log.head == 0


# --- parse: msgspec where it can, json's value and json's errors always ---------------------------
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()  # beyond 64 bits too
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def _same(a: object, b: object) -> bool:
    """Equal, and of the same types all the way down (1 == 1.0 == True would hide a change)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        assert isinstance(b, dict)
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        assert isinstance(b, list)
        return len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, float):
        return repr(a) == repr(b)  # -0.0 is not 0.0
    return a == b


@given(json_values)
def test_parse_gives_the_value_json_gives_for_canonical_text(value: Any) -> None:
    text = canonical_json(value)
    assert _same(codec.parse(text), json.loads(text))


def _outcome(fn: Any, text: object) -> tuple[str, object]:
    try:
        return "value", fn(text)
    except (ValueError, TypeError, RecursionError) as exc:
        return type(exc).__name__, str(exc)


@given(st.text(alphabet=st.sampled_from('{}[]",:.-+eE0123456789 \\u\ud800tfnrlsaNIy\x00\ufeff')))
def test_parse_accepts_and_refuses_exactly_what_json_does(text: str) -> None:
    got, want = _outcome(codec.parse, text), _outcome(json.loads, text)
    assert got[0] == want[0]
    if got[0] == "value":
        assert _same(got[1], want[1])
    else:
        assert got == want  # json's own message: the fallback raised it


@given(
    st.from_regex(r"-?(0|[1-9][0-9]{0,40})(\.[0-9]{1,30})?([eE][+-]?[0-9]{1,4})?", fullmatch=True)
)
def test_parse_reads_every_number_as_json_does(text: str) -> None:
    got, want = _outcome(codec.parse, text), _outcome(json.loads, text)
    assert got[0] == want[0]
    assert _same(got[1], want[1]) if got[0] == "value" else got == want


@pytest.mark.parametrize(
    "text",
    [
        "18446744073709551616",  # orjson reads these two as floats
        "-9223372036854775809",
        '{"a":[1,-18446744073709551617]}',
        "1e400",
        "-1.7976931348623159e308",
        "NaN",
        '"\\ud800"',
        "[" * 2000 + "]" * 2000,
    ],
)
def test_parse_falls_back_to_json_where_msgspec_refuses(text: str) -> None:
    assert _outcome(codec.parse, text) == _outcome(json.loads, text)


@pytest.mark.parametrize("value", [memoryview(b"[1]"), 1, None, b"[1]", bytearray(b"[2]")])
def test_parse_of_anything_but_text_is_json_loads(value: Any) -> None:
    assert _outcome(codec.parse, value) == _outcome(json.loads, value)


def test_parse_without_msgspec_is_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(codec, "_DECODE", None)
    text = canonical_json({"b": [1, 2.5, "ü", None], "a": 2**70})
    assert _same(codec.parse(text), json.loads(text))
    ev = AidPaused(id="p", occurred="2025-03-03", provider="US", recipient="UA", channel="military")
    assert codec.decode_trusted(*codec.stored_form(ev)) == ev


@given(json_values)
def test_canonical_json_is_exactly_json_dumps_with_sorted_keys(value: Any) -> None:
    want = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert canonical_json(value) == want
