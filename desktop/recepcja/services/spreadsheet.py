"""Writing and reading the desk's Excel files (queue, call list, outage evidence).

One look for every sheet: Polish headers in bold, the header row frozen, an auto-filter over the
data, column widths that fit the longest value, typed cells (dates as dates, numbers as
numbers). Sheets are written as SpreadsheetML text (see ``_sheet_xml``: openpyxl's cell objects
cost ~1.5 s for 10,000 rows); files are read back with openpyxl.

Optional password protection is real encryption (ECMA-376 agile, msoffcrypto-tool): Excel and
LibreOffice ask for the password on opening.

Every text cell is written so that no spreadsheet program evaluates it, also after a "Save as
CSV" (``domain.cell_text``); the file is private to the desk's user and written atomically, never
over an existing file unless the caller confirmed it (``config.private_files``).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from recepcja.config.private_files import check_target, write_file
from recepcja.domain.cell_text import neutralise
from recepcja.domain.errors import N_, ValidationError
from recepcja.domain.model import WARSAW

MAX_WIDTH = 50


def excel_time(moment: dt.datetime | None) -> dt.datetime | None:
    """Excel has no time zones: the practice's wall-clock time (Europe/Warsaw), naive."""
    if moment is None:
        return None
    return moment.astimezone(WARSAW).replace(tzinfo=None, microsecond=0)


def write_workbook(
    path: Path,
    sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]],
    *,
    password: str | None = None,
    overwrite: bool = False,
) -> int:
    """Write ``(title, headers, rows)`` sheets to ``path`` (atomically: temp file + rename;
    private; an existing file only with ``overwrite``); returns the number of data rows
    written. With ``password`` the file is encrypted.

    Cells: ``str`` as text, ``int``/``float`` as numbers, ``datetime``/``date`` as dates in the
    ``yyyy-mm-dd hh:mm`` / ``yyyy-mm-dd`` formats, ``None`` as an empty cell."""
    target = check_target(path, overwrite=overwrite)  # before the work, and nothing written
    total = 0
    parts: list[tuple[str, bytes]] = []
    titles = []
    for number, (title, headers, rows) in enumerate(sheets, 1):
        materialised = [list(row) for row in rows]
        total += len(materialised)
        titles.append(title[:31])
        parts.append((f"xl/worksheets/sheet{number}.xml",
                      _sheet_xml(headers, materialised).encode("utf-8")))
    data = _package(titles, parts)
    if password:
        data = encrypt(data, password)
    write_file(target, data, overwrite=overwrite, checked=True)
    return total


# --- a minimal SpreadsheetML writer -----------------------------------------------------------
# openpyxl spends ~1.5 s on 10,000 rows x 21 columns (a cell object per value); the queue
# export must take well under that, so sheets are written as XML text directly. The package is
# the smallest one Excel, LibreOffice and openpyxl open without complaint: inline strings, one
# style sheet (bold header, date and date-time formats), frozen header, auto-filter, widths.

_STYLE_BOLD, _STYLE_DATETIME, _STYLE_DATE = 1, 2, 3
_MIN_ENCRYPTED_SIZE = 8192
_EPOCH = dt.datetime(1899, 12, 30)
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"


def _column(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        name = chr(65 + remainder) + name
    return name


def _text(value: str) -> str:
    return escape(_ILLEGAL_XML.sub("", value))


def _cell(ref: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    if isinstance(value, dt.datetime):
        serial = (value.replace(tzinfo=None) - _EPOCH).total_seconds() / 86400
        return f'<c r="{ref}" s="{_STYLE_DATETIME}"><v>{serial:.10f}</v></c>'
    if isinstance(value, dt.date):
        serial = (dt.datetime.combine(value, dt.time()) - _EPOCH).days
        return f'<c r="{ref}" s="{_STYLE_DATE}"><v>{serial}</v></c>'
    text = neutralise(str(value))
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c r="{ref}" t="inlineStr"><is><t{space}>{_text(text)}</t></is></c>'


def _sheet_xml(headers: Sequence[str], rows: list[list[Any]]) -> str:
    columns = [_column(index) for index in range(len(headers))]
    widths = [len(str(header)) for header in headers]
    for row in rows:
        for index, value in enumerate(row):
            width = _width(value)
            widths[index] = max(widths[index], width)
    last = columns[-1] if columns else "A"
    out = [
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_NS}" '
        f'xmlns:r="{_REL_NS}"><dimension ref="A1:{last}{len(rows) + 1}"/>'
        '<sheetViews><sheetView tabSelected="1" workbookViewId="0"><pane ySplit="1" '
        'topLeftCell="A2" activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft"'
        ' activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15"/><cols>',
    ]
    out.extend(
        f'<col min="{i}" max="{i}" width="{min(MAX_WIDTH, width + 2)}" customWidth="1"/>'
        for i, width in enumerate(widths, 1)
    )
    out.append("</cols><sheetData><row r=\"1\">")
    out.extend(
        f'<c r="{column}1" t="inlineStr" s="{_STYLE_BOLD}"><is><t>{_text(str(header))}</t></is>'
        "</c>"
        for column, header in zip(columns, headers, strict=True)
    )
    out.append("</row>")
    for number, row in enumerate(rows, 2):
        suffix = str(number)
        out.append(f'<row r="{suffix}">')
        out.extend(_cell(column + suffix, value)
                   for column, value in zip(columns, row, strict=False))
        out.append("</row>")
    out.append(f'</sheetData><autoFilter ref="A1:{last}{len(rows) + 1}"/>'
               '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
               'footer="0.3"/></worksheet>')
    return "".join(out)


_STYLES = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{_NS}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    '</cellStyleXfs><cellXfs count="4">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    "</cellStyles></styleSheet>"
)


