"""Where Recepcja keeps its data.

The data folder comes from platformdirs (per user, per OS) and is overridden by ``RECEPCJA_HOME``
(tests, several practices on one machine, a portable install). Training mode lives in its own
sub-folder so training data can never be mistaken for the practice's.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from recepcja.config.private_files import private_folder
from recepcja.domain.errors import N_, DomainError

APP_NAME = "Recepcja"
ENV_HOME = "RECEPCJA_HOME"


@dataclass(frozen=True, slots=True)
class AppPaths:
    """Every file the app writes, derived from one root folder."""

    root: Path

    @property
    def database(self) -> Path:
        return self.root / "recepcja.sqlite"

    @property
    def practice_identity(self) -> Path:
        """Which practice database this desk belongs to (``services/database.py``)."""
        return self.root / "practice-database.json"

    @property
    def settings(self) -> Path:
        return self.root / "settings.toml"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def exports(self) -> Path:
        return self.root / "exports"

    @property
    def backups(self) -> Path:
        return self.root / "backups"

    def export_file(self, stem: str, suffix: str, day: dt.date) -> Path:
        """Where a file the desk exports goes by default: ``exports/STEM-YYYY-MM-DD.SUFFIX``."""
        return self.exports / f"{stem}-{day.isoformat()}{suffix}"

    def training(self) -> AppPaths:
        """The separate folder training mode uses (its own database, settings and simulator)."""
        return AppPaths(self.root / "training")

    def ensure(self) -> AppPaths:
        """Create the folders (private: 0700 on POSIX, existing ones narrowed), or
        DataFolderError naming the folder and why it cannot be used."""
        try:
            for folder in (self.root, self.logs, self.exports, self.backups):
                private_folder(folder, narrow=True)
        except OSError as error:
            raise DataFolderError(
                N_("The data folder {path} cannot be used: {error}. Set RECEPCJA_HOME to a "
                   "folder this user can write."),
                path=str(self.root), error=error.strerror or str(error)) from None
        for folder in (self.root, self.logs, self.exports, self.backups):
            if not os.access(folder, os.W_OK | os.X_OK):
                raise DataFolderError(
                    N_("The data folder {path} is read-only for the user {user}. Set "
                       "RECEPCJA_HOME to a folder this user can write."),
                    path=str(folder), user=_user())
        return self


class DataFolderError(DomainError):
    """The data folder is a file, lies below a file, or cannot be written."""


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except OSError:
        return str(os.getuid()) if hasattr(os, "getuid") else "?"


def default_paths(environ: dict[str, str] | None = None) -> AppPaths:
    env = os.environ if environ is None else environ
    override = env.get(ENV_HOME)
    if override:
        return AppPaths(Path(override).expanduser().resolve())
    return AppPaths(Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)))
