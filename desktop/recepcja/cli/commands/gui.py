"""Starting the window (and, in training mode, the embedded simulator)."""

from __future__ import annotations

import argparse
import importlib.util
import sys

from recepcja.i18n import _
from recepcja.services.context import AppContext


def run_gui(args: argparse.Namespace) -> int:
    ctx = AppContext.load(training=args.training)
    if importlib.util.find_spec("recepcja.gui.app") is not None:
        from recepcja.gui.app import run

        return run(ctx)
    # The window is not built yet: say so, and in training mode still run what exists.
    print(_("The Recepcja window is not available in this version yet."))
    if not args.training:
        return 0
    from recepcja.simulator.server import SimulatorServer

    with SimulatorServer(ctx.paths.root / "simulator") as server:
        url = server.url
        print(_("Training mode: the CeR simulator runs at {url} (data: {folder}).").format(
            url=url, folder=ctx.paths.root))
        if sys.stdin.isatty():
            print(_("Press Ctrl+C to stop."))
            try:
                sys.stdin.read()
            except KeyboardInterrupt:
                pass
    return 0
