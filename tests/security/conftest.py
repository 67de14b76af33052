"""Fixtures of the security tests: the real ``recepcja`` command in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def one_line_error(self) -> bool:
        """Exactly one line on stderr, from the app, and no traceback."""
        lines = self.err.strip().splitlines()
        return (self.code != 0 and len(lines) == 1 and lines[0].startswith("recepcja: ")
                and "Traceback" not in self.err)


@dataclass
class Recepcja:
    """``recepcja ARGS`` as a subprocess in ``home`` (no display, no keyring, umask 022)."""

    home: Path
    env: dict[str, str] = field(default_factory=dict)

    def environment(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items()
               if key not in ("DISPLAY", "WAYLAND_DISPLAY", "RECEPCJA_CER_URL")}
        env.update({"RECEPCJA_HOME": str(self.home), "RECEPCJA_LANG": "en",
                    "QT_QPA_PLATFORM": "offscreen"})
        env.update(self.env)
        return {key: value for key, value in env.items() if value is not None}

    def __call__(self, *args: str, stdin: int | None = subprocess.DEVNULL,
                 timeout: float = 90) -> Run:
        def as_desk_user() -> None:
            os.umask(0o022)  # a common default: the app must not rely on a strict one

        proc = subprocess.run(
            [sys.executable, "-m", "recepcja", *args], check=False, capture_output=True,
            text=True, env=self.environment(), timeout=timeout, stdin=stdin,
            preexec_fn=as_desk_user,  # the test process has no other threads
        )
        return Run(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def recepcja(tmp_path: Path) -> Recepcja:
    return Recepcja(home=tmp_path / "home")
