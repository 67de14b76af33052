# Shared set-up for ./run and ./test: system libraries Qt needs, then .venv with the project.
# Sourced, not executed. Uses: EXTRAS ("" or "test").
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

# What offscreen Qt (PySide6-Essentials) needs on a bare Debian 12, plus a font so glyphs are not boxes.
QT_SYSTEM_PACKAGES=(libglib2.0-0 libegl1 libgl1 libx11-6 libdbus-1-3 libfontconfig1 libxkbcommon0 fonts-dejavu-core)
# What Qt's xcb platform plugin (a window on an X11 or XWayland desktop) needs on top of those:
# the packages of what `ldd .venv/.../PySide6/Qt/plugins/platforms/libqxcb.so` resolves.
QT_XCB_PACKAGES=(libx11-xcb1 libxkbcommon-x11-0 libxcb1 libxcb-cursor0 libxcb-icccm4 libxcb-image0
    libxcb-keysyms1 libxcb-randr0 libxcb-render0 libxcb-render-util0 libxcb-shape0 libxcb-shm0
    libxcb-sync1 libxcb-util1 libxcb-xfixes0 libxcb-xkb1)
# ./test also starts the window on the xcb platform under a virtual X server (tests/e2e), and a
# throwaway PostgreSQL 15 cluster for the practice-database tests (tools/pg_cluster.py).
TEST_SYSTEM_PACKAGES=(xvfb xauth "${QT_XCB_PACKAGES[@]}" postgresql)

missing_packages() {
    local pkg
    for pkg in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
            echo "$pkg"
        fi
    done
}

ensure_system_packages() {
    command -v dpkg-query >/dev/null 2>&1 || return 0   # not Debian: nothing we can check
    local missing
    missing=$(missing_packages "$@" | tr '\n' ' ')
    [ -z "${missing// /}" ] && return 0
    if [ "$(id -u)" = "0" ]; then
        echo "bootstrap: installing system packages: $missing"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        # shellcheck disable=SC2086
        apt-get install -y -qq --no-install-recommends $missing
    else
        echo "bootstrap: missing system packages. Run as root:" >&2
        echo "  apt-get install -y --no-install-recommends $missing" >&2
        exit 1
    fi
}

has_display() {
    [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]
}

# ./run: the offscreen set always; with a display, also what the window needs to show on it.
ensure_run_packages() {
    local platform="${QT_QPA_PLATFORM:-}"
    if [[ "$platform" == *xcb* ]] || { [ -z "$platform" ] && has_display; }; then
        ensure_system_packages "${QT_SYSTEM_PACKAGES[@]}" "${QT_XCB_PACKAGES[@]}"
    else
        ensure_system_packages "${QT_SYSTEM_PACKAGES[@]}"
    fi
}

ensure_venv() {
    local py="${PYTHON:-python3}"
    if ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        echo "bootstrap: Python 3.11 or newer is required (found: $("$py" --version 2>&1))" >&2
        exit 1
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        echo "bootstrap: creating $VENV"
        "$py" -m venv "$VENV" || {
            echo "bootstrap: 'python3 -m venv' failed; on Debian run: apt-get install -y python3-venv" >&2
            exit 1
        }
    fi
    local spec="$ROOT"
    [ -n "${EXTRAS:-}" ] && spec="$ROOT[$EXTRAS]"
    # Re-install only when pyproject.toml changed since the last successful install.
    local stamp="$VENV/.recepcja-installed-${EXTRAS:-base}" other
    if [ -z "${EXTRAS:-}" ]; then
        # An install with extras (./test's) installed the project too: ./run needs nothing more.
        for other in "$VENV"/.recepcja-installed-*; do
            if [ -f "$other" ] && [ ! "$ROOT/pyproject.toml" -nt "$other" ]; then
                stamp="$other"
                break
            fi
        done
    fi
    if [ ! -f "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ]; then
        echo "bootstrap: installing the project into .venv (${EXTRAS:-base})"
        "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null 2>&1 || true
        "$VENV/bin/python" -m pip install -q -e "$spec"
        touch "$stamp"
    fi
}
