"""Who may see and change what in the fellowship programme: one helper per rule.

Organisers see everything; a fellow sees only their own appointment, questions and programmes;
experts have no account and reach only their own invitation, by its link (see ``invitations``).
"""

from __future__ import annotations

from core.permissions import is_organiser


def is_own(user, fellow_id: int) -> bool:
    return bool(user and user.is_authenticated and user.role == "fellow" and user.id == fellow_id)


def can_view_programme_of(user, fellow_id: int) -> bool:
    """A fellow's appointment, questions, programmes and itinerary: organisers and the fellow."""
    return is_organiser(user) or is_own(user, fellow_id)


#: The fellow records their own questions and organisers record them for any fellow.
can_edit_questions_of = can_view_programme_of
