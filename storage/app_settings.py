"""Small shared values stored in the database."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from storage._upsert import insert_ignoring_conflict
from storage.models import AppSetting


class AppSettingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get_or_create(self, key: str, make_value: Callable[[], str]) -> str:
        """Return the stored value, storing make_value() first if there is none.

        Workers racing here all end up with the first value written.
        """
        await insert_ignoring_conflict(self._session, AppSetting, key=key, value=make_value())
        return (await self._session.get(AppSetting, key, populate_existing=True)).value
