"""Translations and locale-aware formatting (Babel)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_skeleton, format_time, format_timedelta
from babel.numbers import format_currency, format_decimal, format_percent
from babel.support import Translations

LOCALES = ("vi", "en")
DEFAULT_LOCALE = "vi"
_BABEL_LOCALE = {"vi": "vi_VN", "en": "en_US"}
# Dates with the month's name where the order of day and month is not Vietnam's.
_DATE_SKELETON = {"vi": "yMd", "en": "yMMMd"}
# The centre and its users are in Vietnam; show times there whatever the server's zone.
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def N_(message: str) -> str:
    """Mark a module-level string for extraction; translate it later with ctx._()."""
    return message


class Translator:
    """Gettext and Babel formatting for one locale."""

    def __init__(self, locale: str, translations: Translations) -> None:
        self.locale = locale
        self._babel_locale = _BABEL_LOCALE[locale]
        self._translations = translations

    def gettext(self, message: str) -> str:
        return self._translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._translations.ngettext(singular, plural, n)

    def money(self, amount: int | Decimal) -> str:
        """Đồng amounts: 1.800.000.000 ₫ in vi, ₫1,800,000,000 in en."""
        return format_currency(amount, "VND", locale=self._babel_locale)

    def number(self, value: int | float | Decimal) -> str:
        return format_decimal(value, locale=self._babel_locale)

    def percent(self, ratio: float) -> str:
        """0.8 as 80%."""
        return format_percent(ratio, locale=self._babel_locale)

    def duration(self, seconds: float) -> str:
        """A length of time in one unit, the larger only from two of it: 45 giây, 90 phút,
        3 tiếng, 2 ngày."""
        return format_timedelta(timedelta(seconds=seconds), threshold=2,
                                locale=self._babel_locale)

    def date(self, value: date | datetime) -> str:
        """27/11/2026 in vi, Nov 27, 2026 in en (11/27/2026 read as the 11th of a 27th month to
        English readers in Vietnam, where the day comes first)."""
        if isinstance(value, datetime):
            value = value.astimezone(LOCAL_TZ).date()
        return format_skeleton(_DATE_SKELETON.get(self.locale, "yMd"), value,
                               locale=self._babel_locale)

    def datetime(self, value: datetime) -> str:
        """A moment in Vietnam's time: 14:00 27/11/2026 in vi, Nov 27, 2026, 2:00 PM in en
        (the locale's own way of joining a short time and a date)."""
        local = value.astimezone(LOCAL_TZ)
        time = format_time(local, "short", tzinfo=LOCAL_TZ, locale=self._babel_locale)
        joined = Locale.parse(self._babel_locale).datetime_formats["short"]
        return str(joined).format(time, self.date(local))


def translator_for(translators: Mapping[str, Translator], locale: str | None) -> Translator:
    """The catalogs to write to a person in: their language, else the default one."""
    return translators.get(locale or DEFAULT_LOCALE) or translators[DEFAULT_LOCALE]


def load_translators(locales_dir: Path) -> dict[str, Translator]:
    """Load the compiled catalogs; a missing .mo falls back to the English msgids."""
    return {
        locale: Translator(locale, Translations.load(str(locales_dir), [locale], "messages"))
        for locale in LOCALES
    }
