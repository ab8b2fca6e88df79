"""SMS gateways: one adapter module per provider, chosen by settings (``WELA_SMS_GATEWAY``).

Each adapter module has a ``from_settings(settings)`` function returning an object that meets
``sms.gateways.base.SmsGateway``. A new channel (LINE, Telegram, another SIM gateway) is one more
module here and one more line in ``GATEWAYS``; nothing in scheduler/ or ledger/ changes.

Without an explicit choice: the Android SIM gateway when its URL is set, else Twilio when its
account and sender number are set, else the console gateway (prints, the outbox keeps the record).
"""
from __future__ import annotations

import importlib
from typing import Any

from ledger.errors import InvalidInput
from sms.gateways.base import GatewayError, SendResult, SmsGateway

GATEWAYS = {"console": "console_gateway", "twilio": "twilio_gateway", "android": "android_gateway"}


def chosen_name(settings: Any) -> str:
    """Which adapter the settings ask for (explicitly, or by what is configured)."""
    name = (getattr(settings, "sms_gateway", "") or "").strip().lower()
    if name:
        return name
    if getattr(settings, "android_gateway_url", ""):
        return "android"
    if getattr(settings, "twilio_configured", False) and getattr(settings, "twilio_from_number", ""):
        return "twilio"
    return "console"


def build_gateway(settings: Any) -> SmsGateway:
    """The gateway the settings name, built now (no network until the first send)."""
    name = chosen_name(settings)
    module_name = GATEWAYS.get(name)
    if module_name is None:
        raise InvalidInput(f"ไม่รู้จักช่องทางส่ง SMS '{name}'",
                           f"unknown WELA_SMS_GATEWAY {name!r}; choose one of {', '.join(GATEWAYS)}")
    module = importlib.import_module(f".{module_name}", __name__)
    return module.from_settings(settings)


__all__ = ["GATEWAYS", "GatewayError", "SendResult", "SmsGateway", "build_gateway", "chosen_name"]
