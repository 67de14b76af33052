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
        for folder in (self.root, self.logs, self.exports, self.backups):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def default_paths(environ: dict[str, str] | None = None) -> AppPaths:
    env = os.environ if environ is None else environ
    override = env.get(ENV_HOME)
    if override:
        return AppPaths(Path(override).expanduser().resolve())
    return AppPaths(Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)))
