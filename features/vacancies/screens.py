"""The vacancy screens: one page of ranked vacancies as numbered cards with their reasons,
buttons to ask for a referral or save each one, and pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dialogs.flow import Turn
from dialogs.menu import to_menu_row
from dialogs.payloads import Payload
from dialogs.types import Button, Reply
from features.vacancies.ports import vacancy_desk
from features.vacancies.ranking import Suggestion
from storage.models import JobProfile, Vacancy

KINDS = {"ref": "referral", "save": "saved"}


@dataclass(frozen=True)
class VacancyPress(Payload, prefix="vac"):
    """`vac:ref:<vacancy id>`, `vac:save:<vacancy id>`, `vac:page:<offset>`, `vac:edit`."""

    action: str
    argument: str | None = None


async def results(turn: Turn, profile: JobProfile, offset: int) -> Reply:
    vacancies = vacancy_desk(turn)
    if vacancies is None:
        return Reply("vacancies.unavailable", buttons=(to_menu_row(),))
    page_size = turn.config.vacancy_page_size
    page = await vacancies.search(turn.citizen, profile, max(offset, 0), page_size)
    rows: list[tuple[Button, ...]] = [
        (
            Button(
                "buttons.vacancy_referral", VacancyPress("ref", vacancy.id).pack(), {"n": number}
            ),
            Button("buttons.vacancy_save", VacancyPress("save", vacancy.id).pack(), {"n": number}),
        )
        for number, (vacancy, _) in enumerate(page.cards, start=page.offset + 1)
    ]
    paging = []
    if page.offset > 0:
        paging.append(
            Button(
                "buttons.vacancy_previous",
                VacancyPress("page", str(page.offset - page_size)).pack(),
            )
        )
    if page.offset + page_size < page.total:
        paging.append(
            Button(
                "buttons.vacancy_next", VacancyPress("page", str(page.offset + page_size)).pack()
            )
        )
    if paging:
        rows.append(tuple(paging))
    rows.append((Button("buttons.vacancy_change", VacancyPress("edit").pack()),))
    rows.append(to_menu_row())
    return Reply(
        "vacancies.results",
        {
            "cards": [_card(vacancy, suggestion) for vacancy, suggestion in page.cards],
            "first_number": page.offset + 1,
            "total": page.total,
            "profession": profile.profession,
            "locality": profile.locality,
            "located": page.located,
            "desired_salary": profile.desired_salary,
        },
        tuple(rows),
    )


def card_fields(vacancy: Vacancy) -> dict[str, Any]:
    """What a vacancy's card shows (vacancies/results.j2, offers/_line.j2)."""
    return {
        "job_name": vacancy.job_name,
        "company": vacancy.company_name,
        "salary_min": vacancy.salary_min,
        "salary_max": vacancy.salary_max,
        "address": vacancy.address,
        "schedule": vacancy.schedule,
        "employment": vacancy.employment,
        "url": vacancy.url,
    }


def _card(vacancy: Vacancy, suggestion: Suggestion) -> dict[str, Any]:
    reasons = [{"code": r.code, "value": r.value} for r in suggestion.reasons]
    return {**card_fields(vacancy), "reasons": reasons}


async def request(turn: Turn, action: str, vacancy_id: str) -> Reply:
    """The citizen asked for a referral to the vacancy, or saved it."""
    vacancies = vacancy_desk(turn)
    if vacancies is None:
        return Reply("vacancies.unavailable", buttons=(to_menu_row(),))
    kind = KINDS[action]
    vacancy = await vacancies.request(turn.citizen, vacancy_id, kind)
    if vacancy is None:
        return Reply("vacancies.closed", buttons=(to_menu_row(),))
    await turn.audit(f"vacancy:{kind}", vacancy=vacancy_id)
    return Reply(
        f"vacancies.{kind}",
        {"job_name": vacancy.job_name, "company": vacancy.company_name},
        buttons=(to_menu_row(),),
    )
