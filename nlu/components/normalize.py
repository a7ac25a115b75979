"""Text normalisation shared by the Rasa tokenizer and the bot's local matcher.

It maps characters one to one, so the normalised text keeps the offsets of the original and
entity spans stay valid. Plain Python with no dependencies, so both environments can import it.
"""

from __future__ import annotations

# Latin letters that look like Cyrillic ones: citizens' keyboards mix them inside one word
# ("самаpа" with a Latin "p"). Only words that already contain Cyrillic are mapped, so an
# English word stays English.
_LOOKALIKES = str.maketrans("aceopxykmhtb", "асеорхукмнтв")


def normalize_word(word: str) -> str:
    word = word.lower().replace("ё", "е")
    if any("а" <= ch <= "я" for ch in word) and any("a" <= ch <= "z" for ch in word):
        word = word.translate(_LOOKALIKES)
    return word
