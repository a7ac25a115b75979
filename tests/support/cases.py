"""Citizens with their records, as the staff API finds them: consent, a job profile with
health data, a registered complaint."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from features.complaints.service import ComplaintDraft, SqlComplaints
from kernel.regions import Regions
from storage.models import Citizen, Consent, JobProfile
from tests.support.db_chat import quiet_hours


def complaint_draft() -> ComplaintDraft:
    return ComplaintDraft(
        ground="service_late",
        respondent="centre",
        decision="Не зарегистрировали заявление",
        decision_on=date(2026, 11, 20),
        arguments="Заявление подано через портал и не зарегистрировано в срок.",
        surname="Петрова",
        first_name="Анна",
        patronymic="Сергеевна",
        residence="г. Самара, ул. Ленина, 1",
        phone="+79001234567",
        email="anna.petrova@mail.ru",
        postal_address="443000, г. Самара, ул. Ленина, 1",
        answer_channel="telegram",
        attachments=(),
    )


async def citizen_with_a_complaint(
    session: AsyncSession, regions: Regions, region: str, external_id: int, now: datetime
) -> tuple[Citizen, str]:
    """A consenting citizen of `region` with a job profile (disability group 2, no shift work
    under the ИПРА) and a registered complaint; returns them and the complaint's number."""
    citizen = Citizen(
        channel="telegram",
        external_id=str(external_id),
        chat_id=external_id,
        region_code=region,
        display_name="Анна Петрова",
        username="anna_petrova",
    )
    session.add(citizen)
    await session.flush()
    session.add(Consent(citizen_id=citizen.id, text_version="1"))
    session.add(
        JobProfile(
            citizen_id=citizen.id,
            profession="водитель",
            regions=[region],
            disability_group=2,
            ipra_restrictions=["no_shift_work"],
        )
    )
    complaint = await SqlComplaints(session, regions, quiet_hours()).register(
        citizen, complaint_draft(), now
    )
    return citizen, str(complaint.number)
