"""The dispatcher: one unit of work per incoming message, routed by command, button or step."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.context import Context, Conversation
from handlers.error_report import anonymous_traceback
from handlers.i18n import DEFAULT_LOCALE, N_, Translator
from handlers.language import language_named, switch_language
from handlers.questions import answer_in_passing
from handlers.routing import FlowRoute, Router
from handlers.services import Services
from handlers.start import (
    MAX_WORDS_FOR_WITHIN,
    MENU_ENTRIES,
    TYPED_COMMANDS,
    TYPED_COMMANDS_WITHIN,
    WANTING,
)
from handlers.stored_replies import CurrentChoices, from_stored, queued_reply, to_stored
from handlers.text import (
    answers_yes_or_no,
    fold,
    normalize_input,
    pick_yes_or_no,
    plain,
    storable,
    wants_to_stop,
)
from handlers.types import Choice, Incoming, MessageKind, Reply
from storage.models import ProcessedUpdate
from storage.uow import UnitOfWork

logger = logging.getLogger(__name__)

MAX_INPUT_CHARS = 1000
MAX_STAFF_INPUT_CHARS = 4096  # Telegram's longest message
# Said of a message over the limit (the web page says it too, before sending).
TOO_LONG = N_("Your message is too long ({count} characters). Please keep it under {limit} "
              "characters.")
MAX_USER_ID = 64  # users.channel_user_id
MAX_UPDATE_ID = 64  # processed_updates.update_id


def utc_now() -> datetime:
    return datetime.now(UTC)


class Dispatcher:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        router: Router,
        translators: dict[str, Translator],
        services: Services,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._session_factory = session_factory
        self.router = router
        self._translators = translators
        self._services = services
        self._clock = clock
        self._locks: dict[str, asyncio.Lock] = {}
        self._waiters: dict[str, int] = {}

    async def handle(self, msg: Incoming) -> list[Reply]:
        """Apply one message and return the replies to send. An update applied before is not
        applied again: its replies come back while they are not marked sent, then none."""
        msg = storable_incoming(msg)
        if not msg.user_id:
            return []  # nobody to answer (an id made only of unstorable characters)
        async with self._user_lock(msg.user_key):
            if msg.file is not None and msg.file.content is None:
                # Before the unit of work: a download must not hold the user's row lock (on
                # SQLite, the one write lock) for seconds.
                msg = await self._fetch_file(msg)
            return await self._apply(msg)

    async def _apply(self, msg: Incoming) -> list[Reply]:
        async with UnitOfWork(self._session_factory) as uow:
            now = self._clock()
            # The user's row lock serialises their updates, so the ledger is checked after it.
            user, state, has_queued, applied = await uow.users.lock_with_state(
                msg.channel, msg.user_id, locale=DEFAULT_LOCALE,
                display_name=msg.display_name, now=now, update_id=msg.update_id,
            )
            if applied is not None:
                return _replies_of_duplicate(msg, applied)
            if user.blocked_at is not None:  # writing to us again means they unblocked
                user.blocked_at = None
            conversation = Conversation(
                flow=state.flow, step=state.step, draft=dict(state.draft)
            ) if state else Conversation()
            current = CurrentChoices.from_stored(state.choices if state else {})
            ctx = Context(
                user=user, uow=uow, now=now, i18n=self._translators[user.locale],
                translators=self._translators, conversation=conversation,
                services=self._services, router=self.router,
                is_admin=self._is_admin(msg),
            )
            user_id = user.id  # readable after a failed flush expired the user
            try:
                replies, new_choices = await self._route(msg, ctx, current)
            except Exception as error:
                # The internal id and no message: the channel id is personal, and an error's
                # message may quote what the user typed.
                logger.error("handler failed for user #%s: %s", user_id,
                             anonymous_traceback(error))
                await uow.rollback()
                return [Reply(ctx._("Sorry, something went wrong on our side. Your saved "
                                    "data is safe; please try again in a moment."))]
            if not conversation.user_deleted:
                if has_queued:  # e.g. a staff answer: it comes along with this reply
                    waiting = await uow.outbox.take_for_user(user.id, now)
                    replies = [queued_reply(m.text, m.choices) for m in waiting] + replies
                choices = new_choices.stored()
                if state is None or (state.flow, state.step, state.draft, state.choices) != (
                        conversation.flow, conversation.step, conversation.draft, choices):
                    await uow.conversations.save(
                        user.id, flow=conversation.flow, step=conversation.step,
                        draft=conversation.draft, choices=choices, now=now)
            if msg.update_id is not None and not await uow.inbound.record(
                msg.channel, msg.update_id, now, replies=to_stored(replies),
                user_id=None if conversation.user_deleted else user_id,
            ):
                # A twin delivery applied it meanwhile (another worker); it sends the replies.
                await uow.rollback()
                logger.info("duplicate update ignored")
                return []
            await uow.commit()
            return replies

    async def _fetch_file(self, msg: Incoming) -> Incoming:
        """The message with its file downloaded (or the problem that stopped it) when the
        user's current step takes one; else as it came (its bytes are never fetched, nor
        those of an update applied before: a platform's redelivery)."""
        async with UnitOfWork(self._session_factory) as uow:
            user = await uow.users.find(msg.channel, msg.user_id)
            state = await uow.conversations.get(user.id) if user else None
            applied = msg.update_id is not None and await uow.inbound.was_applied(
                msg.channel, msg.update_id)
        if state is None or applied or _is_command(msg.text):
            return msg
        flow = self._file_flow(state.flow, self._is_admin(msg) or user.role == "staff")
        if flow is None or not flow.files.wanted(state.step, dict(state.draft)):
            return msg
        return replace(msg, file=await flow.files.fetch(msg.file))

    async def locale_of(self, channel: str, user_id: str) -> str:
        """The user's language, or the default for someone who has never written."""
        async with UnitOfWork(self._session_factory) as uow:
            user = await uow.users.find(channel, user_id)
            return user.locale if user else DEFAULT_LOCALE

    async def queued_for(self, channel: str, user_id: str) -> list[tuple[int, Reply]]:
        """Messages waiting for a user who is not writing (the web page polls for them); they
        stay queued until `acknowledge` is called with their ids."""
        async with UnitOfWork(self._session_factory) as uow:
            user = await uow.users.find(channel, user_id)
            if user is None:
                return []
            return [(m.id, queued_reply(m.text, m.choices))
                    for m in await uow.outbox.pending_for_user(user.id)]

    async def acknowledge(self, channel: str, user_id: str, message_ids: list[int]) -> int:
        """Mark queued messages as shown to the user; returns how many were marked."""
        async with self._user_lock(f"{channel}:{user_id}"), UnitOfWork(
            self._session_factory
        ) as uow:
            user = await uow.users.find(channel, user_id)
            if user is None or not message_ids:
                return 0
            marked = await uow.outbox.mark_sent(user.id, message_ids, self._clock())
            await uow.commit()
            return marked

    async def set_locale(self, channel: str, user_id: str, locale: str) -> None:
        """Set a user's language before a conversation (the console's --lang)."""
        async with self._user_lock(f"{channel}:{user_id}"), UnitOfWork(
            self._session_factory
        ) as uow:
            user = await uow.users.get_for_update(channel, user_id, locale=locale,
                                                  display_name=None, now=self._clock())
            user.locale = locale
            await uow.commit()

    async def _route(self, msg: Incoming, ctx: Context, current: CurrentChoices
                     ) -> tuple[list[Reply], CurrentChoices]:
        """Return the replies and the choices the user may now pick or press."""
        _ = ctx._
        offered = current.last
        if msg.file is not None and self._file_flow(ctx.conversation.flow, ctx.is_staff):
            if not _is_command(msg.text):
                return await self._file(msg, ctx, current)
            msg = replace(msg, file=None, kind=MessageKind.TEXT)  # "/huy" as its caption
        if msg.kind not in (MessageKind.TEXT, MessageKind.BUTTON):
            notice = _("Sorry, I can only read text. Please type your message or tap a button.")
            return [Reply(notice, choices=offered)], current
        text = normalize_input(msg.text)
        # A command is never a button's label.
        payload = msg.payload or (None if text.startswith("/") else (
            _pick_choice(text, current.pushed_in_form, by_number=False, yes_or_no=False)
            or _pick_choice(text, offered, by_number=not current.expects_text)))
        if not payload and not ctx.conversation.flow and not text.startswith("/"):
            payload = _menu_entry(text, ctx)
            if not payload and (command := _typed_command(text)):
                text = f"/{command}"
        if not payload and not text:
            notice = _("Your message looks empty. Please type your question or tap a button.")
            return [Reply(notice, choices=offered)], current
        if too_long := self._too_long(text, ctx):
            return [Reply(too_long, choices=offered)], current

        msg = Incoming(
            channel=msg.channel, user_id=msg.user_id, text=text, payload=payload,
            kind=MessageKind.BUTTON if payload else MessageKind.TEXT,
            update_id=msg.update_id, display_name=msg.display_name, operator=msg.operator,
        )
        if payload:
            button = self.router.find_button(payload)
            if button is None:
                return [Reply(_("That button is no longer valid. Type /menu to start "
                                "again."))], current
            if button.staff_only and not ctx.is_staff:
                return [Reply(_("Sorry, that is only for the centre's staff."))], current
            if not button.accepts_anytime(payload) and payload not in current.payloads:
                notice = _("That button belongs to an earlier message, so I did not act on "
                           "it. Please use the latest buttons, or type /menu.")
                return [Reply(notice, choices=offered)], current
            replies = await button.handler(msg, ctx)
        else:
            in_flow = bool(ctx.conversation.flow)
            replies = await self._call_text_handler(msg, ctx, current)
            if not in_flow and not text.startswith("/"):
                replies += _still_awaited(current, replies, ctx)
        after = CurrentChoices.of(replies)
        if ctx.conversation.flow:
            after = after.keeping_pushed(current, used=payload)
        return replies, after

    def _is_admin(self, msg: Incoming) -> bool:
        return msg.operator or msg.user_key in self._services.admin_ids

    def _file_flow(self, name: str | None, staff: bool) -> FlowRoute | None:
        """The conversation's flow when it takes files from this user."""
        flow = self.router.flows.get(name or "")
        if flow is None or flow.files is None or (flow.staff_only and not staff):
            return None
        return flow

    async def _file(self, msg: Incoming, ctx: Context, current: CurrentChoices
                    ) -> tuple[list[Reply], CurrentChoices]:
        """A photo or document (its caption as text) for the flow that takes files."""
        text = normalize_input(msg.text)
        if too_long := self._too_long(text, ctx):
            return [Reply(too_long, choices=current.last)], current
        flow = self.router.flows[ctx.conversation.flow or ""]
        replies = await flow.handler(replace(msg, text=text, payload=None), ctx)
        return replies, CurrentChoices.of(replies)

    @staticmethod
    def _too_long(text: str, ctx: Context) -> str | None:
        # Staff write announcements (up to 3,000 characters) and answers; users, questions.
        limit = MAX_STAFF_INPUT_CHARS if ctx.is_staff else MAX_INPUT_CHARS
        if len(text) <= limit:
            return None
        return ctx._(TOO_LONG).format(count=ctx.i18n.number(len(text)),
                                      limit=ctx.i18n.number(limit))

    async def _call_text_handler(self, msg: Incoming, ctx: Context, current: CurrentChoices
                                 ) -> list[Reply]:
        router = self.router
        if msg.text.startswith("/"):
            name = msg.text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(
                msg.text) > 1 else ""
            cmd = router.commands.get(name)
            if cmd is None or not cmd.allowed(ctx):
                return [Reply(ctx._("I don't know the command {command}. Type /help to see "
                                    "what I can do.").format(command=msg.text.split()[0]),
                              choices=(Choice(ctx._("Main menu"), "menu"),))]
            if not cmd.keeps_flow:
                ctx.conversation.finish()
            return await cmd.handler(msg, ctx)
        flow = router.flows.get(ctx.conversation.flow or "")
        if flow is not None:
            if flow.staff_only and not ctx.is_staff:
                ctx.conversation.finish()  # rights were taken back while the form was open
                return [Reply(ctx._("Sorry, that is only for the centre's staff."))]
            if wants_to_stop(msg.text, typed_answer=current.expects_text):
                # "thôi", "thoát", "về menu": as /huy ("please tap one of the answers" kept
                # a phone user in a form they wanted to leave).
                return await router.commands["huy"].handler(msg, ctx)
            if flow.resume is not None and (
                    aside := await self._aside_from_form(msg, ctx, flow, current)):
                return aside
            return await flow.handler(msg, ctx)
        if router.fallback is None:
            return [Reply(ctx._("Type /menu to see what I can do."))]
        return await router.fallback(msg, ctx)

    async def _aside_from_form(self, msg: Incoming, ctx: Context, flow: FlowRoute,
                               current: CurrentChoices) -> list[Reply] | None:
        """What a message typed in a user's form says beside answering it: switch the
        language ("English"), or ask a question the knowledge base is sure of where the form
        waits for a tap ("làm bún thì chọn ngành nào ạ"): answered, then the form's question
        again. Each was "please tap one of the answers", or was saved as the answer."""
        locale = language_named(msg.text)
        if locale and locale != ctx.user.locale and locale in ctx.translators:
            return await switch_language(locale, ctx)
        if current.expects_text or not current.last or flow.resume is None:
            return None  # a typed answer may be a question ("Kiến nghị của anh/chị?")
        answer = await answer_in_passing(msg, ctx)
        if answer is None:
            return None
        back = ctx._("Back to the form: please tap one of the answers below, or type “cancel” "
                     "to stop.")
        return [answer, Reply(back), *await flow.resume(ctx)]

    @asynccontextmanager
    async def _user_lock(self, key: str) -> AsyncIterator[None]:
        """Serialise one user's messages inside this worker (the row lock does it across)."""
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiters[key] = self._waiters.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._waiters[key] -= 1
            if not self._waiters[key]:
                del self._waiters[key], self._locks[key]


