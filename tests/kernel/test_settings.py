from __future__ import annotations

from pathlib import Path

import pytest

from app.__main__ import main
from kernel.settings import ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BOT__TOKEN", "DATABASE__URL", "BOT__MODE", "DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ASSISTANT_CONFIG", str(ROOT / "config.yml"))


def test_defaults_come_from_config_yml() -> None:
    settings = load_settings()
    assert settings.bot.token is None
    assert settings.bot.mode == "polling"
    assert settings.database.url.startswith("sqlite+aiosqlite://")
    assert settings.regions["63"].timezone == "Europe/Samara"
    assert settings.default_region in settings.regions


def test_environment_overrides_any_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT__TOKEN", "42:abc")
    monkeypatch.setenv("DATABASE__URL", "postgresql+asyncpg://u@h/db")
    monkeypatch.setenv("BOT__WEBHOOK__PORT", "9000")
    settings = load_settings()
    assert settings.bot.token is not None
    assert settings.bot.token.get_secret_value() == "42:abc"
    assert settings.database.url == "postgresql+asyncpg://u@h/db"
    assert settings.bot.webhook.port == 9000
    assert "42:abc" not in repr(settings)  # secrets never show up in logs


@pytest.mark.parametrize(
    ("env", "key"),
    [
        ({"DATABASE__URL": "mysql://x"}, "database.url"),
        ({"BOT__TOKEN": "not-a-token"}, "bot.token"),
        ({"BOT__MODE": "carrier-pigeon"}, "bot.mode"),
        ({"BOT__WEBHOOK__PORT": "99999"}, "bot.webhook.port"),
        ({"DEFAULT_REGION": "99"}, "default_region"),
        ({"DATABASE__POOL_SIZE": "0"}, "database.pool_size"),
        ({"BOT__TOKEN": "1:a", "BOT__MODE": "webhook"}, "webhook.url is required"),
    ],
)
def test_invalid_configuration_names_the_key(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], key: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_settings()


def test_bad_time_zone_in_file_is_reported(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "config.yml"
    config.write_text(
        'regions: {"63": {name: X, timezone: Mars/Olympus}}\n'
        'default_region: "63"\nconsent: {version: "1"}\n'
    )
    monkeypatch.setenv("ASSISTANT_CONFIG", str(config))
    with pytest.raises(ConfigError, match=r"regions\.63\.timezone"):
        load_settings()


def test_start_up_stops_with_a_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE__URL", "mysql://x")
    assert main(["migrate"]) == 2
    assert "database.url" in capsys.readouterr().err
