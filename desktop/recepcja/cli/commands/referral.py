"""``recepcja referral show``: an e-referral as P1's e-referral service shows it to this provider.

By its key (44 digits, the barcode on the printout) or by its access code with the patient's
PESEL. A refusal (not found, held by another provider, cancelled, realised, wrong code or PESEL)
is one Polish line and exit 1; P1 unreachable is exit 3, as for CeR.
"""

from __future__ import annotations

import argparse
from typing import Any

from recepcja.cli.output import emit_json
from recepcja.domain.referral import STATUS_LABELS, Referral, make_lookup
from recepcja.i18n import _
from recepcja.services.context import AppContext
from recepcja.services.referrals import read_referral


def referral_json(referral: Referral) -> dict[str, Any]:
    return {
        "key": referral.key,
        "status": str(referral.status),
        "issued_on": referral.issued_on.isoformat(),
        "issuer": referral.issuer,
        "doctor": referral.doctor,
        "patient": {"pesel": referral.patient_pesel, "first_name": referral.patient_first_name,
                    "last_name": referral.patient_last_name},
        "specialty": {"code": referral.specialty_code, "name": referral.specialty_name},
        "refunded": referral.refunded,
        "held_by_us": referral.held_by_us,
        "visit_date": referral.visit_date.isoformat() if referral.visit_date else None,
        "realised_on": referral.realised_on.isoformat() if referral.realised_on else None,
    }


def _say(referral: Referral) -> None:
    yes, no = _("yes"), _("no")
    print(_("E-referral {key}").format(key=referral.key))
    print(_("Status: {status}").format(status=_(STATUS_LABELS[referral.status])))
    issuer = referral.issuer + (f", {referral.doctor}" if referral.doctor else "")
    print(_("Issued on {date} by {issuer}").format(date=referral.issued_on.isoformat(),
                                                    issuer=issuer))
    print(_("Patient: {first} {last}, PESEL {pesel}").format(
        first=referral.patient_first_name, last=referral.patient_last_name,
        pesel=referral.patient_pesel))
    print(_("For: {specialty} ({code})").format(specialty=referral.specialty_name,
                                                code=referral.specialty_code))
    print(_("Refunded by the NFZ: {value}").format(value=yes if referral.refunded else no))
    if referral.held_by_us:
        print(_("Taken into realisation by this practice (visit: {date}).").format(
            date=referral.visit_date.isoformat() if referral.visit_date else "-"))


def show(args: argparse.Namespace, ctx: AppContext) -> int:
    lookup = make_lookup(key=args.key, code=args.code, pesel=args.pesel)
    referral = read_referral(ctx, lookup)
    if args.json:
        emit_json(referral_json(referral))
    else:
        _say(referral)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    help_text = _("e-referrals in P1's e-referral service")
    parser = sub.add_parser("referral", help=help_text, description=help_text)
    actions = parser.add_subparsers(dest="referral_command", metavar=_("ACTION"),
                                    required=True)
    help_text = _("show an e-referral: by its key, or by its access code with the PESEL")
    p = actions.add_parser("show", help=help_text, description=help_text)
    p.add_argument("key", nargs="?", metavar="KEY",
                   help=_("the e-referral's key (44 digits, the barcode on the printout)"))
    p.add_argument("--code", metavar="CODE",
                   help=_("the access code (4 digits) the patient got, instead of the key"))
    p.add_argument("--pesel", metavar="PESEL", help=_("the patient's PESEL, with --code"))
    p.add_argument("--json", action="store_true", help=_("print the result as JSON"))
    p.set_defaults(handler=show)
