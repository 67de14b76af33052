"""Logging to a rotating file in the data folder, with PESELs masked.

Masking is a filter on the handler, so it also covers records from libraries. It is a safety net,
not a licence: code must still not log personal data on purpose.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
from pathlib import Path

from recepcja.domain.pesel import PESEL_PATTERN

# Phone numbers in E.164 (how the app stores them) are personal data too.
_PHONE = re.compile(r"\+\d{7,15}(?!\d)")
MASK = "[PESEL]"
PHONE_MASK = "[TEL]"

LOG_FILE = "recepcja.log"


def mask_personal_data(text: str) -> str:
    # Phones first: "+48601234567" holds an 11-digit run that is not a PESEL.
    # Any other run of exactly 11 digits may be a PESEL; masking a few innocent numbers is right.
    return PESEL_PATTERN.sub(MASK, _PHONE.sub(PHONE_MASK, text))


class PeselMaskingFilter(logging.Filter):
    """Rewrites the record's final message with PESEL-like numbers masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_personal_data(message)
        if masked != message:
            record.msg = masked
            record.args = None
        if record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text)
        return True


def setup_logging(log_dir: Path, level: int = logging.INFO) -> logging.Handler:
    """Attach a rotating, masking file handler to the root logger; returns it (for removal)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        log_dir / LOG_FILE, maxBytes=2_000_000, backupCount=5, encoding="utf-8"
    )
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s")
    )
    handler.addFilter(PeselMaskingFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    # Library loggers that print whole HTTP/SOAP bodies at DEBUG must never reach the file.
    for noisy in ("zeep.transports", "urllib3.connectionpool", "zeep.wsdl.bindings.soap"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return handler
