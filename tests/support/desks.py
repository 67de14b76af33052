"""Desks on one practice database, for the tests of the practice's CeR client (issue 15)."""

from __future__ import annotations

from collections.abc import Callable

from recepcja.domain.workstation import Workstation
from recepcja.store.db import Database, open_database


def desk_connection(url: str, name: str) -> Callable[[], Database]:
    """Opens a new connection to the practice database ``url`` as the desk ``name``."""

    def connect() -> Database:
        db = open_database(url)
        db.identify(Workstation.named(name))
        return db

    return connect


def listens(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:``port`` (a receiver listening)."""
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False
