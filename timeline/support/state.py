"""`SupportState`: the state of support for Ukraine at a point in time, and its projection.

The state is immutable and cheap to extend: lists that grow with the log (commitments, talks,
meetings, aid changes) are kept as persistent linked lists shared between successive states and
turned into tuples once, when first asked for; small maps (aid status, positions) are copied on
write. So folding a million events stays linear, and checkpoints share their structure.
"""

from __future__ import annotations

import datetime as dt
import enum
import types
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any, Literal, TypeAlias

import attrs

from timeline.projection import Change, Reducer, evolver, on
from timeline.rates import Converted, EcbRates
from timeline.support import notebook
from timeline.support.actors import Person
from timeline.support.events import (
    AidPaused,
    AidResumed,
    Channel,
    CoalitionLaunched,
    DealAnnounced,
    DealSigned,
    LoanAnnounced,
    LoanDisbursed,
    LoanStage,
    MeetingHeld,
    SpendingAnnounced,
    Stance,
    StatementMade,
    TalksHeld,
    TroopsPledged,
)
from timeline.values import Money
from timeline.when import When

__all__ = [
    "AidChanged",
    "AidStatus",
    "Coalition",
    "Commitment",
    "CommitmentChanged",
    "Conversion",
    "ItemChanged",
    "LeadTime",
    "LeadTimeSummary",
    "Pause",
    "PipelineRow",
    "Position",
    "PositionChanged",
    "Stage",
    "SupportProjection",
    "SupportState",
    "TroopPledge",
    "support_diff",
]

Status: TypeAlias = Literal["active", "paused"]
_Cons: TypeAlias = "tuple[Any, _Cons] | None"


def _items(cons: _Cons) -> tuple[Any, ...]:
    out = []
    while cons is not None:
        out.append(cons[0])
        cons = cons[1]
    out.reverse()
    return tuple(out)


def _channel(value: Channel | str) -> Channel:
    return value if isinstance(value, Channel) else Channel(value)


@attrs.frozen
class AidStatus:
    """Whether `provider`'s `channel` of support to `recipient` flows, and since when."""

    provider: str
    recipient: str
    channel: Channel
    status: Status
    since: When
    event_id: str


@attrs.frozen
class Pause:
    """An interval in which a channel of support was paused (`end` None while it lasts)."""

    provider: str
    recipient: str
    channel: Channel
    start: When
    end: When | None
    event_id: str


class Stage(enum.Enum):
    """One lifecycle for every kind of support, in order: announced (a pledge; Kiel's
    commitments measure counts everything from here), agreed (a signed agreement or contract,
    aid earmarked: Kiel's allocations), disbursed (money paid out: Kiel's disbursements),
    delivered (received)."""

    ANNOUNCED = "announced"
    AGREED = "agreed"
    DISBURSED = "disbursed"
    DELIVERED = "delivered"

    @property
    def rank(self) -> int:
        """Its place in the lifecycle (0 for announced)."""
        return _STAGES.index(self)


_STAGES: tuple[Stage, ...] = tuple(Stage)
_LOAN_STAGES = {
    LoanStage.ANNOUNCED: Stage.ANNOUNCED,
    LoanStage.AGREED: Stage.AGREED,
    LoanStage.DISBURSED: Stage.DISBURSED,
}


@attrs.frozen
class Commitment:
    """Money committed: a loan to Ukraine (latest stage), a procurement deal for Ukraine, or a
    spending plan (``kind="spending"``: context such as an ally's own defence budget, which
    `SupportState.totals` leaves out)."""

    id: str
    kind: Literal["loan", "deal", "spending"]
    provider: str
    recipient: str | None
    amount: Money
    occurred: When
    description: str
    backing: str | None = None
    stage: LoanStage | None = None
    disbursed: tuple[Money, ...] = ()
    disbursed_on: tuple[When, ...] = ()
    """When each disbursement occurred, in the order of `disbursed`."""
    stages: tuple[tuple[Stage, When], ...] = ()
    """Each stage it reached and when (the first time), in lifecycle order."""
    stage_amounts: tuple[tuple[Stage, Money], ...] = ()
    """For each stage reached, the amount of the latest record at that stage or further (a
    re-announcement of a larger sum does not raise what was agreed)."""

    @property
    def reached(self) -> Stage:
        """The furthest stage it reached."""
        return self.stages[-1][0] if self.stages else Stage.ANNOUNCED


