"""Doctor absence: the affected visits, a substitute on the same term or the nearest allowed
term per visit, the moves queued for CeR, and the list of patients to call."""

from __future__ import annotations

from recepcja.services.absence import NEAREST, SUBSTITUTE
from recepcja.services.day_view import TermStatus
from recepcja.store.repos import Repositories


def test_absence_moves_visits_and_lists_the_calls(qtbot, window, desk_ctx, monday, on_dialog):
    nowak = next(rid for rid, name in window.filters.values() and [] or
                 [(r.id, r.name) for r in window.repos.practice.resources()]
                 if "Nowak" in name)
    seen: dict[str, object] = {}

    def plan(dialog) -> None:  # noqa: ANN001
        dialog.resource.setCurrentIndex(dialog.resource.findData(nowak))
        dialog.refresh()
        # 10:20 and 11:00 are ahead (08:00 and 08:20 have passed)
        assert dialog.table.rowCount() == 2
        kinds = [[dialog.table.cellWidget(r, 2).itemData(i).kind
                  for i in range(dialog.table.cellWidget(r, 2).count() - 1)]
                 for r in range(2)]
        seen["kinds"] = kinds
        # first visit: the nearest allowed term; second: leave it and call
        combo = dialog.table.cellWidget(0, 2)
        combo.setCurrentIndex(next(i for i in range(combo.count() - 1)
                                   if combo.itemData(i).kind == NEAREST))
        last = dialog.table.cellWidget(1, 2)
        last.setCurrentIndex(last.count() - 1)
        dialog.accept()

    on_dialog(plan)
    with qtbot.waitSignal(window.runner.finished, timeout=10000):
        window.actions_.absence.trigger()
    # Dr Zieliński works 12-16, so no substitute on the same morning term exists
    assert all(SUBSTITUTE not in kinds for kinds in seen["kinds"])
    assert len(window.last_call_list) == 2
    assert any("jeszcze bez nowego terminu" in line for line in window.last_call_list)
    repos = Repositories.over(desk_ctx.open_db())
    try:
        changes = [e for e in repos.outbox.pending() if e.op == "change"]
        assert len(changes) == 1
        moved = repos.visits.get(int(changes[0].visit_id or 0))
        slot = repos.slots.get(int(moved.slot_id or 0))
        schedule = repos.schedules.get(slot.schedule_id)
        assert "Nowak" not in schedule.name  # moved away from the absent doctor
    finally:
        repos.close()
    # the absent doctor's free terms that day are blocked now
    window.go_to(monday)
    rows = [r for r in window.schedule_view.day_model.rows()
            if r.entry.schedule_id == window.schedules[0].id and not r.is_past]
    assert all(r.status in (TermStatus.BLOCKED, TermStatus.BOOKED) for r in rows)
    assert any(r.status == TermStatus.BLOCKED for r in rows)
