"""The day and week views (issue 14): each doctor or device named and coloured, term kind and
urgency in words, colours that keep their contrast and never carry meaning alone; the week
grid shows ONE schedule in its own rhythm instead of merging 15-, 20- and 30-minute rows."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon

from recepcja.domain.entities import WeeklyRule
from recepcja.domain.model import TermKind, Urgency
from recepcja.domain.slots import generate_slots
from recepcja.gui.day_model import COL_KIND, COL_PATIENT, COL_SCHEDULE, COL_URGENCY
from recepcja.gui.term_style import TEXT, contrast_ratio
from recepcja.services import booking
from recepcja.store.records import Resource, ResourceKind, Schedule
from recepcja.store.repos import Repositories


@pytest.fixture
def mammograph(desk_ctx, monday) -> int:
    """A third schedule: a mammograph (a device) in 15-minute terms, 08:00-10:00 on working
    days, plus 30-minute terms for continuing treatment on Fridays 10:00-11:00."""
    repos = Repositories.over(desk_ctx.open_db())
    try:
        place = repos.practice.places()[0]
        device = repos.practice.add_resource(Resource(ResourceKind.DEVICE, "Mammograf Testowy"))
        schedule = repos.schedules.add(Schedule(device, int(place.id or 0), "mammography",
                                                name="Mammografia"))
        rules = [WeeklyRule(day, dt.time(8), dt.time(10), 15) for day in range(5)]
        rules.append(WeeklyRule(4, dt.time(10), dt.time(11), 30, TermKind.CONTINUING_TREATMENT))
        repos.slots.add_many(schedule, generate_slots(rules, monday,
                                                      monday + dt.timedelta(days=13)))
        return schedule
    finally:
        repos.close()


def _rows_of(window, resource_name: str):
    model = window.schedule_view.day_model
    return [(n, r) for n, r in enumerate(model.rows()) if r.resource_name == resource_name]


def test_day_view_names_and_colours_each_doctor_with_kind_and_urgency(mammograph, window,
                                                                     desk_ctx, shown):
    zielinski = _rows_of(window, "lek. Piotr Zieliński")
    repos = Repositories.over(desk_ctx.open_db())
    try:
        patient = repos.patients.search("No", 1)[0]
        booking.book(repos, int(patient.id or 0), zielinski[2][1].entry.slot_id, Urgency.URGENT,
                     user="test", referral_id="1234", now=window.clock())
    finally:
        repos.close()
    window.reload()
    shown(window)
    model = window.schedule_view.day_model
    text = lambda n, c: model.data(model.index(n, c))  # noqa: E731
    nowak, zielinski = _rows_of(window, "lek. Anna Nowak"), _rows_of(window, "lek. Piotr Zieliński")
    device = _rows_of(window, "Mammograf Testowy")
    assert nowak and zielinski and device
    for rows, name in ((nowak, "lek. Anna Nowak"), (device, "Mammograf Testowy")):
        number = rows[0][0]
        assert text(number, COL_SCHEDULE) == name  # the cell names its doctor or device
        icon = model.data(model.index(number, COL_SCHEDULE), Qt.ItemDataRole.DecorationRole)
        assert isinstance(icon, QIcon) and not icon.isNull()  # and shows its colour
    tint = lambda n: model.data(model.index(n, COL_SCHEDULE),  # noqa: E731
                                Qt.ItemDataRole.BackgroundRole).name()
    assert len({tint(nowak[0][0]), tint(zielinski[0][0]), tint(device[0][0])}) == 3
    status_colours = {model.data(model.index(n, COL_PATIENT), Qt.ItemDataRole.BackgroundRole)
                      .name() for n in range(model.rowCount())}
    assert not status_colours & {tint(nowak[0][0]), tint(zielinski[0][0])}
    # term kind and urgency in words
    assert text(nowak[0][0], COL_KIND) == "pierwszorazowa"
    assert text(device[0][0], COL_KIND) == "przesiewowe"
    urgent = next(n for n, r in zielinski if r.entry.urgency == "urgent")
    assert text(urgent, COL_URGENCY) == "! pilny"
    stable = next(n for n, r in nowak if r.entry.visit_id)
    assert text(stable, COL_URGENCY) == "stabilny"
    free = next(n for n, r in nowak if r.entry.visit_id is None and not r.is_past)
    assert text(free, COL_URGENCY) == "" and text(free, COL_PATIENT) == "○ wolny"


def test_colours_keep_their_contrast_everywhere_they_are_drawn(mammograph, window):
    """Every (background, text colour) pair the day and week models return: at least 4.5:1."""
    model = window.schedule_view.day_model
    pairs = set()
    for number in range(model.rowCount()):
        for column in range(model.columnCount()):
            index = model.index(number, column)
            background = model.data(index, Qt.ItemDataRole.BackgroundRole)
            foreground = model.data(index, Qt.ItemDataRole.ForegroundRole) or TEXT
            pairs.add((QColor(background).name(), QColor(foreground).name()))
    window.actions_.week_view.trigger()
    week = window.schedule_view.week_model
    for row in range(week.rowCount()):
        for column in range(week.columnCount()):
            index = week.index(row, column)
            background = week.data(index, Qt.ItemDataRole.BackgroundRole)
            if background is not None:
                foreground = week.data(index, Qt.ItemDataRole.ForegroundRole) or TEXT
                pairs.add((QColor(background).name(), QColor(foreground).name()))
    assert len(pairs) >= 5
    low = [(b, f, round(contrast_ratio(QColor(b), QColor(f)), 2)) for b, f in pairs
           if contrast_ratio(QColor(b), QColor(f)) < 4.5]
    assert not low, low


def _minutes(label: str) -> int:
    hours, minutes = label.split(":")
    return int(hours) * 60 + int(minutes)


def test_week_grid_follows_one_schedule_in_its_own_rhythm(qtbot, mammograph, window, monday,
                                                          shown):
    view = window.schedule_view
    window.actions_.week_view.trigger()
    shown(window)
    combo = view.week_schedule
    names = [combo.itemText(i) for i in range(combo.count())]
    assert len(names) == 3
    assert names[0].startswith("lek. Anna Nowak — Kardiologia — dr Nowak, ")  # who, where
    week = view.week_model

    def times() -> list[str]:
        return [week.headerData(r, Qt.Orientation.Vertical) for r in range(week.rowCount())]

    view.choose_week_schedule(window.schedules[0].id)  # dr Nowak: 20 minutes, 08:00-12:00
    shown(window)  # the week is read off the UI thread
    assert times()[:4] == ["08:00", "08:20", "08:40", "09:00"] and "08:15" not in times()
    cell = week.data(week.index(0, 0))
    patient, kind = cell.split("\n")
    assert patient.startswith("● ") and patient.endswith(".")  # surname and initial
    assert kind == "pierwszorazowa"
    tooltip = week.data(week.index(0, 0), Qt.ItemDataRole.ToolTipRole)
    assert "lek. Anna Nowak" in tooltip  # the cell names its doctor

    view.choose_week_schedule(mammograph)  # the mammograph: 15 minutes, 30 on Friday late
    shown(window)
    labels = times()
    assert labels[:3] == ["08:00", "08:15", "08:30"] and "08:20" not in labels
    assert {_minutes(b) - _minutes(a) for a, b in zip(labels, labels[1:], strict=False)} <= \
        {15, 30}
    friday = week.data(week.index(labels.index("10:30"), 4))
    assert friday == "○ wolny\nkontynuacja"
    assert week.data(week.index(0, 1)) == "○ wolny\nprzesiewowe"  # Tuesday 08:00
    assert week.data(week.index(0, 0)) == "– miniony\nprzesiewowe"  # Monday 08:00, past

    # the day switch keeps the chosen schedule; a cell is the term the actions work on
    window.actions_.next_day.trigger()
    shown(window)
    assert view.week_schedule_id() == mammograph
    view.week_table.setCurrentIndex(week.index(1, 1))
    row = view.current_row()
    assert row is not None and row.entry.schedule_id == mammograph
    assert row.start.date() == monday + dt.timedelta(days=1)


def test_a_filter_on_a_doctor_narrows_the_weeks_choice(mammograph, window, shown):
    window.filters.resource.setCurrentIndex(window.filters.resource.findText("Mammograf Testowy"))
    window.actions_.week_view.trigger()
    shown(window)
    combo = window.schedule_view.week_schedule
    assert combo.count() == 1 and combo.itemText(0).startswith("Mammograf Testowy — Mammografia")
    assert window.schedule_view.week_model.headerData(1, Qt.Orientation.Vertical) == "08:15"


def test_the_chosen_term_stays_chosen_across_the_tabs(mammograph, window, shown):
    view = window.schedule_view
    number, row = next((n, r) for n, r in _rows_of(window, "lek. Piotr Zieliński")
                       if r.entry.visit_id is None and not r.is_past)
    view.day_table.setCurrentIndex(view.day_model.index(number, 0))
    window.actions_.week_view.trigger()
    shown(window)
    assert view.week_schedule_id() == row.entry.schedule_id  # the week of its schedule
    assert view.current_row().entry.slot_id == row.entry.slot_id  # the same term, chosen
    booked = next(r for n, r in _rows_of(window, "lek. Anna Nowak") if r.entry.visit_id)
    view.select_slot(booked.entry.slot_id)  # not in this week's schedule: stays on Zieliński
    view.choose_week_schedule(booked.entry.schedule_id)
    shown(window)
    view.select_slot(booked.entry.slot_id)
    assert window.actions_.cancel_visit.isEnabled()  # a booked cell: the visit actions work
    window.actions_.day_view.trigger()
    assert view.current_row().entry.slot_id == booked.entry.slot_id
