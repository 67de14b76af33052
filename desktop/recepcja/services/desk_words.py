"""Codes as the desk and the administrator read them: the outbox's operations and states,
urgencies, CeR's place states, identity documents - one place, so no screen and no CLI line
shows ``ambiguous``, ``stable``, ``AKTYWNE`` or ``passport:AB999``."""

from __future__ import annotations

import re

from recepcja.domain.errors import N_
from recepcja.i18n import _


def outbox_state_word(state: str) -> str:
    return {
        "queued": _("waiting to be sent"),
        "sending": _("being sent"),
        "sent": _("sent, answer not applied"),
        "failed": _("will retry"),
        "ambiguous": _("to check in CeR"),
        "rejected": _("rejected by CeR"),
        "done": _("in CeR"),
    }.get(state, state)


def operation_word(op: str) -> str:
    return {
        "book": _("booking"),
        "cancel": _("cancellation"),
        "change": _("term change"),
        "waiting_list": _("central waiting list"),
        "publish_slots": _("publishing free terms"),
        "withdraw_slots": _("withdrawing free terms"),
        "register_place": _("registering the place"),
        "create_schedule": _("creating a schedule"),
        "initial_load": _("initial load"),
        "activate_place": _("activating the place"),
        "attendance": _("attendance"),
    }.get(op, op)


def outcome_word(outcome: object) -> str:
    """What became of a change CeR was sent (the replay's outcome)."""
    value = str(getattr(outcome, "value", outcome))
    return {
        "booked": _("booked in CeR"),
        "moved": _("term changed by CeR"),
        "waiting_list": _("central waiting list"),
        "cancelled": _("cancelled in CeR"),
        "changed": _("changed in CeR"),
        "skipped": _("nothing to send"),
        "withdrawn": _("withdrawn from CeR"),
        "rejected": _("rejected by CeR"),
    }.get(value, value)


def connection_word(state: object) -> str:
    value = str(getattr(state, "value", state)).lower()
    return {"online": _("connected"), "degraded": _("connection problems"),
            "offline": _("no connection")}.get(value, value)


def urgency_word(urgency: str) -> str:
    return {"urgent": _("urgent"), "stable": _("stable")}.get(str(urgency), str(urgency))


def document_word(document_type: str) -> str:
    return {"passport": _("passport"), "id_card": _("ID card"),  # _DOCUMENT_CODES
            "other": _("other document"), "newborn": _("newborn")}.get(
        str(document_type), str(document_type))


def identifier_text(pesel: str | None, document_type: str | None,
                    document_number: str | None) -> str:
    """``61040212349`` or ``paszport AB999`` (never ``passport:AB999``)."""
    if pesel:
        return pesel
    if document_type and document_number:
        return f"{document_word(document_type)} {document_number}"
    return ""


def identifier_from_text(text: str) -> tuple[str | None, str | None, str | None]:
    """(pesel, document type, document number) of what ``identifier_text`` wrote - or of the
    older ``passport:AB999`` form, or a type's English code (a file from another desk)."""
    value = (text or "").strip()
    code, sep, number = value.partition(":")
    if sep and code in _DOCUMENT_CODES:
        return None, code, number.strip()
    for document_type in sorted(_DOCUMENT_CODES, key=lambda c: -len(document_word(c))):
        for word in (document_word(document_type), document_type):
            if value.lower().startswith(word.lower() + " "):
                return None, document_type, value[len(word):].strip()
    return value or None, None, None


_DOCUMENT_CODES = ("passport", "id_card", "other", "newborn")
_CER_STATES = {"AKTYWNE": N_("active in CeR"), "ZAREJESTROWANE": N_("registered in CeR"),
               "NIEAKTYWNE": N_("inactive in CeR")}


def cer_state_words(text: str) -> str:
    """CeR's own state names inside an answer (``MUS-1 ZAREJESTROWANE``) as words."""
    return re.sub(r"\b(AKTYWNE|ZAREJESTROWANE|NIEAKTYWNE)\b",
                  lambda match: _(_CER_STATES[match.group(1)]), text)
