"""Training mode (``recepcja --training``): the real app against an embedded CeR simulator.

Why a separate, self-contained set-up: staff rehearse booking and emergency mode on a practice
that looks real (the example practice, onboarded, a few weeks of bookings, portal patients booking
and cancelling in the background), and nothing they do may ever reach the real CeR. So:

- the context must be a training context (``AppContext.load(training=True)``, folder
  ``.../training``) — anything else is refused;
- the simulator listens on a free loopback port, and the CeR address of this process is forced to
  it (settings AND ``RECEPCJA_CER_URL``, which would otherwise win); a non-loopback address is
  refused before any call;
- set-up and seeding are idempotent: starting training again reuses the folder (the simulator's
  state survives a restart) and seeds only once;
- the simulator's P1 e-referral service holds referrals for some training patients: valid ones,
  one held by another provider, one cancelled, one realised (``seed_referrals``), and the
  e-referral address of this process points at it too.

No Qt here: the window calls ``start_training`` in a worker and the outage switch from its menu.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import os
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from recepcja.config.settings import ENV_CER_URL, save_settings
from recepcja.domain.entities import Patient, PatientIdentifier, Visit
from recepcja.domain.errors import N_, DomainError
from recepcja.domain.model import WARSAW, DocumentType, SlotState, Urgency, VisitSource, VisitState
from recepcja.domain.pesel import make_pesel, pesel_birth_date, pesel_sex
from recepcja.domain.slots import generate_slots
from recepcja.resources import resource
from recepcja.services.context import AppContext
from recepcja.store.repos import Repositories

log = logging.getLogger("recepcja.training")

SEEDED_KEY = "training.seeded"
SEED_WEEKS = 3
BOOKED_SHARE = 0.45
ACTOR_RATE = 0.02  # portal events per second: one every ~50 s, gentle enough to follow
TRAINING_USER = "szkolenie"
TRAINING_PHONE = "+48221234567"  # the example practice's registration desk
REFERRAL_PATH = "/p1/skierowania"  # the simulator's e-referral service
# (status, holder, refunded) of the referrals training patients bring to the desk.
TRAINING_REFERRALS = (
    ("WYSTAWIONE", None, True), ("WYSTAWIONE", None, True), ("WYSTAWIONE", None, False),
    ("U_REALIZATORA", "000000099999", True), ("ANULOWANE", None, True),
    ("ZREALIZOWANE", "000000099999", True),
)
_FIRST = ("Anna", "Maria", "Katarzyna", "Małgorzata", "Agnieszka", "Barbara", "Ewa", "Zofia",
          "Jan", "Piotr", "Andrzej", "Krzysztof", "Tomasz", "Paweł", "Łukasz", "Michał")
_LAST = ("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski",
         "Zieliński", "Szymański", "Woźniak", "Dąbrowski", "Kozłowski", "Jankowski", "Mazur",
         "Krawczyk", "Piotrowski", "Grabowski", "Nowakowski", "Pawłowski", "Michalski", "Żak")


class TrainingRefused(DomainError):
    """Training would not be isolated from the real CeR: refused before anything starts."""


def require_loopback(url: str) -> str:
    """``url`` if its host is this machine (127.0.0.0/8, ::1, localhost), else TrainingRefused."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return url
    try:
        if ipaddress.ip_address(host).is_loopback:
            return url
    except ValueError:
        pass
    raise TrainingRefused(
        N_("Training mode talks only to the simulator on this computer, not to {url}."), url=url
    )


def require_training_context(ctx: AppContext) -> None:
    if not ctx.training or ctx.paths.root.name != "training":
        raise TrainingRefused(
            N_("Training mode needs its own data folder (start with --training).")
        )


def fallback_practice() -> dict[str, Any]:
    """A small cardiology practice, used when the example practice file is not shipped."""
    weekdays = ("mon", "tue", "wed", "thu", "fri")
    return {
        "provider": {"name": "Przychodnia Szkoleniowa sp. z o.o.", "nip": "5250001003"},
        "places": [{
            "key": "poradnia",
            "name": "Poradnia Kardiologiczna (szkolenie)",
            "rpwdl": {"part_i": "000000012345", "part_v": "01", "part_vii": "001"},
            "address": {"street": "ul. Szkolna 1", "postal_code": "00-001", "city": "Warszawa"},
            "scopes": ["cardiology"],
        }],
        "resources": [
            {"key": "nowak", "kind": "doctor", "name": "lek. Anna Nowak",
             "licence_number": "1234567"},
            {"key": "zielinski", "kind": "doctor", "name": "lek. Piotr Zieliński",
             "licence_number": "2345678"},
        ],
        "schedules": [
            {"name": "Kardiologia — dr Nowak", "place": "poradnia", "resource": "nowak",
             "scope": "cardiology",
             "rules": [{"weekday": d, "start": "08:00", "end": "12:00", "slot_minutes": 20}
                       for d in weekdays]},
            {"name": "Kardiologia — dr Zieliński", "place": "poradnia", "resource": "zielinski",
             "scope": "cardiology",
             "rules": [{"weekday": d, "start": "12:00", "end": "16:00", "slot_minutes": 20}
                       for d in weekdays]},
        ],
    }


