"""The command line: the same use cases as the GUI, for admins, scripts and tests (no Qt).

Every subcommand has ``--help``; ``--json`` prints machine-readable results; bad input gives a
non-zero exit and one clear line on stderr, and writes nothing.
"""

from recepcja.cli.main import main

__all__ = ["main"]
