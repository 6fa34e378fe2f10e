"""Replies as JSON, kept with an update's ledger row until they were sent.

Text, choices, the title flag, links, the forget-user and typed-answer flags are kept, and an
attachment (a reference to a file in media storage, not its bytes). A document is not: exports
can be large and full of personal data, so a re-sent reply carries its text only (the user can
ask again).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from handlers.types import Attachment, Choice, Link, Reply
from storage.uow import UnitOfWork


def to_stored(replies: list[Reply]) -> list[dict[str, Any]]:
    stored = []
    for reply in replies:
        item: dict[str, Any] = {"text": reply.text}
        if reply.choices:
            item["choices"] = [[c.label, c.payload] for c in reply.choices]
        if reply.titled:
            item["titled"] = True
        if reply.links:
            item["links"] = [[link.label, link.url] for link in reply.links]
        if reply.forget_user:
            item["forget_user"] = True
        if reply.expects_text:
            item["expects_text"] = True
        if reply.attachment:
            item["attachment"] = reply.attachment.to_json()
        stored.append(item)
    return stored


def from_stored(stored: list[dict[str, Any]] | None) -> list[Reply]:
    replies = []
    for item in stored or ():
        choices = tuple(Choice(label, payload) for label, payload in item.get("choices", ()))
        links = tuple(Link(label, url) for label, url in item.get("links", ()))
        replies.append(Reply(item["text"], choices=choices, titled=bool(item.get("titled")),
                             links=links, forget_user=bool(item.get("forget_user")),
                             expects_text=bool(item.get("expects_text")),
                             attachment=Attachment.from_json(item.get("attachment"))))
    return replies


def queued_reply(text: str, choices: list[list[str]] | None) -> Reply:
    """A message of the outbox as a reply (its buttons, if any, with it)."""
    return Reply(text, choices=tuple(Choice(label, payload) for label, payload in choices or ()))


@dataclass(frozen=True)
class CurrentChoices:
    """The buttons of the user's current step: those of the last message that had any (which
    a typed number or label picks) and every button of the latest answer (which may be
    pressed; older state-changing buttons are refused)."""

    last: tuple[Choice, ...] = ()
    payloads: frozenset[str] = frozenset()
    expects_text: bool = False  # the last message asks for a typed answer (see Reply)
    # Buttons of a message pushed while the user was in a form (a booth offered): their whole
    # label typed picks them before the form reads it, as on Zalo OA a tap sends the label.
    pushed_in_form: tuple[Choice, ...] = ()

    @classmethod
    def of(cls, replies: list[Reply]) -> CurrentChoices:
        with_choices = [r for r in replies if r.choices]
        last = with_choices[-1] if with_choices else None
        # A question asking for a typed name has no buttons when it comes first: it still
        # asks for text ("Huy" is a name there, not "hủy").
        since = replies[replies.index(last):] if last else replies
        return cls(last.choices if last else (),
                   frozenset(c.payload for r in with_choices for c in r.choices),
                   any(r.expects_text for r in since))

    @classmethod
    def from_stored(cls, stored: dict) -> CurrentChoices:
        last = tuple(Choice(c["label"], c["payload"]) for c in stored.get("items", []))
        pushed = tuple(Choice(c["label"], c["payload"]) for c in stored.get("pushed", []))
        return cls(last, frozenset(stored.get("offered", ())) | {c.payload for c in last} |
                   {c.payload for c in pushed}, bool(stored.get("text")), pushed)

    def stored(self) -> dict:
        stored: dict = {"items": [{"label": c.label, "payload": c.payload} for c in self.last]}
        earlier = sorted(self.payloads - {c.payload for c in self.last})
        if earlier:
            stored["offered"] = earlier
        if self.expects_text:
            stored["text"] = True
        if self.pushed_in_form:
            stored["pushed"] = [{"label": c.label, "payload": c.payload}
                                for c in self.pushed_in_form]
        return stored

    def keeping_pushed(self, earlier: CurrentChoices, used: str | None) -> CurrentChoices:
        """These choices, still with the buttons pushed into a form before (but the one just
        used): they stay until the form is over."""
        kept = tuple(c for c in earlier.pushed_in_form if c.payload != used)
        if not kept:
            return self
        return dataclasses.replace(self, payloads=self.payloads | {c.payload for c in kept},
                                   pushed_in_form=kept)

    def pushed(self, choices: list[tuple[str, str]], *, in_form: bool = False
               ) -> CurrentChoices:
        """These choices, of a message pushed to the user (a booth offered, a staff answer),
        made the ones a typed label, number or "có" picks; those offered before stay valid to
        press. In a form, whose own buttons and answers come first, only their whole labels
        pick them (see pushed_in_form)."""
        pushed = tuple(Choice(label, payload) for label, payload in choices)
        payloads = self.payloads | {c.payload for c in pushed}
        if in_form:
            return dataclasses.replace(self, payloads=payloads,
                                       pushed_in_form=(*self.pushed_in_form, *pushed))
        return CurrentChoices(pushed, payloads)


async def push(uow: UnitOfWork, user_id: int, text: str, now: datetime,
               choices: list[tuple[str, str]] | None = None) -> None:
    """Queue a message for a user (delivered by the channel's sender, or with their next
    reply); its buttons become theirs to tap or type later (on Zalo a number or the label
    typed is the tap: "1" under a staff answer picked the menu of an older message)."""
    await uow.outbox.add(user_id, text, now, choices=choices)
    if not choices:
        return
    state = await uow.conversations.get(user_id)
    current = CurrentChoices.from_stored(state.choices or {}) if state else CurrentChoices()
    in_form = bool(state and state.flow)
    await uow.conversations.save(
        user_id, flow=state.flow if state else None, step=state.step if state else None,
        draft=dict(state.draft or {}) if state else {},
        choices=current.pushed(choices, in_form=in_form).stored(), now=now)
