"""`./run` from the README: set-up, then the app in training mode; headless it shows that the
window starts (training simulator, example practice) and exits cleanly."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_run_script_starts_training_mode_headless(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "RECEPCJA_SMOKE_TEST"}}
    env["RECEPCJA_HOME"] = str(tmp_path / "home")
    proc = subprocess.run(
        [str(ROOT / "run")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
        stdin=subprocess.DEVNULL, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "smoke-ok" in proc.stdout
    assert "no display found" in proc.stderr
    # Training data lives in its own folder, never in the practice's.
    assert (tmp_path / "home" / "training").is_dir()
    assert not (tmp_path / "home" / "recepcja.sqlite").exists()
