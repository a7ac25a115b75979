"""Text of vacancies and queries as the ranking sees it: lemmas, so that "водителем",
"водитель" and "водителя" are one word, and driving categories written in either alphabet."""

from __future__ import annotations

from html.parser import HTMLParser

from nlu.lemmas import lemma, words

# Driving-licence categories are written in Latin or in look-alike Cyrillic letters ("кат. С").
_CATEGORY_LETTERS = str.maketrans("авсдемн", "abcdemh")
_CATEGORY_MAX_LEN = 3
_CATEGORY_LATIN = frozenset("abcdem")
_CATEGORY_WORDS = frozenset({"категория", "кат", "права"})
# Words that say nothing about a job: they would only add noise to BM25.
_STOP_LEMMAS = frozenset(
    (
        *("и", "в", "во", "на", "с", "со", "по", "для", "от", "до", "из", "к", "у", "о", "об"),
        *("за", "при", "без", "или", "а", "но", "не", "что", "как", "это", "же", "ли", "я"),
        *("работа", "работать", "вакансия", "требоваться", "искать", "хотеть", "мочь"),
    )
)


def search_lemmas(text: str) -> list[str]:
    """The lemmas of a job name, a qualification or a citizen's query, stop words left out."""
    result: list[str] = []
    after_category = False  # "категории С, Е": Cyrillic letters read as categories here only
    for word in words(text):
        category = _category(word, after_category)
        if category is not None:
            result.append(category)
            after_category = True
            continue
        base = lemma(word)
        after_category = base in _CATEGORY_WORDS
        if base not in _STOP_LEMMAS:
            result.append(base)
        if "-" in word:  # "водитель-экспедитор" is a driver too
            result.extend(lemma(part) for part in word.split("-") if len(part) > 2)
    return result


def _category(word: str, after_category: bool) -> str | None:
    """A driving-licence category (B, C, CE...) in Latin letters, or in Cyrillic ones right
    after "категория" (a lone Cyrillic "с" is far more often the preposition)."""
    if len(word) > _CATEGORY_MAX_LEN or not word.isalpha():
        return None
    latin = word.translate(_CATEGORY_LETTERS)
    if not all(letter in _CATEGORY_LATIN for letter in latin):
        return None
    return latin if word == latin or after_category else None


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "p", "li", "div"):
            self.parts.append("\n")


def html_to_text(html: str) -> str:
    """The feed's `duty` is HTML; the citizen reads plain text (Telegram would reject most
    of its tags)."""
    parser = _TextOnly()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)
