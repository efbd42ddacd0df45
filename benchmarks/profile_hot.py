"""Profile the two hot paths that miss their targets (needs pyinstrument): python benchmarks/profile_hot.py"""

import os
import random
import sys
import tempfile

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent.parent))
from pyinstrument import Profiler

import timeline
from benchmarks.workloads import _spec
from timeline import Money, Person
from timeline.support import AidPaused, AidResumed, LoanAnnounced, StatementMade

rng = random.Random(1)
speaker = Person(name="Speaker", role="Minister", actor="RU")


def make(i):
    kind, day, actor, amount = _spec(i, rng)
    if kind == "paused":
        return AidPaused(
            id=f"e{i}", occurred=day, provider=actor, recipient="UA", channel="military"
        )
    if kind == "resumed":
        return AidResumed(
            id=f"e{i}", occurred=day, provider=actor, recipient="UA", channel="military"
        )
    if kind == "loan":
        return LoanAnnounced(
            id=f"e{i}",
            occurred=day,
            loan=f"loan-{i % 97}",
            lender=actor,
            borrower="UA",
            amount=Money(amount, "EUR"),
            stage="agreed",
        )
    return StatementMade(
        id=f"e{i}",
        occurred=day,
        speaker=speaker,
        actor="RU",
        subject=f"s{i % 13}",
        stance="opposes",
        quote="cannot be allowed",
    )


N = 30_000
events = [make(i) for i in range(N)]
path = os.path.join(tempfile.mkdtemp(), "p.db")
tl = timeline.open(path)
p = Profiler(interval=0.0005)
p.start()
for s in range(0, N, 100):
    tl.append(*events[s : s + 100])
p.stop()
print(p.output_text(unicode=False, color=False, show_all=False)[:3500])
tl.close()
p = Profiler(interval=0.0005)
p.start()
tl = timeline.open(path)
p.stop()
print(p.output_text(unicode=False, color=False, show_all=False)[:3000])
