"""The e-referral gateway: P1's five referral operations, domain objects in and out.

The same machinery as the CeR gateway (``gateway.SoapGateway``: mTLS session, signed messages,
checked answers, typed errors) bound to the e-referral contract (``contract.REFERRALS``: P1's
context header, a Timestamp of one minute). One instance per thread.

A refusal on business grounds is a ``ReferralRejected`` (a ``CerRejected``) whose ``problem`` says
why in the desk's terms (``domain.referral.ReferralProblem``); everything else is the usual
``CerUnreachable`` / ``CerTemporary`` / ``CerBug``.
"""

from __future__ import annotations

import datetime as dt
from types import MappingProxyType
from typing import ClassVar

from lxml import etree

from recepcja.cer.contract import REFERRALS, ServiceContract
from recepcja.cer.errors import MSG_BAD_ANSWER, CerBug, CerRejected
from recepcja.cer.gateway import SoapGateway
from recepcja.domain.referral import (
    PROBLEM_MESSAGES,
    Referral,
    ReferralLookup,
    ReferralProblem,
    ReferralStatus,
)

MINOR_PREFIX = "urn:csioz:p1:skierowanie:kod:minor:"
STATUS_FROM_WIRE = MappingProxyType({
    "WYSTAWIONE": ReferralStatus.ISSUED,
    "U_REALIZATORA": ReferralStatus.HELD,
    "ZREALIZOWANE": ReferralStatus.REALISED,
    "ANULOWANE": ReferralStatus.CANCELLED,
})
PROBLEM_FROM_MINOR = MappingProxyType({
    MINOR_PREFIX + "NieZnaleziono": ReferralProblem.NOT_FOUND,
    MINOR_PREFIX + "NieprawidlowyKodLubPesel": ReferralProblem.WRONG_CODE_OR_PESEL,
    MINOR_PREFIX + "SkierowanieUInnegoRealizatora": ReferralProblem.HELD_ELSEWHERE,
    MINOR_PREFIX + "SkierowanieZrealizowane": ReferralProblem.REALISED,
    MINOR_PREFIX + "SkierowanieAnulowane": ReferralProblem.CANCELLED,
    MINOR_PREFIX + "SkierowanieNiePrzyjete": ReferralProblem.NOT_TAKEN,
    MINOR_PREFIX + "ZbytKrotkiKomentarz": ReferralProblem.COMMENT_TOO_SHORT,
    MINOR_PREFIX + "NiedozwolonyStan": ReferralProblem.HELD_BY_US,
})


class ReferralRejected(CerRejected):
    """P1 refused a referral operation; ``problem`` is why, None for a code the model does not
    know (the message then quotes P1's description)."""

    def __init__(self, error: CerRejected, problem: ReferralProblem | None) -> None:
        message = PROBLEM_MESSAGES[problem] if problem is not None else error.message
        super().__init__(message, major=error.major, code=error.code,
                         description=error.description, operation=error.operation)
        self.problem = problem


class ReferralGateway(SoapGateway):
    """Reads a referral and moves it through its life cycle, as this provider."""

    CONTRACT: ClassVar[ServiceContract] = REFERRALS

    def _referral_call(self, operation: str, **request: object) -> Referral:
        try:
            answer = self._call(operation, **request)
        except CerRejected as error:
            raised = ReferralRejected(error, PROBLEM_FROM_MINOR.get(error.code))
            raised.cause = error.cause
            raise raised from None
        return self._referral(answer, operation)

    def read(self, lookup: ReferralLookup) -> Referral:
        """``odczytDokumentuSkierowaniaDoRealizacji``: by key, or by access code and PESEL."""
        if lookup.by_key:
            return self._referral_call("odczytDokumentuSkierowaniaDoRealizacji", klucz=lookup.key)
        return self._referral_call("odczytDokumentuSkierowaniaDoRealizacji",
                                   kodDostepu=lookup.code, pesel=lookup.pesel)

    def take(self, key: str, *, refunded: bool, visit_date: dt.date | None = None) -> Referral:
        """``przyjecieDoRealizacjiSkierowania``: this provider becomes the holder. Taking a
        referral it already holds answers as done (a resend after a lost answer)."""
        request: dict[str, object] = {"klucz": key, "refundacja": "R" if refunded else "N"}
        if visit_date is not None:
            request["dataWizyty"] = visit_date
        return self._referral_call("przyjecieDoRealizacjiSkierowania", **request)

    def refuse(self, key: str, comment: str) -> Referral:
        """``odmowaPrzyjeciaDoRealizacjiSkierowania``: the reason is recorded, nothing changes."""
        return self._referral_call("odmowaPrzyjeciaDoRealizacjiSkierowania", klucz=key,
                                   komentarz=comment)

    def give_back(self, key: str) -> Referral:
        """``rezygnacjaZRealizacjiSkierowania``: back to WYSTAWIONE for the patient to use
        elsewhere."""
        return self._referral_call("rezygnacjaZRealizacjiSkierowania", klucz=key)

    def realise(self, key: str, day: dt.date | None = None) -> Referral:
        """``zakonczenieRealizacjiSkierowania``: ZREALIZOWANE."""
        request: dict[str, object] = {"klucz": key}
        if day is not None:
            request["dataRealizacji"] = day
        return self._referral_call("zakonczenieRealizacjiSkierowania", **request)

    def _referral(self, answer: etree._Element, operation: str) -> Referral:
        """The ``skierowanie`` of an answer (read with lxml; see ``mapping`` for why)."""
        text = self.CONTRACT.text
        node = answer.find(self.CONTRACT.q("skierowanie"))
        issuer = None if node is None else node.find(self.CONTRACT.q("wystawca"))
        patient = None if node is None else node.find(self.CONTRACT.q("pacjent"))
        specialty = None if node is None else node.find(self.CONTRACT.q("specjalnoscDocelowa"))
        holder = None if node is None else node.find(self.CONTRACT.q("realizator"))
        try:
            if node is None or issuer is None or patient is None or specialty is None:
                raise ValueError("skierowanie")
            ours = self.config.context
            return Referral(
                key=_required(text(node, "klucz")),
                status=STATUS_FROM_WIRE[_required(text(node, "status"))],
                issued_on=dt.date.fromisoformat(_required(text(node, "dataWystawienia"))),
                issuer=_required(text(issuer, "nazwaPodmiotu")),
                doctor=text(issuer, "lekarz"),
                patient_pesel=_required(text(patient, "pesel")),
                patient_first_name=_required(text(patient, "imie")),
                patient_last_name=_required(text(patient, "nazwisko")),
                specialty_code=_required(text(specialty, "kod")),
                specialty_name=_required(text(specialty, "nazwa")),
                refunded=_required(text(node, "refundacja")) == "R",
                held_by_us=holder is not None and (text(holder, "root"), text(holder, "extension"))
                == (ours.provider_oid_root, ours.provider_oid_ext),
                holder_refunded=_flag(text(node, "refundacjaRealizacji")),
                visit_date=_date(text(node, "dataWizyty")),
                realised_on=_date(text(node, "dataRealizacji")),
            )
        except (KeyError, ValueError):
            raise CerBug(MSG_BAD_ANSWER, operation=operation, may_have_committed=True,
                         path="skierowanie") from None


def _required(value: str | None) -> str:
    if not value:
        raise ValueError("missing")
    return value


def _flag(value: str | None) -> bool | None:
    return None if value is None else value == "R"


def _date(value: str | None) -> dt.date | None:
    return None if not value else dt.date.fromisoformat(value)