@attrs.frozen
class PipelineRow:
    """One provider's support in one currency, by the furthest stage it reached: `announced`
    counts everything, `agreed` what was agreed or further, `disbursed` the money paid out,
    `delivered` what was received (each approximate when any part is)."""

    provider: str
    currency: str
    announced: Money
    agreed: Money
    disbursed: Money
    delivered: Money


@attrs.frozen
class LeadTime:
    """How long one commitment took from one stage to the next, as a range of durations.

    `shortest` is from the latest the first stage could have been to the earliest the next
    could have been (0 when the dates overlap); `longest` from the earliest to the latest.
    When the later stage's date lies wholly before the earlier one's, the records contradict
    the lifecycle: `reversed` is True and both are negative, never hidden as zero.
    """

    commitment: str
    provider: str
    start_stage: Stage
    end_stage: Stage
    start: When
    end: When

    @property
    def reversed(self) -> bool:
        """The later stage is dated wholly before the earlier one."""
        return self.end.latest < self.start.earliest

    @property
    def shortest(self) -> dt.timedelta:
        """The shortest lead time the dates allow."""
        span = _span(self.start.latest, self.end.earliest)
        return span if self.reversed else max(dt.timedelta(0), span)

    @property
    def longest(self) -> dt.timedelta:
        """The longest lead time the dates allow."""
        return _span(self.start.earliest, self.end.latest)

    def __str__(self) -> str:
        note = " (dated in reverse: check the records)" if self.reversed else ""
        return (
            f"{self.provider} {self.commitment}: {self.start_stage.value} ({self.start}) → "
            f"{self.end_stage.value} ({self.end}): {_days(self.shortest)}–{_days(self.longest)} "
            f"days{note}"
        )


@attrs.frozen
class LeadTimeSummary:
    """Lead times of one provider between two stages: how many, shortest and longest."""

    provider: str
    start_stage: Stage
    end_stage: Stage
    count: int
    shortest: dt.timedelta
    longest: dt.timedelta


def _span(start: dt.datetime, end: dt.datetime) -> dt.timedelta:
    """`end - start` as a plain timedelta."""
    return dt.timedelta(seconds=(end - start).total_seconds())


def _days(span: dt.timedelta) -> str:
    return f"{span.total_seconds() / 86400:.1f}".removesuffix(".0")


@attrs.frozen
class Conversion:
    """Commitments converted to one currency: the `total` (approximate if any part is) and,
    per commitment, the `Converted` amount with the rates and dates it used."""

    total: Money
    items: tuple[tuple[Commitment, Converted], ...]


@attrs.frozen
class TroopPledge:
    """A troop pledge to a coalition."""

    actor: str
    troops: int | None
    occurred: When
    event_id: str


@attrs.frozen
class Coalition:
    """A coalition, its leads, and who has pledged troops."""

    id: str
    name: str
    leads: tuple[str, ...]
    purpose: str
    launched: When
    pledges: tuple[TroopPledge, ...] = ()

    @property
    def participants(self) -> tuple[str, ...]:
        """Leads first, then every actor that pledged troops, each once."""
        return tuple(dict.fromkeys((*self.leads, *(p.actor for p in self.pledges))))


@attrs.frozen
class Position:
    """What `actor` said about `subject`, by whom, when, in their words."""

    actor: str
    subject: str
    stance: Stance
    speaker: Person
    quote: str | None
    occurred: When
    event_id: str
    paraphrase: bool = False
    """The quote is a source's paraphrase of the speaker, not their words."""


