"""Notifications: pulled by cursor, pushed (duplicated, shuffled, retried), made by actors."""

from __future__ import annotations

import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import soap_raw
from lxml import etree
from requests.structures import CaseInsensitiveDict
from soap_raw import CER_NS, NS, PESEL_A, PESEL_B

from recepcja.domain.pesel import is_valid_pesel
from recepcja.net.push_signature import SignatureChecker
from support.polling import wait_until

SECRET = "wspolny-sekret"


class Receiver:
    """A tiny push endpoint: records what arrives; the first ``fail_first`` calls get HTTP 500."""

    def __init__(self, fail_first: int = 0) -> None:
        self.received: list[tuple[CaseInsensitiveDict, bytes]] = []
        self.fail_first = fail_first
        self.calls = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server's naming
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.calls += 1
                    failing = receiver.calls <= receiver.fail_first
                    if not failing:
                        receiver.received.append((CaseInsensitiveDict(self.headers.items()), body))
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/notyfikacje"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, count: int) -> None:
        def arrived() -> int:
            with self.lock:
                return len(self.received) >= count

        wait_until(arrived, f"{count} pushes received", timeout=15.0)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    created: list[Receiver] = []

    def make(fail_first: int = 0) -> Receiver:
        created.append(Receiver(fail_first))
        return created[-1]

    yield make
    for item in created:
        item.close()


def _all_delivered(sim) -> bool:
    notifications = sim.state(sections="notifications")["notifications"]
    return bool(notifications) and all(n["delivered"] for n in notifications)


def _pull(sim, cursor: int, limit: int) -> soap_raw.SoapAnswer:
    return sim.call(f"<cer:pobierzNotyfikacje><cer:kursor>{cursor}</cer:kursor>"
                    f"<cer:limit>{limit}</cer:limit></cer:pobierzNotyfikacje>")


def test_pull_by_cursor(onboarded_simulator):
    sim = onboarded_simulator
    slots = sim.place.slot_ids()
    made = [sim.control("POST", "portal-booking", {"slot": slots[i], "pesel": PESEL_A,
                                                   "source": source})
            for i, source in enumerate(("IKP", "INNY_SWIADCZENIODAWCA", "POCZEKALNIA"))]
    sim.control("POST", "portal-cancel", {"visit": made[0]["visit"]["id"]})
    cursor, seen = 0, []
    while True:
        answer = _pull(sim, cursor, 2)
        assert answer.ok
        batch = answer.all("notyfikacja")
        next_cursor = int(answer.text("nastepnyKursor"))
        if not batch:
            assert next_cursor == cursor  # nothing new: the cursor stays
            break
        assert len(batch) <= 2 and next_cursor > cursor
        seen += [(el.findtext("cer:rodzaj", None, NS),
                  el.findtext("cer:wizyta/cer:idWizyty", None, NS),
                  el.findtext("cer:wizyta/cer:wersja", None, NS)) for el in batch]
        cursor = next_cursor
    first_visit = made[0]["visit"]["id"]
    assert seen == [
        ("REZERWACJA_IKP", first_visit, "1"),
        ("REZERWACJA_INNY_SWIADCZENIODAWCA", made[1]["visit"]["id"], "1"),
        ("REZERWACJA_POCZEKALNIA", made[2]["visit"]["id"], "1"),
        ("ANULOWANIE_IKP", first_visit, "2"),
    ]
    assert [n["cursor"] for n in sim.state()["notifications"]] == sorted(
        n["cursor"] for n in sim.state()["notifications"])


def test_push_duplicated_and_shuffled_reaches_the_receiver_signed(onboarded_simulator, receiver):
    sim = onboarded_simulator
    endpoint = receiver()
    slots = sim.place.slot_ids()
    # Six wait before the endpoint is set (a full batch to shuffle), six arrive while pushing.
    for index in range(6):
        sim.control("POST", "portal-booking", {"slot": slots[index], "pesel": PESEL_B})
    sim.control("POST", "notifications", {"url": endpoint.url, "secret": SECRET,
                                          "duplicate": True, "shuffle": True})
    for index in range(6, 12):
        sim.control("POST", "portal-booking", {"slot": slots[index], "pesel": PESEL_B})
    endpoint.wait_for(24)
    ids = []
    checker = SignatureChecker(SECRET)  # the receiver's own check: fresh, and never replayed
    for headers, body in endpoint.received:
        assert headers["SOAPAction"] == f'"{CER_NS}/przekazNotyfikacje"'
        assert checker.check(body, headers["X-CeR-Signature"]) == "ok"
        root = etree.fromstring(body)
        payload = root.find("soap:Body/cer:przekazNotyfikacje", NS)
        soap_raw.assert_valid(payload)
        context = root.find("soap:Header/kon:kontekstWywolania", NS)
        soap_raw.assert_valid(context)
        assert "CeR" in etree.tostring(context).decode()
        ids.append(payload.findtext("cer:notyfikacja/cer:idNotyfikacji", None, NS))
    counts = Counter(ids)
    assert len(counts) == 12 and set(counts.values()) == {2}
    order = [int(value.split("-")[1]) for value in ids]
    assert order != sorted(order)  # out of order

    def settled() -> dict | None:
        status = sim.control("GET", "notifications")
        return status if status["deliveries"] >= 24 and status["pending"] == 0 else None

    push = wait_until(settled, "24 acknowledged deliveries, nothing pending")
    time.sleep(0.2)  # a late third copy would show up here
    assert len(endpoint.received) == 24  # no third copy
    assert sim.control("GET", "notifications")["deliveries"] == push["deliveries"] == 24
    assert all(n["delivered"] for n in sim.state()["notifications"])


