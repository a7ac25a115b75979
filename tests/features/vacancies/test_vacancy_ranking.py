"""Ranking for a citizen: morphology, every suitable-work rule (001 ¶3.6.3, ¶3.5.2) as a
filter with its reason for staff, preferences as scores, and the explanations."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from features.vacancies.feed import parse_record
from features.vacancies.ranking import Reason, Seeker, VacancyIndex, VacancyRow
from tests.features.vacancies.test_vacancy_import import sample_items

SAMARA_CENTRE = (53.195, 50.100)
TRUCK_C = "a0000001-0000-4000-8000-000000000001"  # Самара, 60–80 тыс., категории C, E
BUS = "a0000001-0000-4000-8000-000000000002"  # Самара, сменный график
FORWARDER = "a0000001-0000-4000-8000-000000000003"  # Новокуйбышевск, ~15 км
FORKLIFT = "a0000001-0000-4000-8000-000000000004"  # Тольятти, ~55 км
TRUCK_SYZRAN = "a0000001-0000-4000-8000-000000000005"  # Сызрань, ~110 км
TAXI = "a0000001-0000-4000-8000-000000000006"  # Самара, 30–40 тыс., частичная занятость
CLEANER = "a0000001-0000-4000-8000-000000000009"  # квота для инвалидов, неполный день
CALL_CENTRE = "a0000001-0000-4000-8000-000000000010"  # квота, удалённая работа
MOSCOW = "a0000001-0000-4000-8000-000000000014"
BAKERY = "a0000001-0000-4000-8000-000000000015"  # зарплата не указана
DRIVERS_IN_SAMARA_REGION = {TRUCK_C, BUS, FORWARDER, FORKLIFT, TRUCK_SYZRAN, TAXI, BAKERY}


def rows() -> list[VacancyRow]:
    records = [parse_record(item["vacancy"]) for item in sample_items()[:15]]
    return [VacancyRow.of(record) for record in records]


@pytest.fixture(scope="module")
def index() -> VacancyIndex:
    return VacancyIndex(rows())


def seeker(**changes: Any) -> Seeker:
    base = Seeker(profession="водитель", regions=("63",), commute_km=30)
    return dataclasses.replace(base, **changes)


def found(index: VacancyIndex, **changes: Any) -> set[str]:
    return {s.vacancy_id for s in index.rank(seeker(**changes), limit=100).suggestions}


def excluded(index: VacancyIndex, vacancy_id: str, **changes: Any) -> tuple[str, ...]:
    ranking = index.rank(seeker(**changes), limit=100, explain=True)
    return next((e.rules for e in ranking.excluded if e.vacancy_id == vacancy_id), ())


@pytest.mark.parametrize(
    "words", ["водитель", "водителем", "водителя", "Водители", "хочу работать водителем"]
)
def test_word_forms_find_the_same_vacancies(index: VacancyIndex, words: str) -> None:
    assert found(index, profession=words) == DRIVERS_IN_SAMARA_REGION


def test_a_category_in_either_alphabet_ranks_the_vacancy_that_asks_for_it_first(
    index: VacancyIndex,
) -> None:
    for words in ("водителя категории C", "водитель категории С", "водитель кат. C"):
        ranking = index.rank(seeker(profession=words), limit=3)
        assert ranking.suggestions[0].vacancy_id in {TRUCK_C, TRUCK_SYZRAN}, words
    assert found(index, profession="повар") == {"a0000001-0000-4000-8000-000000000007"}
    assert found(index, profession="космонавт") == set()
    assert found(index, profession="и в на") == set()  # stop words only


def test_the_same_job_is_not_offered_twice(index: VacancyIndex) -> None:
    assert TRUCK_C not in found(index, offered=frozenset({TRUCK_C}))
    assert excluded(index, TRUCK_C, offered=frozenset({TRUCK_C})) == ("offered_before",)


def test_only_the_citizens_regions(index: VacancyIndex) -> None:
    assert MOSCOW not in found(index)
    assert excluded(index, MOSCOW) == ("outside_regions",)
    assert MOSCOW in found(index, regions=("63", "77"))


def test_reachable_without_moving_unless_the_citizen_agreed_to_move(
    index: VacancyIndex,
) -> None:
    near = found(index, home=SAMARA_CENTRE)
    assert FORWARDER in near  # ~15 km
    assert FORKLIFT not in near
    assert TRUCK_SYZRAN not in near
    assert excluded(index, FORKLIFT, home=SAMARA_CENTRE) == ("not_reachable",)
    assert found(index, home=SAMARA_CENTRE, commute_km=70) >= {FORKLIFT}

    moving = index.rank(seeker(home=SAMARA_CENTRE, relocate=True), limit=100).suggestions
    by_id = {s.vacancy_id: s for s in moving}
    assert {FORKLIFT, TRUCK_SYZRAN} <= set(by_id)
    assert by_id[TRUCK_SYZRAN].reasons[-1].code == "relocation"
    assert 100 < (by_id[TRUCK_SYZRAN].distance_km or 0) < 120


def test_a_vacancy_without_coordinates_cannot_be_called_reachable() -> None:
    no_place = dataclasses.replace(rows()[0], lat=None, lng=None)
    index = VacancyIndex([no_place])
    assert index.rank(seeker(home=SAMARA_CENTRE)).suggestions == []
    assert excluded(index, TRUCK_C, home=SAMARA_CENTRE) == ("location_unknown",)
    assert [s.vacancy_id for s in index.rank(seeker()).suggestions] == [TRUCK_C]


def test_pay_not_below_previous_earnings(index: VacancyIndex) -> None:
    # Earned 45,000, the subsistence minimum is 50,000: the previous earnings are the floor.
    floor_45 = {"previous_salary": 45000, "subsistence_minimum": 50000}
    assert TAXI not in found(index, **floor_45)  # at most 40,000
    assert excluded(index, TAXI, **floor_45) == ("pay_below_floor",)
    assert excluded(index, BAKERY, **floor_45) == ("pay_not_stated",)
    assert FORWARDER in found(index, **floor_45)  # "от 45 000"


def test_the_subsistence_minimum_exception(index: VacancyIndex) -> None:
    # Earned 100,000, above the subsistence minimum of 20,000: the rule does not apply, and
    # the subsistence minimum is the floor.
    above = {"previous_salary": 100000, "subsistence_minimum": 20000}
    assert seeker(**above).pay_floor == 20000
    assert TAXI in found(index, **above)
    assert seeker(previous_salary=15000, subsistence_minimum=20000).pay_floor == 15000
    assert seeker().pay_floor is None


@pytest.mark.parametrize(
    ("restriction", "kept", "dropped"),
    [
        ("no_shift_work", TRUCK_C, BUS),
        ("part_time_only", TAXI, TRUCK_C),
    ],
)
def test_ipra_restrictions_exclude(
    index: VacancyIndex, restriction: str, kept: str, dropped: str
) -> None:
    changes = {"disabled": True, "ipra_restrictions": frozenset({restriction})}
    assert kept in found(index, **changes)
    assert dropped not in found(index, **changes)
    assert excluded(index, dropped, **changes) == ("ipra",)


def test_quota_and_remote_restrictions(index: VacancyIndex) -> None:
    quota = {"disabled": True, "ipra_restrictions": frozenset({"quota_workplace"})}
    assert found(index, profession="уборщик", **quota) == {CLEANER}
    remote = {"disabled": True, "ipra_restrictions": frozenset({"remote_only"})}
    assert found(index, profession="оператор", **remote) == {CALL_CENTRE}
    assert found(index, profession="уборщик", **remote) == set()


def test_several_failed_rules_are_all_listed(index: VacancyIndex) -> None:
    rules = excluded(
        index,
        MOSCOW,
        home=SAMARA_CENTRE,
        offered=frozenset({MOSCOW}),
        previous_salary=200000,
    )
    assert rules == ("offered_before", "outside_regions", "not_reachable", "pay_below_floor")


def test_preferences_order_what_passes(index: VacancyIndex) -> None:
    # Same text match; the desired salary puts the better-paid first.
    ranking = index.rank(seeker(profession="водитель автомобиля", desired_salary=75000))
    ids = [s.vacancy_id for s in ranking.suggestions]
    assert ids.index(TRUCK_C) < ids.index(TAXI)
    # A disabled citizen sees the quota workplace first among cleaners and operators.
    disabled = index.rank(seeker(profession="уборщик оператор", disabled=True), limit=2)
    assert {s.vacancy_id for s in disabled.suggestions} == {CLEANER, CALL_CENTRE}
    assert Reason("fits_disability") in disabled.suggestions[0].reasons


def test_explanations(index: VacancyIndex) -> None:
    ranking = index.rank(
        seeker(home=SAMARA_CENTRE, previous_salary=40000, experience_years=1), limit=100
    )
    reasons = {s.vacancy_id: s.reasons for s in ranking.suggestions}
    assert Reason("pay_above_previous") in reasons[TRUCK_C]
    assert Reason("experience_required", 3) in reasons[TRUCK_C]
    assert Reason("distance", 15) in reasons[FORWARDER]
    wanting = index.rank(seeker(desired_salary=50000), limit=100).suggestions
    assert Reason("pay_below_desired", 40000) in {s.vacancy_id: s for s in wanting}[TAXI].reasons
    assert Reason("pay_not_stated") in {s.vacancy_id: s for s in wanting}[BAKERY].reasons


def test_pages_do_not_overlap_and_total_counts_all(index: VacancyIndex) -> None:
    first = index.rank(seeker(), limit=3)
    second = index.rank(seeker(), limit=3, offset=3)
    third = index.rank(seeker(), limit=3, offset=6)
    ids = [s.vacancy_id for page in (first, second, third) for s in page.suggestions]
    assert first.total == len(DRIVERS_IN_SAMARA_REGION)
    assert sorted(ids) == sorted(DRIVERS_IN_SAMARA_REGION)


def test_an_empty_catalogue_finds_nothing() -> None:
    assert VacancyIndex([]).rank(seeker()).suggestions == []