@attrs.frozen(repr=False, eq=False)
class SupportState:
    """The state of international support for Ukraine at one point of valid and known time.

    Immutable: every accessor returns tuples or read-only mappings. Two states are equal when
    they hold the same facts (compared without recursion, however long the log); a state is
    not hashable (it holds mappings).
    """

    _aid: Mapping[tuple[str, str, Channel], AidStatus] = attrs.field(factory=dict)
    _aid_log: _Cons = None
    _commitments: _Cons = None
    _disbursed: Mapping[str, tuple[tuple[Money, When], ...]] = attrs.field(factory=dict)
    _coalitions: Mapping[str, Coalition] = attrs.field(factory=dict)
    _talks: _Cons = None
    _meetings: _Cons = None
    _positions: Mapping[str, Mapping[str, Position]] = attrs.field(factory=dict)
    _as_of: tuple[str, str] | None = attrs.field(default=None, eq=False)
    _cache: dict[str, Any] = attrs.field(factory=dict, init=False, eq=False)

    def _facts(self) -> tuple[Any, ...]:
        return (
            self._aid,
            _items(self._aid_log),
            _items(self._commitments),
            self._disbursed,
            self._coalitions,
            _items(self._talks),
            _items(self._meetings),
            self._positions,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SupportState):
            return NotImplemented
        return self is other or self._facts() == other._facts()

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = None  # type: ignore[assignment]

    # --- aid --------------------------------------------------------------------------
    def aid(self, provider: str, channel: Channel | str, recipient: str = "UA") -> AidStatus | None:
        """The current `AidStatus` of a channel (with `since`), or None if nothing is recorded."""
        return self._aid.get((provider, recipient, _channel(channel)))

    def aid_status(
        self, provider: str, channel: Channel | str, recipient: str = "UA"
    ) -> Status | None:
        """``"active"``, ``"paused"``, or None when no pause or resumption is recorded."""
        found = self.aid(provider, channel, recipient)
        return None if found is None else found.status

    @property
    def aid_statuses(self) -> tuple[AidStatus, ...]:
        """Every channel with a recorded status."""
        return tuple(self._aid.values())

    def pauses(self) -> tuple[Pause, ...]:
        """Every pause as an interval; a pause still in force has ``end=None``."""
        if "pauses" not in self._cache:
            open_: dict[tuple[str, str, Channel], Pause] = {}
            done: list[Pause] = []
            for status in _items(self._aid_log):
                key = (status.provider, status.recipient, status.channel)
                if status.status == "paused" and key not in open_:
                    open_[key] = Pause(*key, status.since, None, status.event_id)
                elif status.status == "active" and key in open_:
                    done.append(attrs.evolve(open_.pop(key), end=status.since))
            self._cache["pauses"] = tuple(done) + tuple(open_.values())
        result: tuple[Pause, ...] = self._cache["pauses"]
        return result

    # --- money ------------------------------------------------------------------------
    @property
    def commitments(self) -> tuple[Commitment, ...]:
        """Loans (latest stage of each), deals and spending plans, in the order they occurred."""
        if "commitments" not in self._cache:
            latest: dict[str, Commitment] = {}
            history: dict[str, list[Commitment]] = {}
            for item in _items(self._commitments):
                latest.pop(item.id, None)
                latest[item.id] = item
                history.setdefault(item.id, []).append(item)
            disbursed = self._disbursed
            made = []
            for c in latest.values():
                stages: dict[Stage, When] = {}
                amounts: dict[Stage, Money] = {}
                for item in history[c.id]:  # in valid-time order
                    stage = _stage_of(item)
                    stages.setdefault(stage, item.occurred)
                    for lower in _STAGES[: stage.rank + 1]:
                        amounts[lower] = item.amount
                paid = disbursed.get(c.id, ())
                if paid:
                    first = paid[0][1]
                    known = stages.get(Stage.DISBURSED)
                    if known is None or first.sort_key < known.sort_key:
                        stages[Stage.DISBURSED] = first
                    amounts.setdefault(Stage.DISBURSED, c.amount)
                made.append(
                    attrs.evolve(
                        c,
                        disbursed=tuple(money for money, _ in paid),
                        disbursed_on=tuple(when for _, when in paid),
                        stages=tuple(sorted(stages.items(), key=lambda kv: kv[0].rank)),
                        stage_amounts=tuple(sorted(amounts.items(), key=lambda kv: kv[0].rank)),
                    )
                )
            self._cache["commitments"] = tuple(made)
        result: tuple[Commitment, ...] = self._cache["commitments"]
        return result

    def _support(self, provider: str | None, kind: str | None) -> Iterator[Commitment]:
        for c in self.commitments:
            if kind is None and c.kind == "spending":
                continue  # context, not support to Ukraine: only when asked for by kind
            if (provider is None or c.provider == provider) and (kind is None or c.kind == kind):
                yield c

    def totals(
        self,
        provider: str | None = None,
        kind: str | None = None,
        *,
        stage: Stage | str | None = None,
        convert_to: str | None = None,
        rates: EcbRates | None = None,
    ) -> dict[str, Decimal]:
        """Sum of support commitments per currency (never mixed), optionally for one provider
        or kind. Spending plans (an ally's own defence budget) are context, left out unless
        asked for with ``kind="spending"``. `amounts` says which sums are approximate.

        With `stage`, only what reached it: ``"agreed"`` counts commitments agreed or further,
        ``"disbursed"`` the money actually paid out (each disbursement, not the full amount),
        ``"delivered"`` what was received. Without it, every commitment counts in full from its
        first stage (an announcement included).

        With `convert_to` (``"EUR"``), every amount is converted at the ECB rate of its own
        date and the result is one sum in that currency; `convert` says which rate and date
        each amount used. Without it, nothing is ever converted.
        """
        if convert_to is not None:
            conversion = self.convert(
                convert_to, rates=rates, provider=provider, kind=kind, stage=stage
            )
            total = conversion.total
            return {total.currency: total.amount}
        amounts = self.amounts(provider, kind, stage=stage)
        return {currency: money.amount for currency, money in amounts.items()}

    def convert(
        self,
        to: str = "EUR",
        *,
        rates: EcbRates | None = None,
        provider: str | None = None,
        kind: str | None = None,
        stage: Stage | str | None = None,
    ) -> Conversion:
        """The support commitments converted to `to`, each at the ECB rate of its own date
        (`timeline.rates`: the last rate published on or before it, the earliest bound of an
        uncertain date), with the rate used for each; `ConversionError` names an amount that
        has no rate. `rates` defaults to the ECB history of the ``rates`` extra.

        With `stage`, what counts at that stage (as `totals`), each amount at its own date:
        a payment at the day it was paid, an agreed amount at its agreement."""
        table = rates if rates is not None else EcbRates.ecb()
        wanted = None if stage is None else Stage(stage)
        items = tuple(
            (c, table.convert(money, on, to=to))
            for c in self._support(provider, kind)
            for money, on in _dated_at_stage(c, wanted)
        )
        total = Money(Decimal(0), to)
        for _, converted in items:
            total = total + converted.amount
        return Conversion(total, items)

    def amounts(
        self,
        provider: str | None = None,
        kind: str | None = None,
        *,
        stage: Stage | str | None = None,
    ) -> dict[str, Money]:
        """`totals` as `Money`: a sum with any approximate part is approximate (``~``).

        >>> from timeline import support
        >>> state = support.load_seed().state_at("2025-03-07")
        >>> str(state.amounts(provider="GB")["GBP"])
        '~GBP 2,290,000,000'
        """
        wanted = None if stage is None else Stage(stage)
        sums: dict[str, Money] = {}
        for c in self._support(provider, kind):
            for money in _at_stage(c, wanted):
                currency = money.currency
                sums[currency] = sums[currency] + money if currency in sums else money
        return sums

    def pipeline(self) -> tuple[PipelineRow, ...]:
        """Pledge to delivery, per provider and currency: how much reached each stage (a
        payment in another currency than its loan's gets a row of that currency; a payment of
        a loan never announced counts nowhere).

        >>> from timeline import support
        >>> [row] = support.load_seed().state_at("2025-04-30").pipeline()
        >>> row.provider, str(row.announced), str(row.agreed), str(row.disbursed)
        ('GB', '~GBP 2,290,000,000', 'GBP 2,260,000,000', '~GBP 1,504,000,000')
        """
        keys = sorted(
            {
                (c.provider, money.currency)
                for c in self._support(None, None)
                for money in (c.amount, *c.disbursed)
            }
        )
        rows = []
        for provider, currency in keys:
            cells = []
            for stage in _STAGES:
                money = self.amounts(provider, stage=stage).get(currency)
                cells.append(money if money is not None else Money(Decimal(0), currency))
            rows.append(PipelineRow(provider, currency, *cells))
        return tuple(rows)

    def lead_times(self) -> tuple[LeadTime, ...]:
        """For every commitment that reached a later stage, the time from each stage to the
        next it reached, as a range: both dates keep their uncertainty."""
        found = []
        for c in self._support(None, None):
            for (first, start), (then, end) in zip(c.stages, c.stages[1:], strict=False):
                found.append(LeadTime(c.id, c.provider, first, then, start, end))
        return tuple(found)

    def lead_time_summary(self) -> tuple[LeadTimeSummary, ...]:
        """Per provider and pair of stages: how many commitments, and the shortest and longest
        lead time their dates allow."""
        groups: dict[tuple[str, Stage, Stage], list[LeadTime]] = {}
        for lead in self.lead_times():
            groups.setdefault((lead.provider, lead.start_stage, lead.end_stage), []).append(lead)
        return tuple(
            LeadTimeSummary(
                provider,
                first,
                then,
                len(leads),
                min(lead.shortest for lead in leads),
                max(lead.longest for lead in leads),
            )
            for (provider, first, then), leads in sorted(
                groups.items(), key=lambda kv: (kv[0][0], kv[0][1].rank, kv[0][2].rank)
            )
        )

    # --- diplomacy --------------------------------------------------------------------
    @property
    def coalitions(self) -> Mapping[str, Coalition]:
        """Every coalition launched, by key."""
        return types.MappingProxyType(dict(self._coalitions))

    @property
    def coalition(self) -> Coalition | None:
        """The most recently launched coalition, or None."""
        coalitions = list(self._coalitions.values())
        return coalitions[-1] if coalitions else None

    @property
    def talks(self) -> tuple[TalksHeld, ...]:
        """Talks held, in the order they occurred."""
        return _items(self._talks)

    @property
    def meetings(self) -> tuple[MeetingHeld, ...]:
        """Meetings held, in the order they occurred."""
        return _items(self._meetings)

    @property
    def positions(self) -> Mapping[str, Mapping[str, Position]]:
        """actor -> subject -> the latest `Position`, read-only."""
        return types.MappingProxyType(
            {
                actor: types.MappingProxyType(dict(subjects))
                for actor, subjects in self._positions.items()
            }
        )

    def to_pandas(self) -> Any:
        """The commitments as a pandas DataFrame (extra ``timeline-asof[notebook]``)."""
        return notebook.state_frame(self)

    def with_as_of(self, at: str, known_at: str) -> SupportState:
        """This state, labelled with the time it is for and the knowledge it reflects
        (`Timeline.state_at` does it; the label shows in the HTML and never in equality)."""
        labelled = _evolve(self, as_of=(at, known_at))
        labelled._cache.update(self._cache)  # same facts: keep what was computed
        return labelled

    @property
    def as_of(self) -> tuple[str, str] | None:
        """(valid time, knowledge time) this state was asked for, when `state_at` made it."""
        return self._as_of

    def _repr_html_(self) -> str:
        return notebook.state_html(self)

    def __repr__(self) -> str:
        aid = ", ".join(f"{s.provider} {s.channel.value}: {s.status}" for s in self._aid.values())
        totals = "; ".join(
            f"{currency} {amount:,f}" for currency, amount in sorted(self.totals().items())
        )
        coalition = self.coalition
        return (
            f"<SupportState aid=[{aid}] commitments={len(self.commitments)}"
            f" totals=[{totals}] coalition={coalition.name if coalition else None}"
            f" talks={len(self.talks)} positions={sum(len(s) for s in self._positions.values())}>"
        )


