"""The catalog cache of ``recepcja.i18n``: the same entries polib reads, used on the next start,
rebuilt when a catalog changes or the cache is damaged, never a reason to fail."""

from __future__ import annotations

import shutil

import pytest

from recepcja import i18n
from recepcja.resources import resource


@pytest.fixture
def fresh(monkeypatch, tmp_path):
    """A private data folder (so a private cache) and an empty in-process cache."""
    monkeypatch.setenv("RECEPCJA_HOME", str(tmp_path / "home"))
    i18n.catalog.cache_clear()
    yield tmp_path / "home" / "cache"
    i18n.catalog.cache_clear()


def test_cached_catalog_is_what_polib_reads_and_is_used_next_time(fresh, monkeypatch):
    shipped = sorted(resource("translations", "pl").glob("*.po"))
    first = i18n.catalog("pl")
    assert first == i18n.read_catalogs(shipped)
    assert len(list(fresh.glob("translations-pl-*.json"))) == 1
    i18n.catalog.cache_clear()

    def no_polib(_sources):
        raise AssertionError("the cache should have been used")

    monkeypatch.setattr(i18n, "read_catalogs", no_polib)
    assert i18n.catalog("pl") == first


def test_a_damaged_cache_is_rebuilt(fresh):
    expected = i18n.catalog("pl")
    [cached] = fresh.glob("translations-pl-*.json")
    cached.write_text("{not json", encoding="utf-8")
    i18n.catalog.cache_clear()
    assert i18n.catalog("pl") == expected
    assert cached.read_text(encoding="utf-8").startswith("{\"")


def test_a_changed_catalog_is_read_again_and_the_old_cache_goes(fresh, monkeypatch, tmp_path):
    languages = tmp_path / "resources" / "translations"
    shutil.copytree(resource("translations"), languages)
    monkeypatch.setattr(i18n, "resource", lambda *parts: languages.joinpath(*parts[1:]))
    before = i18n.catalog("pl")
    with (languages / "pl" / "gui.po").open("a", encoding="utf-8") as po:
        po.write('\nmsgid "A brand new message"\nmsgstr "Zupełnie nowy komunikat"\n')
    i18n.catalog.cache_clear()
    after = i18n.catalog("pl")
    assert after["A brand new message"] == "Zupełnie nowy komunikat"
    assert len(after) == len(before) + 1
    assert len(list(fresh.glob("translations-pl-*.json"))) == 1


def test_an_unwritable_cache_only_costs_time(fresh):
    fresh.parent.mkdir(parents=True)
    fresh.write_text("a file where the cache folder should be", encoding="utf-8")
    assert i18n.catalog("pl")["Close"] == "Zamknij"


def test_an_old_cache_that_cannot_be_removed_is_left_alone(fresh, monkeypatch):
    from pathlib import Path

    fresh.mkdir(parents=True)
    (fresh / "translations-pl-0123456789abcdef01234567.json").write_text("{}", encoding="utf-8")

    def refuse(self, missing_ok=False):
        raise PermissionError("in use")

    monkeypatch.setattr(Path, "unlink", refuse)
    assert i18n.catalog("pl")["Close"] == "Zamknij"
