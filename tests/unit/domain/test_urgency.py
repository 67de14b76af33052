"""Order of waiting patients: urgent first, then the older central request, then a tiebreak."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from recepcja.domain.entities import CentralRequest
from recepcja.domain.errors import ValidationError
from recepcja.domain.model import WARSAW, Urgency
from recepcja.domain.urgency import parse_urgency, sort_waiting, waiting_order_key


def request(request_id: str, urgency: Urgency | str, day: int, hour: int = 9) -> CentralRequest:
    return CentralRequest(
        request_id=request_id,
        urgency=urgency,  # type: ignore[arg-type]  # stores may hand back plain strings
        requested_at=dt.datetime(2026, 3, day, hour, tzinfo=WARSAW),
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("urgent", Urgency.URGENT),
        ("URGENT", Urgency.URGENT),
        (" pilny ", Urgency.URGENT),
        ("Pilna", Urgency.URGENT),
        ("stable", Urgency.STABLE),
        ("stabilny", Urgency.STABLE),
        ("STABILNA", Urgency.STABLE),
        (Urgency.STABLE, Urgency.STABLE),
    ],
)
def test_parse_urgency(text, expected):
    assert parse_urgency(text) is expected


@pytest.mark.parametrize("text", ["", "very urgent", "pilne!", "1", "cito"])
def test_parse_urgency_rejects_other_words(text):
    with pytest.raises(ValidationError, match="Unknown medical category") as caught:
        parse_urgency(text)
    assert caught.value.params == {"value": text}


def test_urgent_goes_before_stable_even_when_requested_later():
    old_stable = request("S-1", Urgency.STABLE, day=1)
    new_urgent = request("U-1", Urgency.URGENT, day=20)
    assert sort_waiting([old_stable, new_urgent]) == [new_urgent, old_stable]


def test_within_a_category_the_older_request_goes_first():
    requests = [
        request("S-3", Urgency.STABLE, day=3),
        request("U-2", Urgency.URGENT, day=5),
        request("S-1", Urgency.STABLE, day=1),
        request("U-1", Urgency.URGENT, day=2),
        request("S-2", Urgency.STABLE, day=2, hour=15),
    ]
    assert [r.request_id for r in sort_waiting(requests)] == ["U-1", "U-2", "S-1", "S-2", "S-3"]


def test_same_instant_is_broken_by_request_id_whatever_the_input_order():
    same = [request(f"R-{n:03d}", Urgency.STABLE, day=4) for n in range(20)]
    expected = [r.request_id for r in same]
    generator = random.Random(7)
    for _ in range(10):
        shuffled = same[:]
        generator.shuffle(shuffled)
        assert [r.request_id for r in sort_waiting(shuffled)] == expected


def test_instants_in_different_zones_are_compared_as_instants():
    warsaw = CentralRequest("W", Urgency.STABLE, dt.datetime(2026, 7, 1, 10, 0, tzinfo=WARSAW))
    # 09:30 UTC is 11:30 in Warsaw (summer time): later than the Warsaw request
    utc = CentralRequest("A", Urgency.STABLE, dt.datetime(2026, 7, 1, 9, 30, tzinfo=dt.UTC))
    assert sort_waiting([utc, warsaw]) == [warsaw, utc]


def test_plain_string_urgency_from_a_store_is_accepted():
    assert waiting_order_key(request("X", "urgent", day=1))[0] == 0
    assert waiting_order_key(request("Y", "stable", day=1))[0] == 1


def test_naive_request_time_is_refused():
    naive = CentralRequest("N", Urgency.URGENT, dt.datetime(2026, 3, 1, 9))
    with pytest.raises(ValueError, match="no time zone"):
        waiting_order_key(naive)


def test_sort_waiting_does_not_modify_its_input():
    requests = [request("S", Urgency.STABLE, 1), request("U", Urgency.URGENT, 2)]
    before = list(requests)
    sort_waiting(requests)
    assert requests == before
