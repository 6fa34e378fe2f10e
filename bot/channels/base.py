"""What every channel is to the rest of the bot: a name, routes on the shared aiohttp server,
start and stop, what it can show, and `deliver()`; plus the one way an adapter answers a
message it received."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from aiohttp import web

from bot.delivery import DeliveryOutcome, Outcome
from handlers.dispatcher import storable_incoming
from handlers.types import Attachment, Incoming, Reply

if TYPE_CHECKING:
    from bot.app import Core

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Capabilities:
    """What a channel can show. Choices beyond `max_buttons` (0: none) or with longer labels
    go out as a numbered list; text beyond `max_text_length` is split."""

    max_text_length: int
    max_buttons: int = 0
    max_button_label: int = 64
    photos: bool = False
    documents: bool = False  # files sent as files (else: a link to our own server)
    edit: bool = False  # a sent message can be edited
    # Characters of text that can go under a photo or file as its caption (0: none; a
    # reply's text longer than that follows the file as messages of their own).
    caption_length: int = 0
    # The outbox sender pushes queued messages (staff answers…) through `deliver()`; a
    # channel that does not push has its clients fetch them (the web page polls its inbox).
    push: bool = True
    # Lengths counted in UTF-16 code units, as Telegram counts them: an emoji is two (a staff
    # answer with 33 "📌" under 4,096 characters was refused as too long).
    utf16_lengths: bool = False


class Channel(Protocol):
    name: str
    capabilities: Capabilities

    def add_routes(self, app: web.Application) -> None:
        """Add the channel's webhook routes (if any) to the shared server."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def deliver(self, channel_user_id: str, replies: Sequence[Reply], *,
                      paced: bool = False) -> list[DeliveryOutcome]:
        """Send replies in order, one outcome per reply tried: every one SENT but possibly
        the last, which says why sending stopped there (the rest were not tried).

        `paced`: the caller paces its sends and obeys flood control itself (the broadcast
        sender), so a 429 comes back at once as RETRY_AFTER instead of being waited out."""


    async def prepare_attachment(self, attachment: Attachment) -> Attachment:
        """The attachment ready to go to many (a broadcast): with this channel's reference
        to it where the channel uploads files first (Zalo OA), else unchanged. Raises
        AttachmentNotReady with the outcome when the upload failed."""


class AttachmentNotReady(Exception):
    """An attachment could not be made ready to send; `outcome` says how to go on (a 429's
    wait, a network error's retry, a refusal)."""

    def __init__(self, outcome: DeliveryOutcome) -> None:
        super().__init__(outcome.error or outcome.kind)
        self.outcome = outcome


class EditableChannel(Channel, Protocol):
    """A channel whose sent messages can be changed afterwards (`capabilities.edit`), as the
    progress message of a broadcast is."""

    async def send_editable(self, channel_user_id: str, text: str) -> str | None:
        """Send a text; its message id, or None when it could not be sent."""

    async def edit(self, channel_user_id: str, message_id: str, text: str) -> bool:
        """Replace a sent message's text; False when that failed."""


class RepliesNotSent(Exception):
    """The replies of an update could not all be sent; a webhook answers 500 so the platform
    delivers the update again and the kept replies go out then."""


def sent_count(outcomes: list[DeliveryOutcome]) -> int:
    return sum(1 for o in outcomes if o.kind is Outcome.SENT)


def last_outcome(outcomes: list[DeliveryOutcome]) -> DeliveryOutcome:
    return outcomes[-1] if outcomes else DeliveryOutcome(Outcome.SENT)


async def answer(core: Core, channel: Channel, incoming: Incoming, *,
                 redelivered_on_failure: bool,
                 on_applied: Callable[[], Awaitable[None]] | None = None) -> None:
    """Apply a received message and send its replies. When they cannot all be sent, the
    unsent ones are kept for the update's redelivery (the platform redelivers: this raises
    RepliesNotSent, so the webhook answers 500) or handed to the outbox (nothing will be
    redelivered). `on_applied` runs between the two (Zalo OA opens the reply window)."""
    # The ids as the ledger keeps them (an over-long update id is stored hashed), so the
    # replies are marked and kept against the row the dispatcher wrote.
    incoming = storable_incoming(incoming)
    replies = await core.dispatcher.handle(incoming)
    if on_applied is not None:
        await on_applied()
    deliveries = core.deliveries
    name = channel.name
    if not replies or deliveries.were_sent(name, incoming.update_id):
        return
    outcomes = await channel.deliver(incoming.user_id, replies)
    outcome, sent = last_outcome(outcomes), sent_count(outcomes)
    if outcome.worth_retrying:
        unsent = replies[sent:]
        if redelivered_on_failure and incoming.update_id is not None:
            await deliveries.keep_unsent(name, incoming.update_id, unsent)
            raise RepliesNotSent(outcome.error or outcome.kind)
        logger.info("%s: %d replies not sent (%s), queued", name, len(unsent),
                    outcome.error or outcome.kind)
        await deliveries.queue(name, incoming.user_id, unsent)
    elif outcome.kind is Outcome.BLOCKED:
        logger.info("%s: replies refused, the user blocked the bot", name)
        await deliveries.set_blocked(name, incoming.user_id, True)
    elif outcome.kind is not Outcome.SENT:
        logger.warning("%s: replies refused (%s)", name, outcome.error or outcome.kind)
    deliveries.replies_sent(name, incoming.update_id)