def test_push_retries_until_the_receiver_answers(onboarded_simulator, receiver):
    sim = onboarded_simulator
    endpoint = receiver(fail_first=3)
    sim.control("POST", "notifications", {"url": endpoint.url})
    booked = sim.control("POST", "portal-booking", {"slot": sim.place.slot_ids()[0],
                                                    "pesel": PESEL_A})
    endpoint.wait_for(1)
    # The receiver records the push before it answers 200: wait until the simulator has read
    # that answer and marked the notification delivered (retries back off 0.2 + 0.4 + 0.8 s).
    wait_until(lambda: _all_delivered(sim), "the notification marked delivered")
    with endpoint.lock:
        assert endpoint.calls == 4 and len(endpoint.received) == 1  # three 500s, then 200
        headers, body = endpoint.received[0]
    assert "X-CeR-Signature" not in headers  # no secret configured
    assert booked["visit"]["id"].encode() in body
    [notification] = sim.state()["notifications"]
    assert notification["delivered"] and notification["attempts"] == 4
    push = sim.control("GET", "notifications")
    assert push["failures"] == 3 and push["deliveries"] == 1 and push["pending"] == 0
    sim.control("DELETE", "notifications")
    assert sim.control("GET", "notifications")["endpoint"] is None


def test_actors_book_and_cancel_at_roughly_the_rate(onboarded_simulator):
    sim = onboarded_simulator
    started = sim.control("POST", "actors", {"rate": 25, "seed": 7, "kinds": [
        "portal_booking", "portal_cancel", "other_provider", "waiting_room"]})
    assert started["running"]
    began = time.monotonic()

    def attempts(status: dict) -> int:
        return sum(status["actions"].values()) + status["idle"] + status["conflicts"]

    # No fixed sleep (a loaded machine slows the actors down): wait for 20 attempts, then
    # check the actors never went faster than the rate allows.
    wait_until(lambda: attempts(sim.control("GET", "actors")) >= 20, "20 actor attempts",
               timeout=60)
    stopped = sim.control("DELETE", "actors")
    elapsed = time.monotonic() - began
    assert not stopped["running"]
    done = sum(stopped["actions"].values())
    assert attempts(stopped) >= 20, stopped
    assert attempts(stopped) <= 25 * elapsed * 1.5 + 5, (stopped, elapsed)  # the rate holds
    assert stopped["actions"]["portal_booking"] > 0
    state = sim.state(sections="visits,notifications")
    kinds = Counter(n["kind"] for n in state["notifications"])
    assert sum(kinds.values()) == done
    assert kinds["REZERWACJA_IKP"] == stopped["actions"]["portal_booking"]
    assert kinds["ANULOWANIE_IKP"] == stopped["actions"]["portal_cancel"]
    assert kinds["REZERWACJA_INNY_SWIADCZENIODAWCA"] == stopped["actions"]["other_provider"]
    assert kinds["REZERWACJA_POCZEKALNIA"] == stopped["actions"]["waiting_room"]
    visits = {visit["id"]: visit for visit in state["visits"]}
    assert all(n["visit"] in visits for n in state["notifications"])
    assert all(is_valid_pesel(visit["pesel"]) for visit in visits.values())
    sources = {visit["source"] for visit in visits.values()}
    assert sources <= {"IKP", "INNY_SWIADCZENIODAWCA", "POCZEKALNIA"}
    time.sleep(0.2)
    assert len(sim.state(sections="notifications")["notifications"]) == done  # really stopped


def test_actor_settings_are_checked(simulator):
    simulator.control("POST", "actors", {"rate": 0}, expect=400)
    simulator.control("POST", "actors", {"rate": 5, "kinds": ["burglary"]}, expect=400)
    idle = simulator.control("POST", "actors", {"rate": 50})  # nothing active: idle, no harm
    time.sleep(0.2)
    stopped = simulator.control("DELETE", "actors")
    assert stopped["idle"] > 0 and sum(idle["actions"].values()) == 0
