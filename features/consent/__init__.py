"""Consent to personal-data processing (152-ФЗ art. 9): /start, the region, what is stored
about the citizen, and withdrawing consent, which erases it."""

from __future__ import annotations

from pathlib import Path

from dialogs.feature import Chat, Command, Section
from features.consent import screens
from features.consent.onboarding import ONBOARDING
from features.consent.withdraw import WITHDRAW
from features.kit import Feature

FEATURE = Feature(
    name="consent",
    chat=Chat(
        sections=(
            Section("consent", screens.consent, guest=True, guest_place=1, gives_consent=True),
            Section("my_data", screens.my_data, place=80),
            # Without consent there is nothing to withdraw: it says so instead of asking.
            Section("withdraw", screens.withdraw, guest=True, intents=("delete_my_data",)),
        ),
        commands=(Command("start", screens.start, order=0),),
        flows=(ONBOARDING, WITHDRAW),
    ),
    templates=Path(__file__).with_name("templates"),
)
