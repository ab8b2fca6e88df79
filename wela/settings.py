"""Settings from the environment (and an optional .env), as DESIGN.md lists them."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional


@dataclass(frozen=True)
class Settings:
    instance_path: Path
    database_url: str
    timezone: str = "Asia/Bangkok"
    public_url: str = ""
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_from_number: str = ""
    twilio_api_base: str = ""          # only for tests against a local fake of Twilio's REST API
    sms_gateway: str = ""              # "", "console", "twilio" or "android"
    android_gateway_url: str = ""
    android_gateway_user: str = ""
    android_gateway_password: str = ""
    android_webhook_secret: str = ""
    coordinator_phone: str = ""
    bank_phone: str = ""
    secret_key: str = ""
    tts_engine: str = "auto"           # auto (gTTS, espeak-ng when offline), gtts, espeak
    scheduler_in_serve: bool = True
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def twilio_configured(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token)

    @property
    def audio_dir(self) -> Path:
        return self.instance_path / "audio"

    @property
    def announcements_dir(self) -> Path:
        return self.instance_path / "announcements"


def _truthy(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def load_settings(environ: Optional[Mapping[str, str]] = None,
                  overrides: Optional[Mapping[str, object]] = None) -> Settings:
    """Read settings; `overrides` (tests, app factory) win, then the environment, then defaults.

    `DATABASE_URL` in the environment always wins over the default SQLite file.
    """
    env = dict(os.environ if environ is None else environ)
    if environ is None:
        _load_dotenv(env, Path.cwd() / ".env")
    overrides = dict(overrides or {})
    instance = Path(overrides.pop("instance_path", None) or env.get("WELA_INSTANCE_PATH")
                    or Path.cwd() / "instance")
    db_default = f"sqlite:///{(instance / 'wela.sqlite3').resolve()}"
    values: dict[str, object] = dict(
        instance_path=instance,
        database_url=env.get("DATABASE_URL") or db_default,
        timezone=env.get("WELA_TIMEZONE", "Asia/Bangkok"),
        public_url=env.get("WELA_PUBLIC_URL", "").rstrip("/"),
        twilio_account_sid=env.get("TWILIO_ACCOUNT_SID", ""),
        twilio_auth_token=env.get("TWILIO_AUTH_TOKEN", ""),
        twilio_from_number=env.get("TWILIO_FROM_NUMBER", ""),
        twilio_api_base=env.get("WELA_TWILIO_API_BASE", ""),
        sms_gateway=env.get("WELA_SMS_GATEWAY", "").strip().lower(),
        android_gateway_url=env.get("ANDROID_SMS_GATEWAY_URL", ""),
        android_gateway_user=env.get("ANDROID_SMS_GATEWAY_USER", ""),
        android_gateway_password=env.get("ANDROID_SMS_GATEWAY_PASSWORD", ""),
        android_webhook_secret=env.get("ANDROID_SMS_GATEWAY_WEBHOOK_SECRET", ""),
        coordinator_phone=env.get("WELA_COORDINATOR_PHONE", ""),
        bank_phone=env.get("WELA_BANK_PHONE", ""),
        secret_key=env.get("WELA_SECRET_KEY", ""),
        tts_engine=env.get("WELA_TTS_ENGINE", "auto"),
        scheduler_in_serve=_truthy(env.get("WELA_SCHEDULER_IN_SERVE", "1")),
    )
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def _load_dotenv(env: dict[str, str], path: Path) -> None:
    """Values from .env fill in what the real environment does not set."""
    if not path.is_file():
        return
    from dotenv import dotenv_values

    for key, value in dotenv_values(path).items():
        if value is not None and key not in env:
            env[key] = value
