"""The frozen app's entry script (PyInstaller runs it as ``__main__``).

A file of its own rather than ``recepcja/__main__.py`` so the bundle's start-up is one obvious
place: the same ``recepcja.cli:main`` the ``recepcja`` console script calls in a source install.
"""

from __future__ import annotations

import multiprocessing

from recepcja.cli import main

if __name__ == "__main__":
    # Harmless today; without it any future multiprocessing use would re-run the CLI in each
    # child of a frozen Windows build.
    multiprocessing.freeze_support()
    raise SystemExit(main())
