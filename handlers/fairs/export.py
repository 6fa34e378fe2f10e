"""Registrants and waitlist of a fair as CSV or Excel, for staff (the full tax code is in it).

One row per registration in arrival order (the waitlist's order too), whatever its status,
read in batches and written as it is read. Same rules as survey exports (handlers/exports.py):
CSV in UTF-8 with a BOM and formulas made inert, Excel with a bold frozen header, an
autofilter and real date cells; times in Vietnam's time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any, BinaryIO

from handlers.communes import CommuneDirectory
from handlers.exports import (
    Cell,
    StreamingSheet,
    csv_time,
    inert,
    local_time,
    sheet_name,
    write_csv,
    xlsx_workbook,
)
from handlers.i18n import N_, Translator
from handlers.sectors import SECTORS
from storage.models import (
    EnterpriseProfile,
    Establishment,
    Fair,
    FairRegistration,
    RegistrationStatus,
)
from storage.uow import UnitOfWork

EXPORT_FORMATS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                  "csv": "text/csv"}

# (header, Excel column width in characters)
_COLUMNS = (
    # TRANSLATORS: column headers of a fair's registrations export (CSV/Excel).
    (N_("Registration no."), 9),
    (N_("Status"), 14),
    (N_("Waitlist position"), 10),
    (N_("Booths"), 8),
    (N_("Establishment"), 36),
    (N_("Tax code"), 14),
    (N_("Commune, ward or special zone"), 24),
    (N_("Sector"), 24),
    (N_("Contact person"), 24),
    (N_("Contact phone"), 14),
    (N_("Products"), 40),
    (N_("Registered at"), 18),
    (N_("Updated at"), 18),
    (N_("Approved at"), 18),
    (N_("Offer expires at"), 18),
    (N_("Rejection reason"), 32),
)

_STATUS_WORDS = {
    # TRANSLATORS: a registration's status in an export: it holds its booths
    RegistrationStatus.CONFIRMED: N_("confirmed"),
    # TRANSLATORS: a registration's status in an export: in line for a booth
    RegistrationStatus.WAITLISTED: N_("waitlisted"),
    # TRANSLATORS: a registration's status in an export: a freed booth is offered to it
    RegistrationStatus.OFFERED: N_("offered"),
    RegistrationStatus.CANCELLED: N_("cancelled"),
    # TRANSLATORS: a registration's status in an export: turned down by staff
    RegistrationStatus.REJECTED: N_("rejected"),
    # TRANSLATORS: a registration's status in an export: an offer not taken in time, or
    # still waiting when registration closed
    RegistrationStatus.EXPIRED: N_("expired"),
}
# TRANSLATORS: a registration's status in an export: it holds its booths and staff approved it
APPROVED = N_("confirmed, approved")

_BATCH = 500

Stored = tuple[FairRegistration, Establishment, EnterpriseProfile | None]


async def export_registrations(uow: UnitOfWork, fair: Fair, fmt: str, out: BinaryIO, *,
                               translator: Translator | None = None,
                               communes: CommuneDirectory | None = None) -> int:
    """Write every registration of `fair` to `out` as `fmt` (a key of EXPORT_FORMATS);
    returns how many rows. Headers and words in the translator's language (else English)."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(fmt)
    gettext: Callable[[str], str] = translator.gettext if translator is not None else str
    row = _row_maker(gettext, communes if communes is not None else CommuneDirectory.load(),
                     csv=fmt == "csv")
    stored = uow.registrations.stream_for_export(fair.id, batch=_BATCH)
    headers = [gettext(header) for header, _width in _COLUMNS]
    if fmt == "csv":
        return await write_csv(headers, _batches(stored, row), out)
    with xlsx_workbook(out) as workbook:
        sheet = StreamingSheet(workbook, sheet_name(fair.code, "fair"),
                               [(header, width) for header, (_h, width) in
                                zip(headers, _COLUMNS, strict=True)])
        async for batch in _batches(stored, row):
            for cells in batch:
                sheet.write(cells)
        sheet.finish()
    return sheet.rows


async def _batches(stored: AsyncIterator[Stored], row: Callable[[Stored], list[Cell]]
                   ) -> AsyncIterator[list[list[Cell]]]:
    batch: list[list[Cell]] = []
    async for item in stored:
        batch.append(row(item))
        if len(batch) >= _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _row_maker(gettext: Callable[[str], str], communes: CommuneDirectory, *, csv: bool
               ) -> Callable[[Stored], list[Cell]]:
    """How a stored registration becomes a row of cells; counts the waitlist as rows pass
    (they come in arrival order, so the n-th waitlisted is number n)."""
    statuses = {status: gettext(words) for status, words in _STATUS_WORDS.items()}
    approved = gettext(APPROVED)
    sectors = {key: gettext(label) for key, label in SECTORS.items()}
    commune_names = {unit.code: unit.full_name for unit in communes}
    text: Callable[[str], str] = inert if csv else str
    waiting = 0

    def words(value: Any) -> Cell:
        return None if value in (None, "") else text(str(value))

    def when(moment: datetime | None) -> Cell:
        if moment is None:
            return None
        local = local_time(moment)
        return csv_time(local) if csv else local

    def row(item: Stored) -> list[Cell]:
        nonlocal waiting
        registration, establishment, profile = item
        position = None
        if registration.status == RegistrationStatus.WAITLISTED:
            waiting += 1
            position = waiting
        answers = registration.answers or {}
        commune = establishment.commune
        return [
            registration.id,
            # Approved or not, in the status itself (only "approved at" told them apart).
            words(approved if registration.status == RegistrationStatus.CONFIRMED
                  and registration.approved_at is not None
                  else statuses.get(registration.status, registration.status)),
            position,
            registration.booths,
            words(establishment.name or (profile.name if profile else None)),
            words(establishment.tax_code),
            words(commune_names.get(commune, commune) if commune else None),
            words(sectors.get(establishment.sector, establishment.sector)
                  if establishment.sector else None),
            words(answers.get("contact_name")),
            words(answers.get("contact_phone") or (profile.phone if profile else None)),
            words(answers.get("products")),
            when(registration.created_at),
            when(registration.updated_at),
            when(registration.approved_at),
            when(registration.offer_expires_at),
            words(registration.reason),
        ]

    return row
