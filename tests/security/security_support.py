"""Helpers of the security tests (a unique module name so no other test folder shadows it):
LibreOffice as the spreadsheet program that must not evaluate anything the app exports."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def soffice() -> str:
    """The LibreOffice binary, or a visible skip (the export is still checked by the rest)."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        pytest.skip("LibreOffice (soffice) is not installed: 'apt-get install "
                    "libreoffice-calc-nogui' to check exports against a real spreadsheet")
    return found


def convert(source: Path, target_format: str, folder: Path) -> list[Path]:
    """``soffice --headless --convert-to`` in a private profile; the files it wrote."""
    folder.mkdir(parents=True, exist_ok=True)
    before = set(folder.iterdir())
    profile = folder / ".lo-profile"
    subprocess.run(
        [soffice(), f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to",
         target_format, "--outdir", str(folder), str(source)],
        check=True, capture_output=True, timeout=180,
    )
    return sorted(path for path in set(folder.iterdir()) - before if path.is_file())
