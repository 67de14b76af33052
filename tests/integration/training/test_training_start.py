"""Training mode's start (``services.training.start_training``): the embedded simulator on
loopback, the example practice set up, onboarded and seeded - a real simulator over real HTTP,
so an integration test (moved from tests/unit/services/test_front_desk_services.py)."""

from __future__ import annotations

from pathlib import Path

from recepcja.config.paths import AppPaths
from recepcja.config.settings import ENV_CER_URL
from recepcja.services.context import AppContext
from recepcja.services.training import start_training
from recepcja.store.repos import Repositories


def test_training_overrides_a_real_cer_address(tmp_path: Path, monkeypatch):
    """Even with RECEPCJA_CER_URL pointing at the real CeR, training talks to its simulator."""
    monkeypatch.setenv(ENV_CER_URL, "https://cer.ezdrowie.gov.pl/cer")
    ctx = AppContext.load(AppPaths(tmp_path / "home"), training=True)
    assert ctx.paths.root.name == "training"
    session = start_training(ctx, actors=False)
    try:
        url = ctx.settings.effective_cer_url()
        assert url.startswith("http://127.0.0.1:") and url == session.cer_url
        state = session.control("GET", "state?sections=places,visits")
        assert state["places"] and state["visits"]  # set up, onboarded and seeded
        repos = Repositories.over(ctx.open_db())
        try:
            assert all(p.cer_active_at for p in repos.practice.places())
        finally:
            repos.close()
        session.simulate_outage()
        assert session.control("GET", "faults")["faults"]
        session.end_outage()
        assert not session.control("GET", "faults")["faults"]
    finally:
        session.stop()
    # a second start reuses the folder: nothing is seeded twice
    again = start_training(ctx, actors=False)
    try:
        visits = again.control("GET", "state?sections=visits")["visits"]
        assert len(visits) == len(state["visits"])
    finally:
        again.stop()
