"""The downtime printout: the next working days' visits per schedule, as a PDF on disk."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from services_support import NOW

from recepcja.domain.model import Urgency
from recepcja.services import booking
from recepcja.services.downtime import DowntimeRefresher, write_downtime_printout
from recepcja.services.pdf import NoPdfFont, find_font


@pytest.fixture(autouse=True)
def _font():
    try:
        find_font()
    except NoPdfFont:
        pytest.skip("no TrueType font with Polish letters installed")


def test_printout_lists_the_next_days_visits(repos, practice, patient_id, tmp_path):
    booking.book(repos, patient_id, practice.slot_ids[0], Urgency.URGENT, user="ania",
                 referral_id="SK-1")
    booking.book(repos, patient_id, practice.slot_ids[20], Urgency.STABLE, user="ania",
                 referral_id="SK-1")
    path = tmp_path / "wydruk.pdf"
    assert write_downtime_printout(repos, path, now=NOW, days=2) == 2
    assert path.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                              capture_output=True, text=True).stdout
        assert "dr Anna Nowak" in text and "Kowalski Jan" in text
        assert "pilny" in text and "czeka na CeR" in text and "Wydruk awaryjny" in text


def test_refresher_writes_at_most_every_interval(repos, practice, tmp_path):
    path = tmp_path / "exports" / "wydruk.pdf"
    refresh = DowntimeRefresher(path, interval=3600)
    assert refresh(repos) and path.exists()
    assert not refresh(repos)  # not due yet
