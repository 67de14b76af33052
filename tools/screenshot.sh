#!/usr/bin/env bash
# Screenshots of the window in training mode (the example practice, onboarded into the embedded
# simulator) under Xvfb on a 1366x768 screen: the day view (docs/screenshots/main-window.png, or
# $1), the week view (week.png) and the patient card (patient-card.png) beside it.
#
# The app grabs its own window once it is exposed (RECEPCJA_SCREENSHOT, see gui/app.py), so the
# shot is never black. Needs xvfb, xauth and the xcb platform's libraries: TEST_SYSTEM_PACKAGES in
# tools/bootstrap.sh, which ./test installs (as root) or names in the apt-get line it prints.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/docs/screenshots/main-window.png}"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
command -v xvfb-run >/dev/null || { echo "xvfb-run is missing (apt-get install xvfb xauth)" >&2; exit 2; }
HOME_DIR="$(mktemp -d)"
trap 'rm -rf "$HOME_DIR"' EXIT
mkdir -p "$(dirname "$OUT")"
shoot() {  # VIEW FILE
  RECEPCJA_HOME="$HOME_DIR" RECEPCJA_SCREENSHOT="$2" RECEPCJA_SCREENSHOT_VIEW="$1" \
    RECEPCJA_LANG=pl QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1366x768x24" \
    "$PYTHON" "$ROOT/tools/screenshot_app.py"
  test -s "$2" && echo "wrote $2"
}
shoot day "$OUT"
shoot week "$(dirname "$OUT")/week.png"
shoot card "$(dirname "$OUT")/patient-card.png"
