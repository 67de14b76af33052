"""The first-visit rule on the initial load (issue 19), against the simulator over loopback
HTTP: a cardiology first visit without a referral is refused by row and never reaches CeR's
zasilInicjalnie; the one with an e-referral's key reaches CeR carrying it, and a continuation
goes without one."""

from __future__ import annotations

import datetime as dt

from test_publishing_sync import example, practice  # noqa: F401  (fixtures)

from recepcja.i18n import translate_error
from recepcja.services.initial_load import import_initial_load
from recepcja.services.onboarding import Step, StepStatus, run_onboarding

KEY = "4321" * 11


def test_only_rows_that_keep_the_first_visit_rule_reach_cer(practice, simulator,  # noqa: F811
                                                             tmp_path, monkeypatch):
    monkeypatch.setenv("RECEPCJA_LANG", "pl")
    repos, gateway = practice
    today = dt.date.today()
    monday = today + dt.timedelta(days=14 - today.weekday())
    visits = tmp_path / "wizyty.csv"
    nowak = "Kardiologia - dr Nowak"
    visits.write_text("\n".join((
        "visit_id;schedule;date;time;minutes;pesel;first_name;last_name;phone;urgency;"
        "referral_id;term_kind",
        f"N1;{nowak};{monday};08:00;;44051401359;Jan;Kowalski;;stabilny;;",
        f"N2;{nowak};{monday};08:20;;02070803628;Anna;Nowak;;stabilny;{KEY};",
        f"N3;{nowak};{monday};08:40;;02070803628;Anna;Nowak;;stabilny;;continuing_treatment",
    )) + "\n", encoding="utf-8")
    result = import_initial_load(repos, visits, "admin")
    assert result.imported == 2 and [error.row for error in result.errors] == [2]
    assert "pierwsza wizyta (kardiologia) wymaga skierowania" in translate_error(
        result.errors[0].error)

    steps = run_onboarding(repos, gateway, steps=(Step.REGISTER, Step.MOBILE_POINTS,
                                                  Step.SCHEDULES, Step.INITIAL_LOAD))
    loads = [s for s in steps.steps if s.step == Step.INITIAL_LOAD]
    assert loads and all(s.status in (StepStatus.DONE, StepStatus.SKIPPED) for s in loads)
    in_cer = {visit["visit_uid"]: visit for visit in
              simulator.state(sections="visits")["visits"]}
    assert set(in_cer) == {"IL-N2", "IL-N3"}
    assert in_cer["IL-N2"]["referral"] == KEY and in_cer["IL-N3"]["referral"] is None
