"""A pulled cable (issue 15): the practice's CeR client loses the network without a FIN or an
RST - its packets just stop. A loopback proxy between that desk and PostgreSQL stops forwarding
while keeping every socket open (so neither end's kernel sees anything wrong, as behind a
switch or VPN that swallows packets). The cut-off desk notices that its lock connection no
longer answers and stops acting as the owner (no CeR write can start, its receiver stops);
the server ends the silent lock session, and the other desk takes the practice's lock over.
How long that takes is measured by ``bench/bench_pulled_cable.py`` (docs/BENCHMARKS.md)."""

from __future__ import annotations

import pytest

from recepcja.store.db import open_database
from recepcja.store.sender_lock import SenderBusy, lock_owner
from recepcja.sync import practice_owner
from recepcja.sync.owner_receiver import OwnerReceiver
from recepcja.sync.practice_owner import OwnershipLost, PracticeOwnership
from recepcja.sync.receiver import NotificationReceiver
from support.desks import desk_connection
from support.polling import wait_until
from tcp_proxy import TcpProxy


def _host_port(url: str) -> tuple[str, int]:
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(url)
    return str(params["host"]), int(params["port"])


@pytest.mark.slow
def test_a_pulled_cable_hands_the_practice_to_the_next_desk(pg_database: str) -> None:
    proxy = TcpProxy(*_host_port(pg_database))
    cut_off = PracticeOwnership(desk_connection(proxy.url(pg_database), "recepcja-parter"))
    other = PracticeOwnership(desk_connection(pg_database, "recepcja-pietro"))
    receiver = OwnerReceiver(NotificationReceiver(lambda: None, "sekret", port=0),
                             ownership=cut_off)
    watch = open_database(pg_database)
    try:
        assert cut_off.ensure() and not other.ensure()
        receiver.start()
        assert receiver.listening
        in_flight_pass = cut_off.sender_lock().acquire(0.0)  # a replay pass under the lease
        in_flight_pass.check()  # the owner may send

        proxy.hold()  # the cable is pulled: nothing is refused, nothing comes back
        wait_until(lambda: not cut_off.held and not receiver.listening,
                   "the cut-off desk giving up its lease and stopping its receiver",
                   timeout=practice_owner.LEASE_S + 10)
        with pytest.raises(OwnershipLost):
            in_flight_pass.check()  # the pass starts no other CeR call
        with pytest.raises(SenderBusy):
            cut_off.sender_lock().acquire(0.0)  # no new pass either
        assert cut_off.token() is None
        # The server still holds the lock for the silent session until it ends it: nobody
        # acts as the owner in between, the old owner has stopped before the new one starts.
        taken = wait_until(other.ensure, "the other desk taking the practice over",
                           timeout=practice_owner.SERVER_SILENCE_S + 20, step=0.2)
        assert taken and other.held and not cut_off.held
        assert lock_owner(watch)["workstation"] == "recepcja-pietro"
    finally:
        receiver.close()
        proxy.close()  # before releasing: the cut-off desk's connection ends at once
        cut_off.release()
        other.release()
        watch.close()
