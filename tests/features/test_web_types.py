"""The staff API's text rules are stated twice, as patterns in the OpenAPI description and as
validators with readable messages; they must agree on every input."""

from __future__ import annotations

import re

import pytest
from pydantic import TypeAdapter, ValidationError

from features.web import NO_CONTROL, WITH_LETTERS, IsoDate, PlainText, Words

SAMPLES = [
    "Заявление рассмотрено.",
    "Answer 2",
    "строка\nс переносом\tи табуляцией\r\n",
    "",
    "   ",
    "\u200b",
    "12345 !?",
    "a\x00",
    "текст\x07",
    "\x85итог",
    "αβγ",  # Greek letters: not the Latin or Cyrillic a reply to a citizen needs
    "😀",
]


def accepted(adapter: TypeAdapter[str], text: str) -> bool:
    try:
        adapter.validate_python(text)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("text", SAMPLES)
def test_the_patterns_and_the_validators_agree(text: str) -> None:
    assert accepted(TypeAdapter(PlainText), text) == bool(re.search(NO_CONTROL, text))
    assert accepted(TypeAdapter(Words), text) == bool(re.search(WITH_LETTERS, text))


def test_a_date_is_only_year_month_day() -> None:
    dates = TypeAdapter(IsoDate)
    assert str(dates.validate_python("2026-12-31")) == "2026-12-31"
    for wrong in ("0", 0, "31.12.2026", "1735603200"):
        with pytest.raises(ValidationError):
            dates.validate_python(wrong)
