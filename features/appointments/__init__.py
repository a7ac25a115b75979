"""Appointments: visits to the centre or an MFC that the centre sets (000 p.4; 002 ¶75-76). The
citizen is told in Telegram, confirms or asks for another time in their own words, is reminded
the day before and two hours before with what to bring, and hears how the visit was recorded;
staff set, move and record visits through the API. Citizens also book consultation slots
themselves (bookings.py, booking_chat.py)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from dialogs.feature import Chat, Section
from features.appointments import pages, staff
from features.appointments.booking_chat import pressed_book
from features.appointments.bookings import SqlBookings
from features.appointments.chat import CHANGE_FLOW, open_visits, pressed_visit, status_part
from features.appointments.ports import BOOKINGS, SERVICE, BookPress, VisitPress
from features.appointments.service import CHANGE_ALERT, RULES, SqlVisits
from features.kit import DeskPages, Feature, Kit, MenuItem, SessionService


def services(kit: Kit) -> Mapping[str, SessionService]:
    slots = kit.settings.appointments
    return {
        SERVICE: lambda session: SqlVisits(session, kit.regions, kit.quiet_hours),
        BOOKINGS: lambda session: SqlBookings(session, kit.regions, kit.quiet_hours, slots),
    }


FEATURE = Feature(
    name="appointments",
    chat=Chat(
        sections=(
            Section(
                "appointments",
                open_visits,
                place=15,
                intents=("book_appointment",),
                dated_intents=frozenset({"book_appointment"}),
            ),
        ),
        buttons={VisitPress.prefix: pressed_visit, BookPress.prefix: pressed_book},
        flows=(CHANGE_FLOW,),
        status=(status_part,),
    ),
    templates=Path(__file__).with_name("templates"),
    rules=RULES,
    services=services,
    staff=staff.staff_router,
    alert_kinds={CHANGE_ALERT: "визит: гражданин просит другое время"},
    desk=DeskPages(
        router=pages.router,
        templates=Path(__file__).with_name("desk_templates"),
        menu=(MenuItem("Визиты", "/desk/visits", order=25),),
    ),
)
