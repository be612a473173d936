"""The shared vocabulary of policy interests and event/note topics."""

from __future__ import annotations

from sqlalchemy import select

from core.models import Tag, slugify
from core.request_args import whole_number
from extensions import db


def all_tags() -> list[Tag]:
    return list(db.session.scalars(select(Tag).order_by(Tag.name)))


def tag_choices() -> dict[str, str]:
    """Choices for a WTForms field ({value: label}; WTForms 3.3 deprecates tuples)."""
    return {str(tag.id): tag.name for tag in all_tags()}


def tags_by_ids(ids) -> list[Tag]:
    wanted = {number for number in map(whole_number, ids) if number is not None}
    if not wanted:
        return []
    return list(db.session.scalars(select(Tag).where(Tag.id.in_(wanted)).order_by(Tag.name)))


def find_or_create_tag(name: str) -> Tag:
    """The tag with this name (ignoring case and punctuation), created if the vocabulary lacks it."""
    name = " ".join(name.split())
    slug = slugify(name)
    tag = db.session.scalar(select(Tag).where(Tag.slug == slug))
    if tag is None:
        tag = Tag(name=name, slug=slug)
        db.session.add(tag)
        db.session.flush()
    return tag
