"""The background runner: results come back on the UI thread, slow work shows progress,
failures without a handler reach the one error dialog."""

from __future__ import annotations

import threading

import recepcja.gui.workers as workers
from recepcja.domain.errors import ValidationError
from recepcja.gui.errors import error_text


def test_result_arrives_on_the_ui_thread(qtbot):
    runner = workers.BackgroundRunner()
    seen: dict[str, object] = {}
    ui_thread = threading.get_ident()

    def work() -> str:
        seen["worker"] = threading.get_ident()
        return "ok"

    def done(result: object) -> None:
        seen["result"] = result
        # thread ids, not QThread == QThread: PySide6 6.12's comparison of QThread wrappers
        # miscounts references to True and aborts the interpreter at exit
        seen["ui"] = threading.get_ident() == ui_thread

    with qtbot.waitSignal(runner.finished, timeout=5000):
        runner.run(work, on_success=done)
    assert seen["result"] == "ok" and seen["ui"] is True
    assert seen["worker"] != threading.get_ident()


def test_slow_work_shows_progress_and_clears_it(qtbot):
    runner = workers.BackgroundRunner()
    release = threading.Event()
    labels: list[str] = []
    runner.busy_changed.connect(labels.append)
    with qtbot.waitSignal(runner.busy_changed, timeout=5000):
        runner.run(lambda: release.wait(10), label="Rezerwuję…")
    assert labels == ["Rezerwuję…"]
    with qtbot.waitSignal(runner.finished, timeout=5000):
        release.set()
    assert labels[-1] == ""


def test_unhandled_failure_goes_to_the_error_dialog(qtbot, monkeypatch):
    runner = workers.BackgroundRunner()
    shown: list[str] = []
    monkeypatch.setattr(workers, "show_error", lambda _parent, error: shown.append(
        error_text(error)))

    def fail() -> None:
        raise ValidationError("Give the reason for cancelling.")

    with qtbot.waitSignal(runner.finished, timeout=5000):
        runner.run(fail)
    assert shown == ["Podaj powód odwołania."]  # translated once, in one place
    assert runner.active == 0
