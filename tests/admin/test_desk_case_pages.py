"""The desk pages of applications and visits on a real migrated database: an operator reads
them (masked, health data left out), a supervisor moves an application to registered and sets,
moves and records a visit from the page; wrong forms get the reason in Russian and change
nothing; the citizen is told through the reminders table."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from features.applications.service import SqlApplications
from features.appointments.bookings import SqlBookings
from features.interviews.service import SqlInterviews
from kernel.settings import AppointmentSettings
from storage.models import Application, Citizen, InterviewNotice, Reminder, Visit
from tests.admin.test_desk_pages import NOW, REGIONS, Desk, desk
from tests.support.db_chat import quiet_hours
from tests.support.desk import csrf_of

__all__ = ["desk"]  # the fixture


async def _submitted(desk: Desk) -> tuple[str, str]:
    async with desk.sessions() as session:
        citizen = await session.get_one(Citizen, desk.citizens["63"])
        applications = SqlApplications(session, REGIONS, quiet_hours())
        answers = {"profession": "водитель", "phone": "+79001234567", "regions": ["63"]}
        job = await applications.submit(citizen, "job_search", answers, NOW)
        health = await applications.track(
            citizen, "disability_support", "77-1", date(2026, 11, 27), NOW
        )
        await session.commit()
        assert job.number is not None
        assert health.number is not None
        return job.number, health.number


async def _told(desk: Desk) -> list[dict[str, object]]:
    """What the citizen is told of the application's changes, oldest first."""
    async with desk.sessions() as session:
        rows = await session.scalars(
            select(Reminder)
            .where(Reminder.citizen_id == desk.citizens["63"])
            .where(Reminder.rule == "application_update")
            .order_by(Reminder.id)
        )
        return [dict(row.context) for row in rows]


async def test_an_operator_reads_applications_masked_and_without_the_disability_one(
    desk: Desk,
) -> None:
    job, health = await _submitted(desk)
    async with desk.as_("anna") as anna:
        listing = await anna.get("/desk/applications")
        assert listing.status_code == 200
        assert job in listing.text
        assert health not in listing.text
        page = await anna.get(f"/desk/applications/{job}")
        assert "водитель" in page.text
        assert "+79001234567" not in page.text
        assert "Решения принимает руководитель" in page.text
        assert (await anna.get(f"/desk/applications/{health}")).status_code == 404
        refused = await anna.post(
            f"/desk/applications/{job}/move", data={"csrf": csrf_of(page), "to": "accepted"}
        )
        assert refused.status_code == 403
        filtered = await anna.get("/desk/applications?state=done")
        assert job not in filtered.text


async def test_a_supervisor_registers_an_application_and_a_wrong_form_changes_nothing(
    desk: Desk,
) -> None:
    job, _health = await _submitted(desk)
    async with desk.as_("chief") as chief:
        page = await chief.get(f"/desk/applications/{job}")
        assert "+79001234567" in page.text
        csrf = csrf_of(page)
        wrong = await chief.post(
            f"/desk/applications/{job}/move",
            data={"csrf": csrf, "to": "registered", "ecp_number": "№!", "registered_on": ""},
        )
        assert wrong.status_code == 422
        assert "регистрационный номер" in wrong.text
        future = await chief.post(
            f"/desk/applications/{job}/move",
            data={
                "csrf": csrf,
                "to": "registered",
                "ecp_number": "63-2026-15",
                "registered_on": "2027-01-10",
            },
        )
        assert future.status_code == 422
        assert "не в будущем" in future.text
        done_too_early = await chief.post(
            f"/desk/applications/{job}/move",
            data={"csrf": csrf, "to": "done", "text": "Трудоустроен"},
        )
        assert done_too_early.status_code == 422
        assert "Так нельзя" in done_too_early.text
        registered = await chief.post(
            f"/desk/applications/{job}/move",
            data={
                "csrf": csrf,
                "to": "registered",
                "ecp_number": "63-2026-15",
                "registered_on": "2026-11-30",
            },
        )
        assert registered.status_code == 303
        page = await chief.get(f"/desk/applications/{job}")
        assert "№ 63-2026-15 от 30.11.2026" in page.text
        assert "Услуга оказана" in page.text  # the next move is offered
    async with desk.sessions() as session:
        application = await session.scalar(select(Application).where(Application.number == job))
        assert application is not None
        assert (application.state, application.handled_by) == ("registered", "staff:chief")
        assert application.due_rule == "application_vacancy_list"
    told = await _told(desk)
    assert [context.get("state") for context in told] == ["registered"]