def training_patients(rng: random.Random, count: int) -> list[Patient]:
    """Plausible patients: valid PESELs, Polish names, most with a mobile number, a few
    foreigners identified by passport (the desk must handle them too)."""
    patients: list[Patient] = []
    for number in range(count):
        last = rng.choice(_LAST)
        first = rng.choice(_FIRST)
        female = first.endswith("a")
        if female and last.endswith("ki"):
            last = last[:-1] + "a"
        phone = f"+48{rng.choice('5678')}{rng.randrange(10**8):08d}" if rng.random() < 0.85 \
            else None
        if number % 25 == 24:
            identifier = PatientIdentifier(document_type=DocumentType.PASSPORT,
                                           document_number=f"AB{rng.randrange(10**7):07d}")
            patients.append(Patient(identifier, first, last, phone))
            continue
        born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(65 * 365))
        serial = rng.randrange(1000) * 10 + (rng.choice((0, 2, 4, 6, 8)) if female
                                            else rng.choice((1, 3, 5, 7, 9)))
        pesel = make_pesel(born, serial)
        patients.append(Patient(PatientIdentifier(pesel=pesel), first, last, phone,
                                birth_date=pesel_birth_date(pesel), sex=pesel_sex(pesel)))
    return patients


@dataclass
class TrainingSession:
    """A running training set-up: the simulator and what the window needs to drive it."""

    ctx: AppContext
    server: Any  # SimulatorServer
    cer_url: str
    notes: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return str(self.server.url)

    def control(self, method: str, path: str, payload: Any = None) -> Any:
        """One call of the simulator's control API (loopback only, checked again here)."""
        import requests

        url = require_loopback(f"{self.base_url}/_control/{path.lstrip('/')}")
        response = requests.request(method, url, json=payload, timeout=10)
        response.raise_for_status()
        return response.json()

    def simulate_outage(self) -> None:
        """CeR stops answering (the simulator closes every connection on /cer, and on P1's
        e-referral service too: both are P1)."""
        self.control("POST", "faults", {"operation": "*", "kind": "down"})

    def end_outage(self) -> None:
        self.control("DELETE", "faults")

    def start_actors(self, rate: float = ACTOR_RATE, seed: int | None = None) -> None:
        self.control("POST", "actors", {"rate": rate, **({"seed": seed} if seed else {})})

    def stop(self) -> None:
        try:
            self.control("DELETE", "actors")
        except Exception:  # stopping must go on even if the simulator is gone
            log.debug("stopping actors failed", exc_info=True)
        self.server.stop()


def start_training(
    ctx: AppContext,
    *,
    now: dt.datetime | None = None,
    actors: bool = True,
    seed: int = 2026,
    progress: Callable[[str], None] | None = None,
    port: int = 0,
) -> TrainingSession:
    """Start the simulator, point this process at it, set up + onboard the practice, seed
    bookings once, start the portal actors. Returns the running session (``stop()`` it)."""
    from recepcja.simulator.server import SimulatorServer

    require_training_context(ctx)
    say = progress or (lambda _text: None)
    now = now or dt.datetime.now(WARSAW)
    server = SimulatorServer(ctx.paths.root / "simulator", host="127.0.0.1", port=port)
    server.start()
    try:
        cer_url = require_loopback(server.url) + "/cer"
        _point_at(ctx, cer_url)
        session = TrainingSession(ctx, server, cer_url)
        with ctx.repositories() as repos:
            if not repos.practice.places():
                say("practice")
                _set_up_practice(ctx, repos)
            if repos.sync_state.get(SEEDED_KEY) is None:
                say("bookings")
                session.notes.append(f"seeded {seed_bookings(repos, now, seed)} visits")
            say("onboarding")
            session.notes.extend(_onboard(ctx, repos, now))
            session.notes.extend(seed_referrals(session, repos, seed))
        if actors:
            session.start_actors(seed=seed)
        return session
    except BaseException:
        server.stop()
        raise


