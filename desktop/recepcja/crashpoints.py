"""Named crash points: stop the process right after a commit, to prove what a kill leaves.

Every place where the app has just committed a step of sending a change to CeR, or of taking
one in from CeR, calls ``crash_point("area.after_what")``. Normally that is one dictionary
lookup and nothing else. When the environment variable ``RECEPCJA_CRASH_AT`` names that point,
the process kills itself on the spot with SIGKILL (``os._exit`` where there is no SIGKILL, on
Windows): no ``finally``, no ``atexit``, no flush - exactly what a power cut or ``kill -9``
leaves behind.

The tests (``tests/integration/emergency/test_crash_points.py``) run a real process with the
variable set for each point in ``CRASH_POINTS``, restart it, run one sync, and compare the local
database and CeR's state with an uninterrupted run; ``bench/crash_emergency.py`` uses the same
points for its deterministic kills.

For maintainers: a new commit on a sync path gets a ``crash_point`` call right after it, with a
new name added to ``CRASH_POINTS`` (a unit test fails when the two disagree), and a scenario in
the crash-point test that reaches it. Never call it inside a transaction: the point is what the
database holds after the commit.
"""

from __future__ import annotations

import os
import signal

ENV = "RECEPCJA_CRASH_AT"

CRASH_POINTS = (
    # the desk's write is committed; the immediate try has not started (services.sync_service)
    "desk.after_write",
    # the replay (sync/replay*.py)
    "replay.after_recover",  # rows of a sender that is gone made ambiguous
    "replay.after_claim",  # a chunk of rows claimed (sending)
    "replay.after_cer_answer",  # CeR committed and answered; nothing local written yet
    "replay.after_move",  # a booking moved locally to a term CeR has free
    "replay.after_leave_term",  # no term free in CeR: the visit let go of its term
    "replay.after_requeue",  # an ambiguous row read back and queued again
    "replay.after_finish",  # a chunk's outcomes written with their local writes
    "replay.after_failure",  # a row marked failed or ambiguous after a CeR failure
    "replay.after_release",  # rows never sent given back
    "replay.after_put_back",  # a visit moved, at the end of a pass, to the term CeR holds it on
    # e-referral rows of the replay (sync/replay_referrals.py)
    "referral.after_p1_answer",  # P1 took, gave back or realised a referral; nothing local yet
    # notifications (sync/notifications.py)
    "notifications.after_patient",  # a patient CeR named registered locally
    "notifications.after_store_visit",  # a notified visit written, not yet marked applied
    "notifications.after_applied",  # a notification marked applied
    # reconciliation repairs (sync/reconcile.py)
    "reconcile.after_adopt_slot",  # a term CeR holds created locally
    "reconcile.after_slot_repair",  # a term booked here without a visit set free
    "reconcile.after_confirm",  # a pending visit CeR holds confirmed
    "reconcile.after_patient_repair",  # a visit made to name CeR's patient
    "reconcile.after_restore",  # a visit CeR holds restored or updated locally
    "reconcile.after_follow_cer",  # a visit CeR moved or cancelled made to say the same
    "reconcile.after_requeue",  # a visit CeR never received queued again
    # a desk's offline queue merged into the practice database (sync/practice_merge.py)
    "practice_merge.after_practice_commit",  # a chunk applied there, keys recorded
    "practice_merge.after_local_mark",  # the chunk noted as merged in the desk's copy
)


def crash_point(name: str) -> None:
    """Kill this process now if ``RECEPCJA_CRASH_AT`` names ``name``; otherwise nothing."""
    if os.environ.get(ENV) != name:
        return
    kill = getattr(signal, "SIGKILL", None)
    if kill is not None:
        os.kill(os.getpid(), kill)
    os._exit(137)  # no SIGKILL (Windows): leave without cleaning up, as a kill would
