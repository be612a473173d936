"""A visit's timetable: meetings, travel times between places, the itinerary's versions and changes, and a
repair's proposals."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models import UTCDateTime, utcnow
from core.timeutil import to_local
from extensions import db
from programmes.models.experts import Expert
from programmes.models.visits import ExpertInvitation, VisitProgramme


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
