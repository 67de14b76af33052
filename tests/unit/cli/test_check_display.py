"""``recepcja`` without a command checks for a display before Qt could abort the process."""

from __future__ import annotations

from pathlib import Path

import pytest

from recepcja.cli.commands.gui import NoDisplay, check_display


@pytest.mark.parametrize("env", [
    {"DISPLAY": ":0"},
    {"WAYLAND_DISPLAY": "wayland-1"},
    {"QT_QPA_PLATFORM": "offscreen"},
    {"QT_QPA_PLATFORM": "xcb", "DISPLAY": ":0"},
    {"QT_QPA_PLATFORM": "wayland", "WAYLAND_DISPLAY": "wayland-1"},
    {"QT_QPA_PLATFORM": "wayland;xcb", "DISPLAY": ":0"},  # Qt falls back to xcb
    {"QT_QPA_PLATFORM": "xcb;offscreen"},
    {"QT_QPA_PLATFORM": "vnc:size=800x600"},
])
def test_a_platform_that_can_show_the_window_passes(env):
    check_display(env, platform="linux")


@pytest.mark.parametrize(("env", "variables"), [
    ({"QT_QPA_PLATFORM": "xcb"}, "DISPLAY"),
    ({"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "wayland-0"}, "DISPLAY"),
    ({"QT_QPA_PLATFORM": "wayland"}, "WAYLAND_DISPLAY"),
    ({"QT_QPA_PLATFORM": "wayland;xcb"}, "DISPLAY / WAYLAND_DISPLAY"),
])
def test_a_display_platform_without_its_display_is_refused(env, variables):
    with pytest.raises(NoDisplay) as raised:
        check_display(env, platform="linux")
    assert raised.value.params == {"platform": env["QT_QPA_PLATFORM"], "variables": variables}


def test_wayland_finds_its_default_socket_without_wayland_display(tmp_path: Path):
    (tmp_path / "wayland-0").touch()
    check_display({"QT_QPA_PLATFORM": "wayland", "XDG_RUNTIME_DIR": str(tmp_path)},
                  platform="linux")


def test_no_platform_and_no_display_is_refused_on_linux_only():
    with pytest.raises(NoDisplay):
        check_display({}, platform="linux")
    check_display({}, platform="win32")
    check_display({"QT_QPA_PLATFORM": "xcb"}, platform="darwin")
