"""Who may act on a place of service (MUŚ): only the provider that registered it.

``zapiszDaneMus`` stores the registering provider's OID (``idPodmiotuOidRoot`` /
``idPodmiotuOidExt`` of its ``kontekstWywolania``) on the ``mus`` row; every SOAP operation that
names a MUŚ, or a schedule, slot or visit of one, must come from that same OID. Another provider
gets ``BladBiznesowy`` / ``BrakUprawnien``; the one exception is reading a visit by the caller's
own ``identyfikatorWizyty``, where another provider's visit simply looks absent (``owns``), so the
answer does not tell that such an identifier exists elsewhere.

The owner of a MUŚ never changes once it is registered (an update by the owner keeps the OID, an
update by anybody else is refused), so the check may read its own snapshot before the rule runs.
An object that does not exist passes the check: the rule itself then answers ``NieZnaleziono``.
The simulator's own actors (portal patients, other providers, the waiting room) and the control
API act inside CeR, not over SOAP, and never pass through here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from types import MappingProxyType

from recepcja.simulator import errors
from recepcja.simulator.db import make_id, parse_id

# What a SOAP request may name, the prefix of its CeR id, and how to find its MUŚ.
_OWNER_QUERIES: Mapping[str, tuple[str, str, str]] = MappingProxyType({
    "place": ("MUS", "miejsce udzielania świadczeń",
              "SELECT m.num, m.oid_root, m.oid_ext FROM mus m WHERE m.num = ?"),
    "schedule": ("HRM", "harmonogram",
                 "SELECT m.num, m.oid_root, m.oid_ext FROM harmonogram h "
                 "JOIN mus m ON m.num = h.mus_num WHERE h.num = ?"),
    "slot": ("SLT", "slot",
             "SELECT m.num, m.oid_root, m.oid_ext FROM slot s "
             "JOIN harmonogram h ON h.num = s.harmonogram_num "
             "JOIN mus m ON m.num = h.mus_num WHERE s.num = ?"),
    "visit": ("WIZ", "wizyta",
              "SELECT m.num, m.oid_root, m.oid_ext FROM wizyta w JOIN slot s ON s.num = w.slot_num "
              "JOIN harmonogram h ON h.num = s.harmonogram_num "
              "JOIN mus m ON m.num = h.mus_num WHERE w.num = ?"),
})
KINDS = frozenset(_OWNER_QUERIES) | {"rpwdl"}


def caller_oid(caller: Mapping[str, str]) -> tuple[str | None, str | None]:
    return caller.get("idPodmiotuOidRoot"), caller.get("idPodmiotuOidExt")


def _place_of(
    conn: sqlite3.Connection, kind: str, ref: str | tuple[str, ...]
) -> sqlite3.Row | None:
    """The MUŚ (num, oid_root, oid_ext) the named object belongs to; None when it is unknown."""
    if kind == "rpwdl":
        return conn.execute(
            "SELECT num, oid_root, oid_ext FROM mus "
            "WHERE czesc_i = ? AND czesc_v = ? AND czesc_vii = ?", tuple(ref)
        ).fetchone()
    prefix, _, sql = _OWNER_QUERIES[kind]
    num = parse_id(prefix, ref if isinstance(ref, str) else None)
    return None if num is None else conn.execute(sql, (num,)).fetchone()


def _is_owner(place: sqlite3.Row, caller: Mapping[str, str]) -> bool:
    # A row without an OID (none is written so over SOAP) belongs to nobody who calls.
    return (place["oid_root"], place["oid_ext"]) == caller_oid(caller) and bool(place["oid_root"])


def owns(conn: sqlite3.Connection, caller: Mapping[str, str], kind: str, ref: str) -> bool:
    """Whether the caller's OID owns the MUŚ of an existing object (False when it is unknown)."""
    place = _place_of(conn, kind, ref)
    return place is not None and _is_owner(place, caller)


def require_owner(
    conn: sqlite3.Connection, caller: Mapping[str, str], kind: str, ref: str | tuple[str, ...]
) -> None:
    """Refuse (``BrakUprawnien``) a caller acting on another provider's MUŚ or what is in it."""
    place = _place_of(conn, kind, ref)
    if place is None or _is_owner(place, caller):
        return
    root, ext = caller_oid(caller)
    mus_id = make_id("MUS", place["num"])
    named = "" if kind in ("place", "rpwdl") else f" ({_OWNER_QUERIES[kind][1]} {ref})"
    raise errors.business(
        errors.NO_PERMISSION,
        f"Podmiot {root}/{ext} nie jest właścicielem miejsca udzielania świadczeń "
        f"{mus_id}{named}.",
    )
