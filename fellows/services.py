"""Account and profile operations. They change models and flush; the calling view commits."""

from __future__ import annotations

import secrets
from datetime import timedelta
from functools import lru_cache

from flask import current_app
from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from core.errors import ServiceError
from core.mail import erase_mentions, queue_email
from core.models import OutboxMessage, utcnow
from core.registry import account_erasers, data_export
from core.upsert import insert_missing
from core.urls import external_url
from extensions import db
from fellows import alerts
from fellows.models import ORGANISER_ALERTS, AccountToken, JoinRequest, Organisation, User
from fellows.notifications import notify_security_change


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


@lru_cache(maxsize=1)
def _unguessable_hash() -> str:
    """A hash, by the same scheme and cost as real ones, of a password nobody knows."""
    return generate_password_hash(secrets.token_urlsafe(32))


def authenticate(email: str, password: str) -> User | None:
    """The active account with this email and password, or None. A password is checked against a hash
    whether or not the address has an account, so the answer takes as long for an unknown email."""
    user = find_user_by_email(email)
    if user is None or user.password_hash is None:
        check_password_hash(_unguessable_hash(), password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


def find_or_create_organisation(name: str | None, kind: str = "other") -> Organisation | None:
    name = " ".join((name or "").split())
    if not name:
        return None
    # Exact match ignoring case (not ILIKE, where "_" and "%" would act as wildcards).
    organisation = db.session.scalar(select(Organisation).where(func.lower(Organisation.name) == name.lower()))
    if organisation is None:
        # Six fellows may type the same new name at once: whoever is second finds the first one's row.
        db.session.flush()
        insert_missing(Organisation, [{"name": name, "kind": kind}])
        organisation = db.session.scalar(select(Organisation).where(Organisation.name == name))
    return organisation


# Account links (invitations and password resets) -------------------------------------------


class LinkUsedError(ServiceError):
    """The link was used or replaced a moment ago (by a request that got there first)."""


def lock_account(user_id: int) -> None:
    """Serialise changes to one account (its links, a fellow's questions) until the transaction ends: the
    UPDATE takes the row lock on PostgreSQL and the write lock on SQLite, so whoever comes second sees what
    the first committed."""
    db.session.execute(update(User).where(User.id == user_id).values(session_version=User.session_version))


def _revoke_live_tokens(user: User, now) -> None:
    for old in db.session.scalars(
        select(AccountToken)
        .where(AccountToken.user_id == user.id, AccountToken.used_at.is_(None), AccountToken.revoked_at.is_(None))
        .execution_options(populate_existing=True)
    ):
        old.revoked_at = now


def _issue_token(user: User, purpose: str, lifetime: timedelta, by: User | None = None) -> str:
    """Create a single-use link token; every earlier live link of the account (joining or reset) stops
    working, so exactly one is live at a time, however many requests race to make one."""
    now = utcnow()
    lock_account(user.id)
    _revoke_live_tokens(user, now)
    token = secrets.token_urlsafe(32)
    db.session.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=AccountToken.hash(token),
            created_at=now,
            expires_at=now + lifetime,
            created_by_id=by.id if by else None,
        )
    )
    db.session.flush()
    return token


def find_usable_token(token: str, purpose: str) -> AccountToken | None:
    """The token's record if it exists, has this purpose, and is unused, unrevoked and unexpired."""
    record = db.session.scalar(select(AccountToken).where(AccountToken.token_hash == AccountToken.hash(token)))
    if record is None or record.purpose != purpose or not record.is_usable or not record.user.active:
        return None
    return record


def invite_fellow(user: User, by: User | None) -> None:
    """Email ``user`` a single-use link, valid for INVITATION_DAYS, to set a password and join."""
    if user.has_joined:
        raise ServiceError(f"{user.display_name} has already joined.")
    days = current_app.config["INVITATION_DAYS"]
    token = _issue_token(user, "invitation", timedelta(days=days), by)
    queue_email(
        user.email,
        f"Your invitation to {current_app.config['APP_NAME']}",
        "invitation",
        kind="invitation",
        user_id=user.id,
        user=user,
        secrets={"link": external_url("auth.accept_invitation", token=token)},
        days=days,
        inviter=by,
    )


def pending_invitation(user: User) -> AccountToken | None:
    return db.session.scalar(
        select(AccountToken)
        .where(AccountToken.user_id == user.id, AccountToken.purpose == "invitation")
        .order_by(AccountToken.id.desc())
        .limit(1)
    )


