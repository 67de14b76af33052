#!/usr/bin/env bash
# Build the Linux one-folder bundle with PyInstaller, then a .deb around it.
#
#   installer/build-linux.sh [--bundle-only] [--deb-only]
#
# Results (paths can be moved with RECEPCJA_DIST_DIR / RECEPCJA_BUILD_DIR):
#   dist/recepcja/                      the bundle: dist/recepcja/recepcja is the app and its CLI
#   dist/recepcja_<version>_<arch>.deb  installs to /opt/recepcja, /usr/bin/recepcja, a desktop
#                                       entry and the icon; Depends on the libraries Qt needs
#   build/pyinstaller/, build/deb/      work folders (safe to delete)
#
# Uses the project's .venv (created and filled by tools/bootstrap.sh if missing) and installs the
# "build" extra (PyInstaller) into it when it is not there yet. Needs dpkg-deb for the .deb.
# Environment: RECEPCJA_DEB_MAINTAINER (the Maintainer field), RECEPCJA_DEB_COMPRESSION
# (dpkg-deb -Z: zstd, xz or gzip). Default zstd: ~1 s here against ~80 s for xz on 2 cores, for a
# package ~35% bigger. Every system that can run the bundle reads it: the bundle needs the build
# machine's glibc (2.36, Debian 12) or newer, and dpkg reads zstd from Debian 12 / Ubuntu 21.10 on.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
DIST="${RECEPCJA_DIST_DIR:-$ROOT/dist}"
WORK="${RECEPCJA_BUILD_DIR:-$ROOT/build}"
MAINTAINER="${RECEPCJA_DEB_MAINTAINER:-Recepcja maintainers <recepcja@example.invalid>}"
COMPRESSION="${RECEPCJA_DEB_COMPRESSION:-zstd}"

# shellcheck source=../tools/bootstrap.sh
source "$ROOT/tools/bootstrap.sh"   # the package lists below, and ensure_venv

# What the bundled Qt needs from the system - the same lists ./run installs: offscreen Qt on bare
# Debian 12 plus a font, and what the xcb platform plugin needs to show a window on an X11 or
# XWayland desktop -, and tzdata (Python's zoneinfo reads the system time-zone database on Linux;
# slim images lack it). tests/e2e/test_installer.py checks that every library the bundle loads
# from the system comes from these packages or what they depend on.
DEPENDS=("${QT_SYSTEM_PACKAGES[@]}" "${QT_XCB_PACKAGES[@]}" tzdata)
# Native Wayland windows; without it Qt falls back to XWayland. The keyring stores certificate
# passwords (docs/ADMIN.md); KDE users have KWallet instead, so it is only a suggestion.
RECOMMENDS=(libwayland-cursor0)
SUGGESTS=("gnome-keyring | kwalletmanager")

build_bundle=1
build_deb=1
for arg in "$@"; do
    case "$arg" in
        --bundle-only) build_deb=0 ;;
        --deb-only) build_bundle=0 ;;
        -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
        *) echo "build-linux: unknown option: $arg (see --help)" >&2; exit 2 ;;
    esac
done

log() { echo "build-linux: $*"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
seconds_since() { local ms=$(( $(now_ms) - $1 )); printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100)); }
die() { echo "build-linux: $*" >&2; exit 1; }

