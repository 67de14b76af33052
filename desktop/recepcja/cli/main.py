"""Entry point: parse, build the context, run one command, map errors to exit codes."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sqlite3
import sys
from collections.abc import Callable, Iterable, Sequence

from recepcja import __version__
from recepcja.cer.errors import CerError
from recepcja.cli import argparse_words, commands
from recepcja.cli.output import EXIT_CER, EXIT_FAILED, EXIT_OK, EXIT_USAGE, emit_error
from recepcja.config.logs import setup_logging
from recepcja.config.paths import AppPaths, default_paths
from recepcja.domain.errors import N_, DomainError
from recepcja.i18n import _, translate_error

log = logging.getLogger(__name__)


class _Parser(argparse.ArgumentParser):
    """argparse with errors as one line on stderr and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        emit_error(f"{message} ({_('see')} {self.prog} --help)")
        raise SystemExit(EXIT_USAGE)


def build_parser(modules: Iterable[str] | None = None) -> argparse.ArgumentParser:
    """The parser; ``modules`` (names of ``commands.MODULES``, None for all) limits which
    command modules are imported and registered - ``main`` registers only what it needs.
    argparse's own words (usage, errors) come from the app's catalogs too."""
    argparse_words.install()
    parser = _Parser(
        prog="recepcja",
        description=_("Recepcja: the front desk of a practice on CeR (central e-registration)."),
        epilog=_(
            "Without a command the window opens. Data folder: RECEPCJA_HOME or the user's data "
            "folder; CeR address: RECEPCJA_CER_URL or settings."
        ),
    )
    parser.add_argument("--version", action="version", version=f"recepcja {__version__}",
                        help=_("show the program's version and exit"))
    parser.add_argument(
        "--training",
        action="store_true",
        help=_("training mode: embedded CeR simulator, separate data folder"),
    )
    parser.add_argument("-v", "--verbose", action="store_true", help=_("more detail in the log"))
    sub = parser.add_subparsers(dest="command", metavar=_("COMMAND"), parser_class=_Parser)
    commands.register_all(sub, modules)
    return parser


def _needed_modules(argv: Sequence[str]) -> tuple[str, ...] | None:
    """The command modules this command line needs: the global options are all flags, so the
    first other word is the command. ``--help`` before it, or a word no module registers,
    needs them all (the overview, or argparse's list of choices)."""
    for token in argv:
        if _asks_for_help(token):
            return None
        if token.startswith("-"):
            continue
        module = commands.COMMANDS.get(token)
        return None if module is None else (module,)
    return ()  # the window, or --version


def _asks_for_help(token: str) -> bool:
    """``-h``, ``--help``, an abbreviation argparse accepts (``--he``) or ``-vh``."""
    if token.startswith("--"):
        return len(token) > 2 and "--help".startswith(token)
    return token.startswith("-") and "h" in token[1:]


def _start_logging(args: argparse.Namespace) -> logging.Handler | None:
    """Log to the data folder's rotating file, never to the terminal: library warnings on
    stderr would break the one-clear-line rule. A folder we cannot write is not fatal."""
    paths = default_paths()
    if args.training:
        paths = paths.training()
    try:
        return setup_logging(paths.logs, logging.DEBUG if args.verbose else logging.INFO)
    except OSError:
        return None


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        # The reader went away (``recepcja ... | head``): nothing more can be written there,
        # and Python's own flush at exit must not print a traceback either.
        _detach_stdout()
        emit_error(_("The output was closed before everything was written (broken pipe)."))
        return EXIT_FAILED


def _detach_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        return


def _main(argv: Sequence[str] | None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_needed_modules(arguments))
    args = parser.parse_args(arguments)
    log_handler = _start_logging(args)
    try:
        code = _run(args)
        sys.stdout.flush()  # a closed pipe shows here, inside the handling below
        return code
    except DomainError as exc:
        emit_error(translate_error(exc))
        return EXIT_FAILED
    except CerError as exc:
        log.warning("CeR error in %s: %s", getattr(args, "command", None), type(exc).__name__)
        emit_error(translate_error(exc))  # type: ignore[arg-type]  # same message/params shape
        return EXIT_CER
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        raise
    except sqlite3.DatabaseError as exc:
        emit_error(translate_error(_database_error(args, exc)))
        return EXIT_FAILED
    except OSError as exc:
        log.warning("%s failed: %s", getattr(args, "command", None), exc)
        if exc.filename:
            emit_error(_("{error}: {path}").format(error=exc.strerror or exc, path=exc.filename))
        else:
            emit_error(str(exc.strerror or exc))
        return EXIT_FAILED
    except Exception as exc:  # the last resort: one line on the terminal, the rest in the log
        log.exception("unexpected error in %s", getattr(args, "command", None))
        emit_error(_("Unexpected error ({kind}); the details are in the log {path}.").format(
            kind=type(exc).__name__, path=_paths(args).logs / "recepcja.log"))
        return EXIT_FAILED
    finally:
        if log_handler is not None:
            logging.getLogger().removeHandler(log_handler)
            log_handler.close()


def _run(args: argparse.Namespace) -> int:
    """Build the command's context once (see ``commands.CHECKED``) and run its handler; no
    command opens the window."""
    handler: Callable[..., int] | None = getattr(args, "handler", None)
    if handler is None:
        handler = _window()  # the collector stays off until the window's first paint
    else:
        gc.enable()  # off for the start (recepcja/__main__.py); a command's run needs it
    need = getattr(args, "context", commands.CHECKED)
    if need == commands.NO_CONTEXT:
        return int(handler(args) or EXIT_OK)
    from recepcja.services.context import AppContext

    ctx = AppContext.load(training=args.training, check_database=need == commands.CHECKED)
    return int(handler(args, ctx) or EXIT_OK)


def _window() -> Callable[..., int]:
    """No command: the window, once the display is checked (before the data folder is
    touched)."""
    from recepcja.cli.commands.gui import check_display, run_gui

    check_display()
    return run_gui


def _paths(args: argparse.Namespace) -> AppPaths:
    paths = default_paths()
    return paths.training() if getattr(args, "training", False) else paths


def _database_error(args: argparse.Namespace, exc: sqlite3.DatabaseError) -> DomainError:
    """SQLite's error as the desk's one line: a database it cannot use (locked, read-only,
    unopenable) or one that is damaged (then with the backups to restore from)."""
    from recepcja.services.data_folder import damaged_database_error

    paths = _paths(args)
    log.warning("database error in %s: %s", getattr(args, "command", None), exc)
    if isinstance(exc, sqlite3.OperationalError):
        return DomainError(N_("The database {path} cannot be used: {error}"),
                           path=str(paths.database), error=str(exc))
    return damaged_database_error(paths, exc)
