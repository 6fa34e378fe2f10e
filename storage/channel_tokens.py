"""A channel's API tokens, shared by the workers, and Zalo OA's per-user reply windows."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage._upsert import insert_ignoring_conflict
from storage.models import ChannelToken, ReplyWindow, User


class ChannelTokenRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, channel: str) -> ChannelToken | None:
        return await self._session.get(ChannelToken, channel, populate_existing=True)

    async def seed(self, channel: str, *, access_token: str, refresh_token: str | None,
                   now: datetime) -> None:
        """Store the configured first tokens, unless tokens are stored already (later
        refreshes replace them there; the configured ones are then spent)."""
        await insert_ignoring_conflict(self._session, ChannelToken, channel=channel,
                                       access_token=access_token, refresh_token=refresh_token,
                                       expires_at=None, updated_at=now)

    async def lock(self, channel: str) -> ChannelToken | None:
        """The tokens, locked until the transaction ends (`SELECT … FOR UPDATE`), so only one
        worker at a time spends the refresh token."""
        query = (select(ChannelToken).where(ChannelToken.channel == channel)
                 .with_for_update().execution_options(populate_existing=True))
        return (await self._session.execute(query)).scalar_one_or_none()


class ReplyWindowRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def open(self, channel: str, channel_user_id: str, at: datetime) -> None:
        """The user wrote at `at`: their window starts again with no reply spent (a message
        older than the current window's start, such as a redelivery, changes nothing)."""
        user = await self._user_id(channel, channel_user_id)
        if user is None:
            return
        if not await insert_ignoring_conflict(self._session, ReplyWindow, user_id=user,
                                              opened_at=at, replies=0):
            await self._session.execute(
                update(ReplyWindow).where(ReplyWindow.user_id == user,
                                          ReplyWindow.opened_at < at)
                .values(opened_at=at, replies=0))

    async def take(self, channel: str, channel_user_id: str, now: datetime, *,
                   length: timedelta, replies: int) -> bool | None:
        """Spend one message of the user's window; False when it is closed or spent, None
        when the user has no row (they just deleted their data)."""
        user = await self._user_id(channel, channel_user_id)
        if user is None:
            return None
        result = await self._session.execute(
            update(ReplyWindow)
            .where(ReplyWindow.user_id == user, ReplyWindow.replies < replies,
                   ReplyWindow.opened_at > now - length)
            .values(replies=ReplyWindow.replies + 1))
        return result.rowcount == 1

    async def give_back(self, channel: str, channel_user_id: str) -> None:
        """A message taken from the window was not sent after all."""
        user = await self._user_id(channel, channel_user_id)
        if user is not None:
            await self._session.execute(
                update(ReplyWindow).where(ReplyWindow.user_id == user, ReplyWindow.replies > 0)
                .values(replies=ReplyWindow.replies - 1))

    async def _user_id(self, channel: str, channel_user_id: str) -> int | None:
        query = select(User.id).where(User.channel == channel,
                                      User.channel_user_id == channel_user_id)
        return (await self._session.execute(query)).scalar_one_or_none()