_evolve = evolver(SupportState)


def _at_stage(c: Commitment, stage: Stage | None) -> tuple[Money, ...]:
    """What of commitment `c` counts at `stage`: without a stage, its amount; up to agreed,
    the amount recorded at that stage or further; at disbursed, the payments recorded (or, for
    a loan recorded as disbursed with no payment, its amount)."""
    if stage is None:
        return (c.amount,)
    if stage is Stage.DISBURSED and c.disbursed:
        return c.disbursed
    amounts = dict(c.stage_amounts)
    return (amounts[stage],) if stage in amounts and stage is not Stage.DELIVERED else ()


def _dated_at_stage(c: Commitment, stage: Stage | None) -> list[tuple[Money, When]]:
    """`_at_stage` with the date of each amount: payments at their day, others at the stage's
    (or, without a stage, the commitment's own) date."""
    if stage is None:
        return [(c.amount, c.occurred)]
    if stage is Stage.DISBURSED and c.disbursed:
        return list(zip(c.disbursed, c.disbursed_on, strict=True))
    on = dict(c.stages).get(stage, c.occurred)
    return [(money, on) for money in _at_stage(c, stage)]


def _stage_of(item: Commitment) -> Stage:
    """The stage one recorded commitment event stands for."""
    if item.stage is not None:  # a loan's recorded stage, or a deal only announced
        return _LOAN_STAGES[item.stage]
    return Stage.AGREED if item.kind == "deal" else Stage.ANNOUNCED


