"""P1's e-referrals (e-skierowanie) as the simulator keeps them, and every status rule.

A referral is issued by a doctor elsewhere (status ``WYSTAWIONE``); a provider reads it by its
44-digit key, or by its 4-digit access code together with the patient's PESEL; it takes it into
realisation (``U_REALIZATORA``, the provider becomes its *holder*), may give it back
(``WYSTAWIONE`` again) and marks it realised (``ZREALIZOWANE``). The issuer may cancel it
(``ANULOWANE``; here through the control API). The rules, as ``resources/p1-referral/README.md``
lists them:

- only ``WYSTAWIONE`` is readable by a provider that does not hold the referral; the holder reads
  it in any status but ``ANULOWANE``;
- a wrong access code or PESEL says only that (it does not tell which was wrong);
- taking it needs ``WYSTAWIONE`` (the holder taking it again is answered as done: a resend after
  a lost answer must not fail); a refusal (comment of at least 5 characters) needs
  ``WYSTAWIONE`` and leaves it so; giving back and marking realised need the caller to hold it.

Who calls is the provider OID of the call's context header (``idPodmiotuOidRoot`` /
``idPodmiotuOidExt``). The rules raise ``CerError`` with this service's codes and know nothing of
SOAP or JSON; every successful change is one row of ``historia_skierowania``, so a test can count
that a referral was taken exactly once.
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from recepcja.simulator import errors
from recepcja.simulator.clock import to_db
from recepcja.simulator.errors import CerError

MINOR_PREFIX = "urn:csioz:p1:skierowanie:kod:minor:"
NOT_FOUND = MINOR_PREFIX + "NieZnaleziono"
WRONG_CODE_OR_PESEL = MINOR_PREFIX + "NieprawidlowyKodLubPesel"
HELD_ELSEWHERE = MINOR_PREFIX + "SkierowanieUInnegoRealizatora"
REALISED = MINOR_PREFIX + "SkierowanieZrealizowane"
CANCELLED = MINOR_PREFIX + "SkierowanieAnulowane"
NOT_TAKEN = MINOR_PREFIX + "SkierowanieNiePrzyjete"
COMMENT_TOO_SHORT = MINOR_PREFIX + "ZbytKrotkiKomentarz"
WRONG_STATE = MINOR_PREFIX + "NiedozwolonyStan"
NO_PERMISSION = MINOR_PREFIX + "BrakUprawnien"

ISSUED, HELD, DONE, VOID = "WYSTAWIONE", "U_REALIZATORA", "ZREALIZOWANE", "ANULOWANE"
STATUSES = (ISSUED, HELD, DONE, VOID)
MIN_COMMENT = 5

_SELECT = "SELECT * FROM skierowanie"


@dataclass(frozen=True, slots=True)
class Provider:
    """A provider by its P1 OID (root and extension)."""

    root: str
    ext: str

    @classmethod
    def of(cls, caller: Mapping[str, str]) -> Provider:
        return cls(caller.get("idPodmiotuOidRoot", ""), caller.get("idPodmiotuOidExt", ""))

    def __str__(self) -> str:
        return f"{self.root}/{self.ext}"


def _refused(minor: str, opis: str) -> CerError:
    return CerError(errors.BUSINESS, minor, opis)


def _holds(row: sqlite3.Row, who: Provider) -> bool:
    return bool(row["realizator_oid_root"]) and (
        row["realizator_oid_root"], row["realizator_oid_ext"]) == (who.root, who.ext)


def _status_refusal(row: sqlite3.Row, who: Provider) -> CerError | None:
    """Why ``who`` may not see or act on ``row`` in its present status (None: it may read it)."""
    status = row["status"]
    if status == VOID:
        return _refused(CANCELLED, f"Skierowanie {row['klucz']} zostało anulowane.")
    if status == ISSUED or _holds(row, who):
        return None
    if status == HELD:
        return _refused(HELD_ELSEWHERE, f"Skierowanie {row['klucz']} jest w realizacji u innego "
                                        "świadczeniodawcy.")
    return _refused(REALISED, f"Skierowanie {row['klucz']} zostało już zrealizowane.")


def _by_key(conn: sqlite3.Connection, key: str) -> sqlite3.Row:
    row = conn.execute(_SELECT + " WHERE klucz = ?", (key,)).fetchone()
    if row is None:
        raise _refused(NOT_FOUND, f"Nie znaleziono skierowania o kluczu {key}.")
    return row


def _log(conn: sqlite3.Connection, row: sqlite3.Row, operation: str, who: Provider | None, *,
         now: dt.datetime, status: str) -> None:
    conn.execute(
        "INSERT INTO historia_skierowania (skierowanie_num, operacja, oid_root, oid_ext, czas, "
        "status) VALUES (?, ?, ?, ?, ?, ?)",
        (row["num"], operation, who.root if who else None, who.ext if who else None, to_db(now),
         status),
    )


def _reload(conn: sqlite3.Connection, num: int) -> sqlite3.Row:
    return conn.execute(_SELECT + " WHERE num = ?", (num,)).fetchone()


# -- the five operations ------------------------------------------------------------------------
def read(conn: sqlite3.Connection, who: Provider, *, key: str | None = None,
         code: str | None = None, pesel: str | None = None) -> sqlite3.Row:
    """``odczytDokumentuSkierowaniaDoRealizacji``: by key, or by access code + PESEL."""
    if key is not None:
        row = _by_key(conn, key)
    else:
        row = conn.execute(_SELECT + " WHERE kod_dostepu = ? AND pesel = ?",
                           (code, pesel)).fetchone()
        if row is None:
            raise _refused(WRONG_CODE_OR_PESEL, "Nie znaleziono skierowania o podanym kodzie "
                                                "dostępu dla podanego numeru PESEL.")
    problem = _status_refusal(row, who)
    if problem is not None:
        raise problem
    return row


def take(conn: sqlite3.Connection, who: Provider, now: dt.datetime, key: str, *, refunded: str,
         visit_date: str | None) -> tuple[sqlite3.Row, bool]:
    """``przyjecieDoRealizacjiSkierowania``: (the referral, whether it changed now)."""
    row = _by_key(conn, key)
    problem = _status_refusal(row, who)
    if problem is not None:
        raise problem
    if row["status"] == HELD:  # the holder again: a resend after a lost answer...
        if visit_date is None or visit_date == row["data_wizyty"]:
            return row, False
        # ... or the visit moved: the model's way to update P1's visit date (P1 does not
        # publish one; resources/p1-referral/README.md). Recorded as "zmiana_daty_wizyty".
        conn.execute("UPDATE skierowanie SET data_wizyty = ?, zmieniono = ? WHERE num = ?",
                     (visit_date, to_db(now), row["num"]))
        _log(conn, row, "zmiana_daty_wizyty", who, now=now, status=HELD)
        return _reload(conn, row["num"]), True
    if row["status"] == DONE:
        raise _refused(REALISED, f"Skierowanie {key} zostało już zrealizowane.")
    conn.execute(
        "UPDATE skierowanie SET status = ?, realizator_oid_root = ?, realizator_oid_ext = ?, "
        "refundacja_realizacji = ?, data_wizyty = ?, zmieniono = ? WHERE num = ?",
        (HELD, who.root, who.ext, refunded, visit_date, to_db(now), row["num"]),
    )
    _log(conn, row, "przyjecie", who, now=now, status=HELD)
    return _reload(conn, row["num"]), True


def refuse(conn: sqlite3.Connection, who: Provider, now: dt.datetime, key: str,
           comment: str) -> sqlite3.Row:
    """``odmowaPrzyjeciaDoRealizacjiSkierowania``: the reason is kept, the status stays."""
    row = _by_key(conn, key)
    problem = _status_refusal(row, who)
    if problem is not None:
        raise problem
    if row["status"] == DONE:
        raise _refused(REALISED, f"Skierowanie {key} zostało już zrealizowane.")
    if row["status"] != ISSUED:
        raise _refused(WRONG_STATE,
                       f"Odmowa przyjęcia dotyczy skierowania o statusie {ISSUED}, a skierowanie "
                       f"{key} ma status {row['status']}.")
    if len(comment.strip()) < MIN_COMMENT:
        raise _refused(COMMENT_TOO_SHORT, f"Komentarz do odmowy musi mieć co najmniej "
                                          f"{MIN_COMMENT} znaków.")
    conn.execute(
        "INSERT INTO odmowa_skierowania (skierowanie_num, oid_root, oid_ext, komentarz, czas) "
        "VALUES (?, ?, ?, ?, ?)", (row["num"], who.root, who.ext, comment.strip(), to_db(now)),
    )
    _log(conn, row, "odmowa", who, now=now, status=ISSUED)
    return row


def give_back(conn: sqlite3.Connection, who: Provider, now: dt.datetime, key: str) -> sqlite3.Row:
    """``rezygnacjaZRealizacjiSkierowania``: U_REALIZATORA -> WYSTAWIONE, by the holder only."""
    row = _held_by_caller(conn, who, key, "Rezygnacja z realizacji")
    conn.execute(
        "UPDATE skierowanie SET status = ?, realizator_oid_root = NULL, realizator_oid_ext = NULL,"
        " refundacja_realizacji = NULL, data_wizyty = NULL, zmieniono = ? WHERE num = ?",
        (ISSUED, to_db(now), row["num"]),
    )
    _log(conn, row, "rezygnacja", who, now=now, status=ISSUED)
    return _reload(conn, row["num"])


def realise(conn: sqlite3.Connection, who: Provider, now: dt.datetime, key: str,
            day: str) -> sqlite3.Row:
    """``zakonczenieRealizacjiSkierowania``: U_REALIZATORA -> ZREALIZOWANE, by the holder only."""
    row = _held_by_caller(conn, who, key, "Zakończenie realizacji")
    conn.execute("UPDATE skierowanie SET status = ?, data_realizacji = ?, zmieniono = ? "
                 "WHERE num = ?", (DONE, day, to_db(now), row["num"]))
    _log(conn, row, "zakonczenie", who, now=now, status=DONE)
    return _reload(conn, row["num"])


def _held_by_caller(conn: sqlite3.Connection, who: Provider, key: str, what: str) -> sqlite3.Row:
    row = _by_key(conn, key)
    problem = _status_refusal(row, who)
    if problem is not None:
        raise problem
    if row["status"] == ISSUED:
        raise _refused(NOT_TAKEN, f"{what}: skierowanie {key} nie zostało przyjęte do realizacji.")
    if row["status"] == DONE:
        raise _refused(REALISED, f"Skierowanie {key} zostało już zrealizowane.")
    return row


# -- seeding (control API, training) ------------------------------------------------------------
def new_key(rng: random.Random) -> str:
    """44 random digits (the model knows no inner structure of the key)."""
    return "".join(rng.choice("0123456789") for _ in range(44))


def issue(conn: sqlite3.Connection, rng: random.Random, now: dt.datetime,
          spec: Mapping[str, Any]) -> sqlite3.Row:
    """Store a referral as the issuer would have issued it (the control API checked ``spec``:
    pesel, first/last name, specialty code and name, issue date, refunded R/N, status, holder,
    issuer name, doctor, and optionally its key and access code)."""
    key = spec.get("key") or new_key(rng)
    if conn.execute("SELECT 1 FROM skierowanie WHERE klucz = ?", (key,)).fetchone():
        raise ValueError(f"a referral with key {key} exists")
    used = {row[0] for row in conn.execute(
        "SELECT kod_dostepu FROM skierowanie WHERE pesel = ?", (spec["pesel"],))}
    code = spec.get("code")
    if code in used:
        raise ValueError(f"the patient already has a referral with access code {code}")
    while code is None or code in used:
        code = f"{rng.randrange(10000):04d}"
    holder: Provider | None = spec.get("holder")
    cursor = conn.execute(
        "INSERT INTO skierowanie (klucz, kod_dostepu, pesel, imie, nazwisko, wystawca_nazwa, "
        "lekarz, specjalnosc_kod, specjalnosc_nazwa, data_wystawienia, refundacja, status, "
        "realizator_oid_root, realizator_oid_ext, refundacja_realizacji, data_realizacji, "
        "zmieniono, utworzono) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (key, code, spec["pesel"], spec["first_name"], spec["last_name"], spec["issuer"],
         spec.get("doctor"), spec["specialty"], spec["specialty_name"], spec["issued"],
         spec["refunded"], spec["status"], holder.root if holder else None,
         holder.ext if holder else None, spec["refunded"] if holder else None,
         spec["issued"] if spec["status"] == DONE else None, to_db(now), to_db(now)),
    )
    row = _reload(conn, int(cursor.lastrowid or 0))
    _log(conn, row, "wystawienie", None, now=now, status=spec["status"])
    return row


def change(conn: sqlite3.Connection, now: dt.datetime, key: str, status: str,
           holder: Provider | None) -> sqlite3.Row:
    """What happens elsewhere meanwhile (control API): the issuer cancels it, another provider
    takes, gives back or realises it. Any status may be set; ``holder`` goes with U_REALIZATORA
    and ZREALIZOWANE."""
    row = _by_key(conn, key)
    keep = status in (HELD, DONE)
    conn.execute(
        "UPDATE skierowanie SET status = ?, realizator_oid_root = ?, realizator_oid_ext = ?, "
        "zmieniono = ? WHERE num = ?",
        (status, holder.root if keep and holder else None, holder.ext if keep and holder else None,
         to_db(now), row["num"]),
    )
    _log(conn, row, "zmiana", holder, now=now, status=status)
    return _reload(conn, row["num"])


def as_json(conn: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
    """A referral for the control API (English keys; the access code included: trainers need
    it to hand out)."""
    refusals = conn.execute(
        "SELECT oid_root, oid_ext, komentarz, czas FROM odmowa_skierowania "
        "WHERE skierowanie_num = ? ORDER BY num", (row["num"],)).fetchall()
    history = conn.execute(
        "SELECT operacja, oid_root, oid_ext, czas, status FROM historia_skierowania "
        "WHERE skierowanie_num = ? ORDER BY num", (row["num"],)).fetchall()
    return {
        "key": row["klucz"], "code": row["kod_dostepu"], "pesel": row["pesel"],
        "first_name": row["imie"], "last_name": row["nazwisko"],
        "issuer": row["wystawca_nazwa"], "doctor": row["lekarz"],
        "specialty": row["specjalnosc_kod"], "specialty_name": row["specjalnosc_nazwa"],
        "issued": row["data_wystawienia"], "refunded": row["refundacja"],
        "status": row["status"],
        "holder": ([row["realizator_oid_root"], row["realizator_oid_ext"]]
                   if row["realizator_oid_root"] else None),
        "holder_refunded": row["refundacja_realizacji"], "visit_date": row["data_wizyty"],
        "realised": row["data_realizacji"],
        "refusals": [{"provider": [r[0], r[1]], "comment": r[2], "time": r[3]}
                     for r in refusals],
        "history": [{"operation": h[0], "provider": [h[1], h[2]] if h[1] else None,
                     "time": h[3], "status": h[4]} for h in history],
    }


def all_as_json(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return [as_json(conn, row) for row in conn.execute(_SELECT + " ORDER BY num").fetchall()]
