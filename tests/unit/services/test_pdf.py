"""The evidence PDF: an embedded TrueType font with a ToUnicode map, so Polish text prints and
can be searched; tables flow over pages."""

from __future__ import annotations

import re
import shutil
import subprocess
import zlib

import pytest

from recepcja.services.pdf import NoPdfFont, Table, find_font, write_pdf


def data_pages(path):
    return len(re.findall(rb"/Type /Page\b", path.read_bytes()))


@pytest.fixture
def font():
    try:
        return find_font()
    except NoPdfFont:
        pytest.skip("no TrueType font with Polish letters installed (DejaVu/Liberation/Arial)")


def test_polish_table_over_several_pages(font, tmp_path):
    rows = [[str(i), "Zażółć gęślą jaźń", "ŁÓDŹ — Śródmieście"] for i in range(120)]
    path = tmp_path / "dowod.pdf"
    pages = write_pdf(path, subtitle="Przychodnia", tables=[
        Table("Przerwy", ("Lp.", "Błąd", "Miejsce"), rows, (1, 4, 4)),
        Table("Kolejka", ("Lp.",), [["1"]], (1,)),
    ], font_path=font)
    assert pages >= 4  # 120 rows need several pages; the second table starts a new one
    assert data_pages(path) == pages
    data = path.read_bytes()
    assert data.startswith(b"%PDF-1.7") and data.rstrip().endswith(b"%%EOF")
    assert b"/Subtype /CIDFontType2" in data and b"/FontFile2" in data
    streams = [zlib.decompress(m.group(1)) for m in re.finditer(
        rb"stream\n(.*?)\nendstream", data, re.S)]
    cmap = next(s for s in streams if b"beginbfchar" in s).decode()
    for letter in "żółćęśąźŁÓŹŚ":
        assert f"<{ord(letter):04X}>" in cmap
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True,
                              text=True).stdout
        assert "Zażółć gęślą jaźń" in text and "ŁÓDŹ" in text


def test_long_text_is_cut_to_its_column(font, tmp_path):
    write_pdf(tmp_path / "x.pdf", subtitle="", tables=[
        Table("T", ("a", "b"), [["x" * 500, "y"]], (1, 1))], font_path=font)
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(tmp_path / "x.pdf"), "-"], check=True,
                              capture_output=True, text=True).stdout
        assert "…" in text and "x" * 500 not in text
