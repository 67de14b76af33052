"""``recepcja practice migrate --to URL``: move this desk's single-desk practice (the SQLite
file of its data folder) into an empty practice database on PostgreSQL
(``services/practice_migrate.py``). The file is only read; nothing is written to a target that
is not empty."""

from __future__ import annotations

import argparse

from recepcja.cli.output import emit_json
from recepcja.i18n import _
from recepcja.services.context import AppContext


def migrate(args: argparse.Namespace, ctx: AppContext) -> int:
    from recepcja.services.database import keyring_password
    from recepcja.services.practice_migrate import migrate_practice

    result = migrate_practice(ctx.paths.database, args.to, password=keyring_password(args.to))
    if args.json:
        emit_json({"source": str(result.source), "target": result.target,
                   "database_uuid": result.database_uuid, "rows": result.rows,
                   "verified": True})
        return 0
    print(_("The practice was copied from {source} to {target} and verified: {rows} rows.")
          .format(source=result.source, target=result.target,
                  rows=sum(result.rows.values())))
    print(_("The file {source} was not changed. Point every desk at the practice database: "
            "[database] url in settings.toml (docs/ADMIN.md).").format(source=result.source))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    help_text = _("the practice database shared by several desks")
    practice = sub.add_parser("practice", help=help_text, description=help_text)
    psub = practice.add_subparsers(dest="practice_command", metavar=_("ACTION"), required=True)
    help_text = _("copy this desk's practice into an empty practice database (PostgreSQL)")
    p = psub.add_parser("migrate", help=help_text, description=help_text)
    p.add_argument("--to", required=True, metavar="URL",
                   help=_("the empty practice database: postgresql://user@server/database"))
    p.add_argument("--json", action="store_true", help=_("print the result as JSON"))
    p.set_defaults(handler=migrate)
