"""Settings: `config.yml` defaults overridden by environment variables (`BOT__TOKEN`, ...).

Built once at start-up by the entry point and passed down; nothing imports a global instance.
"""

from __future__ import annotations

import os
from datetime import time
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

DEFAULT_CONFIG_FILE = Path("config.yml")


class ConfigError(Exception):
    """Invalid configuration; the message names every offending key."""


class WebhookSettings(BaseModel):
    url: str | None = None
    path: str = "/telegram/webhook"
    host: str = "127.0.0.1"
    port: int = Field(default=8081, ge=1, le=65535)
    secret: SecretStr | None = None

    @field_validator("secret")
    @classmethod
    def _telegram_secret_alphabet(cls, value: SecretStr | None) -> SecretStr | None:
        # Bot API setWebhook: 1-256 characters, only A-Z, a-z, 0-9, _ and -.
        if value is None:
            return None
        raw = value.get_secret_value()
        allowed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
        if not 1 <= len(raw) <= 256 or not set(raw) <= allowed:
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value


class BotSettings(BaseModel):
    token: SecretStr | None = None
    api_server: str = "https://api.telegram.org"
    mode: Literal["polling", "webhook"] = "polling"
    webhook: WebhookSettings = WebhookSettings()
    drain_timeout_seconds: float = Field(default=30, gt=0)
    # Telegram allows about 30 messages/s per bot; processes sharing one token share it.
    # Above 30 only against a Bot API emulator that does not limit (bench/e2e.py).
    messages_per_second: float = Field(default=24.2, gt=0, le=100_000)
    # Telegram allows about one message a second in one chat (after a short burst). Above 1
    # only against a Bot API emulator that does not limit (tests, bench/).
    chat_messages_per_second: float = Field(default=1.0, gt=0, le=1000)
    # One person sending more than flood_messages updates in flood_seconds: the excess is
    # dropped and they are asked once to wait.
    flood_messages: int = Field(default=20, ge=1, le=1000)
    flood_seconds: float = Field(default=10, gt=0, le=3600)
    # A process holds an update it handles, and then the replies to it, this long: when it
    # dies, another process (or this one restarted) takes both over after it (bot/inbox.py).
    hold_seconds: float = Field(default=30, ge=1, le=600)
    # This process's name, the same across its restarts, so that a restarted process takes
    # back at once what it held when it was killed. Default: the host name with the webhook
    # port (or "polling"); set it when two processes could share that.
    process_name: str | None = Field(default=None, max_length=64)

    @field_validator("token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        bot_id, _, secret = value.get_secret_value().partition(":")
        if not bot_id.isdigit() or not secret:
            raise ValueError("must look like 123456:ABC-DEF (the token @BotFather gave)")
        return value

    @model_validator(mode="after")
    def _webhook_needs_url_and_secret(self) -> BotSettings:
        if self.mode == "webhook" and self.token is not None:
            if not self.webhook.url:
                raise ValueError("webhook.url is required when mode is webhook")
            if self.webhook.secret is None:
                raise ValueError("webhook.secret is required when mode is webhook")
        return self


class DatabaseSettings(BaseModel):
    url: str = "sqlite+aiosqlite:///var/assistant.db"
    echo: bool = False
    # PostgreSQL connections kept open, and opened beyond them under load (closed when
    # given back). The bot handles up to 64 updates at once (bot/inbox.py), but a turn
    # holds a connection only while it talks to the database: ten serve them all, and
    # none beyond them by default, since opening and closing them under load cost more
    # than waiting for one (bench/README.md, "The whole bot").
    pool_size: int = Field(default=10, ge=1, le=200)
    max_overflow: int = Field(default=0, ge=0, le=200)

    @field_validator("url")
    @classmethod
    def _supported_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "must start with sqlite+aiosqlite:// or postgresql+asyncpg:// (async drivers)"
            )
        return value


