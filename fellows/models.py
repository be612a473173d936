"""Accounts, Policy Fellow profiles, organisations, account links and requests to join."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from core.lib.tokens import hash_token
from core.models import StoredImage, Tag, UTCDateTime, utcnow
from extensions import db

ROLES = ("organiser", "fellow")
SECTORS = {
    "government": "Government",
    "industry": "Industry",
    "academia": "Academia",
    "civil_society": "Civil society",
    "other": "Other",
}
FELLOW_STATUSES = {"current": "Current fellow", "alumni": "Alumni"}
#: How an organiser hears of new requests to join and reviewers' answers to draft write-ups.
ORGANISER_ALERTS = {
    "digest": "One email a day listing what happened (the default)",
    "each": "An email for each one, as it happens",
    "none": "No emails: I check the site",
}
VISIBILITIES = {
    "public": "Public: anyone can see my profile",
    "fellows": "Fellows only: people signed in to this site",
    "organisers": "Organisers only",
}
ORGANISATION_KINDS = {
    "government": "Government department",
    "company": "Company",
    "university": "University",
    "charity": "Charity",
    "other": "Other",
}
HONORIFICS = ("", "Dr", "Prof", "Mr", "Mrs", "Ms", "Mx", "Sir", "Dame", "Lord", "Baroness", "Rt Hon")

user_interests = Table(
    "user_interests",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


class Organisation(db.Model):
    """A government department, company, university or charity: employer, host or affiliation."""

    __tablename__ = "organisations"
    __table_args__ = (CheckConstraint(f"kind IN {tuple(ORGANISATION_KINDS)}", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="other")
    website: Mapped[str | None] = mapped_column(String(500))

    @property
    def kind_label(self) -> str:
        return ORGANISATION_KINDS.get(self.kind, self.kind)

    def __repr__(self) -> str:
        return f"<Organisation {self.name}>"


class User(UserMixin, db.Model):
    """Anyone who can sign in: an organiser, or a Policy Fellow with a profile."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN {ROLES}", name="role"),
        CheckConstraint(f"visibility IN {tuple(VISIBILITIES)}", name="visibility"),
        CheckConstraint(f"sector IS NULL OR sector IN {tuple(SECTORS)}", name="sector"),
        CheckConstraint(f"fellow_status IN {tuple(FELLOW_STATUSES)}", name="fellow_status"),
        CheckConstraint(f"organiser_alerts IN {tuple(ORGANISER_ALERTS)}", name="organiser_alerts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-cased so that sign-in and de-duplication ignore case.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    #: None until the person accepts their invitation and chooses a password.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="fellow")
    #: False once an organiser deactivates the account: it cannot sign in, its history stays.
    active: Mapped[bool] = mapped_column(default=True)
    #: Bumped on password change: sessions carrying an older number are signed out.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    honorific: Mapped[str | None] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    job_title: Mapped[str | None] = mapped_column(String(200))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    sector: Mapped[str | None] = mapped_column(String(20))
    #: The year the fellowship began.
    cohort: Mapped[int | None] = mapped_column(Integer)
    fellow_status: Mapped[str] = mapped_column(String(10), default="current")
    biography: Mapped[str | None] = mapped_column(Text)
    #: A list of {"label": ..., "url": ...} links shown on the profile.
    links: Mapped[list] = mapped_column(JSON, default=list)
    visibility: Mapped[str] = mapped_column(String(20), default="fellows")
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("stored_images.id", ondelete="SET NULL"))
    #: Non-essential emails the person has chosen to receive (essential ones always go).
    notify_reminders: Mapped[bool] = mapped_column(default=True)
    notify_writeups: Mapped[bool] = mapped_column(default=True)
    #: When the person agreed to the privacy notice, accepting their invitation (ASVS 8.3.3); NULL for
    #: accounts made before consent was recorded, and for organisers made with `flask users create`.
    privacy_consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Opted in to hear of newly published events on topics among the person's interests (off unless chosen).
    notify_new_events: Mapped[bool] = mapped_column(default=False)
    #: Organisers only: "digest", "each" or "none" (ORGANISER_ALERTS) for join requests and review answers.
    organiser_alerts: Mapped[str] = mapped_column(String(10), default="digest")
    #: When the organiser's last daily digest was queued; the next lists what happened since.
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The hash of the secret in the personal calendar feed's URL (calendar clients cannot sign in): the
    #: address is shown once, when made; making a new one revokes the old (core.lib.tokens).
    calendar_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: Two-step sign-in (fellows.two_step): the TOTP secret, sealed with SECRET_KEY (core.sealing), once the
    #: person has confirmed a code; when it was switched on; the last time-step used (a code works once).
    two_step_secret: Mapped[str | None] = mapped_column(Text)
    two_step_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    two_step_last_step: Mapped[int | None] = mapped_column(Integer)
    #: Moves on when devices remembered for two-step sign-in must ask again (sign out everywhere, a new
    #: password, two-step switched off or on).
    devices_version: Mapped[int] = mapped_column(Integer, default=1)
    #: Whether the personal calendar feed also lists events the person is invited to but has not booked.
    calendar_include_invitations: Mapped[bool] = mapped_column(default=False)

    organisation: Mapped[Organisation | None] = relationship(lazy="joined")
    photo: Mapped[StoredImage | None] = relationship()
    interests: Mapped[list[Tag]] = relationship(secondary=user_interests, order_by=Tag.name)

    @property
    def display_name(self) -> str:
        return f"{self.honorific} {self.name}" if self.honorific else self.name

    @property
    def is_active(self) -> bool:  # Flask-Login refuses sessions of inactive users
        return self.active

    @property
    def is_organiser(self) -> bool:
        return self.role == "organiser"

    @property
    def has_joined(self) -> bool:
        """True once the person has set a password (accepted their invitation)."""
        return self.password_hash is not None

    @property
    def is_listed(self) -> bool:
        """Whether the profile can appear in the directory at all (visibility then decides for whom)."""
        return self.role == "fellow" and self.active and self.has_joined

    @property
    def has_two_step(self) -> bool:
        """Whether signing in asks for a code from an authenticator app as well as the password."""
        return self.two_step_since is not None

    @property
    def sector_label(self) -> str:
        return SECTORS.get(self.sector or "", "")

    @property
    def status_label(self) -> str:
        return FELLOW_STATUSES.get(self.fellow_status, "")

    def get_id(self) -> str:
        # Flask-Login asks for it once, at sign-in, and keeps it in the session and the remember-me cookie.
        # The session version travels with it, so a password change or signing out ends other sessions; so
        # does the moment of signing in, so no session or cookie outlives REMEMBER_COOKIE_DURATION
        # (fellows.auth.load_user), whatever the browser does with the cookie's expiry.
        return f"{self.id}:{self.session_version}:{int(utcnow().timestamp())}"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)  # scrypt, Werkzeug's default

    def check_password(self, password: str) -> bool:
        return self.password_hash is not None and check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class AccountToken(db.Model):
    """A single-use, time-limited link: an invitation to join or a password reset.

    Only a hash of the token is stored, so a copy of the database cannot be used to sign in.
    """

    __tablename__ = "account_tokens"
    __table_args__ = (CheckConstraint("purpose IN ('invitation', 'password_reset')", name="purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    hash = staticmethod(hash_token)

    @property
    def is_usable(self) -> bool:
        return self.used_at is None and self.revoked_at is None and self.expires_at > utcnow()


class RecoveryCode(db.Model):
    """One of the ten one-use codes that sign in instead of the authenticator app; only a hash is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    hash = staticmethod(hash_token)


class JoinRequest(db.Model):
    """Somebody asking for a fellow account; an organiser approves (inviting them) or declines."""

    __tablename__ = "join_requests"
    __table_args__ = (CheckConstraint("status IN ('pending', 'approved', 'declined')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), index=True)
    organisation_name: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decision_message: Mapped[str | None] = mapped_column(Text)

    decided_by: Mapped[User | None] = relationship()


# Foreign keys and the columns list pages filter and sort on (migration 0011_indexes): joins and
# ON DELETE actions use them, and list pages read a page of rows instead of scanning the table.
Index("ix_users_organisation_id", User.organisation_id)
Index("ix_users_photo_id", User.photo_id)
Index("ix_users_name", User.name)
Index("ix_account_tokens_created_by_id", AccountToken.created_by_id)
Index("ix_join_requests_decided_by_id", JoinRequest.decided_by_id)
Index("ix_user_interests_tag_id", user_interests.c.tag_id)
