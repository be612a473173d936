"""Organiser pages: the list of all events, create/edit, publish, cancel, duplicate, invitations, history.

The attendee pages are in ``events/bookings/attendees.py``; ``events/blueprint.py`` declares the URLs.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from core import audit
from core.errors import ServiceError
from core.lib.wording import plural
from core.models import Tag, utcnow
from core.permissions import acting_user, organiser_required
from core.request_args import drop_unknown_filters, paginate
from core.search import contains_text
from core.tags import tag_choices
from events import services
from events.changes import FIELD_LABELS, TIME_AND_PLACE
from events.forms import CancelEventForm, EventForm, InviteByInterestForm, InviteFellowsForm
from events.models import EVENT_STATES, Booking, Event, EventChange, EventInvitation
from events.pages import event_or_404, render_detail
from events.presenters import booking_stats
from events.speakers import wider_than_profiles
from extensions import db
from fellows.models import Organisation, User
from fellows.services import organisation_names


def _fellows() -> list[User]:
    """Active fellow accounts, for speaker links, adding bookings by hand and invitations."""
    return list(
        db.session.scalars(
            select(User).where(User.role == "fellow", User.active.is_(True)).order_by(User.name, User.id)
        )
    )


@organiser_required
def manage():
    """Every event including drafts, newest first, with booking numbers; filter by state and text."""
    filters = {"state": request.args.get("state", "")}
    notices = drop_unknown_filters(filters, {"state": ("state", EVENT_STATES)})
    state = filters["state"]
    q = request.args.get("q", "").strip()[:200]
    query = select(Event).options(selectinload(Event.topics)).order_by(Event.starts_at.desc(), Event.id.desc())
    if state in EVENT_STATES:
        query = query.where(Event.state == state)
    if q:
        query = query.where(or_(contains_text(Event.title, q), contains_text(Event.venue_name, q)))
    page = paginate(query, per_page=current_app.config["PAGE_SIZE"])
    return render_template(
        "events/manage.html",
        page=page,
        stats=booking_stats(page.items),
        state=state,
        q=q,
        states=EVENT_STATES,
        filter_notices=notices,
        now=utcnow(),
        title="Manage events",
    )


def _render_form(form: EventForm, event: Event | None, status: int = 200):
    return render_template(
        "events/form.html",
        form=form,
        event=event,
        organisation_names=organisation_names(),
        title=f"Edit {event.title}" if event else "New event",
    ), status


def _prepare_form(form: EventForm) -> dict[int, str]:
    fellows = _fellows()
    organisations = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
    form.set_choices(organisations, fellows, tag_choices())
    return {fellow.id: fellow.name for fellow in fellows}


#: What a link may fill in on a new event's form, and the longest each may be.
PREFILLED = {"title": 200, "summary": 500, "description": 20000}


def _prefill(form: EventForm) -> None:
    """Fill a new event's form from the link's arguments; unknown kinds or audiences are ignored."""
    for name, most in PREFILLED.items():
        if value := request.args.get(name, "").strip():
            form[name].data = value[:most]
    for name in ("kind", "audience"):
        if (value := request.args.get(name)) in dict(form[name].choices):
            form[name].data = value


@organiser_required
def create():
    """A new event, saved as a draft that only organisers can see until it is published. A link may fill
    in the title, kind, summary, description and audience (``?kind=workshop&title=…``: a workshop theme)."""
    form = EventForm()
    fellow_names = _prepare_form(form)
    if request.method == "GET":
        _prefill(form)
    if form.validate_on_submit():
        try:
            event = services.create_event(acting_user(), form.event_data(fellow_names))
        except ServiceError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash("The event is saved as a draft. Check it, then publish it.", "success")
            _flash_speaker_reach(event)
            return redirect(url_for("events.detail", event_id=event.id))
    return _render_form(form, None, 400 if request.method == "POST" else 200)


@organiser_required
def edit(event_id: int):
    """Edit an event. Changes to a published event are recorded and a new time or place is emailed."""
    event = event_or_404(event_id)
    form = EventForm()
    if request.method == "GET":
        form.fill_from(event)
    form.confirmed_count = event.confirmed_count
    fellow_names = _prepare_form(form)
    if form.validate_on_submit():
        try:
            changes = services.update_event(acting_user(), event, form.event_data(fellow_names))
        except ServiceError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(_saved_message(event, changes), "success")
            _flash_speaker_reach(event)
            return redirect(url_for("events.detail", event_id=event.id))
    return _render_form(form, event, 400 if request.method == "POST" else 200)


def _flash_speaker_reach(event: Event) -> None:
    for note in wider_than_profiles(event):
        flash(note, "info")


def _saved_message(event: Event, changes: dict) -> str:
    """Say what the save did, including whether people were emailed (the same rule as services.update_event)."""
    if not changes:
        return "Nothing was changed."
    if TIME_AND_PLACE & changes.keys() and event.state == "published" and event.ends_at > utcnow():
        return "The event is saved. Everyone booked or on the waitlist is emailed the new time or place."
    return "The event is saved."


@organiser_required
def publish(event_id: int):
    """Publish a draft: its audience can see and book it."""
    event = event_or_404(event_id)
    try:
        services.publish_event(acting_user(), event)
    except ServiceError as error:
        db.session.rollback()
        return render_detail(event, error=str(error), status=409)
    db.session.commit()
    flash("The event is published.", "success")
    _flash_speaker_reach(event)
    return redirect(url_for("events.detail", event_id=event.id))


@organiser_required
def cancel(event_id: int):
    """Cancel a published event with a reason; bookings are kept and everyone booked is emailed."""
    event = event_or_404(event_id)
    if event.state != "published":
        return render_detail(event, error="Only a published event can be cancelled.", status=409)
    form = CancelEventForm()
    if form.validate_on_submit():
        try:
            services.cancel_event(acting_user(), event, form.reason.data)
        except ServiceError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            audit.record(
                acting_user(),
                "event.cancelled",
                f"{event.title}: {event.cancellation_reason}",
                f"event {event.id}",
            )
            db.session.commit()
            flash("The event is cancelled and everyone booked has been emailed.", "success")
            return redirect(url_for("events.detail", event_id=event.id))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "events/cancel.html",
        form=form,
        event=event,
        confirmed=event.confirmed_count,
        waitlisted=event.waitlist_length,
        title=f"Cancel {event.title}",
    ), status


@organiser_required
def duplicate(event_id: int):
    """Copy an event as a new draft (e.g. the next lunch in a series), then open it for editing."""
    event = event_or_404(event_id)
    copy = services.duplicate_event(acting_user(), event)
    db.session.commit()
    flash("This is a new draft copied from the original. Set its date and time, then publish it.", "success")
    return redirect(url_for("events.edit", event_id=copy.id))


@organiser_required
def delete(event_id: int):
    """Delete a draft (published events are cancelled instead, so their record stays)."""
    event = event_or_404(event_id)
    try:
        title = event.title
        services.delete_draft(acting_user(), event)
    except ServiceError as error:
        db.session.rollback()
        return render_detail(event, error=str(error), status=409)
    audit.record(acting_user(), "event.deleted", title, f"event {event_id}")
    db.session.commit()
    flash("The draft is deleted.", "success")
    return redirect(url_for("events.manage"))


@organiser_required
def history(event_id: int):
    """Who changed what, and when, since the event was published."""
    event = event_or_404(event_id)
    changes = db.session.scalars(
        select(EventChange)
        .where(EventChange.event_id == event.id)
        .options(selectinload(EventChange.user))
        .order_by(EventChange.changed_at.desc(), EventChange.id.desc())
    ).all()
    return render_template(
        "events/history.html", event=event, changes=changes, labels=FIELD_LABELS, title=f"History of {event.title}"
    )


# Invitations -------------------------------------------------------------------------------------


#: What an invited fellow has done so far, as the invitations page shows it.
ANSWERS = {"booked": "Booked", "waitlisted": "On the waitlist", "declined": "Declined", "waiting": "No answer yet"}


def _answer(invitation: EventInvitation, booking_state: str | None) -> str:
    if booking_state is not None:
        return "booked" if booking_state == "confirmed" else "waitlisted"
    return "declined" if invitation.declined_at else "waiting"


def _render_invitations(event: Event, fellows_form=None, interest_form=None, status: int = 200):
    invitations = db.session.scalars(
        select(EventInvitation)
        .where(EventInvitation.event_id == event.id)
        .options(selectinload(EventInvitation.user))
        .join(EventInvitation.user)
        .order_by(User.name)
    ).all()
    invited_ids = {invitation.user_id for invitation in invitations}
    booked = dict(
        db.session.execute(
            select(Booking.user_id, Booking.state).where(
                Booking.event_id == event.id, Booking.user_id.in_(invited_ids), Booking.state != "cancelled"
            )
        ).all()
    )
    answers = {invitation.id: _answer(invitation, booked.get(invitation.user_id)) for invitation in invitations}
    fellows_form = fellows_form or InviteFellowsForm(formdata=None)
    fellows_form.fellows.choices = {str(f.id): f.display_name for f in _fellows() if f.id not in invited_ids}
    interest_form = interest_form or InviteByInterestForm(formdata=None)
    interest_form.tag_id.choices = {"": "— choose —"} | tag_choices()
    return render_template(
        "events/invitations.html",
        event=event,
        invitations=invitations,
        answers=answers,
        answer_labels=ANSWERS,
        counts={answer: list(answers.values()).count(answer) for answer in ANSWERS},
        fellows_form=fellows_form,
        interest_form=interest_form,
        title=f"Invitations: {event.title}",
    ), status


@organiser_required
def invitations(event_id: int):
    """Who is invited to an invitation-only event, with forms to invite more."""
    return _render_invitations(event_or_404(event_id))


@organiser_required
def invite(event_id: int):
    """Invite chosen fellows."""
    event = event_or_404(event_id)
    form = InviteFellowsForm()
    form.fellows.choices = {str(f.id): f.display_name for f in _fellows()}
    if not form.validate_on_submit():
        return _render_invitations(event, fellows_form=form, status=400)
    chosen = [f for f in _fellows() if f.id in set(form.fellows.data)]
    return _finish_inviting(event, lambda: services.invite_fellows(acting_user(), event, chosen))


@organiser_required
def invite_interest(event_id: int):
    """Invite every current fellow with a chosen policy interest."""
    event = event_or_404(event_id)
    form = InviteByInterestForm()
    form.tag_id.choices = {"": "— choose —"} | tag_choices()
    if not form.validate_on_submit() or not form.tag_id.data:
        if not form.tag_id.errors:
            form.tag_id.errors.append("Choose an interest")
        return _render_invitations(event, interest_form=form, status=400)
    tag = db.get_or_404(Tag, int(form.tag_id.data))
    return _finish_inviting(event, lambda: services.invite_by_interest(acting_user(), event, tag))


def _finish_inviting(event: Event, invite):
    try:
        added = invite()
    except ServiceError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _render_invitations(event, status=409)
    db.session.commit()
    if not added:
        message = "They were all invited already."
    elif event.state == "published":
        message = f"{plural(added, 'fellow')} invited and emailed a link to the event."
    else:
        message = f"{plural(added, 'fellow')} invited; they are emailed when the event is published."
    flash(message, "success")
    return redirect(url_for("events.invitations", event_id=event.id))


@organiser_required
def withdraw_invitation(invitation_id: int):
    """Take back an invitation (a place already booked is kept)."""
    invitation = db.get_or_404(EventInvitation, invitation_id)
    event_id = invitation.event_id
    summary = f"{invitation.user.name if invitation.user else 'A fellow'}: {invitation.event.title}"
    services.withdraw_invitation(acting_user(), invitation)
    audit.record(acting_user(), "event_invitation.withdrawn", summary, f"event {event_id}")
    db.session.commit()
    flash("The invitation is withdrawn.", "success")
    return redirect(url_for("events.invitations", event_id=event_id))
