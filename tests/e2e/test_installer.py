"""The installers (issue 8): the Linux bundle and .deb are built and smoke-tested; the Windows
Inno Setup script, which cannot be built here, is linted against the same build.

Slow: one PyInstaller build per test session (~40-90 s on 2 cores), shared by every test here
through the session fixture ``linux_build``; the .deb is built from it in about a second (zstd).
The build starts in the background once collection finds a test here, and these tests run last
(``installer_build.py``): it overlaps the rest of the suite.
The .deb is never installed: the tests read it with ``dpkg-deb`` (fields, listing, control
archive), unpack it into a temporary root and run the app from there, so ``./test`` leaves the
machine's package database alone. The figures (build time, bundle and package size, start-up
times) go to the terminal through pytest's reporter, so the CI log shows them without ``-s``,
and to ``build/installer-smoke.json`` for docs/BENCHMARKS.md.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import deb_support as deb_tools
import installer_build
import pytest

import recepcja

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[2]
INSTALLER = REPO / "installer"
METRICS_FILE = REPO / "build" / "installer-smoke.json"
VERSION = recepcja.__version__
SMOKE_SECONDS = 1.0  # gui/app.py SMOKE_MS: how long the smoke test keeps the window up
BOOTSTRAP = REPO / "tools" / "bootstrap.sh"


@dataclass
class LinuxBuild:
    dist: Path
    bundle: Path
    exe: Path
    deb: Path | None
    metrics: dict[str, float | str] = field(default_factory=dict)


def _report(config: pytest.Config, line: str) -> None:
    """A line in the CI log even though pytest captures output."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None:
        return
    if capture is None:
        reporter.write_line(f"[installer] {line}")
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line(f"[installer] {line}")


def _save_metrics(build: LinuxBuild) -> None:
    METRICS_FILE.parent.mkdir(parents=True, exist_ok=True)
    METRICS_FILE.write_text(json.dumps(build.metrics, indent=2) + "\n", encoding="utf-8")


def _folder_mb(folder: Path) -> float:
    total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    return round(total / 1_000_000, 1)


def _run(args: list[str], home: Path, timeout: float = 60,
         extra_env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess, float]:
    env = {**os.environ, "RECEPCJA_HOME": str(home), "QT_QPA_PLATFORM": "offscreen",
           "RECEPCJA_LANG": "pl", **(extra_env or {})}
    env.pop("RECEPCJA_CER_URL", None)
    start = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, env=env, timeout=timeout,
                          stdin=subprocess.DEVNULL, check=False)
    return proc, round(time.perf_counter() - start, 3)


@pytest.fixture(scope="session")
def linux_build(pytestconfig: pytest.Config):
    """The bundle (and the .deb when dpkg-deb exists), built once per session in a private
    folder so a developer's own dist/ is left alone; started in the background at the end of
    collection (``installer_build``), these tests run last."""
    if not sys.platform.startswith("linux"):
        pytest.skip("the Linux bundle is built on Linux only")
    proc = installer_build.the_build(pytestconfig).wait(timeout=900)
    assert proc.code == 0, f"build failed:\n{proc.out[-3000:]}\n{proc.err[-3000:]}"
    bundle_s = re.search(r"bundle built in ([\d.]+) s", proc.out)
    deb_s = re.search(r"\.deb \(.*\) built in ([\d.]+) s", proc.out)
    dist = proc.out_dir / "dist"
    debs = sorted(dist.glob("recepcja_*.deb"))
    build = LinuxBuild(dist=dist, bundle=dist / "recepcja", exe=dist / "recepcja" / "recepcja",
                       deb=debs[0] if debs else None)
    build.metrics = {
        "version": VERSION,
        "machine": f"{os.uname().machine}, {os.cpu_count()} cores",
        "build_script_seconds": round(proc.seconds, 1),  # beside the rest of the suite
        "pyinstaller_seconds": float(bundle_s.group(1)) if bundle_s else -1.0,
        "deb_seconds": float(deb_s.group(1)) if deb_s else -1.0,
        "bundle_mb": _folder_mb(build.bundle),
        "deb_mb": round(build.deb.stat().st_size / 1_000_000, 1) if build.deb else -1.0,
    }
    _report(pytestconfig, "built: " + ", ".join(f"{k}={v}" for k, v in build.metrics.items()))
    _save_metrics(build)
    yield build
    _save_metrics(build)


