"""What ``recepcja status`` reports: where the data is, the schema, the store's counts, and
whether CeR and the keyring are configured, the compliance report and the sync health with its
alarms (``sync.health``: changes stuck on their way to CeR, visits on an absent doctor's day)."""

from __future__ import annotations

from typing import Any

from recepcja import __version__
from recepcja.config.secrets import SecretStore
from recepcja.services.compliance import compliance_report
from recepcja.services.context import AppContext
from recepcja.store.migrations import applied_migrations
from recepcja.store.patients import PatientRepo
from recepcja.store.repos import Repositories
from recepcja.sync.health import sync_health
from recepcja.sync.terms import configuration_problem


def collect_status(ctx: AppContext) -> dict[str, Any]:
    db = ctx.open_db()
    try:
        migrations = applied_migrations(db)
        patients = PatientRepo(db).count()
        compliance = compliance_report(
            Repositories.over(db), months=ctx.settings.publishing.horizon_months
        )
        sync = sync_health(Repositories.over(db), receiver_enabled=ctx.settings.receiver.enabled,
                           alarm_minutes=ctx.settings.sync.outbox_alarm_minutes)
        problem = configuration_problem(Repositories.over(db))
    finally:
        db.close()
    return {
        "version": __version__,
        "training": ctx.training,
        "data_folder": str(ctx.paths.root),
        "database": str(ctx.paths.database),
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
