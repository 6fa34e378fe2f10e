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


# What people type for what a command does (folded, see text.plain), outside a form: "khảo
# sát" was answered with the study trips abroad, "xóa hết dữ liệu của tôi" with an article on
# typing /xoadulieu, "menu" with "outside what I can help with" (a phone user, 8 Dec 2026).
TYPED_COMMANDS = {
    "menu": ("menu", "trinh don", "main menu", "ve menu", "mo menu", "hien menu", "xem menu",
             "quay lai menu", "menu chinh", "trinh don chinh", "show menu", "show the menu",
             "back to menu", "back to the menu"),
    "khaosat": ("khao sat", "lam khao sat", "khao sat nhu cau", "khao sat nhu cau ho tro",
                "phieu khao sat", "tra loi khao sat", "dien khao sat", "dien phieu khao sat",
                "tong hop nhu cau", "tong hop nhu cau ho tro", "survey", "surveys",
                "the survey", "take the survey", "fill in the survey", "answer the survey"),
    "hoso": ("ho so cua toi", "xem ho so", "xem ho so cua toi", "ho so co so cua toi",
             "sua ho so", "sua ho so cua toi", "cap nhat ho so", "thong tin co so cua toi",
             "my profile", "show my profile", "view my profile", "edit my profile"),
    "xoadulieu": ("xoa du lieu", "xoa du lieu cua toi", "xoa het du lieu",
                  "xoa het du lieu cua toi", "xoa thong tin cua toi", "xoa het thong tin cua toi",
                  "xoa tai khoan", "delete my data", "delete all my data", "erase my data",
                  "delete my account"),
    "dieukien": ("am i eligible", "check eligibility", "check my eligibility",
                 "kiem tra dieu kien", "kiem tra dieu kien ho tro"),
    "hoicho": ("dang ky hoi cho", "dang ky tham gia hoi cho", "dang ky gian hang",
               "dang ky gian hang hoi cho", "huy dang ky hoi cho", "huy dang ky gian hang",
               "xem hoi cho", "cac hoi cho", "hoi cho sap toi", "register for a fair",
               "register for the fair", "register for a trade fair", "book a booth",
               "cancel my booth", "upcoming fairs"),
}
# Phrases that ask for a command anywhere in a short message ("giờ chị làm cái khảo sát luôn
# nhé em", "ok, am i eligible?", "I want to save my company profile").
TYPED_COMMANDS_WITHIN = {
    "khaosat": ("lam khao sat", "lam cai khao sat", "dien khao sat", "lam phieu khao sat",
                "dien phieu khao sat", "fill in the survey", "take the survey", "do the survey",
                "fill the survey", "answer the survey"),
    # Not "hồ sơ của tôi" within a sentence: a dossier is a hồ sơ too ("hồ sơ của tôi bị
    # trả lại thì sao"); "xem hồ sơ của tôi" alone is in TYPED_COMMANDS.
    "hoso": ("my company profile", "my profile", "my enterprise profile",
             "xem ho so cua chi", "xem ho so cua em"),
    "hoicho": ("dang ky cua toi", "dang ky cua em", "dang ky cua chi", "my registrations",
               "register for the fair", "register for a fair", "register for a trade fair"),
    "dieukien": ("am i eligible", "check eligibility", "check my eligibility"),
    "xoadulieu": ("delete my data", "xoa du lieu cua toi", "xoa het du lieu"),
}
MAX_WORDS_FOR_WITHIN = 10
# Words before what they want ("e muốn làm khảo sát", "I want to take the survey").
WANTING = ("toi muon", "em muon", "e muon", "minh muon", "chau muon", "muon", "cho em",
           "cho toi", "cho minh", "lam", "i want to", "i would like to", "id like to", "please")


def main_menu(ctx: Context, text: str | None = None) -> Reply:
    choices = tuple(
        Choice(ctx._(label), payload)
        for payload, label, staff_only in MENU_ENTRIES
        if ctx.is_staff or not staff_only
    )
    return Reply(text or ctx._("What would you like to do?"), choices=choices)


@router.command("start", "batdau", description=N_("Start over and show the main menu"),
                keeps_flow=True)
async def start(msg: Incoming, ctx: Context) -> list[Reply]:
    greeting = ctx._(
        "Hello! I am the assistant of the Hai Phong Industrial Promotion and Development "
        "Consultancy Centre. I can answer questions about industrial-promotion (khuyến công) "
        "support, keep your enterprise profile, and pass your questions to our staff."
    )
    flow = ctx.router.flows.get(ctx.conversation.flow or "")
    if flow is not None and flow.resume is not None:
        # A form half done stays (the web page sends /start when opened in a new tab, which
        # threw away an unfinished fair registration without a word).
        going_on = ctx._("You were filling in a form: here is where you stopped. Type /huy "
                         "to leave it.")
        return [Reply(f"{greeting}\n\n{going_on}"), *await flow.resume(ctx)]
    ctx.conversation.finish()
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
