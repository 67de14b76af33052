"""Who read which patient's data on the desk's copy, into the practice database's audit log.

While the practice server is away the patient card is read from the desk's copy
(``gui/away_panels.py``) and each read leaves its audit row there (``patient.show``). The copy's
audit rows are dropped at its next refresh (the merge writes the audit rows of the changes it
carries), so before that :func:`carry_reads` copies the reads into the practice database: the
patient named by the local ID it has on the copy (an offline patient keeps it through the
merge), the desk, the time and the reader as they were. A row already there - a desk killed
between this and the refresh - is not written twice.
"""

from __future__ import annotations

from recepcja.store.db import Database, atomic, fetch_all, scalar

READ_ACTION = "patient.show"


def carry_reads(copy: Database, practice: Database) -> int:
    """The copy's patient reads into the practice database's audit log; how many were new."""
    reads = fetch_all(
        copy, "SELECT a.at, a.user, a.detail, a.workstation, p.local_id FROM audit_log AS a "
              "LEFT JOIN patients AS p ON p.id = a.patient_id WHERE a.action = ? ORDER BY a.id",
        (READ_ACTION,))
    if not reads:
        return 0
    carried = 0
    with atomic(practice):
        for read in reads:
            patient = scalar(practice, "SELECT id FROM patients WHERE local_id = ?",
                             (read["local_id"],)) if read["local_id"] else None
            seen = scalar(
                practice,
                'SELECT 1 FROM audit_log WHERE at = ? AND "user" = ? AND action = ? '
                "AND workstation = ? AND patient_id IS NOT DISTINCT FROM ?",
                (read["at"], read["user"], READ_ACTION, read["workstation"] or "", patient))
            if seen:
                continue
            practice.conn.execute(
                'INSERT INTO audit_log (at, "user", action, patient_id, visit_id, detail, '
                "workstation) VALUES (?, ?, ?, ?, NULL, ?, ?)",
                (read["at"], read["user"], READ_ACTION, patient, read["detail"],
                 read["workstation"] or ""))
            carried += 1
    return carried
