"""The support-for-Ukraine domain: its event catalogue, the `SupportState` projection, its seed.

`open` and `load_seed` are the domain's short ways in: a timeline whose default projection is
`SupportProjection`, so ``state_at`` answers with a `SupportState`.
"""

from timeline.support.actors import Person, actor_code
from timeline.support.events import (
    AidPaused,
    AidResumed,
    Channel,
    CoalitionLaunched,
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
from timeline.support.seed import fill, load_seed, open  # noqa: A004 - support.open mirrors timeline.open
from timeline.support.state import (
    AidChanged,
    AidStatus,
    Coalition,
    Commitment,
    CommitmentChanged,
    Conversion,
    ItemChanged,
    Pause,
    Position,
    PositionChanged,
    SupportProjection,
    SupportState,
    TroopPledge,
)

__all__ = [
    "AidChanged",
    "AidPaused",
    "AidResumed",
    "AidStatus",
    "Channel",
    "Coalition",
    "CoalitionLaunched",
    "Commitment",
    "CommitmentChanged",
    "Conversion",
    "DealSigned",
    "ItemChanged",
    "LoanAnnounced",
    "LoanDisbursed",
    "LoanStage",
    "MeetingHeld",
    "Pause",
    "Person",
    "Position",
    "PositionChanged",
    "SpendingAnnounced",
    "Stance",
    "StatementMade",
    "SupportProjection",
    "SupportState",
    "TalksHeld",
    "TroopPledge",
    "TroopsPledged",
    "actor_code",
    "fill",
    "load_seed",
    "open",
]
