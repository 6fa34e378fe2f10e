"""Staff tools: roles and the audit log."""

from __future__ import annotations

from handlers.context import Context
from handlers.i18n import N_, translator_for
from handlers.routing import Router
from handlers.text import shorten
from handlers.types import Choice, Incoming, Reply

router = Router()


@router.command("nhanvien", "staff", description=N_("Staff tools"), staff=True)
async def staff_menu(msg: Incoming, ctx: Context) -> list[Reply]:
    return [_staff_help(ctx)]


@router.payload("staff", staff=True, always_valid=True)
async def staff_button(msg: Incoming, ctx: Context) -> list[Reply]:
    return [_staff_help(ctx)]


def _staff_help(ctx: Context) -> Reply:
    lines = [ctx._("Staff commands:")]
    for cmd in ctx.router.visible_commands(staff=True, admin=ctx.is_admin):
        if cmd.staff_only or cmd.admin_only:
            lines.append(f"/{cmd.name} — {ctx._(cmd.description)}")
    # Fairs are managed from the fairs' list (/hoicho), which staff did not find from here.
    return Reply("\n".join(lines), choices=(Choice(ctx._("Manage fairs"), "fa"),
                                            Choice(ctx._("Main menu"), "menu")))


@router.command("capquyen", "grant", description=N_("Make a user staff: /capquyen telegram:12345"),
                admin=True)
async def grant_staff(msg: Incoming, ctx: Context) -> list[Reply]:
    return await _set_role(msg, ctx, "staff")


@router.command("thuquyen", "revoke", description=N_("Take staff rights back: /thuquyen "
                                                      "telegram:12345"), admin=True)
async def revoke_staff(msg: Incoming, ctx: Context) -> list[Reply]:
    return await _set_role(msg, ctx, "user")


GRANTED = N_("You have been given staff rights on the centre's bot. Type /nhanvien to see "
             "the staff commands.")
REVOKED = N_("Your staff rights on the centre's bot have been withdrawn.")


async def _set_role(msg: Incoming, ctx: Context, role: str) -> list[Reply]:
    parts = msg.text.split()
    channel, _sep, user_id = (parts[1] if len(parts) > 1 else "").partition(":")
    channel, user_id = channel.strip().lower(), user_id.strip()  # "Telegram:501" too
    if not channel or not user_id:
        return [Reply(ctx._("Please name the user as channel:id, for example "
                            "/capquyen telegram:12345. They find their id with /toi."))]
    if channel == "web":
        return [Reply(ctx._("Web-chat visitors are anonymous and cannot become staff."))]
    named = f"{channel}:{user_id}"
    target = await ctx.uow.users.find(channel, user_id)
    if target is None:
        return [Reply(ctx._("I do not know {user}. They must write to the bot once first.")
                      .format(user=named))]
    if role == "user" and named in ctx.services.admin_ids:
        # Their rights come from the settings: "no longer staff" was said, and untrue.
        return [Reply(ctx._("{user} is an administrator named in the settings (ADMIN_IDS): "
                            "their rights can only be taken back there.").format(user=named))]
    if target.role == role:  # told once, not again
        said = ctx._("{user} is already staff.") if role == "staff" else ctx._(
            "{user} is not staff.")
        return [Reply(said.format(user=named))]
    target.role = role
    await ctx.uow.audit.record(actor=ctx.actor, action=f"role.{role}", target=named,
                               now=ctx.now)
    # The person is told, in their language (a new staff member heard nothing before).
    message = GRANTED if role == "staff" else REVOKED
    told = translator_for(ctx.translators, target.locale).gettext(message)
    await ctx.uow.outbox.add(target.id, told, ctx.now)
    if role == "staff":
        return [Reply(ctx._("{user} is now staff.").format(user=named))]
    return [Reply(ctx._("{user} is no longer staff.").format(user=named))]


@router.command("toi", "whoami", description=N_("Show your user id (to be made staff)"),
                keeps_flow=True)
async def whoami(msg: Incoming, ctx: Context) -> list[Reply]:
    return [Reply(ctx._("Your id is {user}.").format(user=ctx.actor))]


@router.command("nhatky", "audit", description=N_("Recent entries of the audit log"), admin=True)
async def audit_log(msg: Incoming, ctx: Context) -> list[Reply]:
    entries = await ctx.uow.audit.recent()
    if not entries:
        return [Reply(ctx._("The audit log is empty."))]
    lines = [ctx._("Latest audit log entries:")]
    for entry in entries:
        # With the time and what it did (a date alone could not tell two changes apart, and
        # the fairs a deletion cancelled were not shown).
        lines.append(f"{ctx.i18n.datetime(entry.at)} {entry.actor} {entry.action} "
                     f"{entry.target or ''}".rstrip())
        if entry.details:
            lines.append("  " + shorten(_details_text(entry.details), MAX_DETAILS_SHOWN))
    return [Reply("\n".join(lines))]


MAX_DETAILS_SHOWN = 200  # characters of an entry's details in /nhatky


def _details_text(details: dict) -> str:
    """An audit entry's details as "key: value; …" (lists joined by commas)."""
    def shown(value: object) -> str:
        if isinstance(value, list | tuple):
            return ", ".join(map(str, value)) or "-"
        if isinstance(value, dict):
            return "; ".join(f"{k}: {shown(v)}" for k, v in value.items()) or "-"
        return str(value)
    return "; ".join(f"{key}: {shown(value)}" for key, value in details.items())
