"""Choosing the language (Vietnamese by default, English)."""

from __future__ import annotations

from dataclasses import replace

from handlers.context import Context
from handlers.i18n import LOCALES, N_
from handlers.routing import Router
from handlers.start import PAUSED, main_menu
from handlers.text import fold, words
from handlers.types import Choice, Incoming, Reply

router = Router()

LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}
# A message that is only a language's name switches to it, as /lang does ("tiếng việt" typed
# to go back from English was read as a question).
_NAMED = {"tieng viet": "vi", "bang tieng viet": "vi", "vietnamese": "vi", "in vietnamese": "vi",
          "tieng anh": "en", "bang tieng anh": "en", "english": "en", "in english": "en"}


def language_named(text: str) -> str | None:
    """The language a message only names ("Tiếng Việt", "english"), if it does."""
    return _NAMED.get(fold(" ".join(words(text))))


@router.command("lang", "ngonngu", description=N_("Change the language"), keeps_flow=True)
async def lang_command(msg: Incoming, ctx: Context) -> list[Reply]:
    parts = msg.text.split()
    if len(parts) > 1 and parts[1].lower() in LOCALES:
        return await switch_language(parts[1].lower(), ctx)
    return [_language_menu(ctx)]


@router.payload("lang", always_valid=True)
async def lang_button(msg: Incoming, ctx: Context) -> list[Reply]:
    _, _sep, code = msg.payload.partition(":")
    if code in LOCALES:
        return await switch_language(code, ctx)
    return [_language_menu(ctx)]


def _language_menu(ctx: Context) -> Reply:
    return Reply(
        ctx._("Choose your language:"),
        choices=tuple(Choice(name, f"lang:{code}") for code, name in LANGUAGE_NAMES.items()),
    )


async def switch_language(locale: str, ctx: Context) -> list[Reply]:
    ctx.user.locale = locale
    translator = ctx.translators[locale]
    # TRANSLATORS: shown in the newly chosen language: name this catalog's own language.
    confirmation = translator.gettext("From now on I will answer in English.")
    # The menu must be in the new language too: rebuild it with the new translator.
    new_ctx = replace(ctx, i18n=translator)
    if ctx.conversation.flow in PAUSED:
        # A survey's question was asked in the old language and the menu now follows: the
        # survey is paused, saved as it is, rather than left to take the next message as its
        # answer (a phone user switching mid-survey was not told where it stood).
        flow = ctx.conversation.flow
        ctx.conversation.finish()
        return [main_menu(new_ctx, f"{confirmation}\n\n{new_ctx._(PAUSED[flow])}")]
    flow_route = ctx.router.flows.get(ctx.conversation.flow or "")
    if flow_route is not None and flow_route.resume is not None:
        # Another form goes on where it was, its question asked again in the new language
        # (the menu under the confirmation left the form waiting for an answer unseen).
        return [Reply(confirmation), *await flow_route.resume(new_ctx)]
    return [main_menu(new_ctx, f"{confirmation}\n\n{new_ctx._('What would you like to do?')}")]
