"""The installers (issue 8): the Linux bundle and .deb are built and smoke-tested; the Windows
Inno Setup script, which cannot be built here, is linted against the same build.

Slow: one PyInstaller build per test session (~25 s on 2 cores), shared by every test here
through the session fixture ``linux_build``; the .deb is built from it in about a second (zstd).
The figures (build time, bundle and package size, start-up times) go to the terminal through
pytest's reporter, so the CI log shows them without ``-s``, and to
``build/installer-smoke.json`` for docs/BENCHMARKS.md.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import recepcja

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[2]
INSTALLER = REPO / "installer"
BUILD_SCRIPT = INSTALLER / "build-linux.sh"
METRICS_FILE = REPO / "build" / "installer-smoke.json"
VERSION = recepcja.__version__
SMOKE_SECONDS = 1.0  # gui/app.py SMOKE_MS: how long the smoke test keeps the window up
# DESIGN.md: what offscreen Qt needs on a bare Debian 12, plus a font.
QT_PACKAGES = {"libglib2.0-0", "libegl1", "libgl1", "libx11-6", "libdbus-1-3", "libfontconfig1",
               "libxkbcommon0", "fonts-dejavu-core"}


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
def linux_build(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config):
    """Build the bundle (and the .deb when dpkg-deb exists) once per session, in a private
    folder so a developer's own dist/ is left alone."""
    if not sys.platform.startswith("linux"):
        pytest.skip("the Linux bundle is built on Linux only")
    out = tmp_path_factory.mktemp("installer")
    env = {**os.environ, "RECEPCJA_DIST_DIR": str(out / "dist"),
           "RECEPCJA_BUILD_DIR": str(out / "build")}
    args = [str(BUILD_SCRIPT)]
    if shutil.which("dpkg-deb") is None:
        args.append("--bundle-only")
    start = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, env=env, timeout=900,
                          check=False)
    total = time.perf_counter() - start
    assert proc.returncode == 0, f"build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    bundle_s = re.search(r"bundle built in ([\d.]+) s", proc.stdout)
    deb_s = re.search(r"\.deb \(.*\) built in ([\d.]+) s", proc.stdout)
    dist = out / "dist"
    debs = sorted(dist.glob("recepcja_*.deb"))
    build = LinuxBuild(dist=dist, bundle=dist / "recepcja", exe=dist / "recepcja" / "recepcja",
                       deb=debs[0] if debs else None)
    build.metrics = {
        "version": VERSION,
        "machine": f"{os.uname().machine}, {os.cpu_count()} cores",
        "build_script_seconds": round(total, 1),
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


def _dpkg_status(package: str) -> str:
    proc = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True,
                          text=True, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else ""


def _depends(deb: Path) -> list[str]:
    field_ = subprocess.run(["dpkg-deb", "-f", str(deb), "Depends"], capture_output=True,
                            text=True, check=True).stdout
    return [part.strip().split(" ")[0] for part in field_.split(",") if part.strip()]


def _ensure_installed(packages: list[str]) -> None:
    missing = [p for p in packages if "install ok installed" not in _dpkg_status(p)]
    if not missing:
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing]
    if subprocess.run(install, capture_output=True, env=env, check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True, env=env, check=False)
        proc = subprocess.run(install, capture_output=True, text=True, env=env, check=False)
        if proc.returncode != 0:
            pytest.skip(f"cannot install the .deb's dependencies {missing}: {proc.stderr[-300:]}")


def test_deb_installs_with_dpkg_runs_offscreen_and_removes(
    linux_build: LinuxBuild, tmp_path: Path, pytestconfig
):
    if linux_build.deb is None:
        pytest.skip("dpkg-deb is not available: no .deb was built")
    if os.geteuid() != 0:
        pytest.skip("installing a .deb needs root (CI runs as root)")
    if shutil.which("dpkg") is None or shutil.which("apt-get") is None:
        pytest.skip("not a Debian system")
    if _dpkg_status("recepcja"):
        pytest.skip("a 'recepcja' package is already installed here; not touching it")
    deb = linux_build.deb

    fields = {name: subprocess.run(["dpkg-deb", "-f", str(deb), name], capture_output=True,
                                   text=True, check=True).stdout.strip()
              for name in ("Package", "Version", "Architecture")}
    assert fields["Package"] == "recepcja"
    assert fields["Version"] == VERSION
    depends = _depends(deb)
    assert QT_PACKAGES <= set(depends), set(depends)
    _ensure_installed(depends)

    try:
        start = time.perf_counter()
        proc = subprocess.run(["dpkg", "-i", str(deb)], capture_output=True, text=True,
                              check=False)
        install_seconds = round(time.perf_counter() - start, 1)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert _dpkg_status("recepcja") == "install ok installed"
        assert Path("/usr/bin/recepcja").resolve() == Path("/opt/recepcja/recepcja")
        desktop = Path("/usr/share/applications/recepcja.desktop").read_text(encoding="utf-8")
        assert "Name[pl]=" in desktop and "Comment[pl]=" in desktop and "Exec=recepcja" in desktop
        assert Path("/usr/share/icons/hicolor/256x256/apps/recepcja.png").is_file()
        if shutil.which("desktop-file-validate"):
            check = subprocess.run(["desktop-file-validate",
                                    "/usr/share/applications/recepcja.desktop"],
                                   capture_output=True, text=True, check=False)
            assert check.returncode == 0, check.stdout + check.stderr

        proc, seconds = _run(["/usr/bin/recepcja", "--version"], tmp_path)
        assert proc.returncode == 0, proc.stderr
        linux_build.metrics["installed_version_seconds"] = seconds
        assert proc.stdout.strip() == f"recepcja {VERSION}"
        proc, _ = _run(["/usr/bin/recepcja", "status", "--json"], tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["data_folder"] == str(tmp_path)
        proc, _ = _run(["/usr/bin/recepcja", "--training"], tmp_path, timeout=120,
                       extra_env={"RECEPCJA_SMOKE_TEST": "1"})
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "smoke-ok" in proc.stdout.splitlines(), proc.stdout + proc.stderr
        linux_build.metrics["deb_install_seconds"] = install_seconds
        _report(pytestconfig, f"dpkg -i {deb.name}: installed in {install_seconds} s; /usr/bin/"
                              "recepcja --version, status --json and the window ran offscreen")
    finally:
        if _dpkg_status("recepcja"):
            removed = subprocess.run(["dpkg", "-r", "recepcja"], capture_output=True, text=True,
                                     check=False)
            assert removed.returncode == 0, removed.stdout + removed.stderr
    assert not Path("/opt/recepcja/recepcja").exists()
    assert not Path("/usr/bin/recepcja").exists()
    _report(pytestconfig, "dpkg -r recepcja: removed")


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
