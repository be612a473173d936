"""The expert network: adding, changing and merging experts (flush, never commit)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, func, select, update

from core.errors import ServiceError
from core.models import Tag
from core.search import every_word_in
from extensions import db
from fellows.models import Organisation
from fellows.services import find_or_create_organisation
from programmes.experts.matching.semantic import refresh_embeddings
from programmes.models import MEETING_MODES, Expert, ExpertInvitation


@dataclass
class ExpertInput:
    name: str
    email: str
    title: str | None = None
    department: str | None = None
    organisation: str | None = None
    location: str | None = None
    biography: str | None = None
    meeting_mode: str = "in_person"
    do_not_contact: bool = False
    topics: list[Tag] = field(default_factory=list)


def _clean(value: str | None) -> str | None:
    value = " ".join((value or "").split())
    return value or None


def save_expert(expert: Expert, data: ExpertInput) -> Expert:
    """Create or change an expert; the email is the expert's identity in the network."""
    name, email = _clean(data.name), (data.email or "").strip().lower()
    if not name or not email:
        raise ServiceError("An expert needs a name and an email address.")
    if data.meeting_mode not in MEETING_MODES:
        raise ServiceError("Choose how the expert prefers to meet.")
    other = db.session.scalar(select(Expert).where(Expert.email == email))
    if other is not None and other is not expert:
        raise ServiceError(f"{other.name} already has the address {email}: edit that expert or merge the two.")
    expert.name, expert.email = name, email
    expert.title, expert.department, expert.location = (
        _clean(data.title),
        _clean(data.department),
        _clean(data.location),
    )
    expert.organisation = find_or_create_organisation(data.organisation) if _clean(data.organisation) else None
    expert.biography = (data.biography or "").strip() or None
    expert.meeting_mode, expert.do_not_contact = data.meeting_mode, bool(data.do_not_contact)
    expert.topics = list(data.topics)
    db.session.add(expert)
    db.session.flush()
    refresh_embeddings([expert])
    return expert


def experts_query(*, q: str = "", topic: str | None = None, include_do_not_contact: bool = True):
    """Experts by name; search name, title, department, location and email; filter by topic slug."""
    query = select(Expert).outerjoin(Organisation, Organisation.id == Expert.organisation_id)
    condition = every_word_in(
        q, Expert.name, Expert.title, Expert.department, Expert.location, Expert.email, Organisation.name
    )
    if condition is not None:
        query = query.where(condition)
    if topic:
        query = query.where(Expert.topics.any(Tag.slug == topic))
    if not include_do_not_contact:
        query = query.where(Expert.do_not_contact.is_(False))
    return query.order_by(Expert.name, Expert.id)


def possible_duplicates(expert: Expert, limit: int = 10) -> list[Expert]:
    """Other experts with the same name (any case) or the same email local part: candidates to merge."""
    local = expert.email.split("@")[0]
    return list(
        db.session.scalars(
            select(Expert)
            .where(
                Expert.id != expert.id,
                (func.lower(Expert.name) == expert.name.lower())
                | (Expert.email.startswith(f"{local}@", autoescape=True)),
            )
            .order_by(Expert.name, Expert.id)
            .limit(limit)
        )
    )


def merge_experts(keep: Expert, duplicate: Expert) -> Expert:
    """Fold ``duplicate`` into ``keep``: blanks filled from it, topics joined, its invitations and
    meetings moved (MERGE_STEPS), then it is deleted. Do-not-contact on either side wins."""
    if keep.id == duplicate.id:
        raise ServiceError("Choose two different experts to merge.")
    for name in ("title", "department", "organisation_id", "location", "biography"):
        if getattr(keep, name) is None:
            setattr(keep, name, getattr(duplicate, name))
    keep.do_not_contact = keep.do_not_contact or duplicate.do_not_contact
    known = {tag.id for tag in keep.topics}
    keep.topics = keep.topics + [tag for tag in duplicate.topics if tag.id not in known]
    _move_history(keep, duplicate)
    db.session.delete(duplicate)
    db.session.flush()
    refresh_embeddings([keep])  # blanks filled from the duplicate change what the profile says
    return keep


def _move_history(keep: Expert, duplicate: Expert) -> None:
    """What the programme holds about the duplicate (invitations) moves to the expert kept; where both
    were asked to the same visit, the kept expert's invitation stays and the duplicate's goes."""
    kept_visits = select(ExpertInvitation.programme_id).where(ExpertInvitation.expert_id == keep.id)
    db.session.execute(
        delete(ExpertInvitation).where(
            ExpertInvitation.expert_id == duplicate.id, ExpertInvitation.programme_id.in_(kept_visits)
        )
    )
    db.session.execute(
        update(ExpertInvitation)
        .where(ExpertInvitation.expert_id == duplicate.id)
        .values(expert_id=keep.id)
        .execution_options(synchronize_session=False)
    )
