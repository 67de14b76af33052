"""`./run` from the README: set-up, then the app in training mode. Headless it shows that the
window starts (training simulator, example practice) and exits cleanly; with a display (here a
private Xvfb) it shows the window on that display through Qt's xcb platform."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from xvfb_support import MapWitness, Xvfb

# The first ./run of a fresh clone installs the project into .venv (pip) before the app starts;
# after ./test (which installed it with the test extras) it installs nothing.
pytestmark = pytest.mark.timeout(600)

ROOT = Path(__file__).resolve().parents[2]
MAIN_WINDOW_MIN = (800, 500)  # the main window's minimum size; menus and tooltips are smaller


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "RECEPCJA_SMOKE_TEST",
                        "XAUTHORITY"}}
    env["RECEPCJA_HOME"] = str(home)
    env.update(extra)
    return env


def _run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / "run")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
        stdin=subprocess.DEVNULL, check=False,
    )


def test_run_script_starts_training_mode_headless(tmp_path):
    proc = _run(_env(tmp_path / "home"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "smoke-ok" in proc.stdout
    assert "smoke-window: platform=offscreen" in proc.stdout
    assert "no display found" in proc.stderr
    # Training data lives in its own folder, never in the practice's.
    assert (tmp_path / "home" / "training").is_dir()
    assert not (tmp_path / "home" / "recepcja.sqlite").exists()


def test_run_script_shows_the_window_on_an_x_display(tmp_path):
    """A desktop session: DISPLAY set, no QT_QPA_PLATFORM. ./run must find (or install) the xcb
    platform's libraries and show the window on the X server, not fall back to offscreen."""
    with Xvfb(tmp_path) as xvfb, MapWitness(xvfb.display) as witness:
        proc = _run(_env(tmp_path / "home", DISPLAY=xvfb.display, RECEPCJA_SMOKE_TEST="1"))
        mapped = witness.collect()
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "no display found" not in proc.stderr
    assert 'Could not load the Qt platform plugin "xcb"' not in proc.stderr
    lines = proc.stdout.splitlines()
    assert "smoke-window: platform=xcb exposed=True" in lines, proc.stdout[-2000:]
    assert "smoke-ok" in lines
    # The X server's own account: a top-level window of the main window's size was mapped.
    main = [w for w in mapped if not w.override_redirect
            and w.width >= MAIN_WINDOW_MIN[0] and w.height >= MAIN_WINDOW_MIN[1]]
    assert main, f"no main window was mapped on {xvfb.display}: {mapped}"
    assert (tmp_path / "home" / "training").is_dir()


XCB_LIBRARIES = {"libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1", "libxkbcommon-x11-0"}


def _fresh_desktop(tmp_path: Path, uid: int) -> tuple[dict[str, str], Path]:
    """A fresh Debian desktop as the bootstrap sees it: dpkg-query says the xcb libraries are
    not installed, ``id -u`` says ``uid``; apt-get records its arguments and its ``install``
    fails, so ./run stops right after asking for the packages."""
    fake = tmp_path / "bin"
    fake.mkdir()
    calls = tmp_path / "apt-get.calls"
    missing = " ".join(sorted(XCB_LIBRARIES))
    scripts = {
        "dpkg-query": f'for p in {missing}; do [ "$3" = "$p" ] && exit 1; done\n'
                      'echo "install ok installed"\n',
        "id": f'[ "$1" = "-u" ] && echo {uid} && exit 0\nexec /usr/bin/id "$@"\n',
        "apt-get": f'echo "$@" >> {calls}\n[ "$1" = update ] && exit 0\nexit 1\n',
    }
    for name, body in scripts.items():
        path = fake / name
        path.write_text("#!/bin/sh\n" + body)
        path.chmod(0o755)
    env = _env(tmp_path / "home", DISPLAY=":42", PATH=f"{fake}:{os.environ['PATH']}")
    return env, calls


def test_run_script_on_a_desktop_names_the_missing_xcb_libraries(tmp_path):
    env, _calls = _fresh_desktop(tmp_path, uid=1000)
    proc = _run(env)
    assert proc.returncode == 1, proc.stderr
    command = proc.stderr.splitlines()[-1].split()
    assert command[:4] == ["apt-get", "install", "-y", "--no-install-recommends"], proc.stderr
    assert set(command[4:]) == XCB_LIBRARIES


def test_run_script_on_a_desktop_installs_the_xcb_libraries_as_root(tmp_path):
    env, calls = _fresh_desktop(tmp_path, uid=0)
    proc = _run(env)
    assert proc.returncode != 0  # the fake apt-get fails on purpose
    install = [line.split() for line in calls.read_text().splitlines() if "install" in line]
    assert install and XCB_LIBRARIES <= set(install[0]), calls.read_text()
