"""Reading write-ups: the list with filters and search, a note's page and image, the Atom feed, and
the private page where a reviewer reads a draft and responds. Organisers' pages are in ``manage`` and ``workflow``."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from core.models import utcnow
from core.request_args import drop_unknown_filters, paginate, whole_number
from core.tags import all_tags
from events.models import EVENT_KINDS
from extensions import db, login_manager
from writeups import listing, reviews, services
from writeups.access import can_edit_note, can_view_note
from writeups.feed import build_feed, entry_updated
from writeups.forms import ReviewResponseForm
from writeups.models import Note


def home_section(user) -> dict | None:
    """The newest write-ups this person may read, for the home page."""
    notes = listing.latest_notes(user)
    return {"notes": notes} if notes else None


def _image_response(note: Note) -> Response:
    if note.image is None:
        abort(404)
    response = Response(note.image.data, mimetype=note.image.content_type)
    # The URL carries the image id (?v=), so a new image gets a new URL.
    response.headers["Cache-Control"] = "private, max-age=86400"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def index():
    """Published write-ups the reader may see, newest first; filter by topic, event kind and year; search."""
    args = {key: request.args.get(key, "").strip()[:200] for key in ("topic", "kind", "year", "q")}
    tags, years = all_tags(), listing.note_years(current_user)
    notices = drop_unknown_filters(
        args,
        {
            "topic": ("topic", [tag.slug for tag in tags]),
            "kind": ("kind of event", EVENT_KINDS),
            # Any year is a fair filter (a year without write-ups shows none); only non-years are unknown.
            "year": ("year", [args["year"]] if whole_number(args["year"]) is not None else []),
        },
    )
    page = paginate(listing.reader_query(current_user, **args), per_page=current_app.config["PAGE_SIZE"])
    return render_template(
        "writeups/index.html",
        page=page,
        args=args,
        kinds=EVENT_KINDS,
        tags=tags,
        years=years,
        filter_notices=notices,
        title="Write-ups",
    )


def _readable_note_or_abort(note_id: int) -> Note:
    note = db.get_or_404(Note, note_id)
    if can_view_note(current_user, note):
        return note
    if note.state != "published" or (note.event is not None and note.event.state not in ("published", "cancelled")):
        abort(404)  # readers may not know that drafts exist
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    abort(403, "This write-up is for the people who attended the event.")


def detail(note_id: int):
    """A write-up as readers see it: event, Chatham House notice, image, text and further reading."""
    note = _readable_note_or_abort(note_id)
    return render_template(
        "writeups/detail.html", note=note, preview=False, can_edit=can_edit_note(current_user, note), title=note.title
    )


def image(note_id: int):
    """A note's lead image, under the same rule as the note."""
    return _image_response(_readable_note_or_abort(note_id))


def feed():
    """Atom 1.0 feed of the newest public write-ups (the same for every visitor)."""
    notes = listing.feed_notes()
    updated = max((entry_updated(n) for n in notes), default=utcnow())
    response = Response(build_feed(notes, updated), mimetype="application/atom+xml")
    response.headers["Cache-Control"] = "public, max-age=600"
    return response


def _review_link_or_404(token: str):
    link = reviews.find_review_link(token)
    if link is None:
        abort(404, "This review link is not valid: it may have been withdrawn. Ask the organiser for a new one.")
    return link


def _private(response) -> Response:
    response = current_app.make_response(response)
    # The token is in the URL: keep it out of search engines and out of Referer headers.
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def review(token: str):
    """A reviewer (no account needed) reads the draft and approves it or comments."""
    link = _review_link_or_404(token)
    form = ReviewResponseForm()
    status = 200
    if form.validate_on_submit():
        try:
            reviews.record_review_response(link, form.decision.data, form.comment.data)
        except services.NoteError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash("Thank you: your response has been sent to the organisers.", "success")
            return _private(redirect(url_for("notes.review", token=token)))
    if form.errors or form.form_errors:
        status = 400
    return _private(
        (
            render_template(
                "writeups/review.html",
                link=link,
                note=link.note,
                form=form,
                token=token,
                title=f"Review: {link.note.title}",
            ),
            status,
        )
    )


def review_image(token: str):
    """The draft's lead image, for its reviewer."""
    return _private(_image_response(_review_link_or_404(token).note))
