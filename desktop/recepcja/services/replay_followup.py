"""After a sync pass: the terms CeR gave to somebody else are shown taken at once.

The replay marks them itself, with each row's outcome (``sync.lost_terms``); this is the same
rule applied again to rows already written (the window runs it after each pass it is told
about: a no-op for rows the replay has marked).
"""

from __future__ import annotations

from collections.abc import Iterable

from recepcja.store.db import atomic
from recepcja.store.repos import Repositories
from recepcja.sync.lost_terms import take_lost_term


def mark_lost_terms_taken(repos: Repositories, entry_ids: Iterable[int]) -> list[int]:
    """The slot ids marked taken (one transaction)."""
    marked = []
    with atomic(repos.db):
        for entry_id in entry_ids:
            entry = repos.outbox.get(entry_id)
            slot_id = take_lost_term(repos, entry.result if entry is not None else None)
            if slot_id is not None:
                marked.append(slot_id)
    return marked