ensure_build_venv() {
    if [ ! -x "$VENV/bin/python" ]; then
        EXTRAS=build
        ensure_venv
    fi
    if ! "$VENV/bin/python" -c "import PyInstaller" 2>/dev/null; then
        log "installing the build extra (PyInstaller) into $VENV"
        # Its requirements only: the project's own install is left alone (./test builds beside
        # running tests, whose subprocesses import it).
        local wanted
        wanted=$("$VENV/bin/python" -c 'import sys, tomllib
print("\n".join(tomllib.load(open(sys.argv[1], "rb"))["project"]["optional-dependencies"]["build"]))' \
            "$ROOT/pyproject.toml")
        # shellcheck disable=SC2086
        "$VENV/bin/python" -m pip install -q $wanted
    fi
}

package_version() {
    # The package's own version, checked against pyproject.toml so the two cannot drift.
    "$VENV/bin/python" - "$ROOT/pyproject.toml" <<'PY'
import sys, tomllib
import recepcja
declared = tomllib.load(open(sys.argv[1], "rb"))["project"]["version"]
if declared != recepcja.__version__:
    sys.exit(f"build-linux: pyproject.toml says {declared}, recepcja.__version__ says "
             f"{recepcja.__version__}")
print(declared)
PY
}

debian_version() {
    # PEP 440 pre-releases sort before the release in Debian only with a tilde: 1.0rc1 -> 1.0~rc1.
    echo "$1" | sed -E 's/[.-]?(a|b|rc|dev)([0-9]*)$/~\1\2/'
}

ensure_build_venv
VERSION="$(package_version)"
[ -f "$ROOT/resources/icons/recepcja.png" ] || die "resources/icons/recepcja.png is missing (run installer/render_icons.py)"

if [ "$build_bundle" = 1 ]; then
    log "building the bundle $VERSION with PyInstaller into $DIST/recepcja"
    start=$(now_ms)
    "$VENV/bin/pyinstaller" --noconfirm --log-level WARN \
        --distpath "$DIST" --workpath "$WORK/pyinstaller" "$ROOT/installer/recepcja.spec"
    log "bundle built in $(seconds_since "$start") s," \
        "$(du -sm "$DIST/recepcja" | cut -f1) MB"
    reported="$("$DIST/recepcja/recepcja" --version)"
    [ "$reported" = "recepcja $VERSION" ] || die "the bundle reports '$reported', expected 'recepcja $VERSION'"
fi

if [ "$build_deb" = 1 ]; then
    command -v dpkg-deb >/dev/null || die "dpkg-deb not found (apt-get install dpkg)"
    [ -x "$DIST/recepcja/recepcja" ] || die "no bundle in $DIST/recepcja (build it first)"
    ARCH="$(dpkg --print-architecture)"
    DEB_VERSION="$(debian_version "$VERSION")"
    STAGE="$WORK/deb/recepcja_${DEB_VERSION}_${ARCH}"
    DEB="$DIST/recepcja_${DEB_VERSION}_${ARCH}.deb"
    log "staging the .deb in $STAGE"
    rm -rf "$STAGE"
    mkdir -p "$STAGE/DEBIAN" "$STAGE/opt" "$STAGE/usr/bin" "$STAGE/usr/share/applications" \
        "$STAGE/usr/share/icons/hicolor/256x256/apps" "$STAGE/usr/share/icons/hicolor/scalable/apps" \
        "$STAGE/usr/share/doc/recepcja"
    cp -a "$DIST/recepcja" "$STAGE/opt/recepcja"
    # The bootloader finds its _internal folder through /proc/self/exe, so a symlink is enough.
    ln -s /opt/recepcja/recepcja "$STAGE/usr/bin/recepcja"
    install -m 0644 "$ROOT/installer/recepcja.desktop" "$STAGE/usr/share/applications/recepcja.desktop"
    install -m 0644 "$ROOT/resources/icons/recepcja.png" "$STAGE/usr/share/icons/hicolor/256x256/apps/recepcja.png"
    install -m 0644 "$ROOT/resources/icons/recepcja.svg" "$STAGE/usr/share/icons/hicolor/scalable/apps/recepcja.svg"
    for doc in ADMIN.md ADMIN.pl.md CLI.md; do
        [ -f "$ROOT/docs/$doc" ] && install -m 0644 "$ROOT/docs/$doc" "$STAGE/usr/share/doc/recepcja/$doc"
    done
    printf 'Recepcja %s\nLicense: Proprietary. Bundled third-party components keep their own licences\n(see /opt/recepcja/_internal/*.dist-info).\n' \
        "$VERSION" > "$STAGE/usr/share/doc/recepcja/copyright"
    chmod -R u+rwX,go+rX,go-w "$STAGE"
    join() { local IFS=','; local list="$*"; echo "${list//,/, }"; }
    cat > "$STAGE/DEBIAN/control" <<EOF
Package: recepcja
Version: $DEB_VERSION
Architecture: $ARCH
Maintainer: $MAINTAINER
Installed-Size: $(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)
Depends: $(join "${DEPENDS[@]}")
Recommends: $(join "${RECOMMENDS[@]}")
Suggests: $(join "${SUGGESTS[@]}")
Section: misc
Priority: optional
Description: front-desk scheduling for Polish clinics on CeR
 Recepcja keeps a practice's schedule, books visits through CeR (Centralna
 e-Rejestracja) and keeps the desk working in an emergency mode when CeR is
 unreachable, replaying the queue when it returns. Includes a CeR simulator
 for training (recepcja --training).
EOF
    start=$(now_ms)
    rm -f "$DEB"
    dpkg-deb --root-owner-group -Z"$COMPRESSION" --build "$STAGE" "$DEB" >/dev/null
    log "package $DEB ($(du -m "$DEB" | cut -f1) MB, $COMPRESSION) built in" \
        "$(seconds_since "$start") s"
fi