def _describe(ev: LoanAnnounced | DealSigned | DealAnnounced | SpendingAnnounced) -> str:
    if isinstance(ev, LoanAnnounced):
        return f"loan {ev.loan}" + (f" ({ev.programme})" if ev.programme else "")
    if isinstance(ev, (DealSigned, DealAnnounced)):
        items = ", ".join(ev.items) or "supplies"
        return f"deal with {ev.supplier}: {items}"
    return ev.programme


class SupportProjection(Reducer[SupportState]):
    """The default projection of `timeline.open()`: folds support events into `SupportState`."""

    def initial(self) -> SupportState:
        return SupportState()

    @on(AidPaused, AidResumed)
    def _aid(self, state: SupportState, ev: AidPaused | AidResumed) -> SupportState:
        status: Status = "paused" if isinstance(ev, AidPaused) else "active"
        record = AidStatus(ev.provider, ev.recipient, ev.channel, status, ev.occurred, ev.id)
        aid = dict(state._aid)
        aid[(ev.provider, ev.recipient, ev.channel)] = record
        return _evolve(state, aid=aid, aid_log=(record, state._aid_log))

    @on(LoanAnnounced)
    def _loan(self, state: SupportState, ev: LoanAnnounced) -> SupportState:
        item = Commitment(
            ev.loan,
            "loan",
            ev.lender,
            ev.borrower,
            ev.amount,
            ev.occurred,
            _describe(ev),
            backing=ev.backing,
            stage=ev.stage,
        )
        return _evolve(state, commitments=(item, state._commitments))

    @on(LoanDisbursed)
    def _disburse(self, state: SupportState, ev: LoanDisbursed) -> SupportState:
        disbursed = dict(state._disbursed)
        disbursed[ev.loan] = (*disbursed.get(ev.loan, ()), (ev.amount, ev.occurred))
        return _evolve(state, disbursed=disbursed)

    @on(DealSigned, DealAnnounced)
    def _deal(self, state: SupportState, ev: DealSigned | DealAnnounced) -> SupportState:
        announced = LoanStage.ANNOUNCED if isinstance(ev, DealAnnounced) else None
        item = Commitment(
            ev.id,
            "deal",
            ev.buyer,
            ev.beneficiary,
            ev.amount,
            ev.occurred,
            _describe(ev),
            stage=announced,
        )
        return _evolve(state, commitments=(item, state._commitments))

    @on(SpendingAnnounced)
    def _spending(self, state: SupportState, ev: SpendingAnnounced) -> SupportState:
        item = Commitment(ev.id, "spending", ev.actor, None, ev.amount, ev.occurred, _describe(ev))
        return _evolve(state, commitments=(item, state._commitments))

    @on(CoalitionLaunched)
    def _coalition(self, state: SupportState, ev: CoalitionLaunched) -> SupportState:
        coalitions = dict(state._coalitions)
        old = coalitions.pop(ev.coalition, None)
        coalitions[ev.coalition] = Coalition(
            ev.coalition, ev.name, ev.leads, ev.purpose, ev.occurred, old.pledges if old else ()
        )
        return _evolve(state, coalitions=coalitions)

    @on(TroopsPledged)
    def _pledge(self, state: SupportState, ev: TroopsPledged) -> SupportState:
        coalitions = dict(state._coalitions)
        pledge = TroopPledge(ev.actor, ev.troops, ev.occurred, ev.id)
        old = coalitions.get(ev.coalition)
        if old is None:  # a pledge to a coalition not (yet) launched in this log
            old = Coalition(ev.coalition, ev.coalition, (), "", ev.occurred)
        coalitions[ev.coalition] = attrs.evolve(old, pledges=(*old.pledges, pledge))
        return _evolve(state, coalitions=coalitions)

    @on(TalksHeld)
    def _talks(self, state: SupportState, ev: TalksHeld) -> SupportState:
        return _evolve(state, talks=(ev, state._talks))

    @on(MeetingHeld)
    def _meeting(self, state: SupportState, ev: MeetingHeld) -> SupportState:
        return _evolve(state, meetings=(ev, state._meetings))

    @on(StatementMade)
    def _statement(self, state: SupportState, ev: StatementMade) -> SupportState:
        positions = dict(state._positions)
        subjects = dict(positions.get(ev.actor, {}))
        subjects[ev.subject] = Position(
            ev.actor, ev.subject, ev.stance, ev.speaker, ev.quote, ev.occurred, ev.id, ev.paraphrase
        )
        positions[ev.actor] = subjects
        return _evolve(state, positions=positions)

    def diff(self, before: SupportState, after: SupportState) -> list[Change]:
        """Typed changes from `before` to `after`, each with a one-line `str`."""
        return support_diff(before, after)


