"""Unit of work: one transaction, with the repositories that share it."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.app_settings import AppSettingRepository
from storage.audit import AuditRepository
from storage.broadcasts import BroadcastRepository
from storage.channel_tokens import ChannelTokenRepository, ReplyWindowRepository
from storage.conversations import ConversationRepository
from storage.db import WRITE_LOCK
from storage.establishments import EstablishmentRepository
from storage.fairs import FairRepository, RegistrationRepository
from storage.inbound import InboundRepository
from storage.jobs import JobRepository
from storage.media import MediaRepository
from storage.outbox import OutboxRepository
from storage.profiles import ProfileRepository
from storage.questions import QuestionRepository, StaffAnswerRepository
from storage.surveys import ResponseRepository, SurveyRepository
from storage.users import UserRepository


class UnitOfWork:
    """`async with UnitOfWork(factory) as uow:` … `await uow.commit()`; rolls back otherwise."""

    users: UserRepository
    conversations: ConversationRepository
    inbound: InboundRepository
    profiles: ProfileRepository
    audit: AuditRepository
    app_settings: AppSettingRepository
    questions: QuestionRepository
    staff_answers: StaffAnswerRepository
    outbox: OutboxRepository
    establishments: EstablishmentRepository
    surveys: SurveyRepository
    responses: ResponseRepository
    jobs: JobRepository
    fairs: FairRepository
    registrations: RegistrationRepository
    media: MediaRepository
    channel_tokens: ChannelTokenRepository
    reply_windows: ReplyWindowRepository
    broadcasts: BroadcastRepository

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory
        self._session: AsyncSession | None = None

    async def __aenter__(self) -> UnitOfWork:
        self._session = session = self._session_factory()
        self._write_lock = session.info.get(WRITE_LOCK)
        if self._write_lock is not None:
            await self._write_lock.acquire()
        self.users = UserRepository(session)
        self.conversations = ConversationRepository(session)
        self.inbound = InboundRepository(session)
        self.profiles = ProfileRepository(session)
        self.audit = AuditRepository(session)
        self.app_settings = AppSettingRepository(session)
        self.questions = QuestionRepository(session)
        self.staff_answers = StaffAnswerRepository(session)
        self.outbox = OutboxRepository(session)
        self.establishments = EstablishmentRepository(session)
        self.surveys = SurveyRepository(session)
        self.responses = ResponseRepository(session)
        self.jobs = JobRepository(session)
        self.fairs = FairRepository(session)
        self.registrations = RegistrationRepository(session)
        self.media = MediaRepository(session)
        self.channel_tokens = ChannelTokenRepository(session)
        self.reply_windows = ReplyWindowRepository(session)
        self.broadcasts = BroadcastRepository(session)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        assert self._session is not None
        # close() rolls back whatever was not committed; loaded objects stay readable.
        try:
            await self._session.close()
        finally:
            self._session = None
            if self._write_lock is not None:
                self._write_lock.release()

    async def commit(self) -> None:
        assert self._session is not None
        await self._session.commit()

    async def rollback(self) -> None:
        assert self._session is not None
        await self._session.rollback()