class RegionSettings(BaseModel):
    name: str
    timezone: str = "Europe/Moscow"
    phone: str | None = None  # the centre's contact phone, told to citizens who ask
    address: str | None = None
    # Прожиточный минимум трудоспособного населения, ₽ a month, set by the region each year:
    # the pay-floor exception of 001 ¶3.6.3. Unset: the previous earnings are always the floor.
    subsistence_minimum: int | None = Field(default=None, gt=0)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class WorkingHours(BaseModel):
    start: time = time(9, 0)
    end: time = time(18, 0)

    @model_validator(mode="after")
    def _ordered(self) -> WorkingHours:
        if self.start >= self.end:
            raise ValueError("start must be earlier than end")
        return self


class ConsentSettings(BaseModel):
    version: str = Field(min_length=1)


class NluSettings(BaseModel):
    enabled: bool = True  # false: the local matcher only (no Rasa process needed)
    url: str = "http://127.0.0.1:5005"
    token: SecretStr | None = None  # NLU__TOKEN, the Rasa server's --auth-token
    timeout_seconds: float = Field(default=2.0, gt=0, le=10)
    max_text_chars: int = Field(default=500, ge=20)
    # Rasa's confidence at or above which the bot acts on the intent at once; between the two
    # it asks the citizen to confirm; below it offers sections and the operator.
    accept_confidence: float = Field(default=0.7, ge=0, le=1)
    confirm_confidence: float = Field(default=0.4, ge=0, le=1)
    breaker_failures: int = Field(default=3, ge=1)
    breaker_reset_seconds: float = Field(default=15, gt=0)

    @model_validator(mode="after")
    def _ordered_thresholds(self) -> NluSettings:
        if self.confirm_confidence > self.accept_confidence:
            raise ValueError("confirm_confidence must not exceed accept_confidence")
        return self


class QuietHoursSettings(BaseModel):
    """No reminder reaches a citizen between start and end, local time; equal values switch
    quiet hours off."""

    start: time = time(21, 0)
    end: time = time(9, 0)


class ReminderSettings(BaseModel):
    enabled: bool = True
    quiet_hours: QuietHoursSettings = QuietHoursSettings()
    sweep_seconds: float = Field(default=30, gt=0)
    lease_seconds: float = Field(default=300, ge=30)
    batch: int = Field(default=50, ge=1, le=500)
    max_attempts: int = Field(default=5, ge=1)
    retry_seconds: float = Field(default=60, gt=0)


class AdminSettings(BaseModel):
    """The staff HTTP API (admin/): served inside the bot process when enabled."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    token_days: int = Field(default=90, ge=1, le=3650)  # a staff token expires after this
    # The interactive /docs page loads its scripts from a CDN: off unless wanted.
    docs: bool = False
    # An address with this many failed logins in a minute waits (429) until the minute is over.
    failed_logins_per_minute: int = Field(default=20, ge=1, le=1_000_000)
    # The web desk: a login lasts at most `session_hours`, and ends after `session_idle_minutes`
    # without a request; an account waits after `failed_logins_per_account` wrong passwords
    # in 15 minutes.
    session_hours: float = Field(default=12, gt=0, le=24 * 7)
    session_idle_minutes: float = Field(default=30, gt=0, le=24 * 60)
    failed_logins_per_account: int = Field(default=5, ge=1, le=1000)
    # Session cookies are `Secure` (sent over TLS only) unless this is set, which is allowed
    # only with the desk on a loopback address (a TLS proxy in front, or a developer's machine).
    plain_http: bool = False

    @model_validator(mode="after")
    def _plain_http_on_loopback_only(self) -> AdminSettings:
        if self.plain_http and self.host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("admin.plain_http is allowed only with admin.host on loopback")
        return self


class OperatorSettings(BaseModel):
    """The contact centre's operators (features/operator/): where they work and when."""

    # The operators' forum supergroup (the bot an administrator allowed to manage topics);
    # None: no operators' desk in Telegram.
    chat_id: int | None = None
    # Operators also answer from the staff web desk (served by the staff app, admin/): staff
    # with a desk password count as operators who can be reached.
    web_desk: bool = True
    # working_hours: on the region's working days and hours only; always: around the clock.
    schedule: Literal["working_hours", "always"] = "working_hours"
    # The expected wait until there are handled conversations to take the median of.
    default_handle_minutes: float = Field(default=8, gt=0, le=240)
    # How often the citizen's place in the queue is refreshed (003 p.34(д): every 30 s).
    queue_refresh_seconds: float = Field(default=30, ge=5, le=600)
    # The relay reads the outbox at least this often; a change in the desk or the API wakes
    # it at once (in its process, or through PostgreSQL's NOTIFY from another).
    relay_sweep_seconds: float = Field(default=2, gt=0, le=3600)
    # Shown with the request for a person when a message shows acute distress (004 §2.11.5).
    crisis_lines: list[str] = Field(default_factory=lambda: ["112 — экстренные службы"])


