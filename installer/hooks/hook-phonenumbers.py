"""Replaces pyinstaller-hooks-contrib's hook, which collects every phonenumbers submodule.

Why: the app only parses, validates and formats numbers. That needs the per-region metadata
(``phonenumbers.data``, loaded by name at run time) and the short-number data, not the
geocoder, carrier and time-zone tables (about 45 MB). Hooks in the spec's ``hookspath`` win
over the contributed ones.
"""

from __future__ import annotations

from PyInstaller.utils.hooks import collect_submodules

hiddenimports = collect_submodules("phonenumbers.data") + collect_submodules(
    "phonenumbers.shortdata"
)
