"""The sync bridge after the window closed: a probe scheduled earlier (the training outage
switch probes again 1.5 s later) must not hand work to the shut-down pool - that raised
"cannot schedule new futures after shutdown" inside the event loop, failing whatever test ran
next."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer

from recepcja.config.paths import AppPaths
from recepcja.gui.sync_bridge import SyncBridge
from recepcja.gui.workers import BackgroundRunner
from recepcja.services.context import AppContext


def test_a_probe_that_fires_after_the_window_closed_does_nothing(qtbot, tmp_path: Path):
    ctx = AppContext.load(AppPaths(tmp_path / "home"))
    runner = BackgroundRunner()
    bridge = SyncBridge(ctx, runner)
    with qtbot.waitSignal(runner.finished, timeout=10000):
        bridge.probe()  # the pool exists (the probe fails: no CeR configured)
    QTimer.singleShot(50, bridge.probe)  # e.g. the outage switch's second probe
    bridge.stop()  # the window closes (MainWindow.closeEvent's order)
    runner.wait(5000)
    runner.shutdown()
    qtbot.wait(300)  # the delayed probe fires now: no exception in the event loop
    assert not bridge._probing and runner.active == 0
