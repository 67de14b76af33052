"""``recepcja secret list | set NAME | delete NAME``: the keyring passwords the app uses.

The installed bundle has no Python on the command line and not every machine has
``secret-tool``, so the app stores its own secrets: in the OS keyring (never a file), for the
user who runs the command — the desk's user. A value is never printed: ``list`` says only which
names are set. ``set`` asks twice without echo, or with ``--stdin`` reads one line (scripts).
"""

from __future__ import annotations

import argparse
import getpass
import sys

from recepcja.cli.commands import NO_CONTEXT
from recepcja.cli.output import emit_json
from recepcja.config.secrets import (
    CLIENT_CERT_PASSWORD,
    DATABASE_PASSWORD,
    EXPORT_PASSWORD,
    RECEIVER_SECRET,
    SIGNING_KEY_PASSWORD,
    SecretStore,
)
from recepcja.domain.errors import N_, ValidationError
from recepcja.i18n import _

NAMES = (SIGNING_KEY_PASSWORD, RECEIVER_SECRET, EXPORT_PASSWORD, DATABASE_PASSWORD,
         CLIENT_CERT_PASSWORD)
MAX_LENGTH = 4096


def _describe(name: str) -> str:
    return {
        SIGNING_KEY_PASSWORD: _("pass phrase of the WS-Security signing key"),
        RECEIVER_SECRET: _("shared secret of the notification endpoint"),
        EXPORT_PASSWORD: _("password of the emergency-queue Excel exports"),
        DATABASE_PASSWORD: _("password of the practice database (PostgreSQL)"),
        CLIENT_CERT_PASSWORD: _("reserved (the TLS client key must be unencrypted)"),
    }[name]


def list_secrets(args: argparse.Namespace) -> int:
    store = SecretStore()
    rows = [{"name": name, "set": store.get(name) is not None, "what": _describe(name)}
            for name in NAMES]
    if args.json:
        emit_json(rows)
        return 0
    for row in rows:
        state = _("is set (secret)") if row["set"] else _("not set (secret)")
        print(f"{row['name']:<32} {state:<12} {row['what']}")
    return 0


def _read_value(from_stdin: bool) -> str:
    if from_stdin:
        value = sys.stdin.readline().rstrip("\r\n")
    else:
        if not sys.stdin or not sys.stdin.isatty():
            raise ValidationError(N_("There is no terminal to ask for the password on; nothing "
                                     "was stored. Pass it on standard input with --stdin."))
        try:
            value = getpass.getpass(_("Password: "))
            repeated = getpass.getpass(_("Repeat the password: "))
        except EOFError:
            raise ValidationError(N_("No password was entered; nothing was stored.")) from None
        if repeated != value:
            raise ValidationError(N_("The two passwords differ; nothing was stored."))
    if not value:
        raise ValidationError(N_("An empty password is not stored; use 'secret delete' to "
                                 "remove one."))
    if len(value) > MAX_LENGTH:
        raise ValidationError(N_("The password is longer than {limit} characters."),
                              limit=MAX_LENGTH)
    return value


def set_secret(args: argparse.Namespace) -> int:
    store = SecretStore()
    store.get(args.name)  # no usable keyring: say so before asking for anything
    store.set(args.name, _read_value(args.stdin))
    print(_("Stored {name} in the keyring of user {user}.").format(
        name=args.name, user=getpass.getuser()))
    return 0


def delete_secret(args: argparse.Namespace) -> int:
    SecretStore().delete(args.name)
    print(_("{name} is no longer in the keyring.").format(name=args.name))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    text = _("passwords in the operating system's keyring (never printed)")
    parser = sub.add_parser("secret", help=text, description=text)
    ssub = parser.add_subparsers(dest="secret_command", metavar=_("ACTION"), required=True)
    p = ssub.add_parser("list", help=_("which passwords are set"),
                        description=_("which passwords are set"))
    p.add_argument("--json", action="store_true", help=_("print the result as JSON"))
    p.set_defaults(handler=list_secrets, context=NO_CONTEXT)
    p = ssub.add_parser("set", help=_("store a password (asked twice, not shown)"),
                        description=_("store a password (asked twice, not shown)"))
    p.add_argument("name", choices=NAMES, metavar="NAME", help=", ".join(NAMES))
    p.add_argument("--stdin", action="store_true",
                   help=_("read the password from one line of standard input"))
    p.set_defaults(handler=set_secret, context=NO_CONTEXT)
    p = ssub.add_parser("delete", help=_("remove a password"),
                        description=_("remove a password"))
    p.add_argument("name", choices=NAMES, metavar="NAME", help=", ".join(NAMES))
    p.set_defaults(handler=delete_secret, context=NO_CONTEXT)
