"""Operations behind the organiser pages: fellows' invitations, organisations and the topic vocabulary.

Like ``fellows.services`` they change models and flush; the calling view commits.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ForeignKey, Table, func, select

from core.models import Tag, slugify, utcnow
from extensions import db
from fellows.models import AccountToken, Organisation, User
from fellows.services import (
    ServiceError,
    find_or_create_organisation,
    find_user_by_email,
    invite_fellow,
    normalise_email,
)

# Fellows and invitations -------------------------------------------------------------------


@dataclass(frozen=True)
class InvitationStatus:
    """Where a fellow's invitation stands, for the organiser pages."""

    #: "joined", "pending", "expired", "revoked" or "none" (never invited, e.g. just imported).
    state: str
    expires_at: datetime | None = None

    @property
    def can_send(self) -> bool:
        return self.state != "joined"

    @property
    def can_revoke(self) -> bool:
        return self.state == "pending"


def invitation_status(user: User, latest: AccountToken | None) -> InvitationStatus:
    """The status given the user's most recent invitation link (or None)."""
    if user.has_joined:
        return InvitationStatus("joined")
    if latest is None:
        return InvitationStatus("none")
    if latest.revoked_at is not None or latest.used_at is not None:
        return InvitationStatus("revoked")
    if latest.expires_at <= utcnow():
        return InvitationStatus("expired", latest.expires_at)
    return InvitationStatus("pending", latest.expires_at)


def invitation_statuses(users: list[User]) -> dict[int, InvitationStatus]:
    """Statuses for a page of fellows with one query, keyed by user id."""
    waiting = [user.id for user in users if not user.has_joined]
    latest: dict[int, AccountToken] = {}
    if waiting:
        for record in db.session.scalars(
            select(AccountToken)
            .where(AccountToken.user_id.in_(waiting), AccountToken.purpose == "invitation")
            .order_by(AccountToken.id)
        ):
            latest[record.user_id] = record
    return {user.id: invitation_status(user, latest.get(user.id)) for user in users}


def create_fellow(
    name: str, email: str, organisation: str | None = None, sector: str | None = None, cohort: int | None = None
) -> User:
    """A new fellow account without a password (it can sign in once the invitation is accepted)."""
    if find_user_by_email(email) is not None:
        raise ServiceError("There is already an account with this email address.")
    user = User(
        email=normalise_email(email),
        name=name.strip(),
        role="fellow",
        organisation=find_or_create_organisation(organisation),
        sector=sector or None,
        cohort=cohort,
        visibility="fellows",
        links=[],
    )
    db.session.add(user)
    db.session.flush()
    return user


def email_belongs_to_another(email: str, user: User) -> bool:
    """Whether changing ``user``'s email to ``email`` would collide with a different account."""
    other = find_user_by_email(email)
    return other is not None and other.id != user.id


def _uninvited_fellows(user_ids: list[int]):
    """Of these accounts: active fellows who have not joined and were never sent an invitation."""
    return select(User).where(
        User.id.in_(user_ids),
        User.role == "fellow",
        User.active.is_(True),
        User.password_hash.is_(None),
        ~select(AccountToken.id).where(AccountToken.user_id == User.id, AccountToken.purpose == "invitation").exists(),
    )


def uninvited_count(user_ids: list[int]) -> int:
    if not user_ids:
        return 0
    return db.session.scalar(select(func.count()).select_from(_uninvited_fellows(user_ids).subquery())) or 0


def invite_uninvited_fellows(user_ids: list[int], by: User) -> int:
    """Send a first invitation to each of these fellows who has none yet; returns how many were sent.

    Fellows invited meanwhile (or who joined, or were deactivated) are skipped, so pressing the
    button twice sends nothing twice.
    """
    if not user_ids:
        return 0
    users = db.session.scalars(_uninvited_fellows(user_ids).order_by(User.id)).all()
    for user in users:
        invite_fellow(user, by)
    return len(users)


# Organisations -----------------------------------------------------------------------------


