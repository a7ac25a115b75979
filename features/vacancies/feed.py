"""Reading the «Работа в России» open-data vacancy feed: `results.vacancies[].vacancy`.

Files are streamed (ijson), so a feed of a million vacancies never sits in memory whole. A
record that cannot be used is a `BadRecord` with the feed's id and the reason; the importer
reports it and goes on."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

import ijson

from features.vacancies.text import html_to_text, search_lemmas

FEED_ITEMS = "results.vacancies.item"
MAX_SALARY = 10_000_000  # a monthly salary above this is a typo in the feed, not a salary


class BadRecord(Exception):  # noqa: N818 - a verdict on the data, reported and skipped
    def __init__(self, vacancy_id: str | None, reason: str) -> None:
        super().__init__(f"{vacancy_id or '(no id)'}: {reason}")
        self.vacancy_id = vacancy_id
        self.reason = reason


@dataclass(frozen=True)
class VacancyRecord:
    """One vacancy as the `vacancies` table stores it (without the importer's bookkeeping)."""

    id: str
    region_code: str
    region_name: str | None
    company_name: str
    company_code: str | None
    company_inn: str | None
    company_ogrn: str | None
    company_email: str | None
    company_url: str | None
    hr_agency: bool
    job_name: str
    specialisation: str | None
    code_profession: str | None
    created_on: date | None
    salary_text: str | None
    salary_min: int | None
    salary_max: int | None
    currency: str | None
    employment: str | None
    schedule: str | None
    duty: str | None
    education: str | None
    experience_years: int | None
    qualification: str | None
    address: str | None
    lat: float | None
    lng: float | None
    social_protected: str | None
    contact_person: str | None
    contacts: list[dict[str, Any]]
    work_places: int | None
    url: str | None
    search_lemmas: str

    def columns(self) -> dict[str, Any]:
        return asdict(self)

    def content_sha256(self) -> str:
        """Tells a changed vacancy from one the feed repeats unchanged."""
        data = json.dumps(asdict(self), sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(data.encode()).hexdigest()


def read_feed(source: Path) -> Iterator[Mapping[str, Any] | BadRecord]:
    """The raw `vacancy` objects of a feed file, or of every `*.json` file in a directory
    (in name order). An item without a `vacancy` object comes out as a BadRecord."""
    files = sorted(source.glob("*.json")) if source.is_dir() else [source]
    for path in files:
        with path.open("rb") as stream:
            yield from _items(stream, path.name)


def _items(stream: BinaryIO, name: str) -> Iterator[Mapping[str, Any] | BadRecord]:
    try:
        for item in ijson.items(stream, FEED_ITEMS):
            vacancy = item.get("vacancy") if isinstance(item, dict) else None
            if isinstance(vacancy, dict):
                yield vacancy
            else:
                yield BadRecord(None, "an item without a 'vacancy' object")
    except ijson.JSONError as error:
        yield BadRecord(None, f"{name} is not valid JSON past this point: {error}")


def parse_record(raw: Mapping[str, Any]) -> VacancyRecord:
    """A feed record as a VacancyRecord, or BadRecord saying what is wrong with it."""
    vacancy_id = _text(raw.get("id"), 64)
    if vacancy_id is None:
        raise BadRecord(None, "no id")
    try:
        return _record(vacancy_id, raw)
    except (TypeError, ValueError, AttributeError) as error:
        raise BadRecord(vacancy_id, str(error)) from None


def _record(vacancy_id: str, raw: Mapping[str, Any]) -> VacancyRecord:
    region = _object(raw, "region")
    company = _object(raw, "company")
    category = _object(raw, "category")
    requirement = _object(raw, "requirement")
    job_name = _text(raw.get("job-name"), 512)
    if job_name is None:
        raise ValueError("no job-name")
    region_code = _region_code(region.get("region_code"))
    company_name = _text(company.get("name"), 512)
    if company_name is None:
        raise ValueError("no company name")
    salary_min, salary_max = _salary(raw.get("salary_min")), _salary(raw.get("salary_max"))
    if salary_min is not None and salary_max is not None and salary_min > salary_max:
        raise ValueError(f"salary_min {salary_min} is above salary_max {salary_max}")
    location, lat, lng = _address(raw.get("addresses"))
    specialisation = _text(category.get("specialisation"), 512)
    qualification = _text(requirement.get("qualification"), 4000)
    duty = raw.get("duty")
    return VacancyRecord(
        id=vacancy_id,
        region_code=region_code,
        region_name=_text(region.get("name"), 256),
        company_name=company_name,
        company_code=_text(company.get("companycode"), 64),
        company_inn=_text(company.get("inn"), 16),
        company_ogrn=_text(company.get("ogrn"), 16),
        company_email=_text(company.get("email"), 256),
        company_url=_text(company.get("url"), 1024),
        hr_agency=bool(company.get("hr-agency")),
        job_name=job_name,
        specialisation=specialisation,
        code_profession=_text(raw.get("code_profession"), 16),
        created_on=_date(raw.get("creation-date")),
        salary_text=_text(raw.get("salary"), 256),
        salary_min=salary_min,
        salary_max=salary_max,
        currency=_text(raw.get("currency"), 16),
        employment=_text(raw.get("employment"), 128),
        schedule=_text(raw.get("schedule"), 128),
        duty=html_to_text(duty) if isinstance(duty, str) and duty.strip() else None,
        education=_text(requirement.get("education"), 256),
        experience_years=_whole(requirement.get("experience"), "experience", 70),
        qualification=qualification,
        address=location,
        lat=lat,
        lng=lng,
        social_protected=_text(raw.get("social_protected"), 512),
        contact_person=_text(raw.get("contact_person"), 256),
        contacts=_contacts(raw.get("contact_list")),
        work_places=_whole(raw.get("work_places"), "work_places", 100_000),
        url=_text(raw.get("vac_url"), 1024),
        search_lemmas=" ".join(search_lemmas(f"{job_name} {qualification or ''}")),
    )


def _object(raw: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = raw.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{name} is not an object")
    return value


def _text(value: Any, limit: int) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).replace("\x00", "").strip()  # PostgreSQL text rejects NUL
    return text[:limit] or None


def _region_code(value: Any) -> str:
    """The feed gives a 13-digit KLADR code ("6300000000000"); the region is its first two
    digits, as in the rest of the system."""
    code = _text(value, 32)
    if code is None or len(code) < 2 or not code[:2].isdigit() or code[:2] == "00":
        raise ValueError(f"region_code {value!r} is not a region code")
    return code[:2]


def _number(value: Any, name: str) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"{name} {value!r} is not a number")
    try:
        number = Decimal(str(value).replace(",", ".").replace(" ", ""))
    except ArithmeticError:
        raise ValueError(f"{name} {value!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{name} {value!r} is not a number")
    return number


def _salary(value: Any) -> int | None:
    number = _number(value, "salary")
    if number is None or number == 0:  # the feed writes 0 for "not stated"
        return None
    if number < 0 or number > MAX_SALARY:
        raise ValueError(f"salary {value!r} is out of range")
    return int(number)


def _whole(value: Any, name: str, limit: int) -> int | None:
    number = _number(value, name)
    if number is None:
        return None
    if number < 0 or number > limit:
        raise ValueError(f"{name} {value!r} is out of range")
    return int(number)


def _date(value: Any) -> date | None:
    text = _text(value, 32)
    if text is None:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise ValueError(f"creation-date {value!r} is not a date") from None


def _address(value: Any) -> tuple[str | None, float | None, float | None]:
    """The first address of the vacancy, with its coordinates when they make sense."""
    addresses = value.get("address") if isinstance(value, dict) else None
    if not isinstance(addresses, list) or not addresses or not isinstance(addresses[0], dict):
        return None, None, None
    first = addresses[0]
    lat, lng = _number(first.get("lat"), "lat"), _number(first.get("lng"), "lng")
    if lat is None or lng is None or not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return _text(first.get("location"), 1024), None, None
    if lat == 0 and lng == 0:  # "no coordinates", in the feed's way
        return _text(first.get("location"), 1024), None, None
    return _text(first.get("location"), 1024), float(lat), float(lng)


def _contacts(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    contacts = []
    for contact in value[:10]:
        if isinstance(contact, dict):
            kind = _text(contact.get("contact_type"), 64)
            text = _text(contact.get("contact_value"), 256)
            if text:
                contacts.append({"type": kind, "value": text})
    return contacts
