"""Russian typed on the Latin keyboard layout or written in Latin letters is read as Russian
by the Rasa tokenizer (nlu/components/normalize.py), with a small dictionary standing in for
pymorphy3's here."""

from __future__ import annotations

import pytest

from nlu.components.normalize import fix_layout, russian_reading, transliterated
from nlu.lemmas import words

WORDS = {"привет", "как", "дела", "да", "нет", "жалоба", "хочу", "работу", "водитель", "помощь"}
WORDS |= {"данные", "ищу", "если", "записаться", "подтверждаю", "стоп", "спасибо"}


def is_russian(word: str) -> bool:
    return word in WORDS


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("ghbdtn", "привет"),
        ("ghbdtn, rfr ltkf?", "привет, как дела?"),  # real punctuation stays punctuation
        (";fkj,f", "жалоба"),  # ";" and "," are the keys of "ж" and "б"
        ("gjlndth;lf.", "подтверждаю"),
        ("lf", "да"),
        ("Ytn", "нет"),
        ("hello", "hello"),  # not Russian on either layout: left alone
        ("spasibo", "spasibo"),  # Russian in Latin letters is not the wrong layout
        ("самара ghbdtn", "самара привет"),
    ],
)
def test_the_wrong_layout_is_retyped_in_place(typed: str, meant: str) -> None:
    fixed = fix_layout(typed, is_russian)
    assert fixed == meant
    assert len(fixed) == len(typed)  # entity offsets still point into what was written


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("hochu", "хочу"),
        ("rabotu", "работу"),
        ("voditel", "водитель"),  # the soft sign transliteration drops
        ("pomosch", "помощь"),
        ("dannye", "данные"),
        ("ishu", "ищу"),  # "sh" for "щ"
        ("yesli", "если"),
        ("zapisatsya", "записаться"),
        ("stop", "стоп"),
    ],
)
def test_latin_letters_are_read_as_the_russian_word(written: str, read: str) -> None:
    assert transliterated(written, is_russian) == read


def test_a_latin_word_with_no_russian_reading_keeps_a_cyrillic_spelling() -> None:
    assert russian_reading("hello", is_russian) is None
    assert transliterated("hello", is_russian) == "хелло"  # the n-grams still compare it
    assert transliterated("ok2", is_russian) == "ok2"  # not a word: left alone
    assert transliterated("привет", is_russian) == "привет"


def test_the_bots_own_words_read_latin_as_the_rasa_tokenizer_does() -> None:
    # The local matcher and the entity values go through nlu.lemmas.words (real pymorphy3).
    assert words("ghbdtn, hochu rabotu voditelem") == ["привет", "хочу", "работу", "водителем"]
    assert words("Самара, 50 000") == ["самара", "50", "000"]
    # Driving-licence categories and other codes are Latin on purpose.
    assert words("водитель категории C E") == ["водитель", "категории", "c", "e"]
    assert words("вакансии IT и HR") == ["вакансии", "it", "и", "hr"]
