"""A user deleting all their data (/xoadulieu)."""

from __future__ import annotations

from handlers.context import Context
from handlers.fairs import booking, notices
from handlers.i18n import N_
from handlers.routing import Router
from handlers.types import Choice, Incoming, Reply
from storage.models import ACTIVE

router = Router()


@router.command("xoadulieu", "deletedata", description=N_("Delete all your data"))
async def delete_command(msg: Incoming, ctx: Context) -> list[Reply]:
    return [Reply(
        ctx._("This deletes everything I keep about you: your enterprise profile, your "
              "consent, the questions you asked and their answers, your survey answers, your "
              "fair registrations (cancelled, so their booths go to the next in line, unless "
              "someone else of your establishment uses the bot), messages waiting for you, "
              "your language and your place in any form. It cannot be undone. Delete "
              "everything?"),
        choices=(Choice(ctx._("Yes, delete everything"), "privacy:delete"),
                 Choice(ctx._("No, keep my data"), "privacy:keep")),
    )]


@router.payload("privacy")
async def delete_button(msg: Incoming, ctx: Context) -> list[Reply]:
    if msg.payload != "privacy:delete":
        return [Reply(ctx._("Nothing was deleted."), choices=(Choice(ctx._("Main menu"), "menu"),))]
    # Translate before the user row (and its language) disappears.
    done = ctx._("Done: all your data has been deleted. If you write again, I will start "
                 "afresh.")
    # The audit log keeps that a deletion happened and an anonymous reference, never who
    # the person was; the same reference replaces their id in older entries.
    reference = f"deleted user #{ctx.user.id}"
    # Staff see in the audit log which fairs lost a registration (a booth given up this way
    # vanished from the exports without a trace).
    fairs = sorted({fair.code for registration in await ctx.uow.registrations.of_user(ctx.user.id)
                    if registration.status in ACTIVE
                    and (fair := await ctx.uow.fairs.get(registration.fair_id))})
    passed = await booking.withdraw_for_erasure(ctx.uow, ctx.user.id, ctx.now)
    await notices.send(ctx.uow, ctx.translators, passed, ctx.now)
    await ctx.uow.users.erase(ctx.user, reference)
    await ctx.uow.audit.record(actor=reference, action="user.delete_own_data", now=ctx.now,
                               details={"channel": ctx.user.channel, "fairs": fairs})
    ctx.conversation.user_deleted = True
    return [Reply(done, forget_user=True, choices=(Choice(ctx._("Main menu"), "menu"),))]
