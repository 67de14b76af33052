"""``recepcja sim``: run the CeR simulator until Ctrl+C or SIGTERM.

The main CLI owns the sub-command; this module only adds the options (``add_arguments``) and runs
it (``run``), so the simulator's help lives next to the simulator. Texts people read go through
``recepcja.i18n`` like the rest of the CLI (Polish catalog: ``translations/pl/simulator.po``); the
control API listing stays as it is typed.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path

from recepcja.i18n import _
from recepcja.simulator.server import SimulatorServer, TlsConfig

# English source of the description (``recepcja sim`` shows it translated, see add_arguments).
DESCRIPTION = (
    "Serve a simulated CeR (Centralna e-Rejestracja) - a model of the real service, with its "
    "business rules and its state in DIR (kept across restarts). SOAP 1.1 at /cer, WSDL at "
    "/cer?wsdl."
)

CONTROL_API = """\
  GET    /_control/state[?schedule=HRM-1&sections=slots,visits]
  POST   /_control/faults {"operation": "*"|NAME, "kind": "down|delay|timeout|http500|
                           http503|malformed|drop_response", "seconds": N, "count": N}
  DELETE /_control/faults
  POST   /_control/actors {"rate": PER_SECOND, "kinds": ["portal_booking", "portal_cancel",
                           "other_provider", "waiting_room"], "seed": N}
  DELETE /_control/actors
  POST   /_control/portal-booking {"slot": "SLT-1", "pesel": P}
  POST   /_control/portal-cancel {"visit": "WIZ-1"}
  POST   /_control/force-bookings {"slot": "SLT-1", "count": 3}
  POST   /_control/central-requests {"pesel": P, "scope": S, "urgency": "PILNY|STABILNY",
                           "date": ISO}
  POST   /_control/notifications {"url": U, "secret": S, "duplicate": B, "shuffle": B}
  DELETE /_control/notifications
  POST   /_control/referrals {"pesel": P, "status": "WYSTAWIONE|U_REALIZATORA|ZREALIZOWANE|
                           ANULOWANE", "holder": OID_EXT, "refunded": B, "specialty": "1100"}
  POST   /_control/referral-change {"key": KEY, "status": S, "holder": OID_EXT}
  POST   /_control/clock {"now": ISO, "frozen": B}   DELETE /_control/clock
  POST   /_control/reset

  recepcja sim --port 8700 --data ./cer-sim
  curl -X POST localhost:8700/_control/faults -d '{"kind": "down", "seconds": 30}'
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``recepcja sim`` (and its help text, translated)."""
    parser.description = _(
        "Serve a simulated CeR (Centralna e-Rejestracja) - a model of the real service, with its "
        "business rules and its state in DIR (kept across restarts). SOAP 1.1 at /cer, WSDL at "
        "/cer?wsdl."
    ) + " " + _("P1's e-referral service (a model) at /p1/skierowania, WSDL at "
                "/p1/skierowania?wsdl.")
    parser.epilog = (
        _("control API (JSON over HTTP, same port):") + "\n" + CONTROL_API + "\n"
        + _("Full reference, how each fault looks to a client, and the business rules: "
            "docs/SIMULATOR.md.")
    )
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--port", type=int, default=8700,
                        help=_("TCP port (default 8700; 0 picks a free one)"))
    parser.add_argument("--host", default="127.0.0.1",
                        help=_("address to listen on (default 127.0.0.1, this computer only)"))
    parser.add_argument("--data", type=Path, required=True, metavar="DIR",
                        help=_("folder of the simulator's own database (created if missing)"))
    parser.add_argument("--tls-cert", type=Path, metavar="FILE",
                        help=_("serve HTTPS with this certificate (PEM)"))
    parser.add_argument("--tls-key", type=Path, metavar="FILE",
                        help=_("private key of --tls-cert (PEM)"))
    parser.add_argument("--client-ca", type=Path, metavar="FILE",
                        help=_("require client certificates issued by this CA (mutual TLS)"))
    parser.add_argument("--verify-signatures", action="store_true",
                        help=_("refuse calls without a valid WS-Security signature (RSA-SHA256)"))
    parser.add_argument("--trusted-signer-cert", type=Path, metavar="FILE",
                        help=_("the certificate (PEM) whose signatures are accepted"))
    parser.add_argument("--seed", type=int,
                        help=_("seed for generated patients, actors and push order"))
    parser.add_argument("--json", action="store_true",
                        help=_("print the addresses as JSON instead of text"))


def _check(args: argparse.Namespace) -> str | None:
    """One clear line about what is wrong with the options, or None."""
    if bool(args.tls_cert) != bool(args.tls_key):
        return _("--tls-cert and --tls-key go together")
    if args.client_ca and not args.tls_cert:
        return _("--client-ca needs --tls-cert and --tls-key (client certificates need HTTPS)")
    if args.verify_signatures and not args.trusted_signer_cert:
        return _("--verify-signatures needs --trusted-signer-cert")
    for option in ("tls_cert", "tls_key", "client_ca", "trusted_signer_cert"):
        path = getattr(args, option)
        if path is not None and not path.is_file():
            return _("--{option}: file not found: {path}").format(
                option=option.replace("_", "-"), path=path
            )
    if not 0 <= args.port <= 65535:
        return _("--port must be between 0 and 65535")
    return None


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl+C or SIGTERM; returns the exit code."""
    problem = _check(args)
    if problem:
        print(f"recepcja sim: {problem}", file=sys.stderr)
        return 2
    tls = None
    if args.tls_cert:
        tls = TlsConfig(args.tls_cert, args.tls_key, args.client_ca)
    server = SimulatorServer(
        args.data, host=args.host, port=args.port, tls=tls,
        verify_signatures=args.verify_signatures, trusted_signer_cert=args.trusted_signer_cert,
        seed=args.seed,
    )
    try:
        url = server.start()
    except OSError as error:
        print("recepcja sim: " + _("cannot serve on {address}: {reason}").format(
            address=f"{args.host}:{args.port}", reason=error.strerror or error), file=sys.stderr)
        return 1
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        if args.json:
            print(json.dumps({"url": url, "soap": f"{url}/cer", "wsdl": f"{url}/cer?wsdl",
                              "referrals": f"{url}/p1/skierowania",
                              "control": f"{url}/_control/state", "data": str(args.data)}))
        else:
            print(_("CeR simulator (a model of CeR) on {url}").format(url=url))
            print(f"  SOAP {url}/cer   WSDL {url}/cer?wsdl   control {url}/_control/state")
            print(f"  P1 e-referrals {url}/p1/skierowania   WSDL {url}/p1/skierowania?wsdl")
            print("  " + _("data in {folder}; Ctrl+C stops it").format(folder=args.data))
        sys.stdout.flush()
        while not stop.wait(0.5):  # a timed wait, so Ctrl+C is noticed on every platform
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.stop()
    return 0
