"""The complaint flow on a real database: every field's validation, back and edit, cancel,
drafts across interruptions and restarts, registration with its number and deadline, status."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.build import renderer as build_renderer
from dialogs.flow import DialogConfig
from features.complaints import validation
from storage.models import AuditEvent, Complaint, Reminder
from tests.support.db_chat import Clock, DbChat, fill_complaint


@pytest.fixture
async def chat(sessions: async_sessionmaker[AsyncSession], dialog_config: DialogConfig) -> DbChat:
    chat = DbChat(sessions, dialog_config)
    await chat.start()
    return chat


async def complaints(sessions: async_sessionmaker[AsyncSession]) -> list[Complaint]:
    async with sessions() as session:
        return list(await session.scalars(select(Complaint).order_by(Complaint.id)))


async def test_a_newcomer_files_a_complaint_and_sees_its_number_and_deadline(
    chat: DbChat, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await chat.send("/complaint")
    await chat.press("buttons.complaint_ground", ground="service_refused")
    await chat.press("buttons.complaint_respondent", respondent="director")
    # The flow names the reviewing body before asking anything else (001 ¶5.1).
    assert chat.last[-1].context["body"] == "ministry"
    await chat.send("Сидоров И. И., директор ЦЗН Кировского района")
    await chat.send("Отказ в признании безработным, решение № 15")
    await chat.send("3.11.2026")
    await chat.send("Отказ не основан на законе:\nвсе документы были представлены вовремя.")
    await chat.send(attachment="photo", file_id="photo-1", mime_type="image/jpeg")
    assert chat.templates() == ["complaint.file_added"]
    await chat.send(
        attachment="document",
        file_id="doc-1",
        file_name="решение.pdf",
        mime_type="application/pdf",
    )
    assert chat.last[0].context["count"] == 2
    await chat.press("buttons.complaint_files_done", count=2)
    await chat.send("петрова")
    await chat.send("Анна-мария")
    await chat.send("Сергеевна")
    await chat.send("443000, г. Самара, ул. Ленина, д. 1, кв. 2")
    await chat.send("+7 900 123 45 67")
    await chat.send("Anna.Petrova@Example.ru")
    await chat.send("а/я 15, 443001, г. Самара")
    await chat.press("buttons.complaint_channel", channel="email")
    summary = chat.last[-1]
    assert summary.template == "complaint.summary"
    text = build_renderer(strict=True).text(summary.template, summary.context)
    for shown in ("Петрова Анна-Мария Сергеевна", "+79001234567", "03.11.2026", "Файлы:</b> 2"):
        assert shown in text
    await chat.press("buttons.complaint_submit")

    assert chat.templates() == ["complaint.registered"]
    registered = chat.last[0].context
    assert registered["number"] == "Ж-2026-000001"
    assert registered["body"] == "ministry"
    # Filed on Monday 23.11.2026: 15 working days on the production calendar (001 ¶5.10).
    assert registered["due_on"] == date(2026, 12, 14)
    [complaint] = await complaints(sessions)
    assert (complaint.surname, complaint.first_name, complaint.patronymic) == (
        "Петрова",
        "Анна-Мария",
        "Сергеевна",
    )
    assert complaint.respondent_name == "Сидоров И. И., директор ЦЗН Кировского района"
    assert complaint.arguments.count("\n") == 1
    assert complaint.email == "Anna.Petrova@example.ru"
    assert complaint.postal_address == "а/я 15, 443001, г. Самара"
    assert [item["file_id"] for item in complaint.attachments] == ["photo-1", "doc-1"]
    assert complaint.answer_rule == "complaint_answer"
    async with sessions() as session:
        rules = set(
            await session.scalars(select(Reminder.rule).where(Reminder.key == "complaint:1"))
        )
        audit = list(await session.scalars(select(AuditEvent.action)))
    assert rules == {"complaint_answer"}
    assert "complaint:registered" in audit
    # The draft is gone with the submission: a new complaint starts from the beginning.
    await chat.send("/complaint")
    assert chat.prompt == "complaint.ask_ground"


async def test_refused_documents_are_answered_in_five_working_days(
    chat: DbChat, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await fill_complaint(chat, ground="documents_refused")
    await chat.press("buttons.complaint_submit")
    assert chat.last[0].context["due_on"] == date(2026, 11, 30)  # 5 WD, 001 ¶5.10
    [complaint] = await complaints(sessions)
    assert complaint.answer_rule == "complaint_answer_short"


async def test_a_complaint_filed_before_new_year_is_due_after_the_holidays(
    sessions: async_sessionmaker[AsyncSession], dialog_config: DialogConfig
) -> None:
    chat = DbChat(sessions, dialog_config, Clock(datetime(2026, 12, 29, 10, tzinfo=UTC)))
    await chat.start()
    await fill_complaint(chat, ground="service_late")
    await chat.press("buttons.complaint_submit")
    # 31.12 and 1-8.01 are days off: 15 working days end on 28.01.2027, not 19.01.
    assert chat.last[0].context["due_on"] == date(2027, 1, 28)
    await fill_complaint(chat, ground="typos")
    await chat.press("buttons.complaint_submit")
    assert chat.last[0].context["due_on"] == date(2027, 1, 14)


@pytest.mark.parametrize(
    ("step_answers", "typed", "error"),
    [
        ([], "", "complaint.invalid_empty"),
        ([], "х" * 1001, "complaint.invalid_too_long"),
        ([], "!!", "complaint.invalid_too_short"),
        ([], "вы там все козлы", "complaint.invalid_abusive"),
        (["decision"], "завтра", "complaint.invalid_future_date"),
        (["decision"], "31.02.2026", "complaint.invalid_not_a_date"),
        (["decision"], "когда-то", "complaint.invalid_not_a_date"),
        (["decision", "date"], "не так", "complaint.invalid_too_short"),
        (["decision", "date"], "я вас убью", "complaint.invalid_abusive"),
    ],
)
async def test_each_text_answer_is_validated_and_asked_again(
    chat: DbChat, step_answers: list[str], typed: str, error: str
) -> None:
    await chat.send("/complaint")
    await chat.press("buttons.complaint_ground", ground="fee")
    await chat.press("buttons.complaint_respondent", respondent="centre")
    await chat.press("buttons.complaint_unknown")
    if "decision" in step_answers:
        await chat.send("Потребовали оплату за консультацию")
    if "date" in step_answers:
        await chat.press("buttons.today")
    prompt = chat.prompt
    await chat.send(typed)
    assert chat.templates() == [error, prompt]


async def test_the_complainant_fields_are_validated(chat: DbChat) -> None:
    await fill_complaint(chat)
    await chat.press("buttons.complaint_edit")

    async def edit(field: str, typed: str) -> list[str]:
        await chat.press("buttons.complaint_field", field=field)
        await chat.send(typed)
        templates = chat.templates()
        await chat.send(attachment="sticker")  # not text either
        assert chat.templates()[0] == "complaint.invalid_empty"
        return templates

    assert (await edit("surname", "Петр0ва"))[0] == "complaint.invalid_not_a_name"
    await chat.send("Петрова")
    await chat.press("buttons.complaint_edit")
    assert (await edit("phone", "12345"))[0] == "complaint.invalid_not_a_phone"
    await chat.send(contact_phone="+79007654321")  # the shared contact works too
    assert chat.last[-1].context["phone"] == "+79007654321"
    await chat.press("buttons.complaint_edit")
    assert (await edit("email", "anna@"))[0] == "complaint.invalid_not_an_email"
    await chat.send("anna@example.ru")
    await chat.press("buttons.complaint_edit")
    assert (await edit("residence", "д1"))[0] == "complaint.invalid_too_short"


async def test_files_other_than_photos_and_pdf_are_refused(chat: DbChat) -> None:
    await fill_complaint(chat)
    await chat.press("buttons.complaint_edit")
    await chat.press("buttons.complaint_field", field="files")
    await chat.send(attachment="voice", file_id="voice-1")
    assert chat.templates() == ["complaint.invalid_file_type", "complaint.ask_files"]
    await chat.send(attachment="document", file_id="d", mime_type="application/msword")
    assert chat.templates()[0] == "complaint.invalid_file_type"
    for number in range(10):
        await chat.send(attachment="photo", file_id=f"p{number}", mime_type="image/jpeg")
    await chat.send(attachment="photo", file_id="p10", mime_type="image/jpeg")
    assert chat.templates()[0] == "complaint.invalid_too_many_files"
    await chat.press("buttons.complaint_files_clear")
    assert chat.templates() == ["complaint.files_cleared"]
    await chat.press("buttons.complaint_no_files")
    assert chat.last[-1].context["files"] == []


async def test_back_returns_to_the_previous_question_keeping_answers(chat: DbChat) -> None:
    await chat.send("/complaint")
    await chat.press("buttons.complaint_ground", ground="other")
    assert chat.prompt == "complaint.ask_ground_text"
    await chat.send("Грубость сотрудника на приёме")
    await chat.press("buttons.back")
    assert chat.prompt == "complaint.ask_ground_text"
    await chat.press("buttons.back")
    assert chat.prompt == "complaint.ask_ground"
    await chat.press("buttons.complaint_ground", ground="fee")
    await chat.press("buttons.complaint_respondent", respondent="mfc_employee")
    assert chat.last[-1].context["body"] == "mfc_head"


async def test_any_field_can_be_changed_from_the_summary(chat: DbChat) -> None:
    await fill_complaint(chat)
    await chat.press("buttons.complaint_edit")
    await chat.press("buttons.complaint_field", field="ground")
    await chat.press("buttons.complaint_ground", ground="other")
    await chat.send("Не выдали направление на обучение")  # "other" asks its text, then back
    assert chat.prompt == "complaint.summary"
    assert chat.last[-1].context["ground_text"] == "Не выдали направление на обучение"
    # With an e-mail the answer can come by e-mail; removing it asks for the channel again.
    await chat.press("buttons.complaint_edit")
    await chat.press("buttons.complaint_field", field="email")
    await chat.send("anna@example.ru")
    await chat.press("buttons.complaint_edit")
    await chat.press("buttons.complaint_field", field="channel")
    await chat.press("buttons.complaint_channel", channel="email")
    await chat.press("buttons.complaint_edit")
    await chat.press("buttons.complaint_field", field="email")
    await chat.press("buttons.complaint_no_email")
    assert chat.prompt == "complaint.ask_channel"
    assert [b.context["channel"] for b in chat.offered() if "channel" in b.context] == [
        "telegram",
        "post",
    ]
    await chat.press("buttons.complaint_channel", channel="post")
    assert chat.last[-1].context["channel"] == "post"


async def test_cancel_throws_the_draft_away(
    chat: DbChat, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await chat.send("/complaint")
    await chat.press("buttons.complaint_ground", ground="fee")
    await chat.press("buttons.cancel")
    assert chat.templates() == ["common.cancelled"]
    await chat.send("/complaint")
    assert chat.prompt == "complaint.ask_ground"
    assert await complaints(sessions) == []


async def test_a_draft_survives_leaving_for_the_menu_and_a_restart(chat: DbChat) -> None:
    await chat.send("/complaint")
    await chat.press("buttons.complaint_ground", ground="fee")
    await chat.press("buttons.complaint_respondent", respondent="centre")
    await chat.press("buttons.complaint_unknown")
    await chat.send("/menu")
    await chat.send("/status")
    assert chat.templates() == ["status.list"]
    # Every message of DbChat runs on a new engine and session, as after a restart.
    await chat.send("/complaint")
    assert chat.templates() == ["complaint.draft_found"]
    await chat.press("buttons.draft_resume")
    assert chat.prompt == "complaint.ask_decision"
    await chat.press("buttons.back")
    assert chat.prompt == "complaint.ask_respondent_name"
    await chat.send("/menu")
    await chat.send("/complaint")
    await chat.press("buttons.draft_new")
    assert chat.prompt == "complaint.ask_ground"


async def test_the_complaint_flow_is_open_only_with_consent(
    sessions: async_sessionmaker[AsyncSession], dialog_config: DialogConfig
) -> None:
    chat = DbChat(sessions, dialog_config, external_id="5002")
    await chat.send("/complaint")
    assert chat.templates() == ["consent.required"]


async def test_status_lists_complaints_and_finds_one_by_number(
    chat: DbChat, sessions: async_sessionmaker[AsyncSession], dialog_config: DialogConfig
) -> None:
    await chat.send("/status")
    assert chat.last[0].context["complaints"] == []
    await fill_complaint(chat)
    await chat.press("buttons.complaint_submit")
    await chat.send("/status")
    [item] = chat.last[0].context["complaints"]
    assert (item["number"], item["state"], item["late"]) == ("Ж-2026-000001", "registered", False)
    await chat.press("buttons.case", number="Ж-2026-000001")
    assert chat.templates() == ["status.complaint"]
    await chat.send("что с жалобой ж-2026-1?")  # typed loosely, found all the same
    assert chat.templates() == ["status.complaint"]
    assert chat.last[0].context["due_on"] == date(2026, 11, 30)

    stranger = DbChat(sessions, dialog_config, external_id="5003")
    await stranger.start()
    await stranger.send("Ж-2026-000001")
    assert stranger.templates() == ["status.not_found"]


def test_validation_reasons_all_have_templates() -> None:
    reasons = {
        "empty",
        "too_long",
        "too_short",
        "abusive",
        "not_a_name",
        "not_a_phone",
        "not_an_email",
        "not_a_date",
        "future_date",
        "too_old",
        "file_type",
        "too_many_files",
    }
    renderer = build_renderer(strict=True)
    for reason in reasons:
        assert renderer.text(f"complaint.invalid_{reason}", {"limit": 10})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Вы нарушили срок", False),
        ("страхуйте риски", False),
        ("мудрое решение", False),
        ("себестоимость", False),
        ("небольшая оплата", False),
        ("потребовали оплату, это бл*дство", False),  # masked words pass; staff decide
        ("какого хрена, идиоты", True),
        ("я вас урою", True),
        ("охуели совсем", True),
        ("сожгу ваш центр", True),
    ],
)
def test_abuse_is_recognised_without_flagging_ordinary_words(text: str, expected: bool) -> None:
    assert validation.abusive(text) is expected


def test_a_late_answer_reminder_names_the_higher_body() -> None:
    renderer = build_renderer(strict=True)
    context = {"number": "Ж-2026-000001", "deadline": date(2026, 12, 14), "before": -1}
    late = renderer.text(
        "reminders.complaint_answer", {**context, "late": True, "escalation": "ministry"}
    )
    assert "истёк 14.12.2026" in late
    assert "её рассмотрит министерство" in late
    assert "в суде" in late
    due = renderer.text("reminders.complaint_answer_short", {**context, "late": False})
    assert "Сегодня, 14.12.2026, истекает срок ответа" in due


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        ("upheld", "Нарушение должны устранить не позднее 03.12.2026"),
        ("rejected", "жалобу рассмотрит министерство (региональный орган службы занятости)"),
        ("left_without_answer", "Решение: <b>оставлена без ответа</b>"),
    ],
)
def test_the_decision_notice_says_what_was_decided_and_what_next(
    outcome: str, expected: str
) -> None:
    text = build_renderer(strict=True).text(
        "reminders.complaint_decision_sent",
        {
            "number": "Ж-2026-000001",
            "outcome": outcome,
            "answer": "Текст <ответа>",
            "body": "centre_director",
            "escalation": "ministry",
            "answer_channel": "post",
            "remedy_due_on": "2026-12-03" if outcome == "upheld" else None,
            "deadline": date(2026, 11, 26),
            "before": 0,
            "late": False,
        },
    )
    assert expected in text
    assert "Текст &lt;ответа&gt;" in text
    assert "Письменный ответ направят по почте" in text


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("05.11.2026", date(2026, 11, 5)),
        ("5.11", date(2026, 11, 5)),
        ("5.12", date(2025, 12, 5)),  # typed in November: last December
        ("3 ноября", date(2026, 11, 3)),
        ("позавчера", date(2026, 11, 21)),
        ("неделю назад", date(2026, 11, 16)),
        ("в октябре", date(2026, 10, 1)),
        ("в начале декабря", date(2025, 12, 1)),
        ("в мае 2025 года", date(2025, 5, 1)),
    ],
)
def test_dates_are_read_as_citizens_write_them(typed: str, expected: date) -> None:
    assert validation.past_date(typed, date(2026, 11, 23)) == expected


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("майонез", "not_a_date"),
        ("в декабре 2027", "future_date"),
        ("01.01.1980", "too_old"),
        ("30.02", "not_a_date"),
    ],
)
def test_dates_that_cannot_be_right_are_refused(typed: str, reason: str) -> None:
    with pytest.raises(validation.Invalid) as refused:
        validation.past_date(typed, date(2026, 11, 23))
    assert refused.value.reason == reason
