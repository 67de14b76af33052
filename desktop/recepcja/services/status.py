"""What ``recepcja status`` reports: where the data is (the SQLite file or the practice database,
its password masked), the schema, the store's counts, and
whether CeR and the keyring are configured, the compliance report and the sync health with its
alarms (``sync.health``: changes stuck on their way to CeR, visits on an absent doctor's day)."""

from __future__ import annotations

from typing import Any

from recepcja import __version__
from recepcja.config.secrets import SecretStore
from recepcja.services.compliance import compliance_report
from recepcja.services.context import AppContext
from recepcja.services.database import database_status
from recepcja.store.migrations import applied_migrations
from recepcja.store.patients import PatientRepo
from recepcja.store.sender_lock import lock_owner
from recepcja.sync.health import sync_health
from recepcja.sync.terms import configuration_problem


def collect_status(ctx: AppContext) -> dict[str, Any]:
    with ctx.repositories() as repos:
        migrations = applied_migrations(repos.db)
        patients = PatientRepo(repos.db).count()
        compliance = compliance_report(repos, months=ctx.settings.publishing.horizon_months)
        sync = sync_health(repos, receiver_enabled=ctx.settings.receiver.enabled,
                           alarm_minutes=ctx.settings.sync.outbox_alarm_minutes)
        problem = configuration_problem(repos)
        database = database_status(ctx.paths, ctx.settings, repos.db, training=ctx.training)
        # A practice database: the desk doing the practice's CeR work now (None: nobody).
        shared = repos.db.dialect.is_postgresql
        owner = lock_owner(repos.db) if shared else None
    return {
        "version": __version__,
        "training": ctx.training,
        "data_folder": str(ctx.paths.root),
        # Where the data is: the SQLite file, or the practice database's URL (no password).
        "database": database["where"],
        "database_engine": database["engine"],
        "database_uuid": database["uuid"],
        "practice_owner": owner,
        # Whether this desk receives CeR's notifications: on a practice database only the
        # practice's CeR client does, while its receiver listens (sync.owner_receiver).
        "receiver": receiver_status(ctx, owner, shared=shared),
        "schema": {"migrations": migrations, "count": len(migrations)},
        "patients": patients,
        "cer": {
            "url": ctx.settings.effective_cer_url() or None,
            "configured": bool(ctx.settings.effective_cer_url()),
            "verify_tls": ctx.settings.cer.verify_tls,
            # Changes wait because of this workstation's set-up: {reason, since, error}
            "waiting_for_administrator": problem,
        },
        "keyring_available": SecretStore().available(),
        "user": ctx.user,
        # New local patient IDs carry the prefix: L-<prefix>-000001 (domain.workstation).
        "workstation": {"name": ctx.workstation.name, "prefix": ctx.workstation.prefix},
        "compliance": compliance,
        "sync": sync,
    }


def receiver_status(ctx: AppContext, owner: dict[str, Any] | None, *, shared: bool
                    ) -> dict[str, Any]:
    """``{enabled, this_desk, desk, url}``: which desk receives CeR's notifications. One desk
    (SQLite) receives whenever its receiver is enabled; on a practice database the desk holding
    the practice's lock does, as its note says (``url``: where it listens)."""
    enabled = ctx.settings.receiver.enabled
    if not shared:
        desk = ctx.workstation.name if enabled else None
        return {"enabled": enabled, "this_desk": enabled, "desk": desk, "url": None}
    url = owner.get("receiver") if owner else None
    desk = owner.get("workstation") if owner and url else None
    return {"enabled": enabled, "this_desk": bool(desk) and desk == ctx.workstation.name,
            "desk": desk, "url": url}
