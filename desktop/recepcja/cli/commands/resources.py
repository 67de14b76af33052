"""``recepcja resources``: the practice's doctors, devices and rooms with their ids (what
``absence --resource`` takes) and the schedules each works in (what ``slots --schedule``
takes)."""

from __future__ import annotations

import argparse
from typing import Any

from recepcja.cli.output import emit_json
from recepcja.i18n import _
from recepcja.services.context import AppContext


def kind_word(kind: str) -> str:
    return {"doctor": _("doctor"), "device": _("device"), "room": _("room")}.get(kind, kind)


def resources(args: argparse.Namespace, ctx: AppContext) -> int:
    with ctx.repositories() as repos:
        places = {place.id: place.name for place in repos.practice.places()}
        schedules = repos.schedules.list(active_only=False)
        found: list[dict[str, Any]] = [
            {"id": r.id, "kind": str(r.kind), "name": r.name,
             "licence_number": r.licence_number, "active": r.active,
             "schedules": [{"id": s.id, "name": s.name, "scope": s.scope_code,
                            "place": places.get(s.place_id, ""), "active": s.active}
                           for s in schedules if s.resource_id == r.id]}
            for r in repos.practice.resources()
        ]
    if args.json:
        emit_json(found)
        return 0
    if not found:
        print(_("No doctors or devices yet (recepcja setup --config FILE.toml)."))
        return 0
    print("\t".join((_("ID"), _("Kind"), _("Name"), _("Schedules (ID: name, place)"))))
    for item in found:
        name = item["name"] if item["active"] else f"{item['name']} ({_('inactive')})"
        works = "; ".join(f"{s['id']}: {s['name']}, {s['place']}" for s in item["schedules"])
        print(f"{item['id']}\t{kind_word(item['kind'])}\t{name}\t{works or '-'}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    help_text = _("list the doctors and devices with their ids and schedules")
    p = sub.add_parser("resources", help=help_text, description=_(
        "List the practice's doctors, devices and rooms with their ids (for absence "
        "--resource) and the schedules each works in (ids for slots --schedule)."))
    p.add_argument("--json", action="store_true", help=_("print the result as JSON"))
    p.set_defaults(handler=resources)
