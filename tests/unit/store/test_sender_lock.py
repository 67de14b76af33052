"""The data folder's sender lock: one holder at a time across processes and threads, the busy
message names the holder, and a holder killed with SIGKILL lets go (the OS frees its lock)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from recepcja.store import Repositories
from recepcja.store.sender_lock import (
    FileSenderLock,
    PgSenderLock,
    SenderBusy,
    sender_lock_for,
)

HOLDER = """
import sys, time
from recepcja.store.sender_lock import FileSenderLock
from pathlib import Path
lease = FileSenderLock(Path(sys.argv[1]), "sync --once").acquire()
print(lease.token, flush=True)
time.sleep(600)
"""


@pytest.fixture
def lock_path(tmp_path: Path) -> Path:
    return tmp_path / "recepcja.sqlite.sender.lock"


def test_a_second_process_is_told_who_sends_and_takes_over_when_the_holder_is_killed(
        lock_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(lock_path)], text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        token = holder.stdout.readline().strip() if holder.stdout else ""
        assert token.count(":") == 2 and f":{holder.pid}:" in token, holder.stderr
        with pytest.raises(SenderBusy) as busy:
            FileSenderLock(lock_path, "engine").acquire(wait=0.2)
        assert f"pid {holder.pid}" in busy.value.holder and "sync --once" in busy.value.holder
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(30)
    with FileSenderLock(lock_path, "engine").acquire(wait=5) as lease:
        assert lease.token != token


def test_two_threads_of_one_process_exclude_each_other(lock_path: Path) -> None:
    first = FileSenderLock(lock_path, "engine").acquire()
    outcome: list[str] = []

    def other() -> None:
        try:
            FileSenderLock(lock_path, "reconcile").acquire(wait=0.1)
            outcome.append("acquired")
        except SenderBusy:
            outcome.append("busy")

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(10)
    first.release()
    assert outcome == ["busy"]
    FileSenderLock(lock_path, "reconcile").acquire().release()


def test_the_lock_lives_beside_the_database(tmp_path: Path) -> None:
    repos = Repositories.open(tmp_path / "folder" / "recepcja.sqlite")
    try:
        lock = sender_lock_for(repos.db, "replay")
        assert isinstance(lock, FileSenderLock)
        assert lock.path == tmp_path / "folder" / "recepcja.sqlite.sender.lock"
    finally:
        repos.close()


def test_a_practice_database_has_one_sender_for_all_its_desks(pg_database) -> None:
    """Two desks (two connections) on one practice database: the second is told who sends,
    and takes over the moment the first lets go (or its connection ends)."""
    first_desk = Repositories.open(pg_database)
    second_desk = Repositories.open(pg_database)
    try:
        lock = sender_lock_for(first_desk.db, "engine")
        assert isinstance(lock, PgSenderLock)
        lease = lock.acquire()
        with pytest.raises(SenderBusy) as busy:
            sender_lock_for(second_desk.db, "sync --once").acquire(wait=0.3)
        assert "engine" in str(busy.value.holder)
        lease.release()
        with sender_lock_for(second_desk.db, "sync --once").acquire(wait=2) as taken:
            assert taken.token != lease.token
        lease = sender_lock_for(first_desk.db, "engine").acquire()
        first_desk.close()  # the connection ends: the server releases the lock with it
        sender_lock_for(second_desk.db, "sync --once").acquire(wait=5).release()
    finally:
        second_desk.close()
        first_desk.close()
