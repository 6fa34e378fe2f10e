"""Sectors eligible for khuyến công support, shared by the profile, the eligibility check and
the survey exports."""

from __future__ import annotations

from handlers.i18n import N_

# Decree 45/2012/NĐ-CP, Article 5.
SECTORS = {
    "food": N_("Agricultural, forestry, aquatic and food processing"),
    "consumer": N_("Consumer and export goods"),
    "agrochem": N_("Chemicals for agriculture"),
    "building": N_("Building materials"),
    "mechanical": N_("Machinery, electrical and electronic goods, supporting industry"),
    "handicraft": N_("Handicrafts and cottage industry"),
    "mineral": N_("Mining and mineral processing"),
    "other": N_("Other sector"),
}
