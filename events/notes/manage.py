"""Organisers' pages for write-ups: the list, writing and editing (with conflict detection and text
kept through an expired session), preview, the workflow, review links and revision history."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from core.images import ImageRejected
from core.models import StoredImage
from core.permissions import organiser_required
from core.request_args import paginate, whole_number
from core.tags import tag_choices, tags_by_ids
from events.models import Event
from events.notes import services
from events.notes.access import can_edit_note
from events.notes.chatham import find_chatham_house_mentions
from events.notes.diffs import body_diff, field_changes
from events.notes.forms import NoteForm, PublishForm, ReviewLinkForm, links_to_text
from events.notes.kept_text import keep_text_if_session_lost, restored_form
from events.notes.models import NOTE_STATES, ChathamHouseConfirmation, Note, NoteReviewLink, NoteRevision
from extensions import csrf, db, limiter, login_manager


@organiser_required
def manage():
    """Every note in every state, newest change first, with a way to write up an event."""
    state = request.args.get("state", "")
    query = (
        select(Note)
        .options(joinedload(Note.event), joinedload(Note.updated_by))
        .order_by(Note.updated_at.desc(), Note.id.desc())
    )
    if state in NOTE_STATES:
        query = query.where(Note.state == state)
    if (event_id := whole_number(request.args.get("event"))) is not None:
        query = query.where(Note.event_id == event_id)
    page = paginate(query, per_page=current_app.config["PAGE_SIZE"])
    counts = dict(db.session.execute(select(Note.state, func.count(Note.id)).group_by(Note.state)).all())
    events = db.session.scalars(select(Event).order_by(Event.starts_at.desc()).limit(200)).all()
    return render_template(
        "notes/manage.html",
        page=page,
        state=state,
        states=NOTE_STATES,
        counts=counts,
        events=events,
        title="Manage write-ups",
    )


@organiser_required
def choose_event():
    """The list's "write up an event" picker lands here."""
    event_id = whole_number(request.args.get("event_id"))
    if event_id is None:
        flash("Choose the event to write up.", "error")
        return redirect(url_for("notes.manage"))
    return redirect(url_for("notes.create", event_id=event_id))


def _require_editor():
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    if not can_edit_note(current_user):
        abort(403)


def _note_data(note: Note) -> dict:
    return {
        "version": str(note.version),
        "title": note.title,
        "summary": note.summary,
        "body": note.body,
        "audience": note.audience,
        "chatham_house": note.chatham_house,
        "topics": [str(t.id) for t in note.topics],
        "image_caption": note.image_caption,
        "image_credit": note.image_credit,
        "further_reading": links_to_text(note.links),
    }


def _content(form: NoteForm) -> services.NoteContent:
    return services.NoteContent(
        title=form.title.data,
        summary=form.summary.data,
        body=form.body.data,
        audience=form.audience.data,
        chatham_house=form.chatham_house.data,
        topics=tags_by_ids(form.topics.data or []),
        image_caption=form.image_caption.data,
        image_credit=form.image_credit.data,
        links=getattr(form.further_reading, "parsed", []),
    )


#: The session key listing the lead images this browser chose on a try of the form that had errors.
KEPT_IMAGES = "kept_note_images"
MAX_KEPT_IMAGES = 5


def _upload(form: NoteForm) -> bytes | None:
    upload = form.image.data
    if not upload or not getattr(upload, "filename", ""):
        return None
    upload.stream.seek(0)  # it may be read twice: to save, then to keep after an error
    return upload.read() or None


def _kept_image(form: NoteForm) -> StoredImage | None:
    """The image this browser chose on an earlier try of the form, if it still stands."""
    image_id = whole_number(form.kept_image.data)
    if image_id is None or image_id not in session.get(KEPT_IMAGES, []):
        return None
    return db.session.get(StoredImage, image_id)


def _keep_chosen_image(form: NoteForm) -> None:
    """A form sent back with errors keeps the image chosen with it, so it need not be chosen again."""
    data = _upload(form)
    if not data or form.image.errors:
        return
    try:
        image = services.store_image(data)
    except ImageRejected as error:
        db.session.rollback()
        form.image.errors.append(str(error))
        return
    db.session.commit()
    session[KEPT_IMAGES] = [image.id, *session.get(KEPT_IMAGES, [])][:MAX_KEPT_IMAGES]
    form.kept_image.data = str(image.id)


def _render_edit(form: NoteForm, event: Event, note: Note | None, status: int, conflict=None):
    if request.method == "POST":
        _keep_chosen_image(form)
    diff = body_diff(note.body, form.body.data or "", "Saved version", "Your text") if conflict else None
    title = f"Edit: {note.title}" if note else f"Write up: {event.title}"
    return render_template(
        "notes/edit.html",
        form=form,
        event=event,
        note=note,
        kept_image=_kept_image(form),
        conflict=conflict,
        diff=diff,
        title=title,
    ), status


