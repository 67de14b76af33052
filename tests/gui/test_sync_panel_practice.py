"""The window's notification receiver on a practice database (issue 15): with ``[receiver]``
enabled on a desk that is not the practice's CeR client, the window does not listen; once its
engine takes the practice's lock it listens, and it stops when the engine lets go."""

from __future__ import annotations

import pytest

from recepcja.config.secrets import RECEIVER_SECRET, SecretStore
from recepcja.config.settings import ENV_DATABASE_URL
from recepcja.gui.sync_panel import SyncPanel
from recepcja.services.sync_service import engine_for_context
from recepcja.sync.practice_owner import PracticeOwnership
from support.desks import desk_connection, listens


@pytest.fixture
def practice_db(pg_database: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every desk of the test on the practice database (before ``desk_ctx`` fills it)."""
    monkeypatch.setenv(ENV_DATABASE_URL, pg_database)
    return pg_database


def test_the_window_listens_only_while_its_desk_is_the_practice_s_cer_client(
        practice_db, desk_ctx, clock, qtbot):
    from recepcja.gui.main_window import MainWindow

    desk_ctx.settings.receiver.enabled, desk_ctx.settings.receiver.port = True, 0
    SecretStore().set(RECEIVER_SECRET, "wspolny-sekret")
    other = PracticeOwnership(desk_connection(practice_db, "recepcja-pietro"))
    window = MainWindow(desk_ctx, clock=clock, start_sync=False)
    qtbot.addWidget(window)
    window.bridge.engine = engine_for_context(desk_ctx)  # its passes are driven here
    ownership = window.bridge.engine.ownership
    panel = SyncPanel(window)
    try:
        assert other.ensure()
        panel.start()
        assert panel.receiver is not None and not panel.receiver.listening
        assert not panel.pulling  # the CeR client's receiver brings the news
        other.release()
        assert ownership.ensure() and panel.receiver.listening
        assert listens(panel.receiver.receiver.port)
        ownership.release()  # the engine stops: another desk may take over and listen
        assert not panel.receiver.listening
    finally:
        panel.close()
        ownership.release()
        other.release()
        window.bridge.engine = None
        window.close()
