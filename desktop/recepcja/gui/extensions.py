"""Panels and views installed into the main window after it is built (by the app, in the turn
after the window's first paint: ``MainWindow(panels_after_paint=True)``).

Each feature module offers ``install(window) -> object`` returning something with ``close()``
(called when the window closes). Keeping them here keeps ``main_window.py`` a composition root
of the core desk only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from recepcja.gui.main_window import MainWindow


def install_extensions(window: MainWindow) -> list[Any]:
    installed: list[Any] = []
    from recepcja.gui import patient_card_actions

    installed.append(patient_card_actions.install(window))
    from recepcja.gui import sync_panel

    installed.append(sync_panel.install(window))
    from recepcja.gui import queue_panel

    queue = queue_panel.install(window)
    installed.append(queue)
    from recepcja.gui import server_banner

    installed.append(server_banner.install(window, queue.export))
    from recepcja.gui import replay_summary

    installed.append(replay_summary.install(window))
    from recepcja.gui import onboarding_view

    installed.append(onboarding_view.install(window))
    from recepcja.gui import settings

    installed.append(settings.install(window))
    from recepcja.gui import desk_changes

    follower = desk_changes.install(window)  # a practice database: other desks' changes
    if follower is not None:
        installed.append(follower)
    return [item for item in installed if item is not None]
