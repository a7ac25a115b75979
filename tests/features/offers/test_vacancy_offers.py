"""Offers (001 ¶3.7.2) end to end on a real database: staff create one through the staff API,
the reminder runner delivers it and the term starts on receipt (2 calendar days for a
claimant, 2 working days for an unemployed citizen), the citizen ranks it in the chat with a
warning before each refusal, and staff read the stored ranking."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.build import renderer as build_renderer
from dialogs.flow import DialogConfig
from features.offers.service import NOTICE_RULE, start_term
from features.vacancies.catalogue import VacancyCatalogue
from features.vacancies.importer import import_feed
from reminders.runner import ReminderRunner
from storage.models import Citizen, Reminder, VacancyOffer
from tests.features.vacancies.test_vacancy_import import SAMPLE
from tests.features.vacancies.test_vacancy_ranking import BAKERY, BUS, MOSCOW, TAXI, TRUCK_C
from tests.support.db_chat import REGIONS, Clock, DbChat, quiet_hours
from tests.support.reminders import RecordingNotifier
from tests.support.staff import staff_token
from tests.support.wiring import RULES, staff_app

FRIDAY = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)  # 12:00 in Samara


@dataclass
class World:
    chat: DbChat
    api: httpx.AsyncClient
    sessions: async_sessionmaker[AsyncSession]
    notifier: RecordingNotifier
    runner: ReminderRunner
    citizen_id: int

    async def offer(self, *vacancies: str, status: str = "claimant", **extra: Any) -> Any:
        response = await self.api.post(
            "/offers",
            json={
                "citizen_id": self.citizen_id,
                "citizen_status": status,
                "vacancy_ids": list(vacancies),
                **extra,
            },
        )
        return response

    async def deliver(self) -> None:
        await self.runner.deliver_due()

    async def read(self, offer_id: int) -> dict[str, Any]:
        response = await self.api.get(f"/offers/{offer_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def rendered(self) -> str:
        """Every reply of the last turn, rendered as the citizen sees it."""
        renderer = build_renderer(strict=True)
        return "\n".join(renderer.reply(reply).text for reply in self.chat.last)


@pytest.fixture
async def world(
    sessions: async_sessionmaker[AsyncSession], dialog_config: DialogConfig
) -> AsyncIterator[World]:
    await import_feed(sessions, SAMPLE)
    catalogue = VacancyCatalogue()
    clock = Clock(FRIDAY)
    chat = DbChat(sessions, dialog_config, clock=clock, catalogue=catalogue)
    await chat.start()
    await chat.send("/vacancies")
    await chat.send("водитель")
    await chat.send("Самара")
    await chat.send("от 50 000")
    assert chat.prompt == "vacancies.results"
    async with sessions() as session:
        citizen_id = (await session.scalars(select(Citizen.id))).one()
    token = await staff_token(sessions)
    app = staff_app(sessions, REGIONS, quiet_hours(), clock=clock, catalogue=catalogue)
    notifier = RecordingNotifier()
    runner = ReminderRunner(
        sessions,
        notifier,
        REGIONS,
        quiet_hours(),
        now=clock,
        on_sent={NOTICE_RULE: partial(start_term, regions=REGIONS, quiet=quiet_hours())},
        rules=RULES,
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://staff",
        headers={"Authorization": f"Bearer {token}"},
    ) as api:
        yield World(chat, api, sessions, notifier, runner, citizen_id)


def order(body: dict[str, Any]) -> list[str]:
    return [item["vacancy_id"] for item in body["items"] if not item["refused"]]


async def test_staff_offer_reaches_the_citizen_and_the_claimant_term_is_2_calendar_days(
    world: World,
) -> None:
    created = await world.offer(TAXI, MOSCOW, TRUCK_C, BAKERY, note="Позвоните, если вопросы")
    assert created.status_code == 201, created.text
    body = created.json()
    # Suggested order: the suitable ones by score (the truck pays what the citizen wants),
    # the one the rules exclude (another region) last, with its reason for staff.
    assert order(body)[0] == TRUCK_C
    assert order(body)[-1] == MOSCOW
    moscow = body["items"][-1]
    assert moscow["score"] is None
    assert "outside_regions" in [rule["code"] for rule in moscow["excluded_by"]]
    assert [item["centre_position"] for item in body["items"]][-1] == 2
    assert [item["chosen"] for item in body["items"]] == [True, True, False, False]
    assert body["received_at"] is None  # not delivered yet
    assert body["due_on"] is None

    await world.deliver()
    [(chat_id, template, context)] = world.notifier.sent
    assert (chat_id, template) == (5001, "reminders.vacancy_offer_sent")
    assert context["actions"] == [
        {"label": "buttons.offer_open", "payload": f"off:{body['id']}:open"}
    ]
    delivered = await world.read(body["id"])
    # Received on Friday 27.11: 2 calendar days → Sunday 29.11 (001 ¶3.7.2).
    assert delivered["due_on"] == "2026-11-29"
    assert delivered["received_at"] is not None
    async with world.sessions() as session:
        reminders = (
            await session.scalars(
                select(Reminder)
                .where(Reminder.rule == "ranking_claimant")
                .order_by(Reminder.due_at)
            )
        ).all()
    assert [r.deadline_on for r in reminders] == [date(2026, 11, 29)] * 2
    assert reminders[0].context["actions"][0]["payload"] == f"off:{body['id']}:open"


async def test_an_unemployed_citizen_has_2_working_days(world: World) -> None:
    created = await world.offer(TRUCK_C, BUS, status="unemployed")
    await world.deliver()
    # Received on Friday: Monday and Tuesday are the 2 working days.
    assert (await world.read(created.json()["id"]))["due_on"] == "2026-12-01"


async def test_the_citizen_ranks_refuses_with_a_warning_and_sends(world: World) -> None:
    offer_id = (await world.offer(TAXI, TRUCK_C, BAKERY, BUS)).json()["id"]
    await world.deliver()
    suggested = order(await world.read(offer_id))
    chat = world.chat
    await chat._handle(payload=f"off:{offer_id}:open")
    assert chat.prompt == "offers.list"
    text = world.rendered()
    assert "до <b>29.11.2026</b> включительно" in text
    assert "⭐ <b>1.</b>" in text

    # Move the second one up: it becomes first.
    await chat.press("buttons.offer_up", n=2)
    assert order(await world.read(offer_id))[:2] == [suggested[1], suggested[0]]
    assert chat.last[-1].context["suggested"] is False

    # Refusing asks first and names the legal consequences; "no" keeps the option.
    await chat.press("buttons.offer_refuse", n=4)
    assert chat.prompt == "offers.refuse_warning"
    assert "правовые последствия" in world.rendered()
    await chat.press("buttons.offer_keep")
    assert chat.prompt == "offers.list"
    assert len(order(await world.read(offer_id))) == 4
    await chat.press("buttons.offer_refuse", n=4)
    await chat.press("buttons.offer_refuse_confirm")
    after = await world.read(offer_id)
    assert len(order(after)) == 3
    assert [item["refused"] for item in after["items"]] == [False, False, False, True]
    assert "Вы отказались" in world.rendered()

    # Three priority options instead of two.
    await chat.press("buttons.offer_more")
    assert (await world.read(offer_id))["chosen_count"] == 3

    await chat.press("buttons.offer_send")
    assert chat.prompt == "offers.confirm_send"
    assert "Отказ от 1 вакансии" in world.rendered()
    await chat.press("buttons.offer_send_confirm")
    assert chat.prompt == "offers.submitted"
    stored = await world.read(offer_id)
    assert stored["state"] == "submitted"
    assert stored["late"] is False
    assert [item["chosen"] for item in stored["items"]] == [True, True, True, False]
    assert [item["citizen_rank"] for item in stored["items"]] == [1, 2, 3, None]
    actions = [event["action"] for event in stored["history"]]
    assert actions == [
        "offer:created",
        "offer:received",
        "offer:refused_option",
        "offer:submitted",
    ]
    async with world.sessions() as session:
        pending = await session.scalars(
            select(Reminder).where(
                Reminder.key == f"offer:{offer_id}", Reminder.status == "pending"
            )
        )
        assert pending.all() == []  # the deadline's reminders stopped

    # The sent list is read-only: an old button shows it instead of changing it.
    await chat._handle(payload=f"off:{offer_id}:up:1")
    assert chat.prompt == "offers.closed"
    assert order(await world.read(offer_id)) == order(stored)


async def test_restore_and_reset_bring_back_the_suggested_order(world: World) -> None:
    offer_id = (await world.offer(TAXI, TRUCK_C, BUS)).json()["id"]
    suggested = order(await world.read(offer_id))
    chat = world.chat
    await chat._handle(payload=f"off:{offer_id}:open")
    await chat.press("buttons.offer_down", n=1)
    await chat.press("buttons.offer_refuse", n=3)
    await chat.press("buttons.offer_refuse_confirm")
    await chat.press("buttons.offer_restore")
    assert len(order(await world.read(offer_id))) == 3
    await chat.press("buttons.offer_reset")
    assert order(await world.read(offer_id)) == suggested
    assert chat.last[-1].context["suggested"] is True


async def test_sending_fewer_than_two_options_warns_that_it_counts_as_refusal(
    world: World,
) -> None:
    offer_id = (await world.offer(TRUCK_C, BUS)).json()["id"]
    chat = world.chat
    await chat._handle(payload=f"off:{offer_id}:open")
    await chat.press("buttons.offer_refuse", n=2)
    await chat.press("buttons.offer_refuse_confirm")
    await chat.press("buttons.offer_send")
    assert "меньше двух" in world.rendered()
    await chat.press("buttons.offer_send_confirm")
    stored = await world.read(offer_id)
    assert stored["state"] == "submitted"
    assert [item["chosen"] for item in stored["items"]] == [True, False]


async def test_a_late_ranking_is_accepted_and_marked(world: World) -> None:
    offer_id = (await world.offer(TRUCK_C, BUS)).json()["id"]
    await world.deliver()
    world.chat.clock.now = datetime(2026, 11, 30, 8, tzinfo=UTC)  # Monday, past Sunday
    await world.chat._handle(payload=f"off:{offer_id}:open")
    assert "Срок уже прошёл" in world.rendered()
    await world.chat.press("buttons.offer_send")
    await world.chat.press("buttons.offer_send_confirm")
    assert (await world.read(offer_id))["late"] is True


async def test_the_waiting_offer_is_named_above_the_search_and_status(world: World) -> None:
    offer_id = (await world.offer(TRUCK_C, BUS)).json()["id"]
    await world.chat.send("/status")
    assert world.chat.templates()[0] == "offers.waiting"
    await world.chat.press("buttons.offer_open")
    assert world.chat.prompt == "offers.list"
    await world.chat.send("/vacancies")
    assert world.chat.templates() == ["offers.waiting", "vacancies.results"]
    # The offered vacancies are not suggested again by the search (001 ¶3.6.3).
    shown = [b.payload for b in world.chat.offered() if b.payload.startswith("vac:ref:")]
    assert f"vac:ref:{TRUCK_C}" not in shown
    card = await world.api.get(f"/citizens/{world.citizen_id}/vacancies")
    excluded = {e["vacancy_id"]: e for e in card.json()["excluded"]}
    assert [r["code"] for r in excluded[TRUCK_C]["excluded_by"]] == ["offered_before"]
    assert offer_id


async def test_refusal_of_a_bad_offer_says_why(world: World) -> None:
    assert (await world.offer(*[TRUCK_C] * 2)).status_code == 422
    too_many = await world.offer(*[f"x{i}" for i in range(11)])
    assert too_many.status_code == 422
    assert "vacancy_ids" in too_many.json()["detail"]
    unknown = await world.offer(TRUCK_C, "no-such-vacancy")
    assert (unknown.status_code, unknown.json()["detail"]) == (409, "unknown: no-such-vacancy")
    missing = await world.api.post(
        "/offers", json={"citizen_id": 999, "citizen_status": "claimant", "vacancy_ids": [BUS]}
    )
    assert missing.status_code == 404
    # Integers past SQL's 64 bits are refused before they reach the driver (they ended in 500).
    huge = await world.api.post(
        "/offers", json={"citizen_id": 2**70, "citizen_status": "claimant", "vacancy_ids": [BUS]}
    )
    assert (huge.status_code, "body.citizen_id" in huge.json()["detail"]) == (422, True)
    for query in (f"citizen_id={2**63}", f"offset={2**63}"):
        listed = await world.api.get(f"/offers?{query}")
        assert listed.status_code == 422, query
    wrong_status = await world.offer(BUS, status="retired")
    assert wrong_status.status_code == 422
    first = await world.offer(TRUCK_C)
    assert first.status_code == 201
    second = await world.offer(BUS)
    assert second.status_code == 409
    assert "withdraw it first" in second.json()["detail"]


async def test_withdrawn_offer_stops_reminders_and_frees_its_vacancies(world: World) -> None:
    offer_id = (await world.offer(TRUCK_C, BUS)).json()["id"]
    await world.deliver()
    withdrawn = await world.api.post(f"/offers/{offer_id}/withdraw")
    assert withdrawn.json()["state"] == "withdrawn"
    again = await world.api.post(f"/offers/{offer_id}/withdraw")
    assert again.status_code == 409
    async with world.sessions() as session:
        pending = await session.scalars(
            select(Reminder).where(
                Reminder.key == f"offer:{offer_id}", Reminder.status == "pending"
            )
        )
        assert pending.all() == []
    await world.chat._handle(payload=f"off:{offer_id}:open")
    assert world.chat.prompt == "offers.closed"
    assert "отозвал" in world.rendered()
    # The same vacancies may be offered again: the withdrawn offer does not count.
    assert (await world.offer(TRUCK_C, BUS)).status_code == 201


async def test_another_citizens_offer_cannot_be_touched(world: World) -> None:
    offer_id = (await world.offer(TRUCK_C, BUS)).json()["id"]
    stranger = DbChat(world.sessions, world.chat.config, external_id="6001")
    stranger.catalogue = world.chat.catalogue
    await stranger.start()
    await stranger._handle(payload=f"off:{offer_id}:refuseyes:1")
    assert stranger.prompt == "common.button_expired"
    assert len(order(await world.read(offer_id))) == 2
    # A forged id past SQL's integers is an expired button, not "что-то пошло не так".
    await stranger._handle(payload="off:99999999999999999999:up")
    assert stranger.prompt == "common.button_expired"


async def test_staff_set_previous_earnings_and_see_why_vacancies_are_excluded(
    world: World,
) -> None:
    changed = await world.api.patch(
        f"/citizens/{world.citizen_id}/job-profile",
        json={"previous_salary": 70000, "ipra_restrictions": ["no_shift_work"]},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["previous_salary"] == 70000
    listing = (await world.api.get(f"/citizens/{world.citizen_id}/vacancies")).json()
    excluded = {
        e["vacancy_id"]: [r["code"] for r in e["excluded_by"]] for e in listing["excluded"]
    }
    assert "pay_below_floor" in excluded[TAXI]
    assert "ipra" in excluded[BUS]
    assert [s["vacancy_id"] for s in listing["suitable"]] == [TRUCK_C]
    assert listing["suitable"][0]["reasons"][0]["code"] == "pay_above_previous"
    bad = await world.api.patch(
        f"/citizens/{world.citizen_id}/job-profile", json={"regions": ["63", "64", "65", "66"]}
    )
    assert bad.status_code == 422
    with_nul = await world.api.patch(
        f"/citizens/{world.citizen_id}/job-profile", json={"profession": "водитель\x00"}
    )
    assert with_nul.status_code == 422
    assert "control characters" in with_nul.json()["detail"]
    # "%" and "_" are letters to look for, not wildcards that list everybody.
    assert (await world.api.get("/citizens", params={"q": "%%"})).json() == []
    assert (await world.api.get("/citizens", params={"q": "__"})).json() == []
    found = (await world.api.get("/citizens", params={"q": "анна"})).json()
    assert [(c["id"], c["consent"], c["job_profile"]) for c in found] == [
        (world.citizen_id, True, True)
    ]
    assert (await world.api.get("/citizens/4242")).status_code == 404


async def test_an_offer_for_a_citizen_without_consent_is_refused(world: World) -> None:
    async with world.sessions() as session:
        citizen = Citizen(channel="telegram", external_id="7", chat_id=7, region_code="63")
        session.add(citizen)
        await session.commit()
        other = citizen.id
    response = await world.api.post(
        "/offers", json={"citizen_id": other, "citizen_status": "claimant", "vacancy_ids": [BUS]}
    )
    assert response.status_code == 409
    assert "consent" in response.json()["detail"]
    async with world.sessions() as session:
        assert (await session.scalars(select(VacancyOffer))).all() == []
