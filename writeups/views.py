"""Reading write-ups: the list with filters and search, a note's page and image, the Atom feed, and
the private page where a reviewer reads a draft and responds. Organisers' pages are in ``manage`` and ``workflow``."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from core import private_links
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


def _opened(token: str | None, link_id: int | None):
    """The review link and its token; the link in the email (a GET with the token in its path) is first
    swapped for the session and a clean address naming only the link (``core.private_links``)."""
    if token is None:
        link = _review_link_or_404(private_links.held("review", link_id) or "")
        if link.id != link_id:
            abort(404)
        return link, None
    link = _review_link_or_404(token)
    if request.method == "GET":
        return link, private_links.swap("review", token, url_for("notes.review", link_id=link.id), key=link.id)
    return link, None


def review(token: str | None = None, link_id: int | None = None):
    """A reviewer (no account needed) reads the draft and approves it or comments."""
    link, swapped = _opened(token, link_id)
    if swapped is not None:
        return swapped
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
            return private_links.private(redirect(url_for("notes.review", link_id=link.id)))
    if form.errors or form.form_errors:
        status = 400
    return private_links.private(
        (
            render_template(
                "writeups/review.html",
                link=link,
                note=link.note,
                form=form,
                title=f"Review: {link.note.title}",
            ),
            status,
        )
    )


def review_image(link_id: int):
    """The draft's lead image, for its reviewer (in the browser that opened the review link)."""
    link, _ = _opened(None, link_id)
    return private_links.private(_image_response(link.note))
