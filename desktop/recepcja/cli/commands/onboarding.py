"""``recepcja setup``, ``recepcja onboard``, ``recepcja publish``, ``recepcja initial-load``.

Thin: parse, build the context, call the service, print. Each onboarding step is printed as
soon as CeR answered it (``on_step``), so whoever stops the command half-way still sees what
was done; the next run continues from there.
"""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import asdict
from pathlib import Path
from typing import Any

from recepcja.cer.errors import CerError, CerRejected
from recepcja.cli.output import EXIT_CER, EXIT_FAILED, EXIT_OK, emit_error, emit_json
from recepcja.domain.horizon import check_configured_months
from recepcja.i18n import _, error_text, ngettext
from recepcja.services.context import AppContext


def _labels() -> dict[str, str]:
    """Words of the set-up lines, translated (built per call: no module state)."""
    return {
        "provider": _("provider"),
        "place": _("place"),
        "mobile point": _("mobile point"),
        "resource": _("resource"),
        "schedule": _("schedule"),
        "exception": _("day off"),
        "created": _("created"),
        "updated": _("updated"),
        "saved": _("saved"),
    }


# --- setup -------------------------------------------------------------------------------------

def run_setup(args: argparse.Namespace, ctx: AppContext) -> int:
    from recepcja.services.practice_setup import setup_practice

    if args.export:
        return _export(ctx, Path(args.export), args.json, args.force)
    provider = ctx.settings.provider
    with ctx.repositories() as repos:
        result = setup_practice(repos.db, Path(args.config), ctx.user,
                                oid=(provider.oid_root or None, provider.oid_extension or None))
    if args.json:
        emit_json({"changed": result.changed, "unchanged": result.unchanged,
                   "changes": [{"kind": k, "name": n, "action": a} for k, n, a in result.changes]})
        return EXIT_OK
    if not result.changed:
        print(_("The practice is already set up as the file describes; nothing changed."))
    labels = _labels()
    for kind, name, action in result.changes:
        print(f"{labels.get(kind, kind)} \u201e{name}\u201d: {labels.get(action, action)}")
    return EXIT_OK


def _export(ctx: AppContext, path: Path, as_json: bool, force: bool) -> int:
    from recepcja.services.practice_settings import export_practice

    with ctx.repositories() as repos:
        count = export_practice(repos.db, path, overwrite=force)
    if as_json:
        emit_json({"exported": str(path), "schedules": count})
    else:
        print(_("The saved practice ({count} schedules) was written to {path}.").format(
            count=count, path=path))
    return EXIT_OK


# --- onboard -----------------------------------------------------------------------------------

def _step_json(step: Any) -> dict[str, Any]:
    data = asdict(step)
    data["answer"] = step.answer_text()  # CeR's ids and states, and the translated summary
    del data["summary"], data["summary_params"]
    data["error"] = None if step.error is None else error_text(step.error)
    data["error_code"] = step.error.code if isinstance(step.error, CerRejected) else None
    return data


def _print_step(step: Any) -> None:
    from recepcja.services.desk_words import cer_state_words
    from recepcja.services.onboarding import status_label, step_label

    line = f"[{step.place}] {step_label(step.step)}: {status_label(step.status)}"
    if step.answer_text():  # "aktywne w CeR", not "AKTYWNE" (as the onboarding view)
        line += f" \u2014 CeR: {cer_state_words(step.answer_text())}"
    print(line, flush=True)
    for rejection in step.rejections[:20]:
        print(f"    {rejection.local_id}: {rejection.code} {rejection.message}", flush=True)
    if len(step.rejections) > 20:
        more = len(step.rejections) - 20
        print("    " + ngettext("... and {count} more rejected", "... and {count} more rejected",
                                more).format(count=more))
    if step.error is not None:
        print("    " + error_text(step.error), flush=True)


def run_onboard(args: argparse.Namespace, ctx: AppContext) -> int:
    from recepcja.services.gateway_factory import gateway_from_context
    from recepcja.services.onboarding import run_onboarding

    if args.initial_load:
        code = _import_initial_load(ctx, Path(args.initial_load), as_json=False,
                                    quiet=args.json)
        if code != EXIT_OK:
            return code
    with gateway_from_context(ctx) as gateway, ctx.repositories() as repos:
        publishing = ctx.settings.publishing
        result = run_onboarding(repos, gateway, months=publishing.horizon_months,
                                margin_days=publishing.margin_days,
                                max_in_flight=ctx.settings.cer.max_in_flight,
                                on_step=None if args.json else _print_step)
    if args.json:
        emit_json({"ok": result.ok, "steps": [_step_json(s) for s in result.steps]})
    failed = [s for s in result.steps if s.status == "failed"]
    if not failed:
        return EXIT_OK
    if any(isinstance(s.error, CerError) and not isinstance(s.error, CerRejected)
           for s in failed):
        return EXIT_CER
    return EXIT_FAILED


# --- publish -----------------------------------------------------------------------------------

