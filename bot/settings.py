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
# Zalo Bot Platform's secret_token is 8-256 characters; its alphabet is not documented, so
# we keep to Telegram's.
ZALO_BOT_SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{8,256}")
_WEBHOOK_SECRET_LABEL = b"khuyencong-bot telegram webhook secret v1"
_ZALO_BOT_SECRET_LABEL = b"khuyencong-bot zalo bot webhook secret v1"

ZALO_BOT_API_BASE_URL = "https://bot-api.zaloplatforms.com"
ZALO_OA_API_BASE_URL = "https://openapi.zalo.me"
ZALO_OA_OAUTH_BASE_URL = "https://oauth.zaloapp.com"


def derive_webhook_secret(token: str, label: bytes = _WEBHOOK_SECRET_LABEL) -> str:
    """A webhook secret that every worker with the same bot token computes alike: HMAC-SHA256
    of a fixed label keyed by the token, base64url without padding (43 characters)."""
    digest = hmac.new(token.encode(), label, hashlib.sha256).digest()
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
    # The bot's public HTTPS address (https://bot.example.vn): Zalo's webhooks are set to it,
    # and photos and files for Zalo are served from it under expiring links.
    public_url: str | None = None
    zalo_bot_token: str | None = None
    zalo_bot_webhook_secret: str | None = None
    zalo_bot_api_base_url: str = ZALO_BOT_API_BASE_URL
    zalo_oa_app_id: str | None = None
    zalo_oa_secret_key: str | None = None
    # The key the webhook's signature is made with (the app's "OA Secret Key"), where it is
    # not the app secret used to refresh tokens; unset: the same key for both.
    zalo_oa_webhook_secret_key: str | None = None
    # Only the first tokens: once in the database, the refreshed ones there are used.
    zalo_oa_access_token: str | None = None
    zalo_oa_refresh_token: str | None = None
    zalo_oa_api_base_url: str = ZALO_OA_API_BASE_URL
    zalo_oa_oauth_base_url: str = ZALO_OA_OAUTH_BASE_URL
    # Broadcast pace per channel, shared by the workers sending on it (see README,
    # "Broadcasts"). Telegram: about 30 messages a second per bot and 1 a second per chat;
    # Zalo publishes no figure, so a conservative default.
    telegram_messages_per_second: float = 30.0
    telegram_messages_per_chat_per_second: float = 1.0
    zalo_bot_messages_per_second: float = 5.0
    zalo_oa_messages_per_second: float = 5.0
    zalo_messages_per_chat_per_second: float = 1.0
    # How long a sender holds the recipients it claimed; after a crash, another worker takes
    # them over once it has passed.
    broadcast_lease_seconds: float = 60.0

    def pace(self, channel: str) -> tuple[float, float]:
        """Messages a second on a channel, and per chat."""
        if channel == "telegram":
            return self.telegram_messages_per_second, self.telegram_messages_per_chat_per_second
        if channel == "zalo_bot":
            return self.zalo_bot_messages_per_second, self.zalo_messages_per_chat_per_second
        return self.zalo_oa_messages_per_second, self.zalo_messages_per_chat_per_second

    def __post_init__(self) -> None:
        secret = self.telegram_webhook_secret
        if secret is not None and not WEBHOOK_SECRET_PATTERN.fullmatch(secret):
            raise ValueError("TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, "
                             "0-9, _ and -")
        secret = self.zalo_bot_webhook_secret
        if secret is not None and not ZALO_BOT_SECRET_PATTERN.fullmatch(secret):
            raise ValueError("ZALO_BOT_WEBHOOK_SECRET must be 8-256 characters of A-Z, a-z, "
                             "0-9, _ and -")
        rates = (self.telegram_messages_per_second, self.telegram_messages_per_chat_per_second,
                 self.zalo_bot_messages_per_second, self.zalo_oa_messages_per_second,
                 self.zalo_messages_per_chat_per_second, self.broadcast_lease_seconds)
        if any(rate <= 0 for rate in rates):
            raise ValueError("message rates and the broadcast lease must be positive")
        if bool(self.zalo_oa_app_id) != bool(self.zalo_oa_secret_key):
            raise ValueError("ZALO_OA_APP_ID and ZALO_OA_SECRET_KEY go together")
        # A web visitor is only a cookie, which anyone may copy and no one can revoke.
        if any(item.startswith("web:") for item in self.admin_ids):
            raise ValueError("ADMIN_IDS cannot name a web chat visitor (web:...): the web "
                             "chat never has staff rights; name a Telegram or Zalo id")

    @property
    def broadcast_channels(self) -> tuple[str, ...]:
        """The configured channels that push messages, which broadcasts go to."""
        configured = (("telegram", self.telegram_token), ("zalo_bot", self.zalo_bot_token),
                      ("zalo_oa", self.zalo_oa_enabled))
        return tuple(name for name, on in configured if on)

    @property
    def zalo_oa_enabled(self) -> bool:
        return bool(self.zalo_oa_app_id and self.zalo_oa_secret_key)

    @property
    def zalo_bot_secret(self) -> str | None:
        """The secret Zalo must send with every webhook request: the configured one, or one
        derived from the bot token, so the webhook is never open."""
        if self.zalo_bot_webhook_secret:
            return self.zalo_bot_webhook_secret
        if not self.zalo_bot_token:
            return None
        return derive_webhook_secret(self.zalo_bot_token, _ZALO_BOT_SECRET_LABEL)

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
        zalo_token = self.zalo_bot_token or ""
        # The part after the bot id is the secret one; a URL may carry it with ":" escaped.
        values = (token, token.partition(":")[2], self.webhook_secret, self.web_cookie_secret,
                  zalo_token, zalo_token.partition(":")[2], self.zalo_bot_secret,
                  self.zalo_oa_secret_key, self.zalo_oa_webhook_secret_key,
                  self.zalo_oa_access_token,
                  self.zalo_oa_refresh_token)
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
            public_url=(get("PUBLIC_URL") or "").rstrip("/") or None,
            zalo_bot_token=get("ZALO_BOT_TOKEN"),
            zalo_bot_webhook_secret=get("ZALO_BOT_WEBHOOK_SECRET"),
            zalo_bot_api_base_url=get("ZALO_BOT_API_BASE_URL") or ZALO_BOT_API_BASE_URL,
            zalo_oa_app_id=get("ZALO_OA_APP_ID"),
            zalo_oa_secret_key=get("ZALO_OA_SECRET_KEY"),
            zalo_oa_webhook_secret_key=get("ZALO_OA_WEBHOOK_SECRET_KEY"),
            zalo_oa_access_token=get("ZALO_OA_ACCESS_TOKEN"),
            zalo_oa_refresh_token=get("ZALO_OA_REFRESH_TOKEN"),
            zalo_oa_api_base_url=get("ZALO_OA_API_BASE_URL") or ZALO_OA_API_BASE_URL,
            zalo_oa_oauth_base_url=get("ZALO_OA_OAUTH_BASE_URL") or ZALO_OA_OAUTH_BASE_URL,
            telegram_messages_per_second=float(get("TELEGRAM_MESSAGES_PER_SECOND") or 30),
            telegram_messages_per_chat_per_second=float(
                get("TELEGRAM_MESSAGES_PER_CHAT_PER_SECOND") or 1),
            zalo_bot_messages_per_second=float(get("ZALO_BOT_MESSAGES_PER_SECOND") or 5),
            zalo_oa_messages_per_second=float(get("ZALO_OA_MESSAGES_PER_SECOND") or 5),
            zalo_messages_per_chat_per_second=float(
                get("ZALO_MESSAGES_PER_CHAT_PER_SECOND") or 1),
            broadcast_lease_seconds=float(get("BROADCAST_LEASE_SECONDS") or 60),
        )


def parse_networks(value: str) -> tuple[IPNetwork, ...]:
    """Comma-separated addresses or CIDR ranges ("10.0.0.1, 192.168.0.0/24")."""
    return tuple(ipaddress.ip_network(item.strip(), strict=False)
                 for item in value.split(",") if item.strip())
