"""The rule for a password someone chooses (ASVS 2.1): 12 to 128 characters of anything, and not easy to
guess, as zxcvbn estimates it offline against its bundled lists of common and breached passwords, words and
names (no network, no composition rules). It applies when a password is chosen — joining, a reset, a change,
``flask users create`` — never at sign-in, so an older or demo password still signs in."""

from __future__ import annotations

import threading
from collections.abc import Iterable

from zxcvbn import zxcvbn

MIN_PASSWORD_LENGTH = 12
#: ASVS 2.1.2: 64 characters must work; longer than 128 is refused (zxcvbn's own limit is raised to it).
MAX_PASSWORD_LENGTH = 128
#: zxcvbn scores 0 (guessed at once) to 4; below 3 (about 10^8 guesses) is refused.
MIN_PASSWORD_SCORE = 3

# zxcvbn keeps the user's own words in a module-level dictionary while it scores: one score at a time.
_scoring = threading.Lock()


def personal_words(*values: str | None) -> list[str]:
    """What a password must not be built from: the person's name and email, and their parts."""
    words: list[str] = []
    for value in values:
        if not value:
            continue
        words.append(value)
        words += [part for part in value.replace("@", " ").replace(".", " ").split() if len(part) > 2]
    return words


def password_problem(password: str, user_inputs: Iterable[str] = ()) -> str | None:
    """Why ``password`` cannot be chosen, in words for the person choosing it; None when it can."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Use at most {MAX_PASSWORD_LENGTH} characters"
    with _scoring:
        result = zxcvbn(password, user_inputs=list(user_inputs), max_length=MAX_PASSWORD_LENGTH)
    if result["score"] >= MIN_PASSWORD_SCORE:
        return None
    feedback = result["feedback"]
    advice = [feedback["warning"], *feedback["suggestions"]]
    advice = [line.strip() for line in advice if line and line.strip()] or ["Add another word or two."]
    return "This password is too easy to guess. " + " ".join(
        line if line.endswith((".", "!", "?")) else line + "." for line in advice
    )


PASSWORD_HINT = (
    f"{MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters, not a common password or one built from your "
    "name or email. A few unrelated words make a strong one that is easy to remember."
)
