from __future__ import annotations

import pytest

from recepcja.config.paths import AppPaths, default_paths
from recepcja.config.settings import Settings, load_settings, save_settings
from recepcja.domain.errors import ValidationError
from recepcja.i18n import translate_error


def test_home_override_and_training_folder(tmp_path):
    paths = default_paths({"RECEPCJA_HOME": str(tmp_path / "x")})
    assert paths.root == (tmp_path / "x").resolve()
    assert paths.training().root == paths.root / "training"
    assert paths.training().database != paths.database


def test_default_paths_without_override_use_platformdirs():
    paths = default_paths({})
    assert "Recepcja" in str(paths.root)


def test_settings_round_trip_is_human_readable(tmp_path):
    path = tmp_path / "settings.toml"
    settings = Settings()
    settings.cer.url = "https://cer.example.test/cer"
    settings.receiver.port = 9000
    save_settings(path, settings)
    text = path.read_text(encoding="utf-8")
    assert "[cer]" in text and 'url = "https://cer.example.test/cer"' in text
    assert load_settings(path) == settings


def test_missing_settings_file_gives_defaults(tmp_path):
    settings = load_settings(tmp_path / "none.toml")
    assert settings.cer.verify_tls is True
    assert settings.receiver.enabled is False


def test_env_overrides_cer_url():
    settings = Settings()
    settings.cer.url = "https://a/cer"
    assert settings.effective_cer_url({"RECEPCJA_CER_URL": "http://127.0.0.1:1/cer"}) == (
        "http://127.0.0.1:1/cer"
    )
    assert settings.effective_cer_url({}) == "https://a/cer"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[cer]\nread_timeout = "long"\n', "cer.read_timeout"),
        ("[cer]\nverify = true\n", "cer.verify"),
        ("[receiver]\nport = true\n", "receiver.port"),
        ("[nonsense]\na = 1\n", "nonsense"),
    ],
)
def test_bad_settings_name_the_key(tmp_path, text, key):
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        load_settings(path)
    assert key in translate_error(info.value)


def test_invalid_toml_is_reported_not_crashing(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text("[cer\nurl=", encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        load_settings(path)
    assert translate_error(info.value) == (
        f"Plik ustawień {path}, wiersz 1: nazwa [sekcji] niezamknięta znakiem „]”. Popraw ten "
        "wiersz albo usuń plik (wtedy obowiązują ustawienia domyślne).")


@pytest.mark.parametrize(("text", "line", "words"), [
    ('[cer]\nurl = "https://cer\n', 2, "niezamknięty cudzysłów"),
    ("[cer]\nverify_tls = tak\n", 2, "wartość, która nie jest liczbą"),
    ("[cer]\nurl\n", 2, "oczekiwano wiersza „klucz = wartość”"),
    ("[cer]\n[cer]\n", 2, "klucz albo sekcja podane dwa razy"),
    ("[cer]\nmax_in_flight = 3 4\n", 2, "coś jeszcze po wartości"),
    ("[cer]\nx = [1, 2\n", 2, "niezamknięta lista"),
])
def test_a_broken_settings_file_is_one_polish_line_naming_file_and_line(tmp_path, text, line,
                                                                        words):
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        load_settings(path)
    message = translate_error(info.value)
    assert message.startswith(f"Plik ustawień {path}, wiersz {line}: {words}"), message
    assert "\n" not in message and "Expected" not in message and "at line" not in message


def test_a_settings_file_that_is_not_utf8_is_one_polish_line(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_bytes(b"[cer]\nurl = \"\xff\"\n")
    with pytest.raises(ValidationError) as info:
        load_settings(path)
    assert translate_error(info.value) == (
        f"Plik ustawień {path} nie jest tekstem UTF-8: zapisz go w kodowaniu UTF-8.")


def test_app_paths_ensure_creates_folders(tmp_path):
    paths = AppPaths(tmp_path / "r").ensure()
    assert paths.logs.is_dir() and paths.exports.is_dir() and paths.backups.is_dir()


@pytest.mark.parametrize(("section", "key", "value", "named"), [
    ("publishing", "horizon_months", 1, "publishing.horizon_months"),  # below the law
    ("publishing", "horizon_months", 2, "publishing.horizon_months"),
    ("publishing", "margin_days", -1, "publishing.margin_days"),
    ("cer", "call_deadline", 0, "cer.call_deadline"),
    ("cer", "read_timeout", -5, "cer.read_timeout"),
    ("cer", "max_in_flight", 0, "cer.max_in_flight"),  # nothing would ever be sent
    ("cer", "max_in_flight", 33, "cer.max_in_flight"),  # not a good citizen of CeR
])
def test_values_that_cannot_work_are_refused_with_the_key_named(tmp_path, section, key, value,
                                                                named):
    path = tmp_path / "settings.toml"
    path.write_text(f"[{section}]\n{key} = {value}\n", encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        load_settings(path)
    assert named in translate_error(info.value)


def test_the_legal_horizon_and_a_call_deadline_are_the_defaults(tmp_path):
    settings = load_settings(tmp_path / "absent.toml")
    assert settings.publishing.horizon_months == 3 and settings.cer.call_deadline == 60.0