MONDAY_10_SAMARA = "2026-12-07T10:00"  # 06:00 UTC


async def test_a_supervisor_sets_moves_and_records_a_visit_from_the_desk(desk: Desk) -> None:
    citizen = desk.citizens["63"]
    async with desk.as_("chief") as chief:
        listing = await chief.get(f"/desk/visits?citizen={citizen}")
        assert "Назначить визит" in listing.text
        csrf = csrf_of(listing)
        form = {
            "csrf": csrf,
            "citizen_id": str(citizen),
            "kind": "video_mfc",
            "place": "МФЦ, ул. Ленина, 1",
            "purpose": "Консультация по пособию",
        }
        sunday = await chief.post("/desk/visits", data={**form, "starts_at": "2026-12-06T10:00"})
        assert sunday.status_code == 422
        assert "рабочие дни" in sunday.text
        assert "МФЦ, ул. Ленина, 1" in sunday.text  # the form keeps what was typed
        other_region = await chief.post(
            "/desk/visits",
            data={**form, "citizen_id": str(desk.citizens["50"]), "starts_at": MONDAY_10_SAMARA},
        )
        assert other_region.status_code == 422
        assert "вне ваших регионов" in other_region.text
        created = await chief.post("/desk/visits", data={**form, "starts_at": MONDAY_10_SAMARA})
        assert created.status_code == 303
        location = created.headers["location"]
        page = await chief.get(location)
        assert "07.12.2026 10:00 по местному времени" in page.text
        assert "0 из 2" in page.text
        moved = await chief.post(
            f"{location}/move",
            data={"csrf": csrf, "to": "moved", "starts_at": "2026-12-08T11:30"},
        )
        assert moved.status_code == 303
        first_stage = await chief.post(
            f"{location}/move", data={"csrf": csrf, "to": "attended", "stages_done": "1"}
        )
        assert first_stage.status_code == 303
        page = await chief.get(location)
        assert "08.12.2026 11:30" in page.text
        assert "1 из 2" in page.text
        assert "Записать" in page.text  # open until the second stage
        both = await chief.post(
            f"{location}/move", data={"csrf": csrf, "to": "attended", "stages_done": "2"}
        )
        assert both.status_code == 303
        page = await chief.get(location)
        assert "состоялся" in page.text
        assert "Визит закрыт" in page.text
        late = await chief.post(f"{location}/move", data={"csrf": csrf, "to": "no_show"})
        assert late.status_code == 422
        assert "Визит уже закрыт" in late.text
    async with desk.sessions() as session:
        visit = await session.scalar(select(Visit).where(Visit.citizen_id == citizen))
        assert visit is not None
        assert (visit.state, visit.stages_done) == ("attended", 2)
        assert visit.starts_at == datetime(2026, 12, 8, 7, 30, tzinfo=UTC)  # 11:30 in Samara


async def test_operators_see_visits_and_bookings_but_do_not_set_them(desk: Desk) -> None:
    citizen = desk.citizens["63"]
    slot = NOW + timedelta(days=1)  # Tuesday 13:00 in Samara
    async with desk.sessions() as session:
        bookings = SqlBookings(session, REGIONS, quiet_hours(), AppointmentSettings())
        await bookings.book(
            await session.get_one(Citizen, citizen), slot, NOW, place="ул. Мира, 2"
        )
        await session.commit()
    async with desk.as_("anna") as anna:
        listing = await anna.get("/desk/visits")
        assert listing.status_code == 200
        assert "Назначить визит" not in listing.text
        assert "01.12.2026 13:00" in listing.text
        card = await anna.get(f"/desk/citizens/{citizen}")
        assert "консультация, записался(ась) сам(а)" in card.text
        refused = await anna.post(
            "/desk/visits",
            data={
                "csrf": csrf_of(listing),
                "citizen_id": str(citizen),
                "kind": "in_person",
                "place": "ул. Мира, 2",
                "purpose": "Консультация",
                "starts_at": MONDAY_10_SAMARA,
            },
        )
        assert refused.status_code == 403


