"""Calendar files and feeds, and the "My calendar" page.

Views only choose the events (with the same access rules as the pages) and send the bytes; the
calendar data itself comes from ``events.calendar``. Feeds answer conditional requests cheaply: the
ETag is a fingerprint of the rows that decide the feed, checked before anything is built.
"""

from __future__ import annotations

import functools
import hashlib
from datetime import datetime

from flask import (
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import func, select
from werkzeug.http import is_resource_modified

from core.caching import kept_until_change
from core.ical_settings import calendar_settings
from core.models import slugify
from core.permissions import is_organiser
from core.sealing import SealError, open_seal, seal
from core.urls import external_url
from events.access import can_view_event, needs_sign_in
from events.calendar import ical, links, tokens
from events.calendar.feeds import (
    entry_data,
    feed_cache,
    other_entries,
    personal_entries,
    personal_fingerprint,
    public_entries,
    public_fingerprint,
    vevent_store,
)
from events.calendar.forms import CalendarSettingsForm, ResetCalendarLinkForm
from events.models import Booking, Event
from events.urls import event_url
from extensions import db, login_manager

CALENDAR_MIMETYPE = "text/calendar; charset=utf-8"


def _feed_response(build, *, etag: str, last_modified: datetime | None, filename: str, public: bool) -> Response:
    """A feed, or 304 Not Modified when the client's copy (ETag / Last-Modified) is still current."""
    if not is_resource_modified(request.environ, etag=etag, last_modified=last_modified):
        response = Response(status=304)
    else:
        response = Response(feed_cache.get_or_build(etag, build), mimetype="text/calendar")
        response.content_type = CALENDAR_MIMETYPE
        response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.set_etag(etag)
    if last_modified is not None:
        response.last_modified = last_modified
    # The public feed may sit in shared caches for a few minutes. A personal feed (its URL is a secret; it holds
    # online-meeting links and invitations) is kept by no HTTP cache (ASVS 8.2.1); calendar clients keep its
    # events in their own store, and those that poll with the ETag they saved still get a 304.
    response.headers["Cache-Control"] = "public, max-age=300" if public else "private, no-store"
    return response


def public_feed():
    """Published public events, upcoming and from the last few months, for any calendar client."""
    session = db.session

    def fingerprint() -> tuple[str, datetime | None]:
        etag, _ = public_fingerprint(session)
        # Any change to a listed event can take it out of this feed (e.g. a new audience), so Last-Modified
        # follows all of them; the ETag decides for clients that send If-None-Match, as clients do.
        return etag, session.scalar(select(func.max(Event.updated_at)).where(Event.state != "draft"))

    def build() -> bytes:
        name = f"{current_app.config['APP_NAME']} events"
        return ical.feed_bytes(
            entry_data(public_entries(session)), name, tzid=calendar_settings().tzid, store=vevent_store
        )

    return _polled_feed("public", fingerprint, build, filename="events.ics", public=True)


def personal_feed(token: str):
    """One person's feed at a secret URL (calendar clients cannot sign in); a reset token answers 404."""
    session = db.session

    @functools.cache
    def owner():
        # Read only when the fingerprint or the body is made: a reset token or a deactivated account is
        # itself a change, so a kept fingerprint never outlives it.
        user = tokens.find_feed_owner(token)
        if user is None:
            abort(404)
        return user

    def build() -> bytes:
        app_name = current_app.config["APP_NAME"]
        name = f"{app_name}: all events" if owner().is_organiser else f"{app_name}: my events"
        entries = entry_data(personal_entries(session, owner())) + other_entries(owner())
        entries.sort(key=lambda entry: entry.start)
        return ical.feed_bytes(entries, name, tzid=calendar_settings().tzid, store=vevent_store)

    def fingerprint() -> tuple[str, datetime | None]:
        return personal_fingerprint(session, owner())

    return _polled_feed("personal:" + token, fingerprint, build, filename="my-events.ics", public=False)


#: A feed's fingerprint is kept while nothing changes, but past events also leave the feeds as time passes
#: (``PUBLIC_PAST``, ``PERSONAL_PAST``): a kept one is dropped after this long (an event months past leaves
#: a few minutes late at worst).
FINGERPRINT_KEPT_SECONDS = 600


def _polled_feed(feed: str, fingerprint, build, *, filename: str, public: bool) -> Response:
    """A feed whose fingerprint is kept until something changes (``core.caching.kept_until_change``):
    calendar clients poll far more often than anything changes, and such a poll — a 304, or the body built
    earlier and kept by its ETag — then sends no SQL at all."""
    digest = hashlib.sha256(feed.encode()).hexdigest()
    etag, last_modified = kept_until_change(f"feedprint:{digest}", fingerprint, timeout=FINGERPRINT_KEPT_SECONDS)
    return _feed_response(build, etag=etag, last_modified=last_modified, filename=filename, public=public)


def event_ics(event_id: int):
    """One event as an .ics file, for whoever may see its page."""
    event = db.get_or_404(Event, event_id)
    if not can_view_event(current_user, event):
        if needs_sign_in(current_user, event):
            return login_manager.unauthorized()
        abort(404)
    booking = None
    if current_user.is_authenticated:
        booking = db.session.scalar(
            select(Booking).where(Booking.event_id == event.id, Booking.user_id == current_user.id)
        )
    waitlisted = booking is not None and booking.state == "waitlisted"
    organiser = is_organiser(current_user)
    settings = calendar_settings()
    vevent = ical.event_to_vevent(
        event,
        settings=settings,
        url=event_url(event),
        status_override="TENTATIVE" if waitlisted else None,
        summary_prefix="Waiting list:" if waitlisted else None,
        for_organiser=organiser,
        private_details=organiser or (booking is not None and booking.state == "confirmed"),
    )
    body = ical.build_calendar([vevent], event.title, tzid=settings.tzid).to_ical()
    response = Response(body, mimetype="text/calendar")
    response.content_type = CALENDAR_MIMETYPE
    filename = (slugify(event.title)[:60] or "event") + ".ics"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Signed in, the file may hold the online-meeting link and one's own place: kept by no cache (ASVS 8.2.1).
    response.headers["Cache-Control"] = "private, no-store" if current_user.is_authenticated else "private, no-cache"
    response.add_etag()
    return response.make_conditional(request)


def _feed_links(endpoint: str, **values) -> dict[str, str]:
    https = external_url(endpoint, **values)
    return {"https": https, "webcal": "webcal://" + https.split("://", 1)[1]}


#: Where a new feed address waits, sealed, for the page that shows it once (the session is a signed cookie,
#: readable by its holder: sealing keeps the token out of it in clear).
NEW_FEED_ADDRESS = "new_feed_address"


@login_required
def mine():
    """The person's feed address — shown once, when made — what it holds, and a button to make a new one."""
    token = None
    if NEW_FEED_ADDRESS in session:
        try:
            sealed = open_seal(session.pop(NEW_FEED_ADDRESS))
        except SealError:
            sealed = {}
        # A sealed address is shown only to the account that made it, and only while it is still the feed's.
        if sealed.get("user") == str(current_user.id) and tokens.find_feed_owner(sealed.get("token", "")):
            token = sealed["token"]
    settings = CalendarSettingsForm(include_invitations=current_user.calendar_include_invitations)
    response = make_response(
        render_template(
            "calendar/mine.html",
            title="My calendar",
            personal=_feed_links("calendar.personal_feed", token=token) if token else None,
            has_address=current_user.calendar_token_hash is not None,
            public=_feed_links("calendar.public_feed"),
            settings_form=settings,
            reset_form=ResetCalendarLinkForm(),
        )
    )
    if token:
        # The page holds a secret: it must not follow a link out in a Referer header.
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


@login_required
def reset_link():
    """Make the feed's address (or a new one: the old one stops working straight away), to be shown once."""
    form = ResetCalendarLinkForm()
    if not form.validate_on_submit():
        abort(400)
    had_address = current_user.calendar_token_hash is not None
    token = tokens.make_calendar_token(current_user)
    db.session.commit()
    session[NEW_FEED_ADDRESS] = seal({"user": str(current_user.id), "token": token})
    if had_address:
        flash("Your calendar has a new address. Subscribe to it again; the old address no longer works.", "success")
    else:
        flash("Your calendar address is ready. Subscribe to it now: it is shown only this once.", "success")
    return redirect(url_for("calendar.mine"))


@login_required
def settings():
    """Whether the personal feed also lists invitations the person has not answered."""
    form = CalendarSettingsForm()
    if not form.validate_on_submit():
        abort(400)
    tokens.set_calendar_invitations(current_user, form.include_invitations.data)
    db.session.commit()
    flash("Your calendar settings are saved.", "success")
    return redirect(url_for("calendar.mine"))


def calendar_links(event: Event) -> dict[str, str]:
    """Download and "Add to …" links for an event page (templates/calendar/_event_links.html)."""
    url = event_url(event)
    return {
        "ics": url_for("calendar.event_ics", event_id=event.id),
        "google": links.google_calendar_link(event, url=url, tzid=calendar_settings().tzid),
        "outlook": links.outlook_calendar_link(event, url=url),
        "office365": links.outlook_calendar_link(event, url=url, work=True),
    }


def public_feed_links() -> dict[str, str]:
    """The public feed's https and webcal addresses, for the events page's "Subscribe" box."""
    return _feed_links("calendar.public_feed")
