"""Logging set-up: our own lines, libraries kept quiet, configured secrets masked."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

MASK = "[hidden]"

# These libraries log, below WARNING, the Bot API URL (which carries the bot token), the
# parameters of every Bot API call and update (what users typed, names, phones) and the
# statements SQLite runs with their values. None of it may reach a log.
QUIET_LIBRARIES = ("httpx", "httpcore", "telegram", "aiosqlite", "sqlalchemy")


def quiet_libraries() -> None:
    """Keep the libraries that log secrets or personal values at WARNING and above."""
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)


class SecretRedactor(logging.Filter):
    """Masks known secrets in whatever a record carries, should a line ever quote one."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: list[str] = []

    def hide(self, *secrets: str | None) -> None:
        for secret in secrets:
            if secret and secret not in self._secrets:
                self._secrets.append(secret)
        # Longest first, so a secret that contains another is masked whole.
        self._secrets.sort(key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def configure_logging(verbose: bool = False, stream: TextIO = sys.stderr) -> SecretRedactor:
    """Log to `stream` as the CLI does; returns the redactor to tell the secrets to."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=stream,
    )
    quiet_libraries()
    redactor = SecretRedactor()
    for handler in logging.getLogger().handlers:
        handler.addFilter(redactor)
    return redactor


def hide_secrets(*secrets: str | None) -> None:
    """Tell every redactor on the root logger's handlers about more secrets (e.g. one
    generated at start-up)."""
    for handler in logging.getLogger().handlers:
        for log_filter in handler.filters:
            if isinstance(log_filter, SecretRedactor):
                log_filter.hide(*secrets)
