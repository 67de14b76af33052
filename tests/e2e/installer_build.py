"""The installer tests' one build (installer/build-linux.sh), started in the background.

PyInstaller's build takes ~70-90 s on one core of the CI's two, and every installer test waits
for it. Started as soon as the session knows it has an installer test (``conftest.py``:
``pytest_collection_finish``), with those tests run last, it overlaps the rest of the suite -
which spends much of its time waiting on sockets, timers and subprocesses - instead of holding
it up. The tests check the same build as before: ``linux_build`` waits for it, and fails with
its output when it failed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO / "installer" / "build-linux.sh"
FIXTURE = "linux_build"
_KEY = pytest.StashKey["BackgroundBuild"]()


@dataclass
class Finished:
    code: int
    out: str
    err: str
    seconds: float  # from the start to the end of the script (the suite ran beside it)
    out_dir: Path


class BackgroundBuild:
    """``build-linux.sh`` (``--bundle-only`` without dpkg-deb) into a private folder, removed
    when the session ends."""

    def __init__(self) -> None:
        self.out_dir = Path(tempfile.mkdtemp(prefix="recepcja-installer-"))
        env = {**os.environ, "RECEPCJA_DIST_DIR": str(self.out_dir / "dist"),
               "RECEPCJA_BUILD_DIR": str(self.out_dir / "build")}
        args = [str(BUILD_SCRIPT)]
        if shutil.which("dpkg-deb") is None:
            args.append("--bundle-only")
        self._out = open(self.out_dir / "build.out", "w+", encoding="utf-8")
        self._err = open(self.out_dir / "build.err", "w+", encoding="utf-8")
        self._start = time.perf_counter()
        self._process = subprocess.Popen(args, stdout=self._out, stderr=self._err, env=env,
                                         stdin=subprocess.DEVNULL, text=True)
        self._finished: Finished | None = None
        self._ended: float | None = None  # when the script ended, not when a test asked
        self._watch = threading.Thread(target=self._note_the_end, daemon=True)
        self._watch.start()

    def _note_the_end(self) -> None:
        self._process.wait()
        self._ended = time.perf_counter()

    def wait(self, timeout: float) -> Finished:
        if self._finished is None:
            try:
                code = self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.stop()
                raise
            self._watch.join(5)
            seconds = (self._ended or time.perf_counter()) - self._start
            self._out.seek(0)
            self._err.seek(0)
            self._finished = Finished(code, self._out.read(), self._err.read(), seconds,
                                      self.out_dir)
        return self._finished

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._out.close()
        self._err.close()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.out_dir, ignore_errors=True)


def start_if_wanted(session: pytest.Session) -> None:
    """At the end of collection: start the build when a selected test needs it (on Linux)."""
    if session.config.option.collectonly or not sys.platform.startswith("linux"):
        return
    if any(FIXTURE in getattr(item, "fixturenames", ()) for item in session.items):
        session.config.stash[_KEY] = BackgroundBuild()


def the_build(config: pytest.Config) -> BackgroundBuild:
    """The session's build: the one started at collection, or one started now."""
    if _KEY not in config.stash:
        config.stash[_KEY] = BackgroundBuild()
    return config.stash[_KEY]


def remove(config: pytest.Config) -> None:
    build = config.stash.get(_KEY, None)
    if build is not None:
        build.remove()


def installer_tests_last(items: list[pytest.Item]) -> None:
    """The tests that need the build after every other test (in their own order)."""
    building = [item for item in items if FIXTURE in getattr(item, "fixturenames", ())]
    if building:
        chosen = set(building)
        items[:] = [item for item in items if item not in chosen] + building
