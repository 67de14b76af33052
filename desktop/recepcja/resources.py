"""Locating files under ``resources/`` in every way the app is installed.

Wheel: ``recepcja/resources`` (force-included). Editable install or source tree:
``<root>/resources``.
PyInstaller bundle: ``<sys._MEIPASS>/recepcja/resources``.
"""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    here = Path(__file__).resolve().parent
    candidates = [here / "resources", here.parents[1] / "resources"]
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        candidates.insert(0, Path(bundle) / "recepcja" / "resources")
    for candidate in candidates:
        if (candidate / "cer").is_dir():
            return candidate
    raise FileNotFoundError("resources/ not found next to the recepcja package")


def resource(*parts: str) -> Path:
    """Path of a shipped resource, e.g. ``resource("cer", "cer.wsdl")``."""
    return resources_dir().joinpath(*parts)
