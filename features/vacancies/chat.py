"""The vacancy section and its buttons: search with what the profile and the citizen's words
already say, ask only the rest, then page through the ranked results."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dialogs.feature import Controls
from dialogs.flow import Turn
from dialogs.menu import to_menu_row
from dialogs.types import Reply
from features.vacancies.flow import VACANCY_SEARCH, answers, first_missing
from features.vacancies.ports import vacancy_desk
from features.vacancies.screens import VacancyPress, request, results


async def open_vacancies(
    turn: Turn, controls: Controls, understood: Mapping[str, Any]
) -> list[Reply]:
    desk = vacancy_desk(turn)
    if desk is None:
        return [Reply("vacancies.unavailable", buttons=(to_menu_row(),))]
    profile = await desk.profile(turn.citizen)
    values: dict[str, Any] = {}
    if profile is not None:
        values = {"profession": profile.profession, "desired_salary": profile.desired_salary}
        if profile.locality is not None:
            values["locality"] = {"locality": profile.locality}
    if understood.get("profession"):
        values["profession"] = str(understood["profession"])
    if understood.get("city"):
        values["locality"] = {"locality": str(understood["city"])}
    missing = first_missing(values)
    if missing is not None:
        return controls.start_flow(turn, VACANCY_SEARCH.name, values, missing)
    if profile is None or understood:
        profile = await desk.save_profile(turn.citizen, answers(values))
    return [await results(turn, profile, 0)]


async def vacancies_command(turn: Turn, controls: Controls) -> list[Reply]:
    controls.leave_flow(turn)
    return await controls.open_section(turn, "vacancies")


async def pressed(turn: Turn, controls: Controls, data: str) -> list[Reply]:
    press = VacancyPress.unpack(data)
    if press is None:
        return controls.expired(turn)
    if press.action == "edit":
        controls.leave_flow(turn)
        return controls.start_flow(turn, VACANCY_SEARCH.name)
    desk = vacancy_desk(turn)
    profile = await desk.profile(turn.citizen) if desk else None
    if profile is None:
        return controls.expired(turn)
    argument = press.argument or ""
    if press.action == "page" and argument.isdigit():
        controls.leave_flow(turn)
        return [await results(turn, profile, int(argument))]
    if press.action in ("ref", "save") and argument:
        return [await request(turn, press.action, argument)]
    return controls.expired(turn)


async def forget(turn: Turn) -> None:
    """Consent withdrawn: the job profile and saved vacancies go."""
    desk = vacancy_desk(turn)
    if desk is not None:
        await desk.forget(turn.citizen)
