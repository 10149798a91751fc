"""What a password must be: long enough, printable, not common, not the account's own name.

The common-password list is zxcvbn's (the 30,000 most frequent passwords of public leaks),
compared case-insensitively.
"""

import unicodedata
from functools import cache

MIN_LENGTH = 8
MAX_LENGTH = 128

TOO_SHORT = f"Password must have at least {MIN_LENGTH} characters other than spaces"
CONTROL = "Password must not contain control characters"
COMMON = "Password is too common; choose a less guessable one"
OWN_NAME = "Password must not be the username or email"


@cache
def common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def context_free_problem(password: str) -> str | None:
    """Why ``password`` is refused whoever sets it (None: it is acceptable)."""
    if any(unicodedata.category(char).startswith("C") for char in password):
        return CONTROL
    if len(password.replace(" ", "")) < MIN_LENGTH or len(password.strip()) < MIN_LENGTH:
        return TOO_SHORT
    if (
        password.casefold() in common_passwords()
        or password.strip().casefold() in common_passwords()
    ):
        return COMMON
    return None


def problem(password: str, *, username: str, email: str) -> str | None:
    """Why ``password`` is refused for the account ``username`` / ``email`` (None: accepted)."""
    found = context_free_problem(password)
    if found is not None:
        return found
    folded = password.strip().casefold()
    own = {username.casefold(), email.casefold(), email.partition("@")[0].casefold()}
    return OWN_NAME if folded in own else None
