"""Applying a checked CSV import of fellows: create the new ones, update the existing ones.

A value a fellow set themselves (``csv_check.is_own_value``) is left alone unless the organiser ticked
to overwrite, so a re-import never silently replaces a fellow's own name ("Amelia Hart" → "Amelia Updated").
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.models import Tag, slugify
from core.tags import find_or_create_tag
from extensions import db
from fellows.manage.csv_check import ImportPreview, is_own_value, organisations_by_name
from fellows.models import Organisation, User


@dataclass
class ImportResult:
    created: list[User]
    updated: list[User]
    #: Values left as the fellows set them (the organiser did not tick to overwrite).
    kept: int = 0


def apply_import(preview: ImportPreview, overwrite_own: bool = False) -> ImportResult:
    """Create new fellows (uninvited, without a password) and update existing ones; flush, never commit.

    For an existing fellow, filled-in cells replace blank or organiser-set values; a value the fellow set
    themselves is replaced only with ``overwrite_own``. Empty cells leave values as they are, and interests
    are added to theirs (a fellow's own choices are never removed).
    """
    if preview.has_errors:
        raise ValueError("a file with errors cannot be imported")
    emails = [row.email for row in preview.rows]
    existing = {
        user.email: user
        for user in db.session.scalars(select(User).where(User.email.in_(emails)).options(selectinload(User.interests)))
    }
    organisations = organisations_by_name({row.organisation for row in preview.rows if row.organisation})
    tags: dict[str, Tag] = {}
    result = ImportResult(created=[], updated=[])

    def may_replace(user: User, old: str) -> bool:
        # A new fellow has no password yet, so nothing of theirs is their own.
        if overwrite_own or not is_own_value(user, old):
            return True
        result.kept += 1
        return False

    for row in preview.rows:
        user = existing.get(row.email)
        if user is None:
            user = User(email=row.email, name=row.name, role="fellow", visibility="fellows", links=[])
            db.session.add(user)
            result.created.append(user)
        else:
            if row.name != user.name and may_replace(user, user.name):
                user.name = row.name
            result.updated.append(user)
        if row.organisation:
            key = row.organisation.lower()
            current = user.organisation.name if user.organisation else ""
            if current.lower() != key and may_replace(user, current):
                if key not in organisations:
                    organisations[key] = Organisation(name=row.organisation, kind="other")
                    db.session.add(organisations[key])
                user.organisation = organisations[key]
        if row.sector and row.sector != user.sector and may_replace(user, user.sector or ""):
            user.sector = row.sector
        if row.cohort and row.cohort != user.cohort and may_replace(user, str(user.cohort or "")):
            user.cohort = row.cohort
        current_slugs = {tag.slug for tag in user.interests}
        for name in row.interests:
            slug = slugify(name)
            if slug not in tags:
                tags[slug] = find_or_create_tag(name)
            if slug not in current_slugs:
                user.interests.append(tags[slug])
                current_slugs.add(slug)
    db.session.flush()
    return result
