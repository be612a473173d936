"""The fellowship programme: appointments (tenure and tier), policy questions, the expert network,
visit programmes, invitations to experts and the meetings of a timetable."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import (
    DDL,
    JSON,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
    event,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.lib.halfday import HalfDay
from core.lib.tokens import hash_token
from core.models import Tag, UTCDateTime, utcnow
from core.timeutil import to_local
from extensions import db
from fellows.models import Organisation, User

TIERS = {
    "policy_fellow": "Policy Fellow",
    "policy_leaders_fellow": "Policy Leaders Fellow",
    "continuing_fellow": "Continuing Fellow",
}
MEETING_MODES = {"in_person": "In person", "online": "Online", "either": "In person or online"}
TENURE_STATUSES = {"upcoming": "Appointed, not started", "current": "Current fellow", "alumni": "Alumni"}


#: About 30 one-to-one meetings over a fellow's two years (5 days of meetings, in one or more visits).
DEFAULT_MEETING_TARGET = 30


class Appointment(db.Model):
    """A fellow's appointment: tenure dates, tier and cohort. Current or alumni follows from the dates."""

    __tablename__ = "appointments"
    __table_args__ = (
        CheckConstraint(f"tier IN {tuple(TIERS)}", name="tier"),
        CheckConstraint("ends_on > starts_on", name="dates"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: One appointment per fellow; a renewal changes its dates and tier (e.g. to Continuing Fellow).
    fellow_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    tier: Mapped[str] = mapped_column(String(30), default="policy_fellow")
    #: The year the cohort began (the same meaning as a profile's cohort).
    cohort: Mapped[int] = mapped_column(Integer)
    starts_on: Mapped[date] = mapped_column(Date)
    #: The last day of the tenure.
    ends_on: Mapped[date] = mapped_column(Date, index=True)
    #: One-to-one meetings the office aims for over the whole tenure, across all its visits.
    meeting_target: Mapped[int] = mapped_column(Integer, default=DEFAULT_MEETING_TARGET)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    fellow: Mapped[User] = relationship(lazy="joined")

    @property
    def tier_label(self) -> str:
        return TIERS.get(self.tier, self.tier)

    def status_on(self, day: date) -> str:
        """ "upcoming", "current" or "alumni" on ``day``: derived, never stored, so it cannot drift."""
        if day < self.starts_on:
            return "upcoming"
        return "current" if day <= self.ends_on else "alumni"

    def days_left(self, day: date) -> int:
        return (self.ends_on - day).days


question_topics = Table(
    "policy_question_topics",
    db.metadata,
    Column("question_id", ForeignKey("policy_questions.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


class PolicyQuestion(db.Model):
    """A question a fellow brings to the fellowship; meetings with experts are matched to it.

    Seen by organisers and the fellow, and by an expert only inside that expert's invitation.
    """

    __tablename__ = "policy_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    fellow_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    question: Mapped[str] = mapped_column(String(500))
    #: Background the fellow adds for the experts (plain text).
    context: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    fellow: Mapped[User] = relationship(foreign_keys=[fellow_id])
    topics: Mapped[list[Tag]] = relationship(secondary=question_topics, order_by=Tag.name)


class BriefVersion(db.Model):
    """One issued version of a fellow's brief: their policy questions as experts are sent them, frozen.

    A brief is refined in rounds: the fellow drafts (the live questions), the office comments, the fellow
    revises, and the office issues the next version. An invitation names the version it was sent with, so
    the expert keeps reading what they were asked about, and is told when a later version exists.
    """

    __tablename__ = "brief_versions"
    __table_args__ = (UniqueConstraint("fellow_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fellow_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: 1, 2, 3 … per fellow.
    number: Mapped[int] = mapped_column(Integer)
    #: The questions as issued: [{"id": question id, "question": text, "context": background or null}].
    questions: Mapped[list[dict]] = mapped_column(JSON, default=list)
    #: What changed, in the issuer's words (optional).
    note: Mapped[str | None] = mapped_column(Text)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    issued_by: Mapped[User | None] = relationship(foreign_keys=[issued_by_id])


class BriefComment(db.Model):
    """A comment in a brief's rounds (the office on a draft, the fellow in reply), after version ``after``
    (0 before the first version is issued)."""

    __tablename__ = "brief_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    fellow_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    after: Mapped[int] = mapped_column(Integer, default=0)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])


expert_topics = Table(
    "expert_topics",
    db.metadata,
    Column("expert_id", ForeignKey("experts.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


#: On PostgreSQL, ``experts.profile_words`` holds the English full-text document of an expert's profile,
#: kept by this trigger whenever the profile is written (SQLite has no full text: the column stays empty).
#: Matching searches and ranks it through its GIN index instead of turning every profile into a document
#: at each request. The migration 0013 creates the same function and trigger.
PROFILE_WORDS_FUNCTION = """
CREATE OR REPLACE FUNCTION experts_profile_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.profile_words := to_tsvector('english', concat_ws(' ', NEW.title, NEW.department, NEW.biography));
    RETURN NEW;
END
$$
"""
PROFILE_WORDS_TRIGGER = """
CREATE TRIGGER experts_profile_words BEFORE INSERT OR UPDATE OF title, department, biography ON experts
FOR EACH ROW EXECUTE FUNCTION experts_profile_words()
"""


class Expert(db.Model):
    """A researcher or practitioner whom fellows meet: not a fellow, no account; reached by email only."""

    __tablename__ = "experts"
    __table_args__ = (
        CheckConstraint(f"meeting_mode IN {tuple(MEETING_MODES)}", name="meeting_mode"),
        Index("ix_experts_profile_words", "profile_words", postgresql_using="gin"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    #: Job title or academic position, e.g. "Professor of Public Policy".
    title: Mapped[str | None] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(200), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    #: Building or place where the expert meets people in person (the timetable's travel table uses it).
    location: Mapped[str | None] = mapped_column(String(120))
    biography: Mapped[str | None] = mapped_column(Text)
    #: Stored lower-cased: one expert per address (an import matches on it).
    email: Mapped[str] = mapped_column(String(320), unique=True)
    meeting_mode: Mapped[str] = mapped_column(String(10), default="in_person")
    #: PostgreSQL's English full-text document of the profile, written by a trigger (``PROFILE_WORDS_TRIGGER``);
    #: empty on SQLite. Never loaded: only matching's queries read it.
    profile_words: Mapped[str | None] = mapped_column(TSVECTOR().with_variant(Text(), "sqlite"), deferred=True)
    #: Never suggested or invited while set (the expert asked, or an organiser decided).
    do_not_contact: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation | None] = relationship(lazy="joined")
    topics: Mapped[list[Tag]] = relationship(secondary=expert_topics, order_by=Tag.name)

    @property
    def meeting_mode_label(self) -> str:
        return MEETING_MODES.get(self.meeting_mode, self.meeting_mode)

    @property
    def affiliation(self) -> str:
        """ "Department, Organisation" as far as known."""
        parts = [self.department, self.organisation.name if self.organisation else None]
        return ", ".join(part for part in parts if part)


#: Days after which an unanswered invitation expires, unless the visit says otherwise.
DEFAULT_EXPIRE_AFTER_DAYS = 14
#: Experts invited at once per meeting a question still wants, in per cent (2× by default).
DEFAULT_OVER_INVITE_PERCENT = 200
#: Long shots added to each question's suggestions, unless the visit says otherwise.
DEFAULT_LONG_SHOTS = 2

INVITATION_STATUSES = {
    "listed": "On the long list (not invited yet)",
    "invited": "Invited, no reply yet",
    "accepted": "Accepted",
    "declined": "Declined",
    "expired": "Expired: no answer in time",
}


class VisitProgramme(db.Model):
    """A fellow's visit: days of one-to-one meetings with experts, within daily hours and a lunch window."""

    __tablename__ = "visit_programmes"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="dates"),
        CheckConstraint("day_ends > day_starts", name="hours"),
        CheckConstraint("meeting_minutes BETWEEN 10 AND 240", name="meeting_minutes"),
        CheckConstraint("max_per_day BETWEEN 1 AND 20", name="max_per_day"),
        CheckConstraint("expire_after_days BETWEEN 2 AND 90", name="expire_after_days"),
        CheckConstraint("over_invite_percent BETWEEN 100 AND 500", name="over_invite_percent"),
        CheckConstraint("long_shots BETWEEN 0 AND 5", name="long_shots"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fellow_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date, index=True)
    day_starts: Mapped[time] = mapped_column(Time, default=time(9, 0))
    day_ends: Mapped[time] = mapped_column(Time, default=time(17, 30))
    meeting_minutes: Mapped[int] = mapped_column(Integer, default=45)
    #: Kept free of meetings every day.
    lunch_starts: Mapped[time] = mapped_column(Time, default=time(12, 30))
    lunch_ends: Mapped[time] = mapped_column(Time, default=time(13, 30))
    #: Where the fellow is based during the visit (the start of each day's travel).
    home_location: Mapped[str | None] = mapped_column(String(120))
    max_per_day: Mapped[int] = mapped_column(Integer, default=6)
    #: Experts who have not answered are reminded once, this many days after the invitation.
    reminder_after_days: Mapped[int] = mapped_column(Integer, default=5)
    #: An invitation still unanswered this many days after it was sent expires (an answer after that is
    #: still recorded, and shown as late), so the organisers know to ask someone else.
    expire_after_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_EXPIRE_AFTER_DAYS, server_default="14")
    #: For a question with a target (programmes.visits.models.VisitTarget), experts invited at once per
    #: meeting still wanted, in per cent: 200 invites twice as many experts as meetings wanted.
    over_invite_percent: Mapped[int] = mapped_column(Integer, default=DEFAULT_OVER_INVITE_PERCENT, server_default="200")
    #: Suggestions per question kept for long shots: weaker scores, but a field few experts in the network have.
    long_shots: Mapped[int] = mapped_column(Integer, default=DEFAULT_LONG_SHOTS, server_default="2")
    #: The last solve's reasons for each expert it could not place: {invitation id (as text): reason}.
    unplaced: Mapped[dict[str, str] | None] = mapped_column(JSON)
    solved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    fellow: Mapped[User] = relationship(lazy="joined")
    invitations: Mapped[list[ExpertInvitation]] = relationship(
        back_populates="programme", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def title(self) -> str:
        return f"{self.fellow.name}'s visit"

    @property
    def over_invite_factor(self) -> Decimal:
        """``over_invite_percent`` as the factor organisers set: 2.0 for 200."""
        return Decimal(self.over_invite_percent or DEFAULT_OVER_INVITE_PERCENT) / 100

    def days(self) -> list[date]:
        """The weekdays of the visit, in order."""
        count = (self.ends_on - self.starts_on).days + 1
        every = (self.starts_on + timedelta(days=n) for n in range(count))
        return [day for day in every if day.weekday() < 5]

    def half_days(self) -> list[HalfDay]:
        """Every half-day an expert can offer, in order."""
        return HalfDay.every(self.days())

    def half_day_choices(self) -> dict[str, str]:
        """{value: label} of each half-day: {"2027-03-01 am": "Monday 1 March, morning", ...}."""
        return {str(half): half.label for half in self.half_days()}


class ExpertInvitation(db.Model):
    """An expert on a visit's long list: invited by a private link (only its hash is kept), and the answer.

    After the expert asks to be removed from the network, ``expert_id`` is NULL and nothing personal is
    left: the row only counts towards the visit's anonymous response numbers.
    """

    __tablename__ = "expert_invitations"
    __table_args__ = (
        UniqueConstraint("programme_id", "expert_id"),
        CheckConstraint(f"status IN {tuple(INVITATION_STATUSES)}", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("visit_programmes.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("experts.id", ondelete="SET NULL"), index=True)
    #: The policy question the expert was matched to, if any.
    question_id: Mapped[int | None] = mapped_column(ForeignKey("policy_questions.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(10), default="listed", index=True)
    #: SHA-256 of the private link's token; NULL before the invitation is sent and after the link is retired.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: The same token sealed with a key derived from SECRET_KEY (core.sealing), so a reminder repeats the
    #: link the expert already has; a copy of the database without SECRET_KEY holds no usable link.
    sealed_token: Mapped[str | None] = mapped_column(Text)
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the expert first opened the private link (the funnel's "opened").
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the invitation expired unanswered; kept after a late answer, which is then shown as late.
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Half-days the expert can do ("YYYY-MM-DD am"), ticked when accepting.
    available: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: A colleague the expert suggests instead (free text: name and address), for organisers to follow up.
    suggestion: Mapped[str | None] = mapped_column(Text)
    #: A note from the expert to the organisers.
    message: Mapped[str | None] = mapped_column(Text)
    #: The number of the fellow's brief version the invitation was sent with (BriefVersion.number).
    brief_version: Mapped[int | None] = mapped_column(Integer)
    #: When an organiser cancelled this expert's meeting: solving and repairing leave them out from then on.
    meeting_cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    programme: Mapped[VisitProgramme] = relationship(back_populates="invitations")
    expert: Mapped[Expert | None] = relationship()
    question: Mapped[PolicyQuestion | None] = relationship()

    @property
    def offered(self) -> frozenset[HalfDay]:
        """The half-days the expert ticked, as values."""
        return frozenset(HalfDay.parse(text) for text in self.available or [])

    hash = staticmethod(hash_token)

    @property
    def status_label(self) -> str:
        return INVITATION_STATUSES.get(self.status, self.status)


class TravelTime(db.Model):
    """Minutes to get between two places where experts meet (either way); others take the default."""

    __tablename__ = "travel_times"
    __table_args__ = (
        UniqueConstraint("place_a", "place_b"),
        CheckConstraint("place_a < place_b", name="ordered"),
        CheckConstraint("minutes BETWEEN 0 AND 240", name="minutes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The two places, stored in alphabetical order so each pair is kept once.
    place_a: Mapped[str] = mapped_column(String(120))
    place_b: Mapped[str] = mapped_column(String(120))
    minutes: Mapped[int] = mapped_column(Integer)


class Meeting(db.Model):
    """One meeting of a visit's timetable: an expert who accepted, a time, a place (or online)."""

    __tablename__ = "meetings"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="times"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("visit_programmes.id", ondelete="CASCADE"), index=True)
    #: The accepted invitation this meeting answers; one meeting per invitation.
    invitation_id: Mapped[int] = mapped_column(ForeignKey("expert_invitations.id", ondelete="CASCADE"), unique=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The building of an in-person meeting; NULL for an online one.
    place: Mapped[str | None] = mapped_column(String(120))
    #: Set by an organiser who placed it by hand: re-solving keeps it where it is.
    pinned: Mapped[bool] = mapped_column(default=False)
    #: iCalendar SEQUENCE: rises with every move, so calendars replace the entry.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    #: The fellow's rating afterwards (1–5) and private follow-up notes (the fellow and organisers only).
    rating: Mapped[int | None] = mapped_column(Integer)
    follow_up: Mapped[str | None] = mapped_column(Text)
    #: The expert's optional feedback through their link (1–5 and a comment); the comment goes with the link.
    expert_rating: Mapped[int | None] = mapped_column(Integer)
    expert_comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    programme: Mapped[VisitProgramme] = relationship()
    invitation: Mapped[ExpertInvitation] = relationship()

    @property
    def expert(self) -> Expert | None:
        return self.invitation.expert

    @property
    def uid_stem(self) -> str:
        """The left of the meeting's iCalendar UID: fixed for its whole life (moves keep it)."""
        return f"meeting-{self.id}"


CHANGES = ("new", "moved", "cancelled")


def when_text(value: datetime) -> str:
    """A meeting's start as a changelog line says it: "Tuesday 3 March 14:00"."""
    local = to_local(value)
    return f"{local:%A} {local.day} {local:%B %H:%M}"


class ItineraryVersion(db.Model):
    """One change set of a visit's itinerary (a repair applied, a meeting cancelled or moved by hand, a
    solve that changed something), numbered 1, 2, 3 … per visit: the changelog the fellow and the
    organisers read."""

    __tablename__ = "itinerary_versions"
    __table_args__ = (UniqueConstraint("programme_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("visit_programmes.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    #: What made it: "solve", "repair", "cancel" or "move".
    cause: Mapped[str] = mapped_column(String(10))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lines: Mapped[list[ItineraryChange]] = relationship(
        back_populates="version", order_by="ItineraryChange.id", cascade="all, delete-orphan"
    )


class ItineraryChange(db.Model):
    """One line of a change set: a meeting that is new, moved or cancelled, with the times before and after."""

    __tablename__ = "itinerary_changes"
    __table_args__ = (CheckConstraint(f"change IN {CHANGES}", name="change"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("itinerary_versions.id", ondelete="CASCADE"), index=True)
    change: Mapped[str] = mapped_column(String(10))
    #: The expert's name as it was (kept if the expert later leaves the network: the fellow's own record).
    expert_name: Mapped[str] = mapped_column(String(200))
    #: Where the meeting was (moved, cancelled) and where it is now (new, moved).
    was_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    now_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Why a meeting was cancelled, in the solver's or organiser's words.
    reason: Mapped[str | None] = mapped_column(String(300))

    version: Mapped[ItineraryVersion] = relationship(back_populates="lines")

    @property
    def summary(self) -> str:
        """The line as people read it: "Tuesday 14:00 Dr X moved to Wednesday 10:00"."""
        was, now = (when_text(value) if value else "" for value in (self.was_at, self.now_at))
        if self.change == "new":
            return f"new: {self.expert_name} {now}"
        if self.change == "moved":
            return f"{was} {self.expert_name} moved to {now}"
        return f"{self.expert_name} ({was}): cancelled" + (f" ({self.reason})" if self.reason else "")


class TimetableProposal(db.Model):
    """A repair of a visit's timetable, worked out and shown to an organiser before anything changes.

    Applied at most once (``applied_at``); refused as stale when the timetable or the acceptances it was
    worked out from (``fingerprint``) have changed since."""

    __tablename__ = "timetable_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("visit_programmes.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    #: SHA-256 of the meetings and acceptances the proposal was worked out from.
    fingerprint: Mapped[str] = mapped_column(String(64))
    #: The changes: [{"change", "invitation_id", "meeting_id", "expert", "was", "now", "ends", "place", "reason"}],
    #: times as ISO UTC.
    changes: Mapped[list[dict]] = mapped_column(JSON, default=list)
    #: {invitation id: reason} for who stays unplaced, as ``VisitProgramme.unplaced``.
    unplaced: Mapped[dict[str, str] | None] = mapped_column(JSON)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("itinerary_versions.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    programme: Mapped[VisitProgramme] = relationship()


# Foreign keys and the columns list pages filter and sort on (migration 0011_indexes): joins and
# ON DELETE actions use them, and list pages read a page of rows instead of scanning the table.
Index("ix_policy_questions_created_by_id", PolicyQuestion.created_by_id)
Index("ix_policy_question_topics_tag_id", question_topics.c.tag_id)
Index("ix_experts_organisation_id", Expert.organisation_id)
Index("ix_expert_topics_tag_id", expert_topics.c.tag_id)
Index("ix_expert_invitations_question_id", ExpertInvitation.question_id)
for statement in (PROFILE_WORDS_FUNCTION, PROFILE_WORDS_TRIGGER):
    event.listen(Expert.__table__, "after_create", DDL(statement).execute_if(dialect="postgresql"))


# Matching's table lives with matching, the funnel's with visits; imported here so that every model module
# app.py imports declares them.
from programmes.experts.models import ExpertEmbedding  # noqa: E402, F401
from programmes.visits.models import VisitTarget  # noqa: E402, F401