def test_bundle_prints_the_package_version(linux_build: LinuxBuild, tmp_path: Path, pytestconfig):
    proc, seconds = _run([str(linux_build.exe), "--version"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"recepcja {VERSION}"
    linux_build.metrics["version_cold_seconds"] = seconds
    proc, seconds = _run([str(linux_build.exe), "--version"], tmp_path)
    linux_build.metrics["version_warm_seconds"] = seconds
    _report(pytestconfig, f"bundle --version: {proc.stdout.strip()} in {seconds} s")


def test_bundle_starts_offscreen_in_training_mode_shows_the_window_and_exits_cleanly(
    linux_build: LinuxBuild, tmp_path: Path, pytestconfig
):
    # The GUI's smoke hook (gui/app.py): RECEPCJA_SMOKE_TEST=1 shows the main window, lets it
    # settle for SMOKE_SECONDS, prints "smoke-ok", closes it and exits 0.
    proc, seconds = _run([str(linux_build.exe), "--training"], tmp_path, timeout=120,
                         extra_env={"RECEPCJA_SMOKE_TEST": "1"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "smoke-ok" in proc.stdout.splitlines(), proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    assert (tmp_path / "training").is_dir()  # training mode uses its own folder
    linux_build.metrics["training_window_smoke_seconds"] = seconds
    _report(pytestconfig, f"bundle --training offscreen: main window shown, smoke-ok, exit 0 "
                          f"in {seconds} s (of which {SMOKE_SECONDS} s the window stays up)")

    proc, seconds = _run([str(linux_build.exe), "status", "--json"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    status = json.loads(proc.stdout)
    assert status["version"] == VERSION and status["schema"]["count"] >= 1
    linux_build.metrics["status_json_seconds"] = seconds


def _archive_modules(exe: Path) -> set[str]:
    viewer = Path(sys.executable).with_name("pyi-archive_viewer")
    proc = subprocess.run([str(viewer), "-l", "-r", "-b", str(exe)], capture_output=True,
                          text=True, check=True)
    return {line.strip() for line in proc.stdout.splitlines() if line.strip()}


def test_bundle_holds_what_the_app_loads_by_name_and_no_test_stack(linux_build: LinuxBuild):
    internal = linux_build.bundle / "_internal"
    resources = internal / "recepcja" / "resources"
    for wanted in ("cer/cer.wsdl", "cer/cer.xsd", "icons/recepcja.svg", "translations/pl/cli.po",
                   "translations/pl/ops.po"):
        assert (resources / wanted).is_file(), wanted
    modules = _archive_modules(linux_build.exe)
    for module in (
        "recepcja.gui", "recepcja.simulator.server", "recepcja.cer.gateway",  # found by name
        "holidays.countries.poland", "phonenumbers.data.region_PL", "stdnum.pl.pesel",
        "keyring.backends.SecretService", "secretstorage", "zeep", "lxml", "waitress",
        "openpyxl", "msoffcrypto", "sqlite_utils",
    ):
        assert module in modules, f"{module} is missing from the bundle"
    assert (internal / "PySide6" / "QtWidgets.abi3.so").is_file()
    assert (internal / "PySide6" / "Qt" / "plugins" / "platforms" / "libqoffscreen.so").is_file()
    assert (internal / "holidays" / "locale" / "pl" / "LC_MESSAGES" / "PL.mo").is_file()
    # C extensions are files beside the archive, not modules in it.
    assert any(p.name.startswith("xmlsec") for p in internal.iterdir())
    assert list(internal.glob("lxml/etree.*"))
    unwanted = re.compile(r"^(pytest|_pytest|pytestqt|trustme|PyInstaller|pip|tkinter)(\.|$)")
    assert not sorted(m for m in modules if unwanted.match(m))
    qt_libs = {p.name for p in (internal / "PySide6" / "Qt" / "lib").iterdir()}
    for excluded in ("Qml", "Quick", "WebEngine", "3D", "Multimedia", "Charts", "Pdf", "Test"):
        assert not [n for n in qt_libs if n.startswith(f"libQt6{excluded}")], excluded
    assert not list((internal / "PySide6").glob("QtTest*"))
    assert not list(internal.glob("phonenumbers/geodata*"))


def _bootstrap_list(name: str) -> set[str]:
    """A package list of tools/bootstrap.sh, as ./run and ./test install it."""
    proc = subprocess.run(["bash", "-c", f'source "{BOOTSTRAP}"; printf "%s\\n" "${{{name}[@]}}"'],
                          capture_output=True, text=True, check=True)
    return set(proc.stdout.split())


@dataclass
class UnpackedDeb:
    deb: Path
    root: Path  # the package's files under a temporary root, as dpkg would place them
    entries: list[deb_tools.Entry]

    def path(self, installed: str) -> Path:
        """Where an installed path (``/opt/recepcja/recepcja``) is in the unpacked tree."""
        return self.root / installed.lstrip("/")


@pytest.fixture(scope="session")
def unpacked_deb(linux_build: LinuxBuild, tmp_path_factory: pytest.TempPathFactory,
                 pytestconfig: pytest.Config) -> UnpackedDeb:
    if linux_build.deb is None:
        pytest.skip("dpkg-deb is not available: no .deb was built")
    start = time.perf_counter()
    root = deb_tools.unpack(linux_build.deb, tmp_path_factory.mktemp("deb-root"))
    linux_build.metrics["deb_unpack_seconds"] = round(time.perf_counter() - start, 1)
    _report(pytestconfig, f"dpkg-deb -x {linux_build.deb.name}: unpacked into {root} "
                          f"in {linux_build.metrics['deb_unpack_seconds']} s (not installed)")
    return UnpackedDeb(linux_build.deb, root, deb_tools.listing(linux_build.deb))


def test_deb_fields_listing_and_control_archive(unpacked_deb: UnpackedDeb):
    deb = unpacked_deb.deb
    assert deb_tools.field(deb, "Package") == "recepcja"
    assert deb_tools.field(deb, "Version") == re.sub(r"[.-]?(a|b|rc|dev)(\d*)$", r"~\1\2", VERSION)
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True,
                          check=True).stdout.strip()
    assert deb_tools.field(deb, "Architecture") == arch
    assert deb.name == f"recepcja_{deb_tools.field(deb, 'Version')}_{arch}.deb"
    # No maintainer scripts: installing only unpacks these files, removing only deletes them
    # (the practice's data, in each user's data folder, is never touched).
    assert deb_tools.control_members(deb) == {"control"}

    entries = unpacked_deb.entries
    allowed = ("/opt/recepcja/", "/usr/bin/", "/usr/share/applications/",
               "/usr/share/icons/hicolor/", "/usr/share/doc/recepcja/")
    files = [e for e in entries if not e.mode.startswith("d")]
    outside = [e.path for e in files if not e.path.startswith(allowed)]
    assert not outside, outside
    assert {e.owner for e in entries} == {"root/root"}
    writable = [e.path for e in entries if not e.mode.startswith("l") and e.mode[8] == "w"]
    assert not writable, writable
    for entry in files:  # the listing and the unpacked tree agree
        assert os.path.lexists(unpacked_deb.path(entry.path)), entry.path
    installed_kb = int(deb_tools.field(deb, "Installed-Size"))
    payload_kb = sum(e.size for e in files) / 1024
    assert payload_kb <= installed_kb <= payload_kb * 1.1 + 1024, (installed_kb, payload_kb)


def test_deb_launcher_desktop_entry_icon_and_docs(unpacked_deb: UnpackedDeb):
    launcher = {e.path: e for e in unpacked_deb.entries}["/usr/bin/recepcja"]
    assert launcher.link == "/opt/recepcja/recepcja"  # the bootloader follows /proc/self/exe
    exe = unpacked_deb.path(launcher.link)
    assert exe.is_file() and os.access(exe, os.X_OK)
    assert (exe.parent / "_internal").is_dir()

    desktop_file = unpacked_deb.path("/usr/share/applications/recepcja.desktop")
    entry = configparser.ConfigParser(interpolation=None, strict=True)
    entry.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    entry.read_string(desktop_file.read_text(encoding="utf-8"))
    main = entry["Desktop Entry"]
    assert main["Type"] == "Application" and main["Terminal"] == "false"
    assert main["Name"] == "Recepcja" and main["Name[pl]"] and main["Comment[pl]"]
    assert main["Exec"].split()[0] == "recepcja"  # found on PATH as /usr/bin/recepcja
    assert entry["Desktop Action training"]["Exec"] == "recepcja --training"
    assert main["Actions"].rstrip(";") == "training"
    icon = main["Icon"]
    png = unpacked_deb.path(f"/usr/share/icons/hicolor/256x256/apps/{icon}.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    assert struct.unpack(">II", png[16:24]) == (256, 256)  # the size its folder promises
    svg = unpacked_deb.path(f"/usr/share/icons/hicolor/scalable/apps/{icon}.svg")
    assert ElementTree.parse(svg).getroot().tag.endswith("svg")
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(["desktop-file-validate", str(desktop_file)],
                               capture_output=True, text=True, check=False)
        assert check.returncode == 0, check.stdout + check.stderr
    docs = unpacked_deb.path("/usr/share/doc/recepcja")
    assert {p.name for p in docs.iterdir()} >= {"ADMIN.md", "ADMIN.pl.md", "CLI.md", "copyright"}


def test_deb_depends_cover_every_library_the_bundle_loads_from_the_system(
    unpacked_deb: UnpackedDeb, pytestconfig
):
    groups = deb_tools.depends(unpacked_deb.deb)
    declared = {name for group in groups for name in group}
    # What ./run installs for the window (offscreen and on a desktop) is what the package asks.
    wanted = _bootstrap_list("QT_SYSTEM_PACKAGES") | _bootstrap_list("QT_XCB_PACKAGES")
    assert wanted and wanted | {"tzdata"} <= declared, sorted(wanted - declared)
    unknown = [name for name in sorted(declared) if not deb_tools.known_package(name)]
    assert not unknown, f"Depends names packages Debian does not have: {unknown}"

    needs = deb_tools.system_needs(unpacked_deb.path("/opt/recepcja"))
    assert not needs.not_found, f"libraries the bundle needs, not found: {needs.not_found}"
    owners = deb_tools.packages_of(sorted(needs.by_library))
    unowned = sorted(set(needs.by_library) - set(owners))
    assert not unowned, f"system libraries the bundle loads that no package owns: {unowned}"
    guaranteed = deb_tools.installed_closure([g[0] for g in groups if len(g) == 1])
    missing = {package: sorted(f for lib, p in owners.items() if p == package
                               for f in needs.by_library[lib])[:3]
               for package in set(owners.values()) - guaranteed}
    assert not missing, f"the bundle loads libraries of packages Depends does not bring: {missing}"
    _report(pytestconfig, f"Depends cover what the bundle loads from the system: "
                          f"{', '.join(sorted(set(owners.values())))} ({len(needs.optional)} "
                          f"optional Qt plugin files left to the desktop)")


def test_unpacked_package_runs_version_status_and_the_window_offscreen(
    linux_build: LinuxBuild, unpacked_deb: UnpackedDeb, tmp_path: Path, pytestconfig
):
    # /usr/bin/recepcja as the package has it: a symlink to the bundle's executable.
    launcher = tmp_path / "bin" / "recepcja"
    launcher.parent.mkdir()
    launcher.symlink_to(unpacked_deb.path("/opt/recepcja/recepcja"))
    home = tmp_path / "home"

    proc, seconds = _run([str(launcher), "--version"], home)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"recepcja {VERSION}"
    linux_build.metrics["unpacked_version_seconds"] = seconds
    proc, _ = _run([str(launcher), "status", "--json"], home)
    assert proc.returncode == 0, proc.stderr
    status = json.loads(proc.stdout)
    assert status["data_folder"] == str(home) and status["version"] == VERSION
    proc, seconds = _run([str(launcher), "--training"], home, timeout=120,
                         extra_env={"RECEPCJA_SMOKE_TEST": "1"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert "smoke-ok" in lines and "smoke-window: platform=offscreen exposed=True" in lines, (
        proc.stdout + proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert (home / "training").is_dir()
    linux_build.metrics["unpacked_training_smoke_seconds"] = seconds
    _report(pytestconfig, "the unpacked package's recepcja: --version, status --json and the "
                          "training window offscreen ran; nothing was installed")


def _iss_sections(text: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(";"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
            sections.setdefault(current, [])
        elif current:
            sections[current].append(line)
    return sections


def _iss_param(line: str, name: str) -> str | None:
    match = re.search(rf'(?:^|;\s*){name}:\s*"([^"]*)"', line)
    return match.group(1) if match else None


def test_inno_setup_script_sources_exist_and_version_matches(linux_build: LinuxBuild):
    """The Windows installer cannot be built here; its script is checked against the same
    layout instead: every Source exists (the bundle's dist/ is the one just built), icons and
    Start-menu entries point at executables the spec builds, and the version is the package's."""
    text = (INSTALLER / "recepcja.iss").read_text(encoding="utf-8")
    defines = dict(re.findall(r'^#define\s+(\w+)\s+"([^"]*)"', text, flags=re.MULTILINE))
    assert defines["AppVersion"] == VERSION

    def expand(value: str) -> str:
        return re.sub(r"\{#(\w+)\}", lambda m: defines[m.group(1)], value)

    def local(path: str) -> Path:
        parts = path.replace("\\", "/")
        if parts.startswith("../dist/"):  # the build under test, not the developer's dist/
            return linux_build.dist / parts.removeprefix("../dist/")
        return (INSTALLER / parts).resolve()

    sections = _iss_sections(text)
    sources = [expand(_iss_param(line, "Source") or "") for line in sections["Files"]]
    assert sources and all(sources)
    for source in sources:
        path = local(source)
        if path.name == "*":
            assert path.parent.is_dir() and any(path.parent.iterdir()), source
        else:
            assert path.is_file(), source
    setup = dict(line.split("=", 1) for line in sections["Setup"] if "=" in line)
    assert local(expand(setup["SetupIconFile"])).is_file()
    assert setup["DefaultDirName"].startswith("{autopf}")
    assert setup["PrivilegesRequired"] == "admin"
    assert any("Polish.isl" in line for line in sections["Languages"])

    spec = (INSTALLER / "recepcja.spec").read_text(encoding="utf-8")
    built_names = set(re.findall(r'name="([\w-]+)"', spec))
    targets = [expand(_iss_param(line, "Filename") or "")
               for line in sections["Icons"] + sections["Run"]]
    exes = {t.removeprefix("{app}\\").removesuffix(".exe") for t in targets if t.endswith(".exe")}
    assert exes and exes <= built_names, (exes, built_names)
    # The non-executable targets are files installed from [Files].
    installed = {Path(s.replace("\\", "/")).name for s in sources}
    for target in targets:
        if target.startswith("{app}\\") and not target.endswith(".exe"):
            assert Path(target.replace("\\", "/")).name in installed, target
