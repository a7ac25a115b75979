"""The flows the engine knows, by name."""

from __future__ import annotations

from dialogs.flow import Flow
from features.complaints.flow import COMPLAINT
from features.consent.onboarding import ONBOARDING
from features.consent.withdraw import WITHDRAW
from features.vacancies.flow import VACANCY_SEARCH


def all_flows() -> dict[str, Flow]:
    return {flow.name: flow for flow in (ONBOARDING, WITHDRAW, COMPLAINT, VACANCY_SEARCH)}