@attrs.frozen
class AidChanged:
    """A channel of aid changed status (None: nothing recorded about it; "no record" when shown)."""

    provider: str
    recipient: str
    channel: Channel
    before: Status | None
    after: Status | None
    since: When | None

    def __str__(self) -> str:
        when = f" ({self.since})" if self.since else ""
        return (
            f"{self.provider} {self.channel.value} aid: {self.before or 'no record'} → "
            f"{self.after or 'no record'}{when}"
        )


@attrs.frozen
class CommitmentChanged:
    """A commitment appeared, changed (stage, amount, disbursements) or disappeared."""

    before: Commitment | None
    after: Commitment | None

    def __str__(self) -> str:
        c = self.after or self.before
        assert c is not None

        def money(item: Commitment | None) -> str:
            if item is None:
                return "—"
            stage = f", {item.stage.value}" if item.stage else ""
            paid = f", {len(item.disbursed)} tranche(s) paid" if item.disbursed else ""
            return f"{item.amount}{stage}{paid}"

        return f"{c.provider} {c.description}: {money(self.before)} → {money(self.after)} ({_changed_on(self.before, self.after)})"


def _changed_on(before: Commitment | None, after: Commitment | None) -> When:
    """When the change happened: a new disbursement's date, else the commitment's own."""
    c = after or before
    assert c is not None
    if (
        before is not None
        and after is not None
        and len(after.disbursed_on) > len(before.disbursed_on)
    ):
        return after.disbursed_on[-1]
    return c.occurred


