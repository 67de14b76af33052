"""``recepcja sim``: the CeR simulator for training, demos and tests."""

from __future__ import annotations

import argparse

from recepcja.cli.commands import NO_CONTEXT
from recepcja.i18n import _


def register(sub: argparse._SubParsersAction) -> None:
    from recepcja.simulator import cli as sim_cli

    parser = sub.add_parser(
        "sim",
        help=_("run the CeR simulator (training, demos, tests)"),
        description=sim_cli.DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sim_cli.add_arguments(parser)
    parser.set_defaults(handler=sim_cli.run, context=NO_CONTEXT)