def _package(titles: list[str], sheets: list[tuple[str, bytes]]) -> bytes:
    import zipfile

    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    overrides = "".join(
        f'<Override PartName="/{name}" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.worksheet+xml"/>' for name, _ in sheets
    )
    content_types = (
        head + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        + overrides + "</Types>"
    )
    root_rels = (
        head + f'<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" Type="{_REL_NS}/'
        'officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    sheet_entries = "".join(
        f'<sheet name="{_text(title)}" sheetId="{i}" r:id="rId{i}"/>'
        for i, title in enumerate(titles, 1)
    )
    workbook = (
        head + f'<workbook xmlns="{_NS}" xmlns:r="{_REL_NS}"><bookViews><workbookView/>'
        f"</bookViews><sheets>{sheet_entries}</sheets></workbook>"
    )
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="{_REL_NS}/worksheet" '
        f'Target="worksheets/sheet{i}.xml"/>' for i in range(1, len(sheets) + 1)
    )
    workbook_rels = (
        head + f'<Relationships xmlns="{_PKG_REL}">{rels}<Relationship '
        f'Id="rId{len(sheets) + 1}" Type="{_REL_NS}/styles" Target="styles.xml"/>'
        "</Relationships>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", root_rels)
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", workbook_rels)
        archive.writestr("xl/styles.xml", _STYLES)
        for name, data in sheets:
            archive.writestr(name, data)
    return buffer.getvalue()


def read_rows(path: Path, *, password: str | None = None) -> tuple[list[str], list[list[Any]]]:
    """Headers and rows of the first sheet (decrypting with ``password`` if the file is
    encrypted). Raises ValidationError when the file is not a readable, safe workbook."""
    from openpyxl import load_workbook

    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise ValidationError(N_("Cannot read the file {path}: {error}"), path=str(path),
                              error=error.strerror or str(error)) from None
    if _is_encrypted(data):
        if not password:
            raise ValidationError(N_("The file is password-protected and no password is "
                                     "stored in the keyring."))
        data = decrypt(data, password)
    refuse_unsafe_workbook(data, path)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            rows = [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
        finally:
            workbook.close()
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise ValidationError(N_("The file {path} is not an Excel workbook (.xlsx)."),
                              path=str(path)) from None
    if not rows:
        return [], []
    headers = [str(value).strip() if value is not None else "" for value in rows[0]]
    return headers, rows[1:]


# Excel never writes a document type declaration; one in a workbook is an attack on the XML
# parser (external entities, entity expansion), refused before openpyxl sees the file.
_DTD_MARKERS = tuple(marker.encode(encoding) for marker in ("<!DOCTYPE", "<!ENTITY")
                     for encoding in ("ascii", "utf-16-le", "utf-16-be"))
MAX_UNPACKED_BYTES = 256 * 1024 * 1024


def refuse_unsafe_workbook(data: bytes, path: Path | str) -> None:
    """ValidationError for a workbook whose XML declares a DTD or that unpacks to more than
    ``MAX_UNPACKED_BYTES`` (a zip bomb); a file that is no ZIP at all is not a workbook."""
    import zipfile

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise ValidationError(N_("The file {path} is not an Excel workbook (.xlsx)."),
                              path=str(path)) from None
    with archive:
        members = archive.infolist()
        if sum(member.file_size for member in members) > MAX_UNPACKED_BYTES:
            raise ValidationError(N_("The file {path} unpacks to more than {limit} MB; it is "
                                     "refused."), path=str(path),
                                  limit=MAX_UNPACKED_BYTES // (1024 * 1024))
        for member in members:
            try:
                content = archive.read(member)
            except Exception:  # a damaged member: not a workbook
                raise ValidationError(N_("The file {path} is not an Excel workbook (.xlsx)."),
                                      path=str(path)) from None
            if any(marker in content for marker in _DTD_MARKERS):
                raise ValidationError(
                    N_("The file {path} contains an XML document type declaration (DTD), "
                       "which Excel never writes; it is refused as unsafe."), path=str(path))


def encrypt(data: bytes, password: str) -> bytes:
    from msoffcrypto.format.ooxml import OOXMLFile

    if len(data) < _MIN_ENCRYPTED_SIZE:
        # msoffcrypto-tool writes a package under 4 KiB into the OLE mini stream, which it
        # then cannot read back (nor can Excel); a ZIP comment pads it to a safe size.
        import zipfile

        padded = io.BytesIO(data)
        with zipfile.ZipFile(padded, "a") as archive:
            archive.comment = b" " * (_MIN_ENCRYPTED_SIZE - len(data) + 64)
        data = padded.getvalue()
    source = io.BytesIO(data)
    out = io.BytesIO()
    OOXMLFile(source).encrypt(password, out)
    return out.getvalue()


def decrypt(data: bytes, password: str) -> bytes:
    import msoffcrypto

    office = msoffcrypto.OfficeFile(io.BytesIO(data))
    try:
        office.load_key(password=password)
        out = io.BytesIO()
        office.decrypt(out)
    except Exception:  # msoffcrypto: InvalidKeyError, DecryptionError...
        raise ValidationError(N_("The file cannot be decrypted with the stored password."))\
            from None
    return out.getvalue()


def _is_encrypted(data: bytes) -> bool:
    # An encrypted OOXML file is an OLE compound file, a plain one a ZIP archive.
    return data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _width(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, dt.datetime):
        return 16
    if isinstance(value, dt.date):
        return 10
    return len(str(value))
