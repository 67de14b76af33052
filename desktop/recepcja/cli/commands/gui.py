"""Starting the window (and, in training mode, the embedded simulator)."""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from collections.abc import Mapping

from recepcja.domain.errors import N_, DomainError
from recepcja.i18n import _
from recepcja.services.context import AppContext


class NoDisplay(DomainError):
    """The window cannot open: no graphical session to open it in."""


# Qt's platforms that open windows on a display server: what each needs to reach one.
_DISPLAY_PLATFORMS = {"xcb": ("DISPLAY",), "wayland": ("WAYLAND_DISPLAY",),
                      "wayland-egl": ("WAYLAND_DISPLAY",)}


def check_display(environ: Mapping[str, str] | None = None, platform: str | None = None) -> None:
    """NoDisplay on Linux/BSD without X11 or Wayland (an SSH session, a server, cron): Qt would
    abort the process (exit 134) with a message about platform plugins. Windows and macOS
    always have their own display. ``QT_QPA_PLATFORM`` names the platforms Qt tries in turn
    (``wayland;xcb``): it needs no display when one of them needs none (``offscreen``) or finds
    its own (``xcb`` with ``DISPLAY`` set); ``xcb`` without ``DISPLAY`` is no display."""
    env = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if platform.startswith(("win", "darwin")):
        return
    chosen = [name.strip().split(":", 1)[0]
              for name in env.get("QT_QPA_PLATFORM", "").split(";") if name.strip()]
    if not chosen:  # Qt's own choice: a Wayland session or an X server
        if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
            return
        raise NoDisplay(N_(
            "No display: the window needs a graphical session (DISPLAY or WAYLAND_DISPLAY is "
            "not set). Without one, use the commands ('recepcja --help', e.g. 'recepcja "
            "status' or 'recepcja sync'), or run the window off-screen with "
            "QT_QPA_PLATFORM=offscreen."))
    for name in chosen:
        needed = _DISPLAY_PLATFORMS.get(name)
        if needed is None or any(env.get(variable) for variable in needed):
            return  # offscreen, eglfs, vnc...: no display server; or this one's is there
        if needed == ("WAYLAND_DISPLAY",) and _default_wayland_socket(env):
            return  # libwayland's default, wayland-0, without WAYLAND_DISPLAY
    raise NoDisplay(N_(
        "No display: QT_QPA_PLATFORM={platform} opens the window on a display server, and "
        "{variables} is not set. Run it in a graphical session, or off-screen with "
        "QT_QPA_PLATFORM=offscreen; without a window, use the commands ('recepcja --help')."),
        platform=env.get("QT_QPA_PLATFORM", ""),
        variables=" / ".join(sorted({v for n in chosen for v in _DISPLAY_PLATFORMS[n]})))


def _default_wayland_socket(env: Mapping[str, str]) -> bool:
    runtime = env.get("XDG_RUNTIME_DIR")
    return bool(runtime) and os.path.exists(os.path.join(str(runtime), "wayland-0"))


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
