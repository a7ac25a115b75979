"""Text normalisation shared by the Rasa tokenizer and the bot's local matcher.

`normalize_word` maps characters one to one, so the normalised text keeps the offsets of the
original and entity spans stay valid. `fix_layout` keeps the length too; `transliterated`
works on one word, whose token keeps the original span. Plain Python with no dependencies,
so both environments can import it; whether a word is Russian is the caller's dictionary.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator

IsRussian = Callable[[str], bool]

# Latin letters that look like Cyrillic ones: citizens' keyboards mix them inside one word
# ("самаpа" with a Latin "p"). Only words that already contain Cyrillic are mapped, so an
# English word stays English.
_LOOKALIKES = str.maketrans("aceopxykmhtb", "асеорхукмнтв")

# The same keys on the Latin and the Russian layout (ЙЦУКЕН): "ghbdtn" is "привет" typed
# with the wrong layout on. One character for one, punctuation keys included (",": "б").
_LAYOUT = str.maketrans(
    "qwertyuiop[]asdfghjkl;'zxcvbnm,.`",
    "йцукенгшщзхъфывапролджэячсмитьбюё",
)
_LATIN_CHUNK = re.compile(r"[a-z\[\];',.`]*[a-z][a-z\[\];',.`]*", re.IGNORECASE)

# Russian written in Latin letters ("hochu rabotu"): the longest spelling first; a letter
# with several readings lists them all, and the first reading that is a Russian word wins.
_TRANSLIT: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("shch", ("щ",)), ("sch", ("щ",)), ("tsya", ("тся", "ться")), ("zh", ("ж",)),
    ("kh", ("х",)), ("ch", ("ч",)), ("sh", ("ш", "щ")), ("ts", ("ц", "тс")), ("yu", ("ю",)),
    ("ju", ("ю",)), ("ya", ("я",)), ("ja", ("я",)), ("yo", ("ё", "йо")), ("jo", ("ё",)),
    ("ye", ("ые", "е")), ("iya", ("ия",)), ("iy", ("ий", "ию")),
    ("a", ("а",)), ("b", ("б",)), ("v", ("в",)), ("w", ("в",)), ("g", ("г",)), ("d", ("д",)),
    ("e", ("е", "э")), ("z", ("з",)), ("i", ("и", "й")), ("j", ("й",)), ("k", ("к",)),
    ("l", ("л",)), ("m", ("м",)), ("n", ("н",)), ("o", ("о",)), ("p", ("п",)), ("r", ("р",)),
    ("s", ("с",)), ("t", ("т",)), ("u", ("у",)), ("f", ("ф",)), ("h", ("х",)), ("c", ("ц", "к")),
    ("y", ("ы", "й", "и")), ("x", ("кс",)), ("q", ("к",)), ("'", ("ь",)),
)  # fmt: skip
_MAX_READINGS = 64


def normalize_word(word: str) -> str:
    word = word.lower().replace("ё", "е")
    if any("а" <= ch <= "я" for ch in word) and any("a" <= ch <= "z" for ch in word):
        word = word.translate(_LOOKALIKES)
    return word


def fix_layout(text: str, is_russian: IsRussian) -> str:
    """The text with every Latin chunk that reads as Russian words on the Russian layout
    retyped ("ghbdtn" -> "привет"); same length, so offsets still point into the original."""

    def retype(match: re.Match[str]) -> str:
        chunk = match.group()
        if _is_code(chunk):
            return chunk
        if chunk.isalpha() and russian_reading(chunk, is_russian) is not None:
            return chunk  # "privet" is Russian in Latin letters, not the wrong layout
        retyped = chunk.lower().translate(_LAYOUT)
        # A trailing "." or "," may be real punctuation ("ghbdtn," is "привет,").
        for end in (len(retyped), len(retyped.rstrip("бю"))):
            words = re.findall(r"[а-яё]+", retyped[:end])
            if words and end and all(is_russian(word) for word in words):
                return retyped[:end] + chunk[end:]
        return chunk

    return _LATIN_CHUNK.sub(retype, text)


def transliterated(word: str, is_russian: IsRussian) -> str:
    """A Latin word read as Russian: the first reading that is a Russian word ("rabotu" ->
    "работу", "voditel" -> "водитель"), else its first reading ("hello" -> "хелло", which
    the character n-grams still compare), else the word unchanged."""
    if not word.isascii() or not word.isalpha() or _is_code(word):
        return word
    known = russian_reading(word, is_russian)
    if known is not None:
        return known
    return next(_readings(word.lower()), word)


def _is_code(chunk: str) -> bool:
    """A single letter or capitals: a licence category ("C", "CE"), "IT", "HR" — Latin on
    purpose, never a Russian word typed wrong."""
    return len(chunk) < 2 or chunk.isupper()


def russian_reading(word: str, is_russian: IsRussian) -> str | None:
    """The first reading of a Latin word that is a Russian word, also with the soft sign
    that transliteration drops at the end ("pomosch" -> "помощь"); None if there is none."""
    for spelling in (word.lower(), word.lower() + "'"):
        for reading in itertools.islice(_readings(spelling), _MAX_READINGS):
            if is_russian(reading):
                return reading
    return None


def _readings(word: str) -> Iterator[str]:
    pieces: list[tuple[str, ...]] = []
    rest = word
    while rest:
        for spelling, letters in _TRANSLIT:
            if rest.startswith(spelling):
                pieces.append(letters)
                rest = rest[len(spelling) :]
                break
        else:
            return iter(())
    return ("".join(parts) for parts in itertools.product(*pieces))
