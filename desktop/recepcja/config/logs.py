"""Logging to a rotating file in the data folder, with PESELs masked.

Masking is a filter on the handler, so it also covers records from libraries. It is a safety net,
not a licence: code must still not log personal data on purpose.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
from pathlib import Path

from recepcja.config.private_files import FILE_MODE, make_private, private_folder
from recepcja.domain.pesel import mask_pesels

# Phone numbers in E.164 (how the app stores them) are personal data too.
_PHONE = re.compile(r"\+\d{7,15}(?!\d)")
PHONE_MASK = "[TEL]"

LOG_FILE = "recepcja.log"


def mask_personal_data(text: str) -> str:
    # Phones first: "+48601234567" holds an 11-digit run that is not a PESEL.
    # Any other run of exactly 11 digits may be a PESEL; masking a few innocent numbers is right.
    return mask_pesels(_PHONE.sub(PHONE_MASK, text))


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


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose every file - the first and each one rotation starts - is created
    0600: masking is a safety net, so the files must be private even so."""

    def _open(self):  # the base's signature (a text stream)
        path = Path(self.baseFilename)
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0)
        fd = os.open(path, flags, FILE_MODE)
        make_private(path)  # a log written by an older version
        return os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)


def setup_logging(log_dir: Path, level: int = logging.INFO) -> logging.Handler:
    """Attach a rotating, masking file handler to the root logger; returns it (for removal)."""
    private_folder(log_dir)
    for old in log_dir.glob(LOG_FILE + "*"):
        make_private(old)
    handler = PrivateRotatingFileHandler(
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
