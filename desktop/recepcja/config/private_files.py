"""Files and folders the app writes: private to the desk's user, never half-written.

Everything Recepcja writes may hold patients' data (RODO art. 32), so one set of rules applies
to all of it - the database, logs, exports, printouts, backups, settings:

- On POSIX, folders the app creates or owns are ``0700`` and files ``0600``: the file is
  *created* with that mode (``O_CREAT | O_EXCL``, mode ``0600``), never widened first and
  narrowed later. On Windows the mode bits mean nothing; the data folder under
  ``%LOCALAPPDATA%`` inherits the user profile's ACL (the user, SYSTEM, Administrators), see
  docs/ADMIN.md.
- A file the user names (an export, a backup) goes through :func:`check_target` first: a folder
  is not a file, a missing parent folder is refused (never created), and an existing file is
  replaced only when the user confirmed it (``overwrite``: ``--force`` on the command line, a
  question in the window).
- :func:`write_file` writes next to the target under a temporary name and renames it into
  place; the temporary file is removed on every exit path, so a failed export never leaves a
  ``*.tmp`` full of PESELs behind.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from recepcja.domain.errors import N_, DomainError

FILE_MODE = 0o600
FOLDER_MODE = 0o700
POSIX = os.name == "posix"


class OutputFileError(DomainError):
    """A file the app was asked to write cannot be written there; nothing was written."""


def make_private(path: Path, mode: int = FILE_MODE) -> None:
    """Narrow ``path`` to ``mode`` (POSIX) when it is ours and wider; never fails on a file that
    belongs to someone else or has gone (that is reported where it matters)."""
    if not POSIX:
        return
    with contextlib.suppress(OSError):
        info = os.stat(path)
        if info.st_uid == os.geteuid() and stat.S_IMODE(info.st_mode) & ~mode:
            os.chmod(path, mode)


def private_folder(path: Path, *, narrow: bool = False) -> Path:
    """Create ``path`` (and missing parents) as ``0700``; with ``narrow`` also narrow it to
    ``0700`` if it exists and is ours (only for the app's own folders: never for a folder the
    user merely chose to write into). Raises OSError when it cannot be created."""
    path = Path(path)
    missing = []
    probe = path
    while not probe.exists() and probe.parent != probe:
        missing.append(probe)
        probe = probe.parent
    # Parents too: mkdir(parents=True) would create them with the default (umask) mode.
    for folder in reversed(missing):
        folder.mkdir(mode=FOLDER_MODE, exist_ok=True)
        make_private(folder, FOLDER_MODE)
    if not path.is_dir():
        raise NotADirectoryError(20, os.strerror(20), str(path))
    if narrow:
        make_private(path, FOLDER_MODE)
    return path


def create_private(path: Path) -> int:
    """A new file at ``path`` opened for writing, created ``0600``; FileExistsError if any
    file is already there."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    return os.open(path, flags, FILE_MODE)


def check_target(path: Path, *, overwrite: bool) -> Path:
    """The absolute path of a file the user asked the app to write, or OutputFileError: it is
    a folder, its folder does not exist, or it exists and ``overwrite`` was not confirmed."""
    path = Path(path).expanduser().absolute()
    if path.is_dir():
        raise OutputFileError(N_("{path} is a folder; give the name of a file to write."),
                              path=str(path))
    if not path.parent.is_dir():
        raise OutputFileError(N_("The folder {path} does not exist; nothing was written."),
                              path=str(path.parent))
    if not overwrite and (path.exists() or path.is_symlink()):
        raise OutputFileError(
            N_("The file {path} already exists; nothing was written (use --force to overwrite "
               "it)."), path=str(path))
    return path


def temporary_name(path: Path) -> Path:
    """A fresh hidden name next to ``path`` for writing it before the rename."""
    return path.with_name(f".{path.name}.{os.urandom(4).hex()}.tmp")


def place(temporary: Path, target: Path, *, overwrite: bool) -> None:
    """Rename ``temporary`` to ``target``; without ``overwrite`` an existing target - even one
    that appeared meanwhile - is never replaced (FileExistsError)."""
    if overwrite:
        os.replace(temporary, target)
        return
    try:
        os.link(temporary, target)  # atomic "create if absent"
    except FileExistsError:
        raise
    except OSError:
        # File systems without hard links (FAT on a USB stick): check, then rename.
        if target.exists():
            raise FileExistsError(str(target)) from None
        os.replace(temporary, target)
        return
    temporary.unlink()


@contextlib.contextmanager
def private_temporary(target: Path, *, overwrite: bool) -> Iterator[Path]:
    """A new private, empty file next to ``target`` for the caller to fill; on a clean exit it
    is renamed to ``target`` (an existing one only with ``overwrite``). Any failure is an
    OutputFileError, and the temporary file is removed whatever happens."""
    temporary = temporary_name(target)
    try:
        os.close(create_private(temporary))
        yield temporary
        place(temporary, target, overwrite=overwrite)
    except FileExistsError:
        raise OutputFileError(
            N_("The file {path} already exists; nothing was written (use --force to overwrite "
               "it)."), path=str(target)) from None
    except OSError as error:
        raise OutputFileError(N_("The file {path} cannot be written: {error}"), path=str(target),
                              error=error.strerror or str(error)) from None
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink()


def write_file(path: Path, data: bytes, *, overwrite: bool, checked: bool = False) -> Path:
    """Write ``data`` to ``path`` as a private file, atomically (temporary file + rename).

    ``path`` must pass :func:`check_target` (done here unless ``checked``). Any failure is an
    OutputFileError and leaves neither the target changed nor a temporary file behind."""
    target = Path(path) if checked else check_target(path, overwrite=overwrite)
    with private_temporary(target, overwrite=overwrite) as temporary, \
            temporary.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return target
