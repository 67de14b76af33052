"""Starting the window (and, in training mode, the embedded simulator)."""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys

from recepcja.domain.errors import N_, DomainError
from recepcja.i18n import _
from recepcja.services.context import AppContext


class NoDisplay(DomainError):
    """The window cannot open: no graphical session to open it in."""


def check_display(environ: dict[str, str] | None = None, platform: str | None = None) -> None:
    """NoDisplay on Linux/BSD without X11 or Wayland (an SSH session, a server, cron): Qt would
    abort the process (exit 134) with a message about platform plugins. Windows and macOS
    always have their own display; ``QT_QPA_PLATFORM`` set means the caller chose one."""
    env = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if platform.startswith(("win", "darwin")) or env.get("QT_QPA_PLATFORM"):
        return
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return
    raise NoDisplay(N_(
        "No display: the window needs a graphical session (DISPLAY or WAYLAND_DISPLAY is not "
        "set). Without one, use the commands ('recepcja --help', e.g. 'recepcja status' or "
        "'recepcja sync'), or run the window off-screen with QT_QPA_PLATFORM=offscreen."))


def run_gui(args: argparse.Namespace, ctx: AppContext) -> int:
    """The window (``main`` checked the display before building ``ctx``)."""
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