def storable_incoming(msg: Incoming) -> Incoming:
    """The message without what no column can hold, its platform strings fitted to theirs."""
    update_id = msg.update_id
    if update_id is not None and len(update_id) > MAX_UPDATE_ID:
        update_id = hashlib.sha256(update_id.encode("utf-8", "replace")).hexdigest()[:40]
    return replace(
        msg, text=storable(msg.text), user_id=storable(msg.user_id)[:MAX_USER_ID],
        payload=storable(msg.payload) if msg.payload else msg.payload,
        display_name=storable(msg.display_name) if msg.display_name else None,
        update_id=update_id,
    )


def _replies_of_duplicate(msg: Incoming, applied: ProcessedUpdate) -> list[Reply]:
    """The replies of an update delivered again that were not sent yet; none once they were."""
    if applied.sent_at is not None or not applied.replies:
        logger.info("duplicate update ignored")
        return []
    logger.info("duplicate update: its unsent replies again")
    return from_stored(applied.replies)


def _pick_choice(text: str, offered: tuple[Choice, ...], *, by_number: bool = True,
                 yes_or_no: bool = True) -> str | None:
    """Map "2", "2." or a typed label (diacritics and case ignored) to a choice's payload;
    not a number where the question asks for a typed answer (then "2" is the answer). A label
    two choices share picks neither (on Zalo OA a tap sends the label: the second of two fairs
    cut to the same words registered for the first)."""
    if not offered or not text:
        return None
    number = text.rstrip(".)")
    # A number that is a button's label is that button, not the one at its position: "8"
    # typed to buttons 0-10 stored 7.
    if by_number and number.isdigit() and 1 <= int(number) <= len(offered) and not any(
            choice.label.strip() == number for choice in offered):
        return offered[int(number) - 1].payload
    folded = fold(text)
    named = {choice.payload for choice in offered if fold(choice.label) == folded}
    if len(named) == 1:
        return named.pop()
    if named or not yes_or_no:
        return None
    # "có", "đồng ý", "ko" typed to buttons "Tôi đồng ý" / "Tôi không đồng ý".
    index = pick_yes_or_no(text, [choice.label for choice in offered])
    return None if index is None else offered[index].payload


