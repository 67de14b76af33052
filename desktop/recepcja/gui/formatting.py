"""Polish date and time formatting for the views ("pon. 23.11.2026", "08:30").

Explicit rather than QLocale: the abbreviations and the order are the desk's convention, and
they must not change with the machine's locale settings.
"""

from __future__ import annotations

import datetime as dt

from recepcja.domain.model import WARSAW
from recepcja.domain.phone_display import polish_national
from recepcja.i18n import _


def weekday_short(day: dt.date) -> str:
    names = (
        _("Mon."),
        _("Tue."),
        _("Wed."),
        _("Thu."),
        _("Fri."),
        _("Sat."),
        _("Sun."),
    )
    return names[day.weekday()]


def weekday_long(day: dt.date) -> str:
    names = (
        _("Monday"),
        _("Tuesday"),
        _("Wednesday"),
        _("Thursday"),
        _("Friday"),
        _("Saturday"),
        _("Sunday"),
    )
    return names[day.weekday()]


def date_text(day: dt.date) -> str:
    """``pon. 23.11.2026``"""
    return f"{weekday_short(day)} {day:%d.%m.%Y}"


def long_date_text(day: dt.date) -> str:
    """``poniedziałek, 23.11.2026``"""
    return f"{weekday_long(day)}, {day:%d.%m.%Y}"


def time_text(moment: dt.datetime) -> str:
    """``08:30`` on the practice's wall clock."""
    return moment.astimezone(WARSAW).strftime("%H:%M")


def datetime_text(moment: dt.datetime) -> str:
    local = moment.astimezone(WARSAW)
    return f"{date_text(local.date())} {local:%H:%M}"


def phone_text(e164: str) -> str:
    """``601 234 567`` for display. Polish numbers need no phonenumbers (the day view shows
    them on its first paint; importing it costs ~20 ms of the cold start); foreign ones load it
    at the first such number."""
    national = polish_national(e164)
    if national is not None:
        return national
    from recepcja.domain.phone import format_phone

    return format_phone(e164)
