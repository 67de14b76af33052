"""Provider, places, mobile points, resources; and the value codec underneath."""

from __future__ import annotations

import datetime as dt

import pytest
from store_helpers import NOW_TEXT, refused

from recepcja.domain.model import WARSAW
from recepcja.store import Repositories
from recepcja.store.codec import fold, local_date, parse_utc, utc_text
from recepcja.store.records import MobilePoint, Place, Provider, Resource, ResourceKind


def test_provider_is_a_single_row(repos: Repositories) -> None:
    assert repos.practice.provider() is None
    repos.practice.save_provider(Provider("Przychodnia", oid_root="2.16.840.1.113883.3.4424"))
    repos.practice.save_provider(Provider("Przychodnia Serce", nip="5260250995"))
    assert repos.practice.provider() == Provider("Przychodnia Serce", nip="5260250995")
    with refused(repos.db, match="check"):
        repos.db.conn.execute(
            f"INSERT INTO provider (id, name, updated_at) VALUES (2, 'x', '{NOW_TEXT}')"
        )


def test_places_and_mobile_points(repos: Repositories, clock) -> None:
    repos.practice.save_provider(Provider("Przychodnia"))
    place = Place("Pracownia mammografii", {"I": "000000012345"}, "ul. Długa 1", ["mammography"])
    place_id = repos.practice.add_place(place)
    repos.practice.mark_place_registered(place_id, "CER-MUS-1")
    repos.practice.mark_place_active(place_id)
    stored = repos.practice.place(place_id)
    assert stored is not None
    assert (stored.rpwdl_codes, stored.scopes, stored.cer_id) == (
        {"I": "000000012345"},
        ["mammography"],
        "CER-MUS-1",
    )
    assert stored.cer_registered_at == stored.cer_active_at == clock.now
    bus = repos.practice.add_mobile_point(MobilePoint(place_id, "Mammobus 1", "MB1"))
    repos.practice.mark_mobile_point_imported(bus, "CER-MP-1")
    (point,) = repos.practice.mobile_points(place_id)
    assert (point.name, point.cer_id, point.active) == ("Mammobus 1", "CER-MP-1", True)
    assert [p.id for p in repos.practice.places()] == [place_id]


def test_resources(repos: Repositories) -> None:
    doctor = repos.practice.add_resource(Resource(ResourceKind.DOCTOR, "dr Nowak", "1234567"))
    device = repos.practice.add_resource(Resource(ResourceKind.DEVICE, "Mammograf", active=False))
    assert [r.id for r in repos.practice.resources()] == [device, doctor]
    assert [r.id for r in repos.practice.resources(ResourceKind.DOCTOR)] == [doctor]
    assert [r.id for r in repos.practice.resources(active_only=True)] == [doctor]
    assert repos.practice.resource(doctor).licence_number == "1234567"  # type: ignore[union-attr]
    with refused(repos.db, match="check"):
        repos.db.conn.execute(
            f"INSERT INTO resources (kind, name, created_at) VALUES ('robot', 'x', '{NOW_TEXT}')"
        )


def test_time_codec() -> None:
    summer = dt.datetime(2026, 7, 1, 8, 0, tzinfo=WARSAW)
    assert utc_text(summer) == "2026-07-01T06:00:00Z"
    assert parse_utc("2026-07-01T06:00:00Z") == summer
    assert parse_utc("2026-07-01T06:00:00Z").tzinfo == WARSAW
    assert local_date(dt.datetime(2026, 6, 30, 22, 30, tzinfo=dt.UTC)) == "2026-07-01"
    with pytest.raises(ValueError, match="naive"):
        utc_text(dt.datetime(2026, 7, 1, 8, 0))


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Żółw", "zolw"),
        ("ŁUKASIEWICZ", "lukasiewicz"),
        ("Śląska-Źdźbło", "slaska-zdzblo"),
        ("  Grzegorz   Brzęczyszczykiewicz ", "grzegorz brzeczyszczykiewicz"),
        ("Müller", "muller"),
        ("Strauß", "strauss"),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded
