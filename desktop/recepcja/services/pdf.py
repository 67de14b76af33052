"""A small PDF table writer for evidence printouts (the outage log), without Qt.

Polish text needs a font with Polish letters, embedded: the PDF standard fonts cannot show
"ą" or "ł" reliably. This module embeds a TrueType font found on the system (DejaVu Sans,
Liberation Sans, Arial: every desktop OS has one of them) as a CID font (Identity-H) with a
ToUnicode map, so text prints correctly and can be searched and copied. Pages are A4 landscape;
a table continues on as many pages as it needs, its header repeated.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from recepcja.config.private_files import check_target, write_file
from recepcja.domain.errors import N_, DomainError

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
    "C:/Windows/Fonts/arial.ttf",
    "/Library/Fonts/Arial.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
)
PAGE_WIDTH, PAGE_HEIGHT = 842.0, 595.0  # A4 landscape, points
MARGIN = 36.0


class NoPdfFont(DomainError):
    """No TrueType font with Polish letters was found for the PDF."""


def find_font() -> Path:
    for candidate in FONT_CANDIDATES:
        path = Path(candidate)
        if path.is_file():
            return path
    raise NoPdfFont(N_("No TrueType font for the PDF was found (DejaVu Sans, Liberation Sans "
                       "or Arial); export to .xlsx instead."))


@dataclass
class TrueTypeFont:
    """What the PDF needs from a TrueType file: glyph ids, advance widths, metrics."""

    data: bytes
    units_per_em: int
    bbox: tuple[int, int, int, int]
    ascent: int
    descent: int
    cap_height: int
    advances: list[int]
    cmap: dict[int, int]
    used: dict[int, int] = field(default_factory=dict)  # glyph id -> code point

    @classmethod
    def load(cls, path: Path) -> TrueTypeFont:
        data = path.read_bytes()
        tables = {}
        (count,) = struct.unpack(">H", data[4:6])
        for index in range(count):
            tag, _checksum, offset, length = struct.unpack(
                ">4sIII", data[12 + 16 * index: 28 + 16 * index])
            tables[tag.decode("latin-1")] = (offset, length)
        head = tables["head"][0]
        units_per_em = struct.unpack(">H", data[head + 18: head + 20])[0]
        bbox = struct.unpack(">hhhh", data[head + 36: head + 44])
        hhea = tables["hhea"][0]
        ascent, descent = struct.unpack(">hh", data[hhea + 4: hhea + 8])
        (metrics,) = struct.unpack(">H", data[hhea + 34: hhea + 36])
        hmtx = tables["hmtx"][0]
        advances = [struct.unpack(">H", data[hmtx + 4 * i: hmtx + 4 * i + 2])[0]
                    for i in range(metrics)]
        cap_height = ascent
        if "OS/2" in tables:
            os2, length = tables["OS/2"]
            if length >= 90:
                cap_height = struct.unpack(">h", data[os2 + 88: os2 + 90])[0]
        return cls(data, units_per_em, bbox, ascent, descent, cap_height, advances,
                   _cmap(data, tables["cmap"][0]))

    def glyph(self, char: str) -> int:
        gid = self.cmap.get(ord(char), 0)
        self.used.setdefault(gid, ord(char))
        return gid

    def advance(self, gid: int) -> float:
        value = self.advances[gid] if gid < len(self.advances) else self.advances[-1]
        return value * 1000 / self.units_per_em

    def width(self, text: str, size: float) -> float:
        return sum(self.advance(self.cmap.get(ord(c), 0)) for c in text) * size / 1000

    def encode(self, text: str) -> str:
        return "".join(f"{self.glyph(char):04X}" for char in text)


def _cmap(data: bytes, offset: int) -> dict[int, int]:
    """Unicode BMP -> glyph id from the (3, 1) format-4 subtable."""
    (count,) = struct.unpack(">H", data[offset + 2: offset + 4])
    for index in range(count):
        platform, encoding, sub = struct.unpack(
            ">HHI", data[offset + 4 + 8 * index: offset + 12 + 8 * index])
        if platform == 3 and encoding == 1:
            start = offset + sub
            if struct.unpack(">H", data[start: start + 2])[0] == 4:
                return _format4(data, start)
    raise NoPdfFont(N_("No TrueType font for the PDF was found (DejaVu Sans, Liberation Sans "
                       "or Arial); export to .xlsx instead."))


def _format4(data: bytes, start: int) -> dict[int, int]:
    (segments,) = struct.unpack(">H", data[start + 6: start + 8])
    segments //= 2
    ends_at = start + 14
    starts_at = ends_at + 2 * segments + 2
    deltas_at = starts_at + 2 * segments
    ranges_at = deltas_at + 2 * segments
    mapping: dict[int, int] = {}
    for i in range(segments):
        end = struct.unpack(">H", data[ends_at + 2 * i: ends_at + 2 * i + 2])[0]
        first = struct.unpack(">H", data[starts_at + 2 * i: starts_at + 2 * i + 2])[0]
        delta = struct.unpack(">h", data[deltas_at + 2 * i: deltas_at + 2 * i + 2])[0]
        range_offset = struct.unpack(">H", data[ranges_at + 2 * i: ranges_at + 2 * i + 2])[0]
        if first == 0xFFFF:
            continue
        for code in range(first, end + 1):
            if range_offset == 0:
                gid = (code + delta) & 0xFFFF
            else:
                where = ranges_at + 2 * i + range_offset + 2 * (code - first)
                gid = struct.unpack(">H", data[where: where + 2])[0]
                if gid:
                    gid = (gid + delta) & 0xFFFF
            if gid:
                mapping[code] = gid
    return mapping


@dataclass(frozen=True, slots=True)
class Table:
    """One table of a PDF: it starts on a new page; ``widths`` are column shares."""

    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[str]]
    widths: Sequence[float]


def write_pdf(path: Path, *, subtitle: str, tables: Sequence[Table],
              font_path: Path | None = None, size: float = 8.0, overwrite: bool = False) -> int:
    """Tables as PDF, each from a new page, texts cut to fit their column. Returns the number
    of pages. Raises ``NoPdfFont`` when no usable font is installed. The file is private and
    written atomically; an existing one is replaced only with ``overwrite``."""
    target = check_target(path, overwrite=overwrite)
    font = TrueTypeFont.load(font_path or find_font())
    usable = PAGE_WIDTH - 2 * MARGIN
    line = size * 1.5
    pages: list[str] = []
    body: list[str] = []

    def text(x: float, y: float, value: str, font_size: float) -> None:
        body.append(f"BT /F1 {font_size:.1f} Tf {x:.2f} {y:.2f} Td <{font.encode(value)}> Tj ET")

    def new_page(table: Table, columns: list[float]) -> float:
        if body:
            pages.append("\n".join(body))
            body.clear()
        top = PAGE_HEIGHT - MARGIN
        text(MARGIN, top - 14, table.title, 14)
        text(MARGIN, top - 30, subtitle, 9)
        text(PAGE_WIDTH - MARGIN - 30, MARGIN - 20, str(len(pages) + 1), 8)
        y = top - 52
        x = MARGIN
        for header, width in zip(table.headers, columns, strict=True):
            text(x + 2, y, _fit(font, header, width - 4, size), size)
            x += width
        body.append(f"{MARGIN:.2f} {y - 4:.2f} m {PAGE_WIDTH - MARGIN:.2f} {y - 4:.2f} l S")
        return y - line

    for table in tables:
        scale = usable / sum(table.widths)
        columns = [w * scale for w in table.widths]
        y = new_page(table, columns)
        for row in table.rows:
            if y < MARGIN:
                y = new_page(table, columns)
            x = MARGIN
            for value, width in zip(row, columns, strict=False):
                text(x + 2, y, _fit(font, "" if value is None else str(value), width - 4, size),
                     size)
                x += width
            y -= line
    pages.append("\n".join(body))
    write_file(target, _document(font, pages), overwrite=overwrite, checked=True)
    return len(pages)


def _fit(font: TrueTypeFont, value: str, width: float, size: float) -> str:
    text = " ".join(str(value).split())
    if font.width(text, size) <= width:
        return text
    while text and font.width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def _document(font: TrueTypeFont, pages: list[str]) -> bytes:
    objects: list[bytes] = []

    def add(content: bytes) -> int:
        objects.append(content)
        return len(objects)

    def stream(data: bytes, extra: str = "") -> bytes:
        packed = zlib.compress(data, 6)
        return (f"<< /Length {len(packed)} /Filter /FlateDecode {extra}>>\nstream\n".encode()
                + packed + b"\nendstream")

    catalog = add(b"")  # filled in below
    pages_id = add(b"")
    font_file = add(stream(font.data, f"/Length1 {len(font.data)} "))
    scale = 1000 / font.units_per_em
    bbox = " ".join(str(round(v * scale)) for v in font.bbox)
    descriptor = add((
        f"<< /Type /FontDescriptor /FontName /RecepcjaSans /Flags 32 /FontBBox [{bbox}] "
        f"/ItalicAngle 0 /Ascent {round(font.ascent * scale)} "
        f"/Descent {round(font.descent * scale)} /CapHeight {round(font.cap_height * scale)} "
        f"/StemV 80 /FontFile2 {font_file} 0 R >>").encode())
    page_ids = []
    content_ids = [add(stream(page.encode("latin-1"))) for page in pages]
    used = sorted(font.used)
    widths = " ".join(f"{gid} [{round(font.advance(gid))}]" for gid in used)
    cid_font = add((
        "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /RecepcjaSans "
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
        f"/FontDescriptor {descriptor} 0 R /CIDToGIDMap /Identity /W [{widths}] >>").encode())
    to_unicode = add(stream(_to_unicode(font.used).encode("ascii")))
    font_id = add((
        "<< /Type /Font /Subtype /Type0 /BaseFont /RecepcjaSans /Encoding /Identity-H "
        f"/DescendantFonts [{cid_font} 0 R] /ToUnicode {to_unicode} 0 R >>").encode())
    for content in content_ids:
        page_ids.append(add((
            f"<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] "
            f"/Resources << /Font << /F1 {font_id} 0 R >> >> /Contents {content} 0 R >>"
        ).encode()))
    objects[catalog - 1] = f"<< /Type /Catalog /Pages {pages_id} 0 R >>".encode()
    kids = " ".join(f"{page} 0 R" for page in page_ids)
    objects[pages_id - 1] = f"<< /Type /Pages /Kids [{kids}] /Count {len(page_ids)} >>".encode()
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root {catalog} 0 R >>\n"
            f"startxref\n{xref}\n%%EOF\n").encode()
    return bytes(out)


def _to_unicode(used: dict[int, int]) -> str:
    lines = ["/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap",
             "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
             "/CMapName /Adobe-Identity-UCS def", "/CMapType 2 def",
             "1 begincodespacerange", "<0000> <FFFF>", "endcodespacerange"]
    items = sorted(used.items())
    for start in range(0, len(items), 100):
        block = items[start:start + 100]
        lines.append(f"{len(block)} beginbfchar")
        lines.extend(f"<{gid:04X}> <{code:04X}>" for gid, code in block)
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines)
