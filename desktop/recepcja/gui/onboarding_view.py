"""Issue 4 in the window: the menu "CeR obligations" with the onboarding view ("Joining CeR")
and the compliance screen, plus the daily publishing job.

The job (obligation 1 kept: free terms at least 3 months ahead) runs ``publish_all`` in the
window's ``BackgroundRunner`` once a minute after start and then daily, only while some place
is active in CeR and only when the window's sync was started (a test window built with
``start_sync=False`` never talks to CeR on its own).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction

from recepcja.i18n import _

if TYPE_CHECKING:
    from recepcja.gui.main_window import MainWindow

log = logging.getLogger(__name__)

FIRST_PUBLISH_MS = 60 * 1000
PUBLISH_EVERY_MS = 24 * 60 * 60 * 1000
MENU_NAME = "menuObligations"  # the practice settings add their entry on top


def _sync_started(window: MainWindow) -> bool:
    bridge = getattr(window, "bridge", None)
    if bridge is None:
        return False
    timer = getattr(bridge, "_timer", None)
    return getattr(bridge, "engine", None) is not None or bool(timer and timer.isActive())


class OnboardingView:
    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.onboarding: Any = None
        self.compliance: Any = None
        self.publishing = False
        self.last_publish: Any = None  # the last background PublishResult, or the error
        menu = window.menuBar().addMenu(_("CeR &obligations"))
        menu.setObjectName(MENU_NAME)
        self.onboarding_action = QAction(_("&Joining CeR…"), window)
        self.onboarding_action.setObjectName("actionOnboarding")
        self.onboarding_action.triggered.connect(self.open_onboarding)
        self.compliance_action = QAction(_("&Compliance with CeR…"), window)
        self.compliance_action.setObjectName("actionCompliance")
        self.compliance_action.triggered.connect(self.open_compliance)
        menu.addAction(self.onboarding_action)
        menu.addAction(self.compliance_action)
        self.menu = menu
        self.timers: list[QTimer] = []
        if _sync_started(window):
            first = QTimer(window)
            first.setSingleShot(True)
            first.timeout.connect(self.publish_now)
            first.start(FIRST_PUBLISH_MS)
            daily = QTimer(window)
            daily.timeout.connect(self.publish_now)
            daily.start(PUBLISH_EVERY_MS)
            self.timers = [first, daily]

    def open_onboarding(self) -> Any:
        from recepcja.gui.away_panels import ONBOARDING, refuse_while_away
        from recepcja.gui.onboarding_dialog import OnboardingDialog

        if refuse_while_away(self.window, ONBOARDING):
            return None
        if self.onboarding is None:
            self.onboarding = OnboardingDialog(self.window)
        elif not self.onboarding.running:
            self.onboarding.fill_rows()  # places may have changed since
        self.onboarding.show()
        self.onboarding.raise_()
        return self.onboarding

    def open_compliance(self) -> Any:
        from recepcja.gui.compliance_dialog import ComplianceDialog

        if self.compliance is None:
            self.compliance = ComplianceDialog(self.window)
        else:
            self.compliance.refresh()
        self.compliance.show()
        self.compliance.raise_()
        return self.compliance

    def publish_now(self) -> None:
        """The background job: publish free terms to the horizon when a place is active."""
        window = self.window
        if self.publishing or getattr(window, "closed", False):
            return
        if not any(p.cer_active_at is not None for p in window.repos.practice.places()):
            return
        if not window.bridge.owns_practice():
            return  # another desk of the practice publishes (sync.practice_owner)
        ctx = window.ctx
        settings = ctx.settings.publishing
        self.publishing = True

        def work() -> Any:
            from recepcja.services.gateway_factory import gateway_from_context
            from recepcja.services.publishing import publish_all

            with gateway_from_context(ctx) as gateway, ctx.repositories() as repos:
                return publish_all(repos, gateway, months=settings.horizon_months,
                                   margin_days=settings.margin_days)

        def done(result: Any) -> None:
            self.publishing = False
            self.last_publish = result

        def failed(error: BaseException) -> None:
            self.publishing = False
            self.last_publish = error
            log.warning("daily publishing failed: %r", error)  # retried next time

        window.runner.run(work, on_success=done, on_failure=failed)

    def close(self) -> None:
        for timer in self.timers:
            timer.stop()
        for dialog in (self.onboarding, self.compliance):
            if dialog is not None:
                dialog.close()


def install(window: MainWindow) -> OnboardingView:
    return OnboardingView(window)
