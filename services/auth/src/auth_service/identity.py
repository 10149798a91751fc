"""How usernames and emails are compared: NFKC-normalised and case-folded, look-alikes refused.

Two spellings that render alike must be one account: fullwidth ``alice`` (U+FF41...) and
``Alice`` are ``alice`` after NFKC and case folding. Where normalisation cannot help (a Cyrillic
``a``, U+0430, in an otherwise Latin local part), the address is refused: confusable-homoglyphs
reports text that mixes scripts with characters confusable with another script's.
"""

import unicodedata

from confusable_homoglyphs import confusables

LOOKALIKE = (
    "Email mixes scripts with look-alike characters (e.g. a Cyrillic letter among Latin ones)"
)


def fold(text: str) -> str:
    """The comparison key of a username or an email."""
    return unicodedata.normalize("NFKC", text.strip()).casefold()


def is_lookalike(text: str) -> bool:
    return bool(confusables.is_dangerous(text))
