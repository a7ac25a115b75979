"""The features of this installation. Adding a feature is one line here."""

from __future__ import annotations

from features import (
    applications,
    appointments,
    complaints,
    consent,
    info,
    interviews,
    offers,
    operator,
    planned,
    vacancies,
)
from features.kit import Feature

FEATURES: tuple[Feature, ...] = (
    consent.FEATURE,
    info.FEATURE,
    applications.FEATURE,
    appointments.FEATURE,
    vacancies.FEATURE,
    offers.FEATURE,
    complaints.FEATURE,
    interviews.FEATURE,
    operator.FEATURE,
    planned.FEATURE,
)
