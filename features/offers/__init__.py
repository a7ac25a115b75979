"""Vacancy offers (001 ¶3.7.2): staff send up to 10 vacancies, the citizen ranks them in the
chat within the term, with the legal consequences of a refusal shown first."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from pathlib import Path

from dialogs.feature import Chat
from features import vacancies
from features.kit import DeskPages, Feature, Kit, MenuItem, SessionService
from features.offers import pages, staff
from features.offers.ports import SERVICE, OfferPress
from features.offers.screens import offer_button, open_offer_notice
from features.offers.service import NOTICE_RULE, RULES, SqlOffers, start_term
from reminders.runner import SentHook


def services(kit: Kit) -> Mapping[str, SessionService]:
    index, rules = vacancies.shared_catalogue(kit), vacancies.search_rules(kit)
    return {
        SERVICE: lambda session: SqlOffers(session, kit.regions, kit.quiet_hours, index, rules)
    }


def on_reminder_sent(kit: Kit) -> Mapping[str, SentHook]:
    # The ranking term starts when the notice with the list reached the citizen.
    return {NOTICE_RULE: partial(start_term, regions=kit.regions, quiet=kit.quiet_hours)}


FEATURE = Feature(
    name="offers",
    chat=Chat(buttons={OfferPress.prefix: offer_button}, notices=(open_offer_notice,)),
    templates=Path(__file__).with_name("templates"),
    rules=RULES,
    services=services,
    staff=staff.staff_router,
    desk=DeskPages(
        router=pages.router,
        templates=Path(__file__).with_name("desk_templates"),
        menu=(MenuItem("Предложения", "/desk/offers", order=40),),
    ),
    on_reminder_sent=on_reminder_sent,
)
