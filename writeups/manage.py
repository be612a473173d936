"""Organisers' pages for write-ups: the list, writing and editing (with conflict detection, text kept
through an expired session and a lead image kept through a form with errors), and preview. A note's
workflow, review links and history are in ``workflow.py``."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from core.images import ImageRejected
from core.models import StoredImage
from core.permissions import organiser_required
from core.request_args import drop_unknown_filters, paginate, whole_number
from core.tags import tag_choices, tags_by_ids
from events.models import Event
from extensions import csrf, db, limiter, login_manager
from writeups import services
from writeups.access import can_edit_note
from writeups.diffs import body_diff
from writeups.forms import NoteForm, links_to_text
from writeups.kept_text import keep_text_if_session_lost, restored_form
from writeups.models import NOTE_AUDIENCES, NOTE_STATES, Note
from writeups.subjects import describer


@organiser_required
def manage():
    """Every note in every state, newest change first, with a way to write up an event."""
    filters = {"state": request.args.get("state", "")}
    notices = drop_unknown_filters(filters, {"state": ("state", NOTE_STATES)})
    state = filters["state"]
    query = (
        select(Note)
        .options(joinedload(Note.event), joinedload(Note.updated_by))
        .order_by(Note.updated_at.desc(), Note.id.desc())
    )
    if state in NOTE_STATES:
        query = query.where(Note.state == state)
    if (event_id := whole_number(request.args.get("event"))) is not None:
        query = query.where(Note.event_id == event_id)
    subject = _subject_filter(request.args.get("about", ""))
    if subject is not None:
        query = query.where(Note.subject_kind == subject[0], Note.subject_id == subject[1])
    page = paginate(query, per_page=current_app.config["PAGE_SIZE"])
    counts = dict(db.session.execute(select(Note.state, func.count(Note.id)).group_by(Note.state)).all())
    events = db.session.scalars(select(Event).order_by(Event.starts_at.desc()).limit(200)).all()
    return render_template(
        "writeups/manage.html",
        page=page,
        state=state,
        states=NOTE_STATES,
        filter_notices=notices,
        counts=counts,
        events=events,
        about=subject,
        title="Manage write-ups",
    )


def _subject_filter(value: str) -> tuple[str, int] | None:
    """``visit:12`` → ("visit", 12): the write-ups of one subject that is not an event."""
    kind, _, number = value.partition(":")
    subject_id = whole_number(number)
    if describer(kind) is None or subject_id is None:
        return None
    return kind, subject_id


@organiser_required
def create_about(kind: str, subject_id: int):
    """Start a write-up of something that is not an event (a visit programme, a rapid-response question):
    a draft under the Chatham House Rule, from the text its area suggests, then the usual editing and
    workflow."""
    if describer(kind) is None:
        abort(404)
    try:
        note = services.create_subject_note(kind, subject_id, current_user)
    except services.NoteError:
        db.session.rollback()
        abort(404)
    db.session.commit()
    flash("A draft write-up is started. Edit it, then send it for review or publish it.", "success")
    return redirect(url_for("notes.edit", note_id=note.id))


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


def _new_note_of(event_id: int) -> tuple[int, None] | None:
    """Where text kept for a new note of this event belongs; None when there is no such event."""
    event = db.session.get(Event, event_id)
    return (event.id, None) if event else None


def _saved_note(note_id: int) -> tuple[int, int] | None:
    """Where text kept for this note belongs; None when there is no such note."""
    note = db.session.get(Note, note_id)
    return (note.event_id, note.id) if note else None


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
KEPT_IMAGES = "kept_note_images"  # kept_…: survives signing in (core.permissions.KEPT_ACROSS_SIGN_IN)
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


def _render_edit(form: NoteForm, event: Event | None, note: Note | None, status: int, conflict=None):
    if request.method == "POST":
        _keep_chosen_image(form)
    diff = body_diff(note.body, form.body.data or "", "Saved version", "Your text") if conflict else None
    title = f"Edit: {note.title}" if note else f"Write up: {event.title}"
    return render_template(
        "writeups/edit.html",
        form=form,
        event=event,
        about=note.about if note else None,
        note=note,
        kept_image=_kept_image(form),
        conflict=conflict,
        diff=diff,
        title=title,
    ), status


@limiter.limit("20 per hour", methods=["POST"], exempt_when=lambda: current_user.is_authenticated)
def create(event_id: int):
    """Start a write-up of an event (saved as a draft)."""
    form_url = url_for("notes.create", event_id=event_id)
    if request.method == "POST" and (kept := keep_text_if_session_lost(form_url, lambda: _new_note_of(event_id))):
        return kept
    _require_editor()  # before the lookup, so that nobody but organisers can probe which ids exist
    event = db.get_or_404(Event, event_id)
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
    form_url = url_for("notes.edit", note_id=note_id)
    if request.method == "POST" and (kept := keep_text_if_session_lost(form_url, lambda: _saved_note(note_id))):
        return kept
    _require_editor()  # before the lookup, so that nobody but organisers can probe which ids exist
    note = db.get_or_404(Note, note_id)
    form = None
    if request.method == "GET":
        form = restored_form(note.event_id, note.id) or NoteForm(data=_note_data(note))
    form = form or NoteForm()
    form.topics.choices = tag_choices()
    if note.event_id is None:  # a write-up of a visit programme, say: it has no attendees
        form.audience.choices = [(value, label) for value, label in NOTE_AUDIENCES.items() if value != "attendees"]
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
    return render_template("writeups/detail.html", note=note, preview=True, can_edit=False, title=note.title)