def _point_at(ctx: AppContext, cer_url: str) -> None:
    """Every CeR client of this process (gateway factory, sync engine) now uses the simulator:
    the environment variable wins over settings, so it is overridden too."""
    require_loopback(cer_url)
    ctx.settings.cer.url = cer_url
    ctx.settings.cer.verify_tls = True
    os.environ[ENV_CER_URL] = cer_url
    require_loopback(ctx.settings.effective_cer_url())
    ctx.settings.p1.environment = ""
    ctx.settings.p1.referral_url = cer_url.removesuffix("/cer") + REFERRAL_PATH
    require_loopback(ctx.settings.effective_referral_url())
    if not ctx.settings.practice.phone:
        ctx.settings.practice.phone = TRAINING_PHONE  # printed on the confirmations
    save_settings(ctx.paths.settings, ctx.settings)


def _set_up_practice(ctx: AppContext, repos: Repositories) -> None:
    from recepcja.services.practice_setup import apply_plan, load_plan, plan_from_dict

    example = resource("practice.example.toml")
    plan = load_plan(example) if example.is_file() else plan_from_dict(fallback_practice())
    apply_plan(repos.db, plan, TRAINING_USER)


def seed_bookings(
    repos: Repositories, now: dt.datetime, seed: int, weeks: int = SEED_WEEKS
) -> int:
    """Slots for today and the next ``weeks`` weeks, ~45 % of them booked by training patients
    as visits made before joining CeR (the onboarding's initial load sends them to the
    simulator). Runs once per training folder."""
    from recepcja.services.practice_setup import rules_from_template

    rng = random.Random(seed)  # noqa: S311 - made-up training data, not secrets
    today = now.astimezone(WARSAW).date()
    last = today + dt.timedelta(weeks=weeks)
    patients = training_patients(rng, 120)
    repos.patients.add_many(patients, TRAINING_USER)
    visits: list[Visit] = []
    lead = now + dt.timedelta(minutes=30)
    for schedule in repos.schedules.list():
        assert schedule.id is not None
        specs = generate_slots(rules_from_template(schedule.template), today, last)
        repos.slots.add_many(schedule.id, specs)
        for slot in repos.slots.for_days(schedule.id, today, last):
            if slot.state != SlotState.FREE or slot.start <= lead:
                continue  # CeR takes no initial-load visit in the past
            if rng.random() < BOOKED_SHARE:
                patient = rng.choice(patients)
                visits.append(Visit(
                    visit_uid=f"SZK-{rng.randrange(16**12):012X}",
                    patient_id=int(patient.id or 0),
                    slot_id=slot.id,
                    urgency=Urgency.URGENT if rng.random() < 0.2 else Urgency.STABLE,
                    state=VisitState.PENDING,
                ))
    repos.visits.import_many(visits, TRAINING_USER, source=VisitSource.INITIAL_LOAD)
    repos.sync_state.set(SEEDED_KEY, now.isoformat())
    return len(visits)


def seed_referrals(session: TrainingSession, repos: Repositories, seed: int) -> list[str]:
    """Once per simulator: e-referrals (to a cardiology clinic) for the first training patients
    with a PESEL, one per entry of ``TRAINING_REFERRALS``. Returns a note per referral: its key,
    access code and status, for the trainer to hand out."""
    if session.control("GET", "state?sections=referrals")["referrals"]:
        return []
    patients = [patient for patient in training_patients(random.Random(seed), 120)  # noqa: S311
                if patient.identifier.pesel and repos.patients.by_pesel(patient.identifier.pesel)]
    notes = []
    for patient, (status, holder, refunded) in zip(patients, TRAINING_REFERRALS, strict=False):
        referral = session.control("POST", "referrals", {
            "pesel": patient.identifier.pesel, "first_name": patient.first_name,
            "last_name": patient.last_name, "status": status, "refunded": refunded,
            **({"holder": holder} if holder else {}),
        })
        notes.append(f"referral {referral['key']} code {referral['code']}: {status}")
    return notes


def _onboard(ctx: AppContext, repos: Repositories, now: dt.datetime) -> list[str]:
    """Run the onboarding steps (idempotent: done steps are skipped on later starts)."""
    try:
        from recepcja.services.gateway_factory import gateway_from_context
        from recepcja.services.onboarding import run_onboarding
    except ImportError:  # an older build without onboarding: the desk still works locally
        return ["onboarding not available"]
    gateway = gateway_from_context(ctx)
    try:
        result = run_onboarding(repos, gateway, now=now.astimezone(dt.UTC))
    finally:
        gateway.close()
    return [f"{step.step}: {step.status}" for step in result.steps]