def run_publish(args: argparse.Namespace, ctx: AppContext) -> int:
    from recepcja.services.gateway_factory import gateway_from_context
    from recepcja.services.publishing import publish_all

    months = ctx.settings.publishing.horizon_months if args.months is None else \
        check_configured_months(args.months, "--months")
    try:
        from recepcja.sync.practice_owner import practice_cer_work

        with (gateway_from_context(ctx) as gateway, ctx.repositories() as repos,
              practice_cer_work(repos.db, "publish")):  # one CeR client per practice
            result = publish_all(repos, gateway, months=months,
                                 margin_days=ctx.settings.publishing.margin_days,
                                 max_in_flight=ctx.settings.cer.max_in_flight)
    except CerError as error:
        emit_error(error_text(error))
        return EXIT_CER
    if args.json:
        emit_json({
            "until": result.until, "deadline": result.deadline,
            "published": result.published, "rejected": result.rejected,
            "withdrawn": result.withdrawn,
            "schedules": [asdict(s) for s in result.schedules],
        })
    else:
        for s in result.schedules:
            print(_("{name}: new {generated}, published {published}, rejected {rejected}, "
                    "withdrawn {withdrawn}; free terms until {until} (required {deadline})").format(
                name=s.name, generated=s.generated, published=s.published,
                rejected=len(s.rejected) + len(s.withdraw_rejected), withdrawn=s.withdrawn,
                until=s.published_until or "\u2014", deadline=s.deadline))
            if s.skipped_reason:
                print("    " + _("not created in CeR yet: run recepcja onboard"))
            for rejection in [*s.rejected, *s.withdraw_rejected][:20]:
                print(f"    {rejection.local_id}: {rejection.code} {rejection.message}")
    return EXIT_FAILED if result.rejected else EXIT_OK


# --- initial load --------------------------------------------------------------------------------

def _import_initial_load(ctx: AppContext, path: Path, *, as_json: bool, quiet: bool) -> int:
    from recepcja.services.initial_load import import_initial_load, import_summary

    with ctx.repositories() as repos:
        result = import_initial_load(repos, path, ctx.user, now=dt.datetime.now(dt.UTC))
    if as_json:
        emit_json({"imported": result.imported, "already_imported": result.already_imported,
                   "errors": [{"row": e.row, "reason": error_text(e.error)}
                              for e in result.errors]})
    elif not quiet:
        print(import_summary(result))
        for error in result.errors:
            print(_("    row {row}: {reason}").format(row=error.row,
                                                     reason=error_text(error.error)))
    return EXIT_FAILED if result.errors else EXIT_OK


def run_initial_load(args: argparse.Namespace, ctx: AppContext) -> int:
    return _import_initial_load(ctx, Path(args.file), as_json=args.json, quiet=False)


# --- compliance (printed by ``recepcja status``) ----------------------------------------------

def print_compliance(report: dict[str, Any]) -> None:
    """The human-readable compliance lines of ``recepcja status``."""
    yes, no = _("yes"), _("no")
    for place in report["places"]:
        print(_("Place \u201e{name}\u201d: registered in CeR {registered}, active {active}, "
                "initial load sent {load}").format(
            name=place["name"], registered=yes if place["registered"] else no,
            active=yes if place["active"] else no,
            load=yes if place["initial_load_sent"] else no))
        for schedule in place["schedules"]:
            print("    " + _("{name}: free terms until {until} (required {deadline})").format(
                name=schedule["name"], until=schedule["published_until"] or "\u2014",
                deadline=schedule["deadline"]))
    print(_("Visits not confirmed in CeR: {count}").format(
        count=report["visits_not_confirmed_in_cer"]))
    states = {"met": _("met"), "pending": _("not met yet"), "due_soon": _("not met, due soon"),
              "missed": _("NOT MET, deadline passed")}
    texts = {"schedules_in_cer": _("schedules with free terms in CeR, places active"),
             "booking_through_cer": _("every term assigned through CeR")}
    for deadline in report["deadlines"]:
        print(_("Deadline {date} ({what}): {state}").format(
            date=deadline["date"], what=texts.get(deadline["code"], deadline["code"]),
            state=states.get(deadline["state"], deadline["state"])))


# --- registration ------------------------------------------------------------------------------

def register(sub: argparse._SubParsersAction) -> None:
    text = _("set up the practice from a TOML file (or export the stored one)")
    p = sub.add_parser("setup", help=text, description=text)
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--config", metavar="FILE.toml", help=_("practice description"))
    source.add_argument("--export", metavar="FILE.toml",
                        help=_("write the stored practice to a file that --config reads back"))
    p.add_argument("--force", action="store_true",
                   help=_("with --export: overwrite the file if it exists"))
    p.add_argument("--json", action="store_true", help=_("print the result as JSON"))
    p.set_defaults(handler=run_setup)

    text = _("take the practice through CeR onboarding (six steps)")
    p = sub.add_parser("onboard", help=text, description=text)
    p.add_argument("--initial-load", metavar="FILE",
                   help=_("first import visits booked before joining CeR (CSV or Excel)"))
    p.add_argument("--json", action="store_true", help=_("print the result as JSON"))
    p.set_defaults(handler=run_onboard)

    text = _("publish free terms to CeR up to the horizon")
    p = sub.add_parser("publish", help=text, description=text)
    p.add_argument("--months", type=int, default=None,
                   help=_("horizon in months (default 3, the legal minimum)"))
    p.add_argument("--json", action="store_true", help=_("print the result as JSON"))
    p.set_defaults(handler=run_publish)

    text = _("import visits booked before joining CeR (CSV or Excel)")
    p = sub.add_parser("initial-load", help=text, description=text)
    p.add_argument("file", metavar="FILE", help=_("CSV or .xlsx file in the template's format"))
    p.add_argument("--json", action="store_true", help=_("print the result as JSON"))
    p.set_defaults(handler=run_initial_load)
