"""Training mode's practice has e-referrals for its patients: valid ones, one held by another
provider, one cancelled, one realised — and the desk's e-referral address points at the embedded
simulator, so reading them works as it will at a real desk."""

from __future__ import annotations

from pathlib import Path

import pytest

from recepcja.config.paths import AppPaths
from recepcja.domain.referral import ReferralProblem, ReferralStatus, make_lookup
from recepcja.services.context import AppContext
from recepcja.services.referrals import ReferralRefused, read_referral
from recepcja.services.training import start_training
from recepcja.store.repos import Repositories


def test_training_seeds_referrals_once_for_its_patients(tmp_path: Path):
    ctx = AppContext.load(AppPaths(tmp_path / "home"), training=True)
    session = start_training(ctx, actors=False)
    try:
        url = ctx.settings.effective_referral_url()
        assert url == session.base_url + "/p1/skierowania"
        seeded = session.control("GET", "state?sections=referrals")["referrals"]
        assert sorted(r["status"] for r in seeded) == sorted(
            ["WYSTAWIONE"] * 3 + ["U_REALIZATORA", "ANULOWANE", "ZREALIZOWANE"])
        assert sum(1 for r in seeded if r["refunded"] == "N") == 1
        repos = Repositories.over(ctx.open_db())
        try:  # each belongs to a patient the desk knows
            assert all(repos.patients.by_pesel(r["pesel"]) for r in seeded)
        finally:
            repos.close()
        assert len([note for note in session.notes if note.startswith("referral ")]) == 6
        by_status = {r["status"]: r for r in seeded}
        valid = by_status["WYSTAWIONE"]
        referral = read_referral(ctx, make_lookup(code=valid["code"], pesel=valid["pesel"]))
        assert referral.status == ReferralStatus.ISSUED and referral.specialty_code == "1100"
        for status, problem in (("U_REALIZATORA", ReferralProblem.HELD_ELSEWHERE),
                                ("ANULOWANE", ReferralProblem.CANCELLED),
                                ("ZREALIZOWANE", ReferralProblem.REALISED)):
            with pytest.raises(ReferralRefused) as refused:
                read_referral(ctx, make_lookup(key=by_status[status]["key"]))
            assert refused.value.problem == problem
    finally:
        session.stop()
    again = start_training(ctx, actors=False)
    try:
        assert len(again.control("GET", "state?sections=referrals")["referrals"]) == 6
    finally:
        again.stop()
