"""Replies as JSON, kept with an update's ledger row until they were sent.

Text, choices, the title flag, links, the forget-user and typed-answer flags are kept, and an
attachment (a reference to a file in media storage, not its bytes). A document is not: exports
can be large and full of personal data, so a re-sent reply carries its text only (the user can
ask again).
"""

from __future__ import annotations

from typing import Any

from handlers.types import Attachment, Choice, Link, Reply


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