async def test_alerts_of_visits_and_interviews_are_named_in_the_desk(desk: Desk) -> None:
    citizen = desk.citizens["63"]
    async with desk.sessions() as session:
        interviews = SqlInterviews(session, REGIONS, quiet_hours())
        notice = await interviews.create(
            citizen,
            {
                "kind": "notification",
                "employer": "ООО «Волга»",
                "vacancy": "Кладовщик",
                "address": "г. Самара, ул. Заводская, 5",
                "contact_name": "Ирина Петровна",
                "contact_phone": "+7 846 200-00-00",
            },
            actor="staff:chief",
            now=NOW,
        )
        await interviews.unreachable(notice, NOW)
        await session.commit()
    async with desk.as_("anna") as anna:
        alerts = await anna.get("/desk/alerts")
        assert "собеседование: гражданин не может дозвониться работодателю" in alerts.text
        card = await anna.get(f"/desk/citizens/{citizen}")
        assert "не может дозвониться" in card.text
        assert "ООО «Волга» — Кладовщик" in card.text
        assert "приглашение на переговоры" in card.text


NOTICE_FORM = {
    "kind": "referral",
    "referral_number": "63-7",
    "employer": "ООО «Волга»",
    "vacancy": "Кладовщик",
    "address": "г. Самара, ул. Заводская, 5",
    "contact_name": "Ирина Петровна",
    "contact_phone": "+7 846 200-00-00",
}


async def test_a_supervisor_sends_notices_sets_the_meeting_and_records_the_result(
    desk: Desk,
) -> None:
    citizen = desk.citizens["63"]
    async with desk.as_("chief") as chief:
        listing = await chief.get(f"/desk/interviews?citizen={citizen}")
        csrf = csrf_of(listing)
        form = {"csrf": csrf, "citizen_id": str(citizen), **NOTICE_FORM}
        no_phone = await chief.post("/desk/interviews", data={**form, "contact_phone": "звоните"})
        assert no_phone.status_code == 422
        assert "телефон работодателя" in no_phone.text
        assert "Ирина Петровна" in no_phone.text  # the form keeps what was typed
        first = await chief.post("/desk/interviews", data=form)
        assert first.status_code == 303
        second = await chief.post("/desk/interviews", data={**form, "employer": "АО «Кама»"})
        assert second.status_code == 303
        third = await chief.post("/desk/interviews", data={**form, "employer": "ООО «Третий»"})
        assert third.status_code == 422
        assert "001 ¶3.9.4" in third.text
        location = first.headers["location"]
        page = await chief.get(location)
        assert "Направление на работу № 63-7" in page.text
        meeting = await chief.post(
            f"{location}/move",
            data={"csrf": csrf, "to": "meeting", "meeting_at": "2026-12-03T10:00"},
        )
        assert meeting.status_code == 303
        page = await chief.get(location)
        assert "03.12.2026 10:00 по местному времени" in page.text
        hired = await chief.post(
            f"{location}/move", data={"csrf": csrf, "to": "hired", "hired_on": "2026-12-07"}
        )
        assert hired.status_code == 303
        page = await chief.get(location)
        assert "принят(а) на работу" in page.text
        assert "Приглашение закрыто" in page.text
        late = await chief.post(f"{location}/move", data={"csrf": csrf, "to": "no_answer"})
        assert late.status_code == 422
        assert "уже закрыто" in late.text
    async with desk.sessions() as session:
        notices = list(await session.scalars(select(InterviewNotice).order_by(InterviewNotice.id)))
    assert [(n.employer, n.state) for n in notices] == [
        ("ООО «Волга»", "hired"),
        ("АО «Кама»", "sent"),
    ]
    assert notices[0].meeting_at == datetime(2026, 12, 3, 6, tzinfo=UTC)
    async with desk.as_("anna") as anna:
        listing = await anna.get("/desk/interviews")
        assert "АО «Кама» — Кладовщик" in listing.text
        assert "Отправить приглашение" not in listing.text
        assert (await anna.get(location)).status_code == 200
        refused = await anna.post(
            "/desk/interviews", data={"csrf": csrf_of(listing), "citizen_id": str(citizen)}
        )
        assert refused.status_code == 403
