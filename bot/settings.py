"""Settings from the environment (12-factor); read once, in bot/app.py and the CLI."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from storage.db import DEFAULT_DATABASE_URL

PROJECT_ROOT = Path(__file__).resolve().parent.parent
KB_DIR = PROJECT_ROOT / "handlers" / "kb" / "data"

# What Telegram accepts as a webhook secret_token.
WEBHOOK_SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_WEBHOOK_SECRET_LABEL = b"khuyencong-bot telegram webhook secret v1"


def derive_webhook_secret(token: str) -> str:
    """A webhook secret that every worker with the same bot token computes alike: HMAC-SHA256
    of a fixed label keyed by the token, base64url without padding (43 characters)."""
    digest = hmac.new(token.encode(), _WEBHOOK_SECRET_LABEL, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    telegram_token: str | None = None
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: str | None = None
    telegram_api_base_url: str | None = None
    admin_ids: frozenset[str] = frozenset()
    web_cookie_secret: str | None = None
    # Per worker process: each worker counts on its own (see README, "Web chat security").
    web_messages_per_minute: int = 20
    web_new_visitors_per_minute: int = 10
    # Peers whose X-Forwarded-For / X-Forwarded-Proto are believed (the reverse proxy).
    trusted_proxies: tuple[IPNetwork, ...] = ()
    locales_dir: Path = PROJECT_ROOT / "locales"
    export_dir: Path = Path("exports")
    kb_dir: Path = KB_DIR

    def __post_init__(self) -> None:
        secret = self.telegram_webhook_secret
        if secret is not None and not WEBHOOK_SECRET_PATTERN.fullmatch(secret):
            raise ValueError("TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, "
                             "0-9, _ and -")

    @property
    def webhook_secret(self) -> str | None:
        """The secret Telegram must send with every webhook request: the configured one, or
        one derived from the bot token, so webhook mode is never open."""
        if self.telegram_webhook_secret:
            return self.telegram_webhook_secret
        return derive_webhook_secret(self.telegram_token) if self.telegram_token else None

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in a log."""
        token = self.telegram_token or ""
        # The part after the bot id is the secret one; a URL may carry it with ":" escaped.
        values = (token, token.partition(":")[2], self.webhook_secret, self.web_cookie_secret)
        return tuple(v for v in values if v)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        def get(name: str) -> str | None:
            return env.get(name, "").strip() or None

        admin_ids = frozenset(
            item.strip() for item in (get("ADMIN_IDS") or "").split(",") if item.strip()
        )
        return cls(
            database_url=get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            telegram_token=get("TELEGRAM_BOT_TOKEN"),
            telegram_webhook_url=get("TELEGRAM_WEBHOOK_URL"),
            telegram_webhook_secret=get("TELEGRAM_WEBHOOK_SECRET"),
            telegram_api_base_url=get("TELEGRAM_API_BASE_URL"),
            admin_ids=admin_ids,
            web_cookie_secret=get("WEB_COOKIE_SECRET"),
            web_messages_per_minute=int(get("WEB_MESSAGES_PER_MINUTE") or 20),
            web_new_visitors_per_minute=int(get("WEB_NEW_VISITORS_PER_MINUTE") or 10),
            trusted_proxies=parse_networks(get("TRUSTED_PROXIES") or ""),
            locales_dir=Path(get("LOCALES_DIR") or PROJECT_ROOT / "locales"),
            export_dir=Path(get("EXPORT_DIR") or "exports"),
            kb_dir=Path(get("KB_DIR") or KB_DIR),
        )


def parse_networks(value: str) -> tuple[IPNetwork, ...]:
    """Comma-separated addresses or CIDR ranges ("10.0.0.1, 192.168.0.0/24")."""
    return tuple(ipaddress.ip_network(item.strip(), strict=False)
                 for item in value.split(",") if item.strip())
