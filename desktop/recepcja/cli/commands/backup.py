"""``recepcja backup FILE`` and ``recepcja restore FILE``.

Backup is online: the desk may keep working while it runs. Restore needs the app closed on this
data folder; it keeps the current database in ``backups/`` before replacing it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from recepcja.cli.commands import UNCHECKED
from recepcja.cli.output import emit_json
from recepcja.i18n import _
from recepcja.services.backup import backup_to_file, report_json, restore_from_file
from recepcja.services.context import AppContext
from recepcja.store.backup import DatabaseReport


def _size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{size / 1024:.0f} kB"


def _print_report(report: DatabaseReport) -> None:
    print(_("Integrity check: {result}").format(result=report.integrity))
    print(_("Rows per table:"))
    width = max((len(name) for name in report.tables), default=0)
    for name, count in report.tables.items():
        print(f"  {name.ljust(width)}  {count}")


def _practice_database(ctx: AppContext) -> bool:
    from recepcja.services.database import shares_practice_database

    return shares_practice_database(ctx)


def _archive_json(report: object) -> dict[str, object]:
    return {"path": str(report.path), "size": report.size,  # type: ignore[attr-defined]
            "tables": report.tables, "method": report.method}  # type: ignore[attr-defined]


def backup(args: argparse.Namespace, ctx: AppContext) -> int:
    if _practice_database(ctx):
        from recepcja.services.practice_backup import backup_practice

        archive = backup_practice(ctx, Path(args.file), force=args.force)
        if args.json:
            emit_json(_archive_json(archive))
            return 0
        print(_("Backup of the practice database written with pg_dump: {path} ({size}); "
                "{count} tables read back.").format(path=archive.path, size=_size(archive.size),
                                                    count=len(archive.tables)))
        return 0
    report = backup_to_file(ctx.paths, Path(args.file), force=args.force)
    if args.json:
        emit_json(report_json(report))
        return 0
    print(_("Backup written: {path} ({size})").format(path=report.path, size=_size(report.size)))
    _print_report(report)
    return 0


def restore(args: argparse.Namespace, ctx: AppContext) -> int:
    """``ctx`` without the usual checks (UNCHECKED): an empty or damaged database is what a
    restore repairs."""
    if _practice_database(ctx):
        from recepcja.services.practice_backup import restore_practice

        restored, safety = restore_practice(ctx, Path(args.file))
        if args.json:
            emit_json({**_archive_json(restored), "safety_copy": _archive_json(safety)})
            return 0
        print(_("The practice database was restored from {path} with pg_restore.").format(
            path=restored.path))
        print(_("The previous contents were kept in {path}.").format(path=safety.path))
        return 0
    result = restore_from_file(ctx.paths, Path(args.file))
    damaged = str(result.damaged_copy) if result.damaged_copy else None
    if args.json:
        emit_json({
            **report_json(result.restored),
            "source": str(result.source),
            "safety_copy": report_json(result.safety_copy) if result.safety_copy else None,
            "damaged_copy": damaged,
        })
        return 0
    print(_("Database restored from {path}.").format(path=result.source))
    if result.safety_copy is not None:
        print(_("The previous database was kept in {path}.").format(path=result.safety_copy.path))
    if damaged is not None:
        print(_("The damaged database was kept, as it was, in {path}.").format(path=damaged))
    _print_report(result.restored)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    help_text = _("online-consistent backup of the database")
    parser = sub.add_parser(
        "backup", help=help_text,
        description=_("Copy the practice database to FILE while the app may keep working; the "
                      "copy is verified with SQLite's integrity check."),
    )
    parser.add_argument("file", metavar="FILE", help=_("where to write the copy"))
    parser.add_argument("--force", action="store_true", help=_("overwrite FILE if it exists"))
    parser.add_argument("--json", action="store_true", help=_("print the result as JSON"))
    parser.set_defaults(handler=backup)

    help_text = _("replace the database with a backup")
    parser = sub.add_parser(
        "restore", help=help_text,
        description=_("Replace the practice database with the backup FILE. Close Recepcja on "
                      "this data folder first; the current database is kept in backups/."),
    )
    parser.add_argument("file", metavar="FILE", help=_("the backup to restore"))
    parser.add_argument("--json", action="store_true", help=_("print the result as JSON"))
    parser.set_defaults(handler=restore, context=UNCHECKED)
