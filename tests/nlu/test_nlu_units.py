"""Our own NLU logic without Rasa: breaker, entities, dates, the local matcher, the F1 gate's
arithmetic and the training fingerprint."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from kernel import case_numbers
from nlu import service
from nlu.client import CircuitBreaker
from nlu.dates import When, parse_when
from nlu.entities import normalized, salary_roubles
from nlu.local_matcher import LocalMatcher
from nlu.report import macro_f1_of
from nlu.results import Entity, NluResult
from tests.support.fakes import FakeClock


def test_breaker_opens_after_failures_in_a_row_then_lets_one_trial_through() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=3, reset_seconds=10, clock=clock)
    for _ in range(2):
        assert breaker.allow()
        breaker.record_failure()
    assert breaker.state == "closed"
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state == "open"
    assert not breaker.allow()

    clock.now = 10.0
    assert breaker.state == "half-open"
    assert breaker.allow()  # the trial
    assert not breaker.allow()  # only one at a time
    breaker.record_failure()  # the trial failed: open again for a full period
    assert breaker.state == "open"
    clock.now = 19.0
    assert not breaker.allow()
    clock.now = 20.0
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state == "closed"
    assert breaker.allow()


def test_success_resets_the_failure_count() -> None:
    breaker = CircuitBreaker(failure_threshold=2, reset_seconds=10, clock=FakeClock())
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state == "closed"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("что с жалобой Ж-2026-000123?", "Ж-2026-000123"),
        ("ж2026-77", "Ж-2026-000077"),
        ("статус z-2025-15", "З-2025-000015"),
        ("номер в-2026-000017 какой статус", "В-2026-000017"),
        ("телефон 8-800-2000", None),
        ("просто текст", None),
    ],
)
def test_case_numbers_are_read_in_canonical_form(text: str, expected: str | None) -> None:
    assert case_numbers.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "roubles"),
    [("60000", "60000"), ("40 000 рублей", "40000"), ("70 тыс", "70000"), ("150 тысяч", "150000")],
)
def test_salary_is_read_in_roubles(text: str, roubles: str) -> None:
    assert salary_roubles(text) == roubles


def test_entity_values_are_lemmas_the_flows_can_search_by() -> None:
    assert normalized(Entity("city", "самаре", "самаре")).value == "Самара"
    assert normalized(Entity("city", "Нижнем Новгороде", "Нижнем Новгороде")).value in {
        "Нижний Новгороде",
        "Нижний Новгород",
    }
    assert normalized(Entity("profession", "водителя", "водителя")).value == "водитель"
    assert (
        normalized(Entity("profession", "менеджера по продажам", "менеджера по продажам")).value
        == "менеджер по продажам"
    )
    # The lookup lists' extractor names the entry it matched: a typo is not lemmatised.
    assert normalized(Entity("profession", "водитель", "водитля")).value == "водитель"
    assert normalized(Entity("city", "ростов-на-дону", "ростове-на-дону")).value == (
        "Ростов-на-Дону"
    )


# 2026-11-23 21:30 UTC is already 01:30 on Tuesday 24 November in Samara (UTC+4).
LATE_MONDAY_UTC = datetime(2026, 11, 23, 21, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("в пятницу в 10", When(date(2026, 11, 27), time(10, 0))),
        ("12.05", When(date(2027, 5, 12))),  # already past this year: next May
        ("25.12", When(date(2026, 12, 25))),
        ("послезавтра", When(date(2026, 11, 26))),  # counted from the local Tuesday
        ("перенесите на завтра в 15:30", When(date(2026, 11, 25), time(15, 30))),
        ("в 10 утра в понедельник", When(date(2026, 11, 30), time(10, 0))),
        ("давайте 1 декабря", When(date(2026, 12, 1))),
        ("31.02", None),
        ("когда-нибудь потом", None),
    ],
)
def test_dates_are_read_in_the_citizens_time_zone(text: str, expected: When | None) -> None:
    assert parse_when(text, "Europe/Samara", LATE_MONDAY_UTC) == expected


def test_the_same_words_mean_another_day_in_another_zone() -> None:
    evening = datetime(2026, 11, 23, 20, 30, tzinfo=UTC)  # 23:30 Moscow, 00:30 Samara
    moscow = parse_when("завтра", "Europe/Moscow", evening)
    samara = parse_when("завтра", "Europe/Samara", evening)
    assert moscow == When(date(2026, 11, 24))
    assert samara == When(date(2026, 11, 25))
    assert When(date(2026, 11, 24), time(9)).localized("Europe/Samara").utcoffset() is not None


@pytest.fixture(scope="module")
def matcher() -> LocalMatcher:
    return LocalMatcher.from_file()


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("хочу пожаловаться на сотрудника центра занятости", "file_complaint"),
        ("жалобв на инспектора", "file_complaint"),  # a typo
        ("какие есть вакансии водителя в самаре", "search_vacancies"),
        ("вакансй повара", "search_vacancies"),
        ("как встать на биржу труда", "apply_unemployment"),
        ("перенести собеседование", "reschedule_interview"),
        ("удалите мои персональные данные", "delete_my_data"),
        ("адрес и телефон центра", "ask_contacts"),
        ("мне нужен психолог", "apply_psych_support"),
        ("позовите оператора", "request_operator"),
        ("самаpа вакансии", "search_vacancies"),  # a Latin "p" inside a Russian word
        ("vakansii povara", "search_vacancies"),  # Latin letters
        (";fkj,f yf bycgtrnjhf", "file_complaint"),  # the Latin keyboard layout
    ],
)
def test_local_matcher_points_to_the_right_section(
    matcher: LocalMatcher, text: str, first: str
) -> None:
    suggestions = matcher.suggest(text)
    assert suggestions, text
    assert suggestions[0] == first


@pytest.mark.parametrize("text", ["какая завтра погода", "", "!!!", "12345"])
def test_local_matcher_suggests_nothing_for_unrelated_text(
    matcher: LocalMatcher, text: str
) -> None:
    assert matcher.suggest(text) == ()


def test_best_guess_skips_the_fallback_intent() -> None:
    result = NluResult(
        "nlu_fallback",
        0.7,
        ranking=(("nlu_fallback", 0.7), ("file_complaint", 0.55), ("help", 0.2)),
    )
    assert result.is_fallback
    assert result.best_guess() == ("file_complaint", 0.55)
    assert NluResult("nlu_fallback", 0.7).best_guess() is None


def test_macro_f1_averages_per_intent_scores() -> None:
    pairs = [("a", "a"), ("a", "a"), ("b", "a"), ("b", "b")]
    # a: precision 2/3, recall 1 -> 0.8; b: precision 1, recall 1/2 -> 2/3
    assert macro_f1_of(pairs) == pytest.approx((0.8 + 2 / 3) / 2)
    assert macro_f1_of([("a", "a")]) == 1.0
    # a predicted label that is never true is a class with F1 0, as in Rasa's report
    assert macro_f1_of([("a", "nlu_fallback"), ("b", "b")]) == pytest.approx(1 / 3)


def test_training_fingerprint_covers_data_config_and_components() -> None:
    inputs = {path.relative_to(service.PROJECT).as_posix() for path in service.model_inputs()}
    assert {"config.yml", "domain.yml", "constraints.txt", "data/regex.yml"} <= inputs
    assert "components/russian_tokenizer.py" in inputs
    assert not any(name.startswith("heldout/") for name in inputs)  # never trained on


def test_only_a_working_python310_is_taken_else_the_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    real = sorted(Path("~/.pyenv/versions").expanduser().glob("3.10.*/bin/python3.10"))
    monkeypatch.setenv("RASA_PYTHON", "")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(service.SetupError, match="RASA_PYTHON"):
        service.find_python310()
    shim = tmp_path / "python3.10"  # like a pyenv shim where 3.10 is not selected
    shim.write_text("#!/bin/sh\necho 'pyenv: python3.10: command not found' >&2\nexit 127\n")
    shim.chmod(0o755)
    with pytest.raises(service.SetupError):
        service.find_python310()
    if real:
        monkeypatch.setenv("RASA_PYTHON", str(real[0]))
        assert service.find_python310() == str(real[0])
