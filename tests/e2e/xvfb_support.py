"""A private X server (Xvfb) for tests that show a real window, and a witness on the X side.

``Xvfb -displayfd`` picks a free display number itself and tells it through a pipe, so two test
runs never race for ``:99``. ``MapWitness`` is a second X client that asks the server for the
root window's substructure events before the app starts: every window the app maps is then
queued on the witness's connection, whatever the timing, and read after the app has exited.
libX11 is loaded with ctypes (``libx11-6`` is one of the bootstrap's Qt packages).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import select
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

# X protocol constants (X.h)
CREATE_NOTIFY = 16
MAP_NOTIFY = 19
CONFIGURE_NOTIFY = 22
SUBSTRUCTURE_NOTIFY_MASK = 1 << 19
START_TIMEOUT_S = 30


class XvfbMissing(RuntimeError):
    pass


class Xvfb:
    """``with Xvfb(tmp_path) as x: x.display`` (``":7"``); stopped on exit. ``fbdir`` keeps the
    screen as an XWD file there (``Xvfb_screen0``), for a screenshot by hand."""

    def __init__(self, workdir: Path, *, size: str = "1440x900x24", fbdir: Path | None = None):
        self.workdir = workdir
        self.size = size
        self.fbdir = fbdir
        self.display = ""
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Xvfb:
        binary = shutil.which("Xvfb")
        if binary is None:
            raise XvfbMissing("Xvfb is not installed (./test installs the 'xvfb' package as root)")
        read_end, write_end = os.pipe()
        args = [binary, "-displayfd", str(write_end), "-screen", "0", self.size,
                "-nolisten", "tcp", "-noreset"]
        if self.fbdir is not None:
            args += ["-fbdir", str(self.fbdir)]
        log = (self.workdir / "xvfb.log").open("wb")
        try:
            self.process = subprocess.Popen(args, pass_fds=(write_end,), stdout=log, stderr=log,
                                            stdin=subprocess.DEVNULL)
        finally:
            os.close(write_end)
            log.close()
        try:
            self.display = ":" + self._read_display(read_end)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        finally:
            os.close(read_end)
        return self

    def _read_display(self, fd: int) -> str:
        data = b""
        deadline = time.monotonic() + START_TIMEOUT_S
        while not data.endswith(b"\n"):
            left = deadline - time.monotonic()
            ready, _, _ = select.select([fd], [], [], max(left, 0))
            chunk = os.read(fd, 16) if ready else b""
            if not chunk:
                log = (self.workdir / "xvfb.log").read_text(errors="replace")
                raise RuntimeError(f"Xvfb did not start: {log[-1000:]}")
            data += chunk
        return data.decode().strip()

    def __exit__(self, *_exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class _CreateWindowEvent(ctypes.Structure):  # XCreateWindowEvent (Xlib.h)
    _fields_ = [("type", ctypes.c_int), ("serial", ctypes.c_ulong), ("send_event", ctypes.c_int),
                ("display", ctypes.c_void_p), ("parent", ctypes.c_ulong),
                ("window", ctypes.c_ulong), ("x", ctypes.c_int), ("y", ctypes.c_int),
                ("width", ctypes.c_int), ("height", ctypes.c_int),
                ("border_width", ctypes.c_int), ("override_redirect", ctypes.c_int)]


class _MapEvent(ctypes.Structure):  # XMapEvent (Xlib.h)
    _fields_ = [("type", ctypes.c_int), ("serial", ctypes.c_ulong), ("send_event", ctypes.c_int),
                ("display", ctypes.c_void_p), ("event", ctypes.c_ulong),
                ("window", ctypes.c_ulong), ("override_redirect", ctypes.c_int)]


class _ConfigureEvent(ctypes.Structure):  # XConfigureEvent (Xlib.h)
    _fields_ = [("type", ctypes.c_int), ("serial", ctypes.c_ulong), ("send_event", ctypes.c_int),
                ("display", ctypes.c_void_p), ("event", ctypes.c_ulong),
                ("window", ctypes.c_ulong), ("x", ctypes.c_int), ("y", ctypes.c_int),
                ("width", ctypes.c_int), ("height", ctypes.c_int),
                ("border_width", ctypes.c_int), ("above", ctypes.c_ulong),
                ("override_redirect", ctypes.c_int)]


class _XEvent(ctypes.Union):  # XEvent: a union padded to 24 longs
    _fields_ = [("type", ctypes.c_int), ("create", _CreateWindowEvent), ("map", _MapEvent),
                ("configure", _ConfigureEvent), ("pad", ctypes.c_long * 24)]


@dataclass(frozen=True)
class MappedWindow:
    window: int
    width: int  # the last size the server knew
    height: int
    override_redirect: bool  # menus and tooltips; a main window is not


class MapWitness:
    """``with MapWitness(display) as witness: ...; witness.collect()``: the windows created and
    mapped on ``display`` while the witness was open (children of the root: top-level windows)."""

    def __init__(self, display: str) -> None:
        self.display = display
        self._x11 = _load_x11()
        self._dpy: int | None = None
        self._sizes: dict[int, tuple[int, int]] = {}
        self._mapped: list[tuple[int, bool]] = []

    def __enter__(self) -> MapWitness:
        self._dpy = self._x11.XOpenDisplay(self.display.encode())
        if not self._dpy:
            raise RuntimeError(f"cannot open X display {self.display}")
        root = self._x11.XDefaultRootWindow(self._dpy)
        self._x11.XSelectInput(self._dpy, root, SUBSTRUCTURE_NOTIFY_MASK)
        self._x11.XSync(self._dpy, 0)  # the selection is in force before the app starts
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._dpy:
            self._x11.XCloseDisplay(self._dpy)
            self._dpy = None

    def collect(self) -> list[MappedWindow]:
        """Read every event queued so far (call it after the app has exited)."""
        self._x11.XSync(self._dpy, 0)
        event = _XEvent()
        while self._x11.XPending(self._dpy):
            self._x11.XNextEvent(self._dpy, ctypes.byref(event))
            if event.type == CREATE_NOTIFY:
                self._sizes[event.create.window] = (event.create.width, event.create.height)
            elif event.type == CONFIGURE_NOTIFY:
                self._sizes[event.configure.window] = (event.configure.width,
                                                       event.configure.height)
            elif event.type == MAP_NOTIFY:
                self._mapped.append((event.map.window, bool(event.map.override_redirect)))
        return [MappedWindow(window, *self._sizes.get(window, (0, 0)), override)
                for window, override in self._mapped]


def _load_x11() -> ctypes.CDLL:
    x11 = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XDefaultRootWindow.restype = ctypes.c_ulong
    x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
    x11.XSelectInput.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_long]
    x11.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
    x11.XPending.argtypes = [ctypes.c_void_p]
    x11.XNextEvent.argtypes = [ctypes.c_void_p, ctypes.POINTER(_XEvent)]
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    return x11