@attrs.frozen
class PositionChanged:
    """An actor's stance on a subject appeared or changed."""

    actor: str
    subject: str
    before: Position | None
    after: Position | None

    def __str__(self) -> str:
        def stance(p: Position | None) -> str:
            return "—" if p is None else p.stance.value

        when = self.after.occurred if self.after else self.before.occurred if self.before else ""
        return (
            f"{self.actor} on {self.subject}: {stance(self.before)} → {stance(self.after)} ({when})"
        )


@attrs.frozen
class ItemChanged:
    """A coalition, talks or meeting appeared, changed or disappeared."""

    kind: Literal["coalition", "talks", "meeting"]
    key: str
    before: object
    after: object
    summary: str

    def __str__(self) -> str:
        return f"{self.kind} {self.summary}"


def _by_id(items: tuple[Any, ...]) -> dict[str, Any]:
    return {item.id: item for item in items}


def _aid_changes(before: SupportState, after: SupportState) -> Iterator[Change]:
    for key in dict.fromkeys((*before._aid, *after._aid)):
        old, new = before._aid.get(key), after._aid.get(key)
        if (old.status if old else None) != (new.status if new else None):
            latest = new or old
            yield AidChanged(
                *key,
                old.status if old else None,
                new.status if new else None,
                latest.since if latest else None,
            )


