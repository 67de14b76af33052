"""The window on a 1366×768 screen (issue 14): the first start fits the screen (the window's
frame inside the available area), the today panel needs no horizontal scroll bar, the toolbar
shows every button (the print button too), a long status message is shown whole; the size and
place the desk leaves it in come back at the next start, per user.

Each start is a real app process on Qt's offscreen platform configured with one 1366×768
screen (the test process's own screen is Qt's default 800×800)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CHILD = r"""
import datetime as dt, json, sys
from recepcja.domain.model import WARSAW
from recepcja.gui.app import make_application
from recepcja.gui.formatting import datetime_text
from recepcja.gui.main_window import MainWindow
from recepcja.i18n import _
from recepcja.services.context import AppContext

app = make_application([])
moment = dt.datetime.fromisoformat(sys.argv[1])
w = MainWindow(AppContext.load(), clock=lambda: moment, start_sync=False)
w.show()
for _i in range(30):
    app.processEvents()
w.go_to(moment.date())
for _i in range(10):
    app.processEvents()
message = _("Booked {when} in emergency mode: it will be sent to CeR when the connection is "
            "back.").format(when=datetime_text(moment))
w.status.showMessage(message, 60000)
for _i in range(10):
    app.processEvents()
frame, screen = w.frameGeometry(), w.screen().availableGeometry()
bar = w.today.table.horizontalScrollBar()
out = {
    "frame": [frame.x(), frame.y(), frame.width(), frame.height()],
    "screen": [screen.x(), screen.y(), screen.width(), screen.height()],
    "today_rows": w.today.model.rowCount(),
    "today_hscroll": bar.isVisible() and bar.maximum() > 0,
    "message": w.status.currentMessage(),
    "message_fits": w.status.message_fits(),
    "message_visible": w.status.message.isVisible(),
    "print_button": w.actions_.print_button.isVisible(),
    "toolbar_hidden": [a.text() for a in w.actions_.toolbar.actions()
                       if (widget := w.actions_.toolbar.widgetForAction(a)) is not None
                       and not widget.isVisible() and not a.isSeparator()],
}
if sys.argv[2] == "leave":
    w.showNormal()  # not maximised any more
    w.setGeometry(60, 50, 1100, 640)
    for _i in range(10):
        app.processEvents()
    g = w.geometry()
    out["left"] = [g.x(), g.y(), g.width(), g.height()]
g = w.geometry()
out["geometry"] = [g.x(), g.y(), g.width(), g.height()]
w.close()
print(json.dumps(out))
"""


@pytest.fixture
def screen_1366(tmp_path: Path) -> Path:
    config = tmp_path / "screen.json"
    config.write_text(json.dumps({"screens": [{
        "name": "laptop", "x": 0, "y": 0, "width": 1366, "height": 768,
        "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}), encoding="utf-8")
    return config


def _start(desk_ctx, screen: Path, moment: str, then: str = "stay",
           user: str = "anna") -> dict:
    env = {**os.environ, "RECEPCJA_HOME": str(desk_ctx.paths.root), "RECEPCJA_LANG": "pl",
           "QT_QPA_PLATFORM": f"offscreen:configfile={screen}", "USER": user,
           "LOGNAME": user}
    env.pop("RECEPCJA_CER_URL", None)
    done = subprocess.run([sys.executable, "-c", CHILD, moment, then], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_first_start_fits_1366_by_768_and_nothing_is_cut(desk_ctx, clock, screen_1366):
    moment = clock().isoformat()
    first = _start(desk_ctx, screen_1366, moment, then="leave")
    x, y, width, height = first["frame"]
    sx, sy, swidth, sheight = first["screen"]
    assert [sx, sy, swidth, sheight] == [0, 0, 1366, 768]
    assert sx <= x and sy <= y and x + width <= sx + swidth and y + height <= sy + sheight, first
    assert width >= 1300 and height >= 700, first  # and it uses the screen
    assert first["today_rows"] == 4 and not first["today_hscroll"], first
    assert first["message"].startswith("Zarezerwowano")
    assert first["message_visible"] and first["message_fits"], first
    assert first["print_button"] and not first["toolbar_hidden"], first

    again = _start(desk_ctx, screen_1366, moment)  # where the desk left it
    assert again["geometry"] == first["left"] == [60, 50, 1100, 640], (first, again)
    other = _start(desk_ctx, screen_1366, moment, user="basia")  # another desk user: her own
    assert other["geometry"] != first["left"]
    assert (desk_ctx.paths.root / "window.ini").exists()