@limiter.limit("20 per hour", methods=["POST"], exempt_when=lambda: current_user.is_authenticated)
def create(event_id: int):
    """Start a write-up of an event (saved as a draft)."""
    if request.method == "GET":
        _require_editor()  # before the lookup, so that visitors cannot probe which event ids exist
    event = db.get_or_404(Event, event_id)
    form_url = url_for("notes.create", event_id=event.id)
    if request.method == "POST" and (kept := keep_text_if_session_lost(event.id, None, form_url)):
        return kept
    _require_editor()
    form = (restored_form(event.id, None) if request.method == "GET" else None) or NoteForm()
    form.topics.choices = tag_choices()
    if form.validate_on_submit():
        try:
            note = services.create_note(
                event, current_user, _content(form), image_data=_upload(form), image=_kept_image(form)
            )
        except ImageRejected as error:
            db.session.rollback()
            form.image.errors.append(str(error))
        except services.NoteError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash("The note is saved as a draft.", "success")
            return redirect(_after_save(note))
    return _render_edit(form, event, None, 400 if request.method == "POST" else 200)


def _after_save(note: Note) -> str:
    if request.form.get("then") == "preview":
        return url_for("notes.preview", note_id=note.id)
    return url_for("notes.note", note_id=note.id)


@limiter.limit("20 per hour", methods=["POST"], exempt_when=lambda: current_user.is_authenticated)
def edit(note_id: int):
    """Edit a note. A save made to an out-of-date version is refused (409) with the text kept."""
    note = db.get_or_404(Note, note_id)
    form_url = url_for("notes.edit", note_id=note.id)
    if request.method == "POST" and (kept := keep_text_if_session_lost(note.event_id, note.id, form_url)):
        return kept
    _require_editor()
    form = None
    if request.method == "GET":
        form = restored_form(note.event_id, note.id) or NoteForm(data=_note_data(note))
    form = form or NoteForm()
    form.topics.choices = tag_choices()
    if request.method == "POST" and form.validate():
        version = whole_number(form.version.data)
        try:
            changed = services.save_note(
                note,
                current_user,
                _content(form),
                version,
                image_data=_upload(form),
                remove_image=form.remove_image.data,
                image=_kept_image(form),
            )
        except services.NoteConflict as conflict:
            db.session.rollback()
            note = db.session.get(Note, note_id)
            # Saving again after seeing the difference is a deliberate choice, so it may go ahead.
            form.version.data = str(note.version)
            return _render_edit(form, note.event, note, 409, conflict=conflict)
        except ImageRejected as error:
            db.session.rollback()
            form.image.errors.append(str(error))
        except services.NoteError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash("Your changes are saved." if changed else "There were no changes to save.", "success")
            return redirect(_after_save(note))
    return _render_edit(form, note.event, note, 400 if request.method == "POST" else 200)


csrf.exempt(create)  # CSRF is checked in keep_text_if_session_lost, which keeps the text when it fails
csrf.exempt(edit)


@organiser_required
def preview(note_id: int):
    """The note exactly as readers will see it, whatever its state."""
    note = db.get_or_404(Note, note_id)
    return render_template("notes/detail.html", note=note, preview=True, can_edit=False, title=note.title)


def _render_note_page(
    note: Note,
    publish_form: PublishForm | None = None,
    status: int = 200,
    link_form: ReviewLinkForm | None = None,
    new_review_url: str | None = None,
):
    mentions = find_chatham_house_mentions(note) if note.chatham_house and not note.is_published else []
    publish_form = publish_form or PublishForm()
    publish_form.confirm.choices = {m.key: m.label for m in mentions}
    confirmations = db.session.scalars(
        select(ChathamHouseConfirmation)
        .where(ChathamHouseConfirmation.note_id == note.id)
        .order_by(ChathamHouseConfirmation.id.desc())
    ).all()
    return render_template(
        "notes/note.html",
        note=note,
        mentions=mentions,
        publish_form=publish_form,
        confirmations=confirmations,
        link_form=link_form or ReviewLinkForm(),
        new_review_url=new_review_url,
        title=note.title,
    ), status


@organiser_required
def note_page(note_id: int):
    """A note's workflow: its state, the Chatham House check, review links and responses."""
    return _render_note_page(db.get_or_404(Note, note_id))