class VacancySettings(BaseModel):
    """The vacancy search (vacancies/)."""

    # 001 ¶3.6.3 wants the workplace reachable by public transport and gives no figure; with
    # no transport data the limit is a straight-line radius from the citizen's town.
    commute_km: float = Field(default=30, gt=0, le=500)
    page_size: int = Field(default=5, ge=1, le=10)


class AppointmentSettings(BaseModel):
    # Consultation slots citizens book themselves, within the visiting hours (000 p.9).
    slot_minutes: int = Field(default=30, ge=10, le=120)
    seats: int = Field(default=2, ge=1, le=50)  # citizens one slot takes
    days_ahead: int = Field(default=10, ge=1, le=60)


class LoggingSettings(BaseModel):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # json: one JSON object a line, for a log collector; text: for a person at a terminal.
    # Phone numbers, e-mail addresses and names are masked in both.
    format: Literal["json", "text"] = "json"


class TemplateSettings(BaseModel):
    # How often a process checks for texts administrators published (a publication in the
    # same process, or announced over PostgreSQL NOTIFY, is picked up at once).
    refresh_seconds: float = Field(default=2.0, gt=0, le=300)
    # A key rendered with other variables than it declares (contexts.yml) is an error: for
    # tests, which keep the declarations the editor checks against true.
    strict_contexts: bool = False


class RedisSettings(BaseModel):
    """Where the bot processes of one token share their sending rate (bot/shared_pace.py);
    unset, each process paces itself (enough for one process)."""

    url: str | None = None  # e.g. redis://127.0.0.1:6379/0


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_nested_delimiter="__",
        case_sensitive=False,
        extra="forbid",
    )

    bot: BotSettings = BotSettings()
    database: DatabaseSettings = DatabaseSettings()
    regions: dict[str, RegionSettings] = Field(min_length=1)
    default_region: str
    working_hours: WorkingHours = WorkingHours()
    consent: ConsentSettings
    nlu: NluSettings = NluSettings()
    reminders: ReminderSettings = ReminderSettings()
    admin: AdminSettings = AdminSettings()
    vacancies: VacancySettings = VacancySettings()
    appointments: AppointmentSettings = AppointmentSettings()
    operators: OperatorSettings = OperatorSettings()
    logging: LoggingSettings = LoggingSettings()
    templates: TemplateSettings = TemplateSettings()
    redis: RedisSettings = RedisSettings()

    @model_validator(mode="after")
    def _default_region_known(self) -> Settings:
        if self.default_region not in self.regions:
            raise ValueError(f"default_region {self.default_region!r} is not in regions")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        config_file = Path(os.environ.get("ASSISTANT_CONFIG", DEFAULT_CONFIG_FILE))
        # Environment first: it overrides the file.
        return (
            init_settings,
            env_settings,
            YamlConfigSettingsSource(settings_cls, yaml_file=config_file),
        )


def load_settings() -> Settings:
    """Read and validate the configuration, or raise ConfigError naming every bad key."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            key = ".".join(str(part) for part in error["loc"]) or "(top level)"
            problems.append(f"  {key}: {error['msg']}")
        raise ConfigError("invalid configuration:\n" + "\n".join(problems)) from exc
