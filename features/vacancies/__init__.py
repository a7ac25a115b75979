"""Vacancy search (001 §3.6): the «Работа в России» feed importer, the suitable-work ranking
with explanations, the search in the chat, referrals and saved vacancies."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from dialogs.feature import Chat, Command, Section
from features.kit import Feature, Kit, SessionService
from features.vacancies import chat
from features.vacancies.catalogue import VacancyCatalogue
from features.vacancies.flow import VACANCY_SEARCH
from features.vacancies.ports import SERVICE
from features.vacancies.screens import VacancyPress
from features.vacancies.service import SearchRules, SqlVacancies


def shared_catalogue(kit: Kit) -> VacancyCatalogue:
    """The process's one in-memory vacancy index (the offers feature ranks with it too)."""
    return kit.shared("vacancy catalogue", VacancyCatalogue)


def search_rules(kit: Kit) -> SearchRules:
    return SearchRules(
        commute_km=kit.settings.vacancies.commute_km,
        subsistence_minimum={
            code: region.subsistence_minimum
            for code, region in kit.settings.regions.items()
            if region.subsistence_minimum is not None
        },
    )


def services(kit: Kit) -> Mapping[str, SessionService]:
    index, rules = shared_catalogue(kit), search_rules(kit)
    return {SERVICE: lambda session: SqlVacancies(session, index, rules)}


FEATURE = Feature(
    name="vacancies",
    chat=Chat(
        sections=(
            Section(
                "vacancies",
                chat.open_vacancies,
                place=20,
                intents=("search_vacancies", "rank_vacancies"),
                with_notices=True,
            ),
        ),
        commands=(Command("vacancies", chat.vacancies_command, order=20),),
        buttons={VacancyPress.prefix: chat.pressed},
        flows=(VACANCY_SEARCH,),
        on_consent_withdrawn=(chat.forget,),
    ),
    templates=Path(__file__).with_name("templates"),
    services=services,
)
