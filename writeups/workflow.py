"""Organisers' pages for a write-up's workflow: its page (state, Chatham House check, review links and
responses), submit, publish, unpublish, review links, and the revision history with restore."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from core import audit
from core.forms import submit_once
from core.permissions import organiser_required
from extensions import db
from writeups import reviews, services
from writeups.chatham import find_chatham_house_mentions
from writeups.diffs import body_diff, field_changes
from writeups.forms import PublishForm, ReviewLinkForm
from writeups.models import ChathamHouseConfirmation, Note, NoteReviewLink, NoteRevision


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
        "writeups/note.html",
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

    def take_down(note: Note) -> None:
        services.unpublish_note(note, current_user)
        audit.record(current_user, "note.unpublished", note.title, f"note {note.id}")

    return _workflow(
        note_id,
        take_down,
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
    if note.event_id is None:
        flash("The note is published.", "success")
    else:
        flash(f"The note is published. {told} attendee{'' if told == 1 else 's'} will be told by email.", "success")
    return redirect(url_for("notes.note", note_id=note.id))


@organiser_required
def create_review_link(note_id: int):
    """Email a private review link to a speaker or named fellow."""
    note = db.get_or_404(Note, note_id)
    form = ReviewLinkForm()
    if not form.validate_on_submit():
        return _render_note_page(note, link_form=form, status=400)
    submission = submit_once(form.form_key.data, current_user)
    if submission.is_repeat:
        # The link is stored hashed, so a repeat cannot show it again; the email has gone once.
        db.session.commit()
        flash(f"A review link has been emailed to {form.reviewer_name.data}.", "success")
        return redirect(url_for("notes.note", note_id=note.id))
    try:
        link, token = reviews.create_review_link(note, current_user, form.reviewer_name.data, form.reviewer_email.data)
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
    reviews.revoke_review_link(link, current_user)
    audit.record(current_user, "review_link.revoked", f"{link.reviewer_name}: {link.note.title}", f"note {note_id}")
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
    return render_template("writeups/revisions.html", note=note, entries=entries, title=f"History: {note.title}")


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
