"""The e-referral tables come with the simulator's own schema management: a data folder made by an
older simulator (schema version 1, no referral tables) gets them on start, keeps its CeR state,
and the database refuses a malformed referral by itself."""

from __future__ import annotations

import sqlite3

import pytest

from recepcja.simulator.db import DB_FILE, SCHEMA_VERSION, Store

REFERRAL_TABLES = ("skierowanie", "odmowa_skierowania", "historia_skierowania")


def test_an_older_data_folder_gets_the_referral_tables(tmp_path):
    Store(tmp_path).close()
    conn = sqlite3.connect(tmp_path / DB_FILE)
    for table in reversed(REFERRAL_TABLES):
        conn.execute(f"DROP TABLE {table}")
    conn.execute("INSERT INTO ustawienie (klucz, wartosc) VALUES ('kept', 'yes')")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    store = Store(tmp_path)
    try:
        with store.read() as conn:
            names = {row[0] for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            assert set(REFERRAL_TABLES) <= names
            assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
            assert store.get_setting(conn, "kept") == "yes"
    finally:
        store.close()


def test_the_database_itself_refuses_a_malformed_referral(tmp_path):
    store = Store(tmp_path)
    row = ("1" * 44, "1234", "44051401359", "Jan", "Kowalski", "POZ", "1100", "Poradnia",
           "2026-05-04", "R", "WYSTAWIONE", "t", "t")
    sql = ("INSERT INTO skierowanie (klucz, kod_dostepu, pesel, imie, nazwisko, wystawca_nazwa, "
           "specjalnosc_kod, specjalnosc_nazwa, data_wystawienia, refundacja, status, zmieniono, "
           "utworzono) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
    try:
        with store.write() as conn:
            conn.execute(sql, row)
        for bad in ({0: "1" * 43}, {1: "123"}, {9: "X"}, {10: "NOWE"},
                    {0: "2" * 44},  # same patient, same access code
                    {1: "5678"}):   # same key
            values = list(row)
            for index, value in bad.items():
                values[index] = value
            with pytest.raises(sqlite3.IntegrityError), store.write() as conn:
                conn.execute(sql, values)
    finally:
        store.close()