def revoke_invitation(user: User) -> bool:
    """Stop the user's outstanding invitation link from working; True if there was one."""
    revoked = False
    for record in db.session.scalars(
        select(AccountToken).where(
            AccountToken.user_id == user.id,
            AccountToken.purpose == "invitation",
            AccountToken.used_at.is_(None),
            AccountToken.revoked_at.is_(None),
        )
    ):
        record.revoked_at = utcnow()
        revoked = True
    return revoked


def _spend(record: AccountToken) -> None:
    """Use a link once: under the account's lock it must still be live; every other live link of the
    account stops working and every session of the account ends (whoever used a link first is signed out)."""
    lock_account(record.user_id)
    db.session.refresh(record)
    if not record.is_usable:
        raise LinkUsedError("This link has just been used or replaced.")
    now = utcnow()
    record.used_at = now
    _revoke_live_tokens(record.user, now)
    end_sessions(record.user)


def accept_invitation(record: AccountToken, password: str, emails: dict[str, bool] | None = None) -> User:
    """Use an invitation: the fellow chooses a password, agrees to the privacy notice (recorded now) and
    chooses the optional emails (``emails``: notify_* → wanted; any left out are off); the link is spent."""
    _spend(record)
    user = record.user
    user.set_password(password)
    user.privacy_consented_at = utcnow()
    for name in OPTIONAL_EMAILS:
        setattr(user, name, bool((emails or {}).get(name)))
    return user


#: The emails a person chooses (User.notify_*); the rest are about their own bookings and account.
OPTIONAL_EMAILS = ("notify_reminders", "notify_writeups", "notify_new_events")


def request_password_reset(email: str) -> None:
    """Email a reset link if the address has an active account, and otherwise an email saying there is
    none: the page answers the same either way, and either way one email is queued, so neither the answer
    nor its time tells who has an account."""
    user = find_user_by_email(email)
    if user is None or not user.active or not user.has_joined:
        queue_email(
            normalise_email(email),
            f"About resetting a password for {current_app.config['APP_NAME']}",
            "password_reset_no_account",
            kind="password_reset_no_account",
            email=normalise_email(email),
        )
        return
    hours = current_app.config["PASSWORD_RESET_HOURS"]
    token = _issue_token(user, "password_reset", timedelta(hours=hours))
    queue_email(
        user.email,
        f"Reset your {current_app.config['APP_NAME']} password",
        "password_reset",
        kind="password_reset",
        user_id=user.id,
        user=user,
        secrets={"link": external_url("auth.reset_password", token=token)},
        hours=hours,
    )


def reset_password(record: AccountToken, password: str) -> User:
    _spend(record)
    change_password(record.user, password)
    return record.user


def end_sessions(user: User) -> None:
    """End every session of this account, remember-me cookies included (they carry the old version)."""
    user.session_version += 1


def change_password(user: User, password: str) -> None:
    """Set a new password, end every other session of this account and tell its owner by email."""
    user.set_password(password)
    end_sessions(user)
    user.devices_version += 1  # devices remembered for two-step sign-in ask for a code again
    notify_security_change(user, "password")


# Requests to join ------------------------------------------------------------------------


def submit_join_request(name: str, email: str, organisation_name: str, reason: str) -> JoinRequest:
    request = JoinRequest(
        name=name.strip(),
        email=normalise_email(email),
        organisation_name=organisation_name.strip(),
        reason=reason.strip(),
    )
    db.session.add(request)
    db.session.flush()
    alerts.alert_join_request(request)  # organisers who chose "each" hear now; the others in their digest
    return request


def approve_join_request(request: JoinRequest, by: User) -> User:
    """Create the fellow's account (or reuse one with the same email) and send the invitation."""
    if request.status != "pending":
        raise ServiceError("This request has already been decided.")
    user = find_user_by_email(request.email)
    if user is None:
        # Two requests from one address, approved by two organisers at once, make one account.
        organisation = find_or_create_organisation(request.organisation_name)
        account = {"email": request.email, "name": request.name, "role": "fellow", "visibility": "fellows"}
        insert_missing(User, [account | {"organisation_id": organisation and organisation.id, "links": []}])
        user = find_user_by_email(request.email)
    request.status = "approved"
    request.decided_at = utcnow()
    request.decided_by_id = by.id
    if not user.has_joined:
        invite_fellow(user, by)
    return user


def decline_join_request(request: JoinRequest, by: User, message: str | None) -> None:
    if request.status != "pending":
        raise ServiceError("This request has already been decided.")
    request.status = "declined"
    request.decided_at = utcnow()
    request.decided_by_id = by.id
    request.decision_message = (message or "").strip() or None
    queue_email(
        request.email,
        f"Your request to join {current_app.config['APP_NAME']}",
        "join_declined",
        kind="join_declined",
        request=request,
    )


