"""``recepcja secret``: passwords go into the keyring (here the suite's in-memory backend),
are never printed, and bad input stores nothing."""

from __future__ import annotations

import io
import json

import pytest
from keyring.backends import fail

from recepcja.cli.main import main


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def test_set_list_delete_never_print_the_value(memory_keyring, monkeypatch, capsys):
    _stdin(monkeypatch, "tajne-haslo-123\n")
    assert main(["secret", "set", "cer-signing-key-password", "--stdin"]) == 0
    assert memory_keyring.secrets[("recepcja", "cer-signing-key-password")] == "tajne-haslo-123"
    stored = capsys.readouterr().out
    assert "cer-signing-key-password" in stored and "tajne-haslo-123" not in stored
    assert main(["secret", "list", "--json"]) == 0
    out = capsys.readouterr().out
    assert "tajne-haslo-123" not in out
    rows = json.loads(out)
    assert {r["name"]: r["set"] for r in rows}["cer-signing-key-password"] is True
    assert {r["name"]: r["set"] for r in rows}["queue-export-password"] is False
    assert main(["secret", "list"]) == 0
    listed = capsys.readouterr().out
    assert "tajne-haslo-123" not in listed and "ustawione" in listed
    assert main(["secret", "delete", "cer-signing-key-password"]) == 0
    assert ("recepcja", "cer-signing-key-password") not in memory_keyring.secrets


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_interactive_set_asks_twice_and_refuses_a_mismatch(memory_keyring, monkeypatch, capsys):
    answers = iter(["raz", "dwa"])
    monkeypatch.setattr("getpass.getpass", lambda _prompt="": next(answers))
    monkeypatch.setattr("sys.stdin", _Terminal())
    assert main(["secret", "set", "queue-export-password"]) == 1
    assert "różnią" in capsys.readouterr().err
    assert ("recepcja", "queue-export-password") not in memory_keyring.secrets
    answers = iter(["zgodne", "zgodne"])
    assert main(["secret", "set", "queue-export-password"]) == 0
    assert memory_keyring.secrets[("recepcja", "queue-export-password")] == "zgodne"


def test_empty_value_unknown_name_and_no_keyring_are_refused(memory_keyring, monkeypatch,
                                                             capsys):
    import keyring

    _stdin(monkeypatch, "\n")
    assert main(["secret", "set", "notification-receiver-secret", "--stdin"]) == 1
    assert not memory_keyring.secrets
    with pytest.raises(SystemExit) as exit_info:
        main(["secret", "set", "haslo-do-poczty", "--stdin"])
    assert exit_info.value.code == 2
    keyring.set_keyring(fail.Keyring())
    _stdin(monkeypatch, "x\n")
    assert main(["secret", "set", "queue-export-password", "--stdin"]) == 1
    assert "keyring" in capsys.readouterr().err.lower()
