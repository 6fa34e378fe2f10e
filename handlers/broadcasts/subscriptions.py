"""Subscriptions to the centre's announcements: /huydangky stops them, /dangky starts them
again. Both work at any time, even in the middle of a form."""

from __future__ import annotations

from handlers.context import Context
from handlers.i18n import N_
from handlers.routing import Router
from handlers.start import main_menu
from handlers.types import Incoming, Reply

WEB = "web"  # the web chat's channel name

router = Router()


@router.command("huydangky", "unsubscribe", description=N_("Stop the centre's announcements"),
                keeps_flow=True)
async def unsubscribe(msg: Incoming, ctx: Context) -> list[Reply]:
    if ctx.user.unsubscribed_at is None:
        ctx.user.unsubscribed_at = ctx.now
    done = ctx._("Done: you will no longer receive the centre's announcements. Type /dangky "
                 "to receive them again.")
    # "/huydangky" reads as "cancel the registration": a phone user took it for a fair's.
    fairs = ctx._("To cancel a trade-fair registration, open /hoicho and choose the fair.")
    return [main_menu(ctx, f"{done}\n\n{fairs}")]


@router.command("dangky", "subscribe", description=N_("Receive the centre's announcements"),
                keeps_flow=True)
async def subscribe(msg: Incoming, ctx: Context) -> list[Reply]:
    ctx.user.unsubscribed_at = None
    if ctx.user.channel == WEB:
        # The page cannot be written to when it is closed: "you will receive them" was untrue.
        return [main_menu(ctx, ctx._("The centre's announcements go out on Telegram and Zalo; "
                                     "this web chat cannot receive them. Write to the centre's "
                                     "bot on Telegram or Zalo to get them."))]
    return [main_menu(ctx, ctx._("Done: you will receive the centre's announcements (new "
                                 "programmes, fairs, surveys). Type /huydangky to stop them "
                                 "at any time."))]
