"""Reading a .deb without installing it: fields, listing, an unpacked tree, and whether its
Depends cover the libraries the bundle inside loads from the system.

Nothing here writes outside the temporary folder it is given: ``dpkg-deb`` reads the package,
``dpkg-query``/``dpkg -S``/``apt-cache`` read the package database, ``ldd`` reads binaries.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

# Bundled Qt plugins that Qt loads only when the desktop asks for them, and skips when their
# system libraries are absent. They may need what the package does not depend on.
OPTIONAL_BINARIES = {
    re.compile(r"PySide6/Qt/plugins/platformthemes/libqgtk3\.so$"):
        "GTK 3 dialogs and palette, loaded only on a GTK desktop, which has GTK 3",
    re.compile(r"(?i)wayland|WlShell"):
        "native Wayland (Recommends: libwayland-cursor0); without it the window shows through "
        "XWayland on the xcb platform",
}


@dataclass(frozen=True)
class Entry:
    """One line of ``dpkg-deb -c``."""

    mode: str
    owner: str
    size: int
    path: str  # "/opt/recepcja/recepcja"
    link: str | None  # the target of a symlink


def field(deb: Path, name: str) -> str:
    return subprocess.run(["dpkg-deb", "-f", str(deb), name], capture_output=True, text=True,
                          check=True).stdout.strip()


def depends(deb: Path) -> list[list[str]]:
    """The Depends field as groups of alternatives, versions and architectures dropped."""
    return _relations(field(deb, "Depends"))


def listing(deb: Path) -> list[Entry]:
    out = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True,
                         check=True).stdout
    entries = []
    for line in out.splitlines():
        mode, owner, size, _date, _time, rest = line.split(maxsplit=5)
        path, _, link = rest.partition(" -> ")
        entries.append(Entry(mode, owner, int(size), path.removeprefix("."), link or None))
    return entries


def control_members(deb: Path) -> set[str]:
    """The files of the control archive (``control``; maintainer scripts would show here)."""
    out = subprocess.run(["dpkg-deb", "-I", str(deb)], capture_output=True, text=True,
                         check=True).stdout
    members = set()
    for line in out.splitlines():
        match = re.match(r"\s+\d+ bytes,\s+\d+ lines\s+\*?\s*(\S+)", line)
        if match:
            members.add(match.group(1))
    return members


def unpack(deb: Path, root: Path) -> Path:
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True, capture_output=True)
    return root


def _relations(text: str) -> list[list[str]]:
    groups = []
    for group in text.split(","):
        names = [alt.strip().split(" ")[0].split(":")[0] for alt in group.split("|")]
        names = [n for n in names if n]
        if names:
            groups.append(names)
    return groups


@dataclass
class SystemNeeds:
    """What the bundle's binaries load from the system, as the dynamic loader would find it
    with the bootloader's library path (the bundle's ``_internal`` first)."""

    by_library: dict[str, set[str]]  # system library path -> bundle files needing it
    not_found: dict[str, set[str]]  # soname -> bundle files needing it
    optional: set[str]  # bundle files left out (OPTIONAL_BINARIES)


def system_needs(bundle: Path) -> SystemNeeds:
    internal = bundle / "_internal"
    env = {**os.environ, "LD_LIBRARY_PATH": str(internal)}
    needs = SystemNeeds(defaultdict(set), defaultdict(set), set())
    for binary in sorted(bundle.rglob("*")):
        if binary.is_symlink() or not binary.is_file():
            continue
        if ".so" not in binary.name and binary != bundle / bundle.name:
            continue
        relative = str(binary.relative_to(internal if internal in binary.parents else bundle))
        if any(pattern.search(relative) for pattern in OPTIONAL_BINARIES):
            needs.optional.add(relative)
            continue
        out = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, env=env,
                             check=False).stdout
        for line in out.splitlines():
            match = re.match(r"\s*(\S+) => (?:(not found)|(/\S+) \(0x)", line)
            if match is None:
                continue
            if match.group(2):
                needs.not_found[match.group(1)].add(relative)
            elif not match.group(3).startswith(str(bundle)):
                needs.by_library[match.group(3)].add(relative)
    return needs


def packages_of(paths: list[str]) -> dict[str, str]:
    """Library path -> the installed package that owns it (merged /usr aware)."""
    variants: dict[str, str] = {}
    for path in paths:
        for variant in {path, os.path.realpath(path)}:
            variants[variant] = path
            usr = variant.startswith("/usr/")
            variants[variant.removeprefix("/usr") if usr else "/usr" + variant] = path
    out = subprocess.run(["dpkg", "-S", *variants], capture_output=True, text=True,
                         check=False).stdout
    owners: dict[str, str] = {}
    for line in out.splitlines():
        package, sep, path = line.partition(": ")
        if sep and path in variants and "," not in package:
            owners.setdefault(variants[path], package.split(":")[0])
    return owners


def installed_closure(roots: list[str]) -> set[str]:
    """The packages every system with ``roots`` installed has: ``roots``, the Essential and
    required packages of every Debian system, and what they depend on without an alternative
    (for ``a | b`` either may be the one installed, so neither counts)."""
    out = subprocess.run(
        ["dpkg-query", "-W",
         "-f=${Package}\t${Essential}\t${Priority}\t${Depends}\t${Pre-Depends}\n"],
        capture_output=True, text=True, check=True).stdout
    relations: dict[str, list[str]] = {}
    base: set[str] = set()
    for line in out.splitlines():
        name, essential, priority, deps, pre = line.split("\t")
        if essential == "yes" or priority == "required":
            base.add(name)
        relations[name] = [g[0] for g in _relations(f"{deps},{pre}") if len(g) == 1]
    closure: set[str] = set()
    todo = [*roots, *base]
    while todo:
        name = todo.pop()
        if name not in closure:
            closure.add(name)
            todo.extend(relations.get(name, ()))
    return closure


def known_package(name: str) -> bool:
    """Installed here, or in the apt lists (a real package name, not a typo)."""
    if subprocess.run(["dpkg-query", "-W", name], capture_output=True,
                      check=False).returncode == 0:
        return True
    if shutil.which("apt-cache") is None:
        return True  # nothing to ask
    shown = subprocess.run(["apt-cache", "show", "--no-all-versions", name],
                           capture_output=True, check=False)
    return shown.returncode == 0 and bool(shown.stdout.strip())