def organisation_name_taken(name: str, organisation: Organisation | None = None) -> bool:
    """Whether another organisation already has this name, ignoring case and spacing."""
    wanted = " ".join(name.split()).lower()
    for other_id, other_name in db.session.execute(select(Organisation.id, Organisation.name)):
        # Compared in Python: SQLite's lower() leaves non-ASCII letters alone.
        if other_name.lower() == wanted and (organisation is None or other_id != organisation.id):
            return True
    return False


def save_organisation(organisation: Organisation, name: str, kind: str, website: str | None) -> Organisation:
    """Create (when new) or update an organisation; a name another one has is refused."""
    name = " ".join(name.split())
    if organisation_name_taken(name, organisation if organisation.id else None):
        raise ServiceError(f"There is already an organisation called “{name}”.")
    organisation.name = name
    organisation.kind = kind
    organisation.website = website or None
    db.session.add(organisation)
    db.session.flush()
    return organisation


def fellow_counts(organisation_ids: list[int]) -> dict[int, int]:
    """How many fellow accounts (any state) each organisation has, in one query."""
    if not organisation_ids:
        return {}
    rows = db.session.execute(
        select(User.organisation_id, func.count(User.id))
        .where(User.organisation_id.in_(organisation_ids), User.role == "fellow")
        .group_by(User.organisation_id)
    )
    return dict(rows.all())


# Topics ------------------------------------------------------------------------------------

#: How the tables that refer to topics are named on the topics page (plural).
TAG_USE_LABELS = {"user_interests": "fellows", "event_topics": "events"}


def describe_usage(uses: Counter) -> str:
    """Counter({"fellows": 1, "events": 2}) → "2 events, 1 fellow"."""
    parts = []
    for label, count in sorted(uses.items()):
        parts.append(f"{count} {label[:-1] if count == 1 and label.endswith('s') else label}")
    return ", ".join(parts)


def _tables_using_tags() -> list[tuple[Table, str]]:
    """(table, column name) for every column that refers to a topic: found from the schema, so a
    new area that tags things (write-ups, say) is counted without changes here."""
    found = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if any(isinstance(key, ForeignKey) and key.column.table.name == "tags" for key in column.foreign_keys):
                found.append((table, column.name))
    return found


def tag_usage(tag_ids: list[int] | None = None) -> dict[int, Counter]:
    """{tag id: Counter({"fellows": 3, "events": 1, …})}, one query per table that uses topics."""
    usage: dict[int, Counter] = {}
    for table, column_name in _tables_using_tags():
        column = table.c[column_name]
        query = select(column, func.count()).where(column.is_not(None)).group_by(column)
        if tag_ids is not None:
            query = query.where(column.in_(tag_ids))
        label = TAG_USE_LABELS.get(table.name, table.name.replace("_", " "))
        for tag_id, count in db.session.execute(query):
            usage.setdefault(tag_id, Counter())[label] += count
    return usage


def _check_tag_name(name: str, tag: Tag | None) -> tuple[str, str]:
    name = " ".join(name.split())
    slug = slugify(name)
    if not slug:
        raise ServiceError("A topic needs some letters or digits.")
    clash = db.session.scalar(select(Tag).where(Tag.slug == slug))
    if clash is not None and (tag is None or clash.id != tag.id):
        raise ServiceError(f"There is already a topic called “{clash.name}”.")
    return name, slug


def create_tag(name: str) -> Tag:
    """Add a topic to the shared vocabulary; a name that reads the same as an existing one is refused."""
    name, slug = _check_tag_name(name, None)
    tag = Tag(name=name, slug=slug)
    db.session.add(tag)
    db.session.flush()
    return tag


def rename_tag(tag: Tag, name: str) -> Tag:
    """Rename a topic everywhere it is used; its slug (used in filter links) follows the name."""
    tag.name, tag.slug = _check_tag_name(name, tag)
    db.session.flush()
    return tag


def delete_tag(tag: Tag) -> None:
    """Remove an unused topic. A topic still in use stays, so nobody's interests vanish silently."""
    uses = tag_usage([tag.id]).get(tag.id)
    if uses:
        raise ServiceError(
            f"“{tag.name}” is still used by {describe_usage(uses)}. Remove it from them first, or rename it."
        )
    db.session.delete(tag)
    db.session.flush()