def _commitment_changes(before: SupportState, after: SupportState) -> Iterator[Change]:
    olds, news = _by_id(before.commitments), _by_id(after.commitments)
    for key in dict.fromkeys((*olds, *news)):
        if olds.get(key) != news.get(key):
            yield CommitmentChanged(olds.get(key), news.get(key))


def _coalition_changes(before: SupportState, after: SupportState) -> Iterator[Change]:
    for key in dict.fromkeys((*before._coalitions, *after._coalitions)):
        old, new = before._coalitions.get(key), after._coalitions.get(key)
        if old != new:
            c = new or old
            assert c is not None
            what = "launched" if old is None else "withdrawn" if new is None else "changed"
            summary = (
                f"{c.name!r} {what}: leads {', '.join(c.leads)}; "
                f"participants {', '.join(c.participants)} ({c.launched})"
            )
            yield ItemChanged("coalition", key, old, new, summary)


def _happening_changes(before: SupportState, after: SupportState) -> Iterator[Change]:
    pairs: tuple[tuple[Literal["talks", "meeting"], tuple[Any, ...], tuple[Any, ...]], ...] = (
        ("talks", before.talks, after.talks),
        ("meeting", before.meetings, after.meetings),
    )
    for kind, old_items, new_items in pairs:
        olds, news = _by_id(old_items), _by_id(new_items)
        for key in dict.fromkeys((*olds, *news)):
            if olds.get(key) != news.get(key):
                item = news.get(key) or olds[key]
                verb = "held" if key in news else "withdrawn"
                summary = f"{item.topic!r} {verb} ({item.occurred})"
                yield ItemChanged(kind, key, olds.get(key), news.get(key), summary)


def _position_changes(before: SupportState, after: SupportState) -> Iterator[Change]:
    for actor in dict.fromkeys((*before._positions, *after._positions)):
        olds, news = before._positions.get(actor, {}), after._positions.get(actor, {})
        for subject in dict.fromkeys((*olds, *news)):
            if olds.get(subject) != news.get(subject):
                yield PositionChanged(actor, subject, olds.get(subject), news.get(subject))


def support_diff(before: SupportState, after: SupportState) -> list[Change]:
    """What changed between two support states: aid, commitments, coalitions, talks and
    meetings, positions, in that order."""
    return [
        change
        for section in (
            _aid_changes,
            _commitment_changes,
            _coalition_changes,
            _happening_changes,
            _position_changes,
        )
        for change in section(before, after)
    ]