# Fellows ---------------------------------------------------------------------------------


def deactivate_user(user: User) -> None:
    """The account can no longer sign in; bookings and history stay. Open links stop working."""
    user.active = False
    end_sessions(user)
    now = utcnow()
    for record in db.session.scalars(
        select(AccountToken).where(AccountToken.user_id == user.id, AccountToken.used_at.is_(None))
    ):
        record.revoked_at = record.revoked_at or now


def reactivate_user(user: User) -> None:
    user.active = True


def delete_account(user: User) -> None:
    """Remove a person and everything of theirs; their past bookings stay, as anonymous places.

    Bookings, speaker links and authorship keep their rows with the person's reference set to NULL
    (the foreign keys say ON DELETE SET NULL), so event numbers do not change. Each area's eraser
    (core.registry.account_erasers) first removes what else it holds about them.
    """
    photo = user.photo
    for erase in account_erasers:  # what the other areas hold: answers, places to come, programme, write-ups
        erase(user)
    # Emails to others that name the person (an expert invited to meet them, an organiser's alert).
    erase_mentions([user.name, user.display_name, user.email])
    # Every email to or about the person goes, those still waiting too: nothing more is sent to them.
    for message in db.session.scalars(
        select(OutboxMessage).where((OutboxMessage.user_id == user.id) | (OutboxMessage.to_address == user.email))
    ):
        db.session.delete(message)
    for request in db.session.scalars(select(JoinRequest).where(JoinRequest.email == user.email)):
        db.session.delete(request)
    db.session.delete(user)
    if photo is not None:
        db.session.delete(photo)
    db.session.flush()


def export_account_data(user: User) -> dict:
    """Everything the app holds about ``user``, for the download-my-data button."""
    data = {
        "exported_at": utcnow().isoformat(),
        "account": {
            "email": user.email,
            "role": user.role,
            "created_at": user.created_at.isoformat(),
            "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None,
            "privacy_consented_at": user.privacy_consented_at.isoformat() if user.privacy_consented_at else None,
        },
        "profile": {
            "honorific": user.honorific,
            "name": user.name,
            "job_title": user.job_title,
            "organisation": user.organisation.name if user.organisation else None,
            "sector": user.sector,
            "cohort": user.cohort,
            "status": user.fellow_status,
            "interests": [tag.name for tag in user.interests],
            "biography": user.biography,
            "links": user.links or [],
            "visibility": user.visibility,
            "has_photo": user.photo_id is not None,
        },
        "email_preferences": {
            "reminders": user.notify_reminders,
            "write_ups": user.notify_writeups,
            "new_events": user.notify_new_events,
            **({"organiser_alerts": user.organiser_alerts} if user.is_organiser else {}),
        },
        "calendar": {
            "has_personal_feed_address": user.calendar_token_hash is not None,
            "feed_includes_invitations": user.calendar_include_invitations,
        },
        "emails": [
            {
                "subject": message.subject,
                "kind": message.kind,
                "status": message.status,
                "queued_at": message.created_at.isoformat(),
                "sent_at": message.sent_at.isoformat() if message.sent_at else None,
            }
            for message in db.session.scalars(
                select(OutboxMessage)
                .where((OutboxMessage.user_id == user.id) | (OutboxMessage.to_address == user.email))
                .order_by(OutboxMessage.id)
            )
        ],
    }
    for name, part in data_export.items():  # what other areas hold about the person (core.registry)
        data[name] = part(user)
    return data


def update_email_preferences(
    user: User,
    *,
    reminders: bool,
    writeups: bool,
    new_events: bool = False,
    organiser_alerts: str | None = None,
) -> None:
    """The optional emails the person wants; essential ones (bookings, password resets) always go.

    ``organiser_alerts`` applies to organisers only; one who turns to the digest gets it from now on,
    not a list of what was already emailed one by one.
    """
    user.notify_reminders = reminders
    user.notify_writeups = writeups
    user.notify_new_events = new_events
    if user.is_organiser and organiser_alerts in ORGANISER_ALERTS and organiser_alerts != user.organiser_alerts:
        if organiser_alerts == "digest":
            user.last_digest_at = utcnow()
        user.organiser_alerts = organiser_alerts
    db.session.flush()


def organisation_names() -> list[str]:
    """Every organisation's name, for the suggestions of an organisation field (profiles, speakers)."""
    return list(db.session.scalars(select(Organisation.name).order_by(Organisation.name)))
