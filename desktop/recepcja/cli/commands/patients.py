"""``recepcja patients add|find|merge|show``."""

from __future__ import annotations

import argparse
from typing import Any

from recepcja.cli.output import emit_json
from recepcja.domain.entities import Patient
from recepcja.domain.model import DocumentType
from recepcja.i18n import _
from recepcja.services.context import AppContext
from recepcja.services.patients import (
    PatientInput,
    find_patients,
    merge_patients,
    patient_by_key,
    register_patient,
)


def patient_json(patient: Patient) -> dict[str, Any]:
    ident = patient.identifier
    return {
        "id": patient.id,
        "local_id": patient.local_id,
        "pesel": ident.pesel,
        "document_type": ident.document_type.value if ident.document_type else None,
        "document_number": ident.document_number,
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "phone": patient.phone,
        "birth_date": patient.birth_date.isoformat() if patient.birth_date else None,
        "sex": patient.sex.value,
    }


def _line(patient: Patient) -> str:
    """One patient as the desk writes it: the phone in national form for a Polish number
    (``601 234 567``, as the window and ``patients show``), foreign ones as ``+49 ...``; the
    ``--json`` answer keeps E.164."""
    from recepcja.domain.phone import format_phone
    from recepcja.services.desk_words import identifier_text

    ident = patient.identifier
    shown = identifier_text(ident.pesel, ident.document_type and str(ident.document_type),
                            ident.document_number)  # "paszport AB999", not "passport:AB999"
    phone = format_phone(patient.phone) if patient.phone else "-"
    return f"{patient.local_id}\t{shown}\t{patient.last_name} {patient.first_name}\t{phone}"


def add(args: argparse.Namespace, ctx: AppContext) -> int:
    data = PatientInput(
        first_name=args.first_name,
        last_name=args.last_name,
        pesel=args.pesel,
        document_type=args.document_type,
        document_number=args.document_number,
        phone=args.phone,
    )
    with ctx.repositories() as repos:
        patient = register_patient(repos.db, data, ctx.user)
    if args.json:
        emit_json(patient_json(patient))
    else:
        print(_("Patient registered: {line}").format(line=_line(patient)))
    return 0


def find(args: argparse.Namespace, ctx: AppContext) -> int:
    with ctx.repositories() as repos:
        found = find_patients(repos.db, args.text, args.limit)
    if args.json:
        emit_json([patient_json(p) for p in found])
    elif not found:
        print(_("No patients found."))
    else:
        for patient in found:
            print(_line(patient))
    return 0


def show(args: argparse.Namespace, ctx: AppContext) -> int:
    """The patient card (``services.patient_card``): data, notes, visits, calls."""
    import datetime as dt

    from recepcja.cli.patient_card import card_json, print_card
    from recepcja.domain.model import WARSAW
    from recepcja.services.patient_card import read_card

    with ctx.repositories() as repos:
        patient = patient_by_key(repos.db, args.patient)
        card = read_card(repos, patient.id or 0, dt.datetime.now(WARSAW), ctx.user, "cli")
    if args.json:
        emit_json(card_json(card, patient_json(card.patient)))
    else:
        print_card(card, _line(card.patient))
    return 0


def merge(args: argparse.Namespace, ctx: AppContext) -> int:
    with ctx.repositories() as repos:
        duplicate = patient_by_key(repos.db, args.duplicate)
        into = patient_by_key(repos.db, args.into)
        result = merge_patients(repos.db, duplicate.id or 0, into.id or 0, ctx.user)
    if args.json:
        emit_json({"survivor": patient_json(result.survivor),
                   "merged": patient_json(result.merged),
                   "visits_moved": result.visits_moved})
    else:
        print(_("Patient {duplicate} merged into {into}; visits moved: {count}.").format(
            duplicate=result.merged.local_id, into=_line(result.survivor),
            count=result.visits_moved))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("patients", help=_("find, register, show and merge patients"),
                            description=_("find, register, show and merge patients"))
    psub = parser.add_subparsers(dest="patients_command", metavar=_("ACTION"), required=True)
    p = psub.add_parser("add", help=_("register a patient"), description=_("register a patient"))
    p.add_argument("--pesel", metavar="PESEL", help=_("PESEL (11 digits)"))
    p.add_argument("--document-type", choices=[d.value for d in DocumentType],
                   help=_("for a patient without a PESEL: document type"))
    p.add_argument("--document-number", metavar="NUMBER",
                   help=_("for a patient without a PESEL: document number"))
    p.add_argument("--first-name", required=True, metavar="F", help=_("first name"))
    p.add_argument("--last-name", required=True, metavar="L", help=_("last name"))
    p.add_argument("--phone", metavar="N", help=_("one phone number (CeR sends SMS to it)"))
    p.add_argument("--json", action="store_true", help=_("print the result as JSON"))
    p.set_defaults(handler=add)
    p = psub.add_parser("find", help=_("find patients by PESEL, surname, phone or local ID"),
                        description=_("find patients by PESEL, surname, phone or local ID"))
    p.add_argument("text", metavar="TEXT", help=_("what to look for"))
    p.add_argument("--limit", type=int, default=20, help=_("at most this many results"))
    p.add_argument("--json", action="store_true", help=_("print the result as JSON"))
    p.set_defaults(handler=find)
    p = psub.add_parser(
        "show", help=_("the patient card: data, notes, upcoming and past visits, calls"),
        description=_("The patient card: the patient's data and notes, the upcoming and past "
                      "visits with their state in CeR, and the calls made to the patient. "
                      "A merged duplicate shows the card of the patient it was merged into."))
    p.add_argument("patient", metavar="PESEL|LOCAL_ID",
                   help=_("the patient: PESEL or local ID (L-000123)"))
    p.add_argument("--json", action="store_true", help=_("print the result as JSON"))
    p.set_defaults(handler=show)
    p = psub.add_parser(
        "merge", help=_("merge a duplicate patient into another one"),
        description=_("Merge a duplicate patient into another one: the duplicate's visits move "
                      "to the patient who stays, the duplicate no longer shows in searches. "
                      "Refused while CeR holds upcoming visits of the duplicate under its own "
                      "PESEL or document."))
    p.add_argument("duplicate", metavar="DUPLICATE",
                   help=_("the duplicate: PESEL or local ID (L-000123)"))
    p.add_argument("into", metavar="INTO",
                   help=_("the patient who stays: PESEL or local ID"))
    p.add_argument("--json", action="store_true", help=_("print the result as JSON"))
    p.set_defaults(handler=merge)
