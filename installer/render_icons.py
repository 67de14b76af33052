"""Render the app icon (resources/icons/recepcja.svg) into the raster files installers need.

Why a script and not a hand export: the SVG is the one source; the PNG (desktop entry, hicolor
theme) and the ICO (Windows executable, Inno Setup) are regenerated from it whenever it changes,
with the Qt SVG renderer the app already ships, so no extra tool (Inkscape, ImageMagick) is needed.

Usage: .venv/bin/python installer/render_icons.py   (then commit the changed PNG and ICO)
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"
SVG = ICONS / "recepcja.svg"
PNG = ICONS / "recepcja.png"
ICO = ICONS / "recepcja.ico"
PNG_SIZE = 256
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def render_png(renderer: QSvgRenderer, size: int) -> bytes:
    """The SVG drawn at ``size`` x ``size`` on a transparent background, as PNG bytes."""
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise RuntimeError(f"could not encode a {size}px PNG")
    buffer.close()
    return bytes(data.data())


def build_ico(images: dict[int, bytes]) -> bytes:
    """An ICO holding one PNG per size (the PNG-in-ICO form every Windows since Vista reads)."""
    header = struct.pack("<HHH", 0, 1, len(images))
    entries = b""
    payload = b""
    offset = 6 + 16 * len(images)
    for size, png in sorted(images.items()):
        dim = 0 if size >= 256 else size  # 0 means 256 in an ICO directory entry
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(png), offset + len(payload))
        payload += png
    return header + entries + payload


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description="Render recepcja.svg to PNG and ICO.").parse_args(argv)
    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        print(f"render_icons: {SVG} is not a valid SVG", file=sys.stderr)
        return 1
    png = render_png(renderer, PNG_SIZE)
    ico = build_ico({size: render_png(renderer, size) for size in ICO_SIZES})
    PNG.write_bytes(png)
    ICO.write_bytes(ico)
    print(f"render_icons: wrote {PNG.name} ({len(png)} B) and {ICO.name} ({len(ico)} B)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
