"""The flows the engine knows, by name."""

from __future__ import annotations

from dialogs.flow import Flow
from dialogs.flows.complaint import COMPLAINT
from dialogs.flows.onboarding import ONBOARDING
from dialogs.flows.vacancy_search import VACANCY_SEARCH
from dialogs.flows.withdraw import WITHDRAW


def all_flows() -> dict[str, Flow]:
    return {flow.name: flow for flow in (ONBOARDING, WITHDRAW, COMPLAINT, VACANCY_SEARCH)}
