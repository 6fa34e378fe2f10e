"""Greeting, main menu, help and cancel."""

from __future__ import annotations

from handlers.context import Context
from handlers.i18n import N_
from handlers.routing import Router
from handlers.surveys import FLOW as SURVEY_FLOW
from handlers.types import Choice, Incoming, Reply

router = Router()

# Main-menu entries: (payload, label msgid, staff only). Each payload is routed elsewhere.
MENU_ENTRIES = (
    ("ask", N_("Ask about support programmes"), False),
    ("topics", N_("Browse programmes by topic"), False),
    ("elig", N_("Am I eligible for support?"), False),
    ("fairs", N_("Trade fairs"), False),
    ("surveys", N_("Surveys of the centre"), False),
    ("profile", N_("My enterprise profile"), False),
    ("lang", N_("Language / Ngôn ngữ"), False),
    ("help", N_("Help"), False),
    ("staff", N_("Staff tools"), True),
)


def main_menu(ctx: Context, text: str | None = None) -> Reply:
    choices = tuple(
        Choice(ctx._(label), payload)
        for payload, label, staff_only in MENU_ENTRIES
        if ctx.is_staff or not staff_only
    )
    return Reply(text or ctx._("What would you like to do?"), choices=choices)


@router.command("start", "batdau", description=N_("Start over and show the main menu"))
async def start(msg: Incoming, ctx: Context) -> list[Reply]:
    greeting = ctx._(
        "Hello! I am the assistant of the Hai Phong Industrial Promotion and Development "
        "Consultancy Centre. I can answer questions about industrial-promotion (khuyến công) "
        "support, keep your enterprise profile, and pass your questions to our staff."
    )
    # One message, not two: the menu's buttons sit under the greeting.
    return [main_menu(ctx, f"{greeting}\n\n{ctx._('What would you like to do?')}")]


@router.command("menu", description=N_("Show the main menu"))
async def menu(msg: Incoming, ctx: Context) -> list[Reply]:
    return [main_menu(ctx)]


@router.command("help", "trogiup", description=N_("What I can do and how"), keeps_flow=True)
async def help_command(msg: Incoming, ctx: Context) -> list[Reply]:
    return [help_reply(ctx)]


@router.payload("help", always_valid=True)
async def help_button(msg: Incoming, ctx: Context) -> list[Reply]:
    return [help_reply(ctx)]


def help_reply(ctx: Context) -> Reply:
    lines = [ctx._("Type a question in your own words, with or without diacritics, or use "
                   "these commands:")]
    english = ctx.user.locale == "en"
    for cmd in ctx.router.visible_commands(staff=ctx.is_staff, admin=ctx.is_admin):
        # In English the other name too: "/huy (/cancel)", "/lang (/ngonngu)".
        others = f" (/{cmd.aliases[0]})" if english and cmd.aliases else ""
        lines.append(f"/{cmd.name}{others} — {ctx._(cmd.description)}")
    lines += ["", ctx._("What would you like to do?")]
    return main_menu(ctx, "\n".join(lines))


# Forms whose answers are saved at every step: /huy only pauses them ("Cancelled" made a
# phone user think the survey's answers were lost).
PAUSED = {SURVEY_FLOW: N_("Paused: your answers so far are saved. Type /khaosat to go on "
                          "where you left off.")}


SENT_KEPT = N_("Stopped. Your answers were sent and are kept; type /khaosat to see or "
               "change them.")


@router.command("huy", "cancel", description=N_("Cancel what you are doing"), keeps_flow=True)
async def cancel(msg: Incoming, ctx: Context) -> list[Reply]:
    flow, sent = ctx.conversation.flow, bool(ctx.conversation.draft.get("submitted"))
    ctx.conversation.finish()  # nothing else of the flow is saved
    if flow == SURVEY_FLOW and sent:
        return [main_menu(ctx, ctx._(SENT_KEPT))]
    if flow in PAUSED:
        return [main_menu(ctx, ctx._(PAUSED[flow]))]
    return [main_menu(ctx, ctx._("Cancelled. What would you like to do?"))]


@router.payload("menu", always_valid=True)
async def menu_button(msg: Incoming, ctx: Context) -> list[Reply]:
    return [main_menu(ctx)]