def _workflow(note_id: int, action, success: str):
    note = db.get_or_404(Note, note_id)
    try:
        action(note)
        db.session.commit()
    except services.NoteError as error:
        db.session.rollback()
        flash(str(error), "error")
    except StaleDataError:
        db.session.rollback()
        flash("Someone else changed this note at the same moment. Check it and try again.", "error")
    else:
        flash(success, "success")
    return redirect(url_for("notes.note", note_id=note_id))


@organiser_required
def submit(note_id: int):
    """Draft → in review."""
    return _workflow(
        note_id,
        lambda n: services.submit_for_review(n, current_user),
        "The note is in review: you can now send review links.",
    )


@organiser_required
def unpublish(note_id: int):
    """Take a published note down."""
    return _workflow(
        note_id,
        lambda n: services.unpublish_note(n, current_user),
        "The note is unpublished: only organisers can see it.",
    )


@organiser_required
def publish(note_id: int):
    """Publish; under the Chatham House Rule each person the text names must be confirmed first."""
    note = db.get_or_404(Note, note_id)
    form = PublishForm()
    if not form.validate_on_submit():
        return _render_note_page(note, form, 400)
    try:
        told = services.publish_note(note, current_user, set(form.confirm.data or []))
        db.session.commit()
    except services.ChathamHouseMentions as refusal:
        db.session.rollback()
        form.form_errors.extend(m.message for m in refusal.mentions)
        form.form_errors.append(
            "Change the text so it no longer names them, or tick each mention you have "
            "deliberately kept (for example a speaker's own published work)."
        )
        return _render_note_page(note, form, 400)
    except services.NoteError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return _render_note_page(note, form, 400)
    except StaleDataError:
        db.session.rollback()
        flash("Someone else changed this note at the same moment. Check it and try again.", "error")
        return redirect(url_for("notes.note", note_id=note_id))
    flash(f"The note is published. {told} attendee{'' if told == 1 else 's'} will be told by email.", "success")
    return redirect(url_for("notes.note", note_id=note.id))


@organiser_required
def create_review_link(note_id: int):
    """Email a private review link to a speaker or named fellow."""
    note = db.get_or_404(Note, note_id)
    form = ReviewLinkForm()
    if not form.validate_on_submit():
        return _render_note_page(note, link_form=form, status=400)
    try:
        link, token = services.create_review_link(note, current_user, form.reviewer_name.data, form.reviewer_email.data)
    except services.NoteError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return _render_note_page(note, link_form=form, status=400)
    db.session.commit()
    flash(f"A review link has been emailed to {link.reviewer_name}.", "success")
    # The token is only stored hashed: this is the one time the organiser can see the link itself.
    return _render_note_page(note, new_review_url=url_for("notes.review", token=token, _external=True))


@organiser_required
def revoke_review_link(note_id: int, link_id: int):
    """Withdraw a review link: it stops working at once."""
    link = db.get_or_404(NoteReviewLink, link_id)
    if link.note_id != note_id:
        abort(404)
    services.revoke_review_link(link, current_user)
    db.session.commit()
    flash(f"The review link for {link.reviewer_name} no longer works.", "success")
    return redirect(url_for("notes.note", note_id=note_id))


@organiser_required
def revisions(note_id: int):
    """Every saved version, newest first, each with its differences from the one before."""
    note = db.get_or_404(Note, note_id)
    history = db.session.scalars(
        select(NoteRevision)
        .where(NoteRevision.note_id == note.id)
        .options(joinedload(NoteRevision.created_by))
        .order_by(NoteRevision.number.desc())
    ).all()
    entries = []
    # Each revision is compared with the one before it; the oldest has none (and a note may have no revisions).
    for revision, previous in zip(history, [*history[1:], None][: len(history)], strict=True):
        entries.append(
            {
                "revision": revision,
                "changes": field_changes(previous, revision) if previous else [],
                "diff": body_diff(
                    previous.body, revision.body, f"Revision {previous.number}", f"Revision {revision.number}"
                )
                if previous and previous.body != revision.body
                else None,
            }
        )
    return render_template("notes/revisions.html", note=note, entries=entries, title=f"History: {note.title}")


@organiser_required
def restore(note_id: int, revision_id: int):
    """Make an earlier version current again (recorded as a new revision)."""
    note = db.get_or_404(Note, note_id)
    revision = db.get_or_404(NoteRevision, revision_id)
    if revision.note_id != note.id:
        abort(404)
    try:
        new = services.restore_revision(note, revision, current_user)
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        flash("Someone else changed this note at the same moment. Check the history and try again.", "error")
        return redirect(url_for("notes.revisions", note_id=note_id))
    flash(f"Revision {revision.number} is restored (saved as revision {new.number}).", "success")
    return redirect(url_for("notes.revisions", note_id=note.id))
