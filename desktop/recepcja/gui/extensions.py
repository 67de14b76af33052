"""Panels and views installed into the main window after it is built.

Each feature module offers ``install(window) -> object`` returning something with ``close()``
(called when the window closes). Keeping them here keeps ``main_window.py`` a composition root
of the core desk only.
"""

from __future__ import annotations

from typing import Any


def install_extensions(window: Any) -> list[Any]:
    installed: list[Any] = []
    # --- sync panel (issue 7) ---
    # --- emergency queue panel (issue 6) ---
    # --- onboarding view (issue 4) ---
    return installed