def _menu_entry(text: str, ctx: Context) -> str | None:
    """The main menu's button a message types out, in either language ("tôi có được hỗ trợ
    không", "toi co dc ho tro ko"), though the menu is not on screen: it was read as a
    question and got "did you mean" choices."""
    typed = plain(text)
    for payload, label, staff_only in MENU_ENTRIES:
        if (ctx.is_staff or not staff_only) and any(
                plain(translator.gettext(label)) == typed
                for translator in ctx.translators.values()):
            return payload
    return None


def _typed_command(text: str) -> str | None:
    """The command a short message asks for in words ("khảo sát", "xóa hết dữ liệu của
    tôi", "menu"), if any (see TYPED_COMMANDS)."""
    typed = plain(text)
    for wanting in WANTING:
        typed = typed.removeprefix(f"{wanting} ")
    exact = next((command for command, phrases in TYPED_COMMANDS.items() if typed in phrases),
                 None)
    if exact or len(typed.split()) > MAX_WORDS_FOR_WITHIN:
        return exact
    padded = f" {typed} "
    return next((command for command, phrases in TYPED_COMMANDS_WITHIN.items()
                 if any(f" {phrase} " in padded for phrase in phrases)), None)


AWAITED = "awaited"  # conversation draft: the yes/no choices offered again, once


def _still_awaited(current: CurrentChoices, replies: list[Reply], ctx: Context) -> list[Reply]:
    """A yes-or-no the person was asked (consent, a booth offered) and did not answer before
    typing a question: offered again under the answer, once, so "được" typed next answers it
    (the answer's buttons replaced it, and "dc" got "Vâng ạ": the registration was dropped)."""
    said = [answers_yes_or_no(choice.label) for choice in current.last]
    if True not in said or False not in said or ctx.conversation.flow or any(
            choice in current.last for reply in replies for choice in reply.choices):
        return []
    key = sorted(choice.payload for choice in current.last)
    if ctx.conversation.draft.get(AWAITED) == key:
        return []
    ctx.conversation.draft[AWAITED] = key
    return [Reply(ctx._("And the question before still waits for your answer:"),
                  choices=current.last)]


def _is_command(text: str) -> bool:
    """A photo's caption that is a command ("/huy") is the command, not the file's text."""
    return normalize_input(text).startswith("/")
