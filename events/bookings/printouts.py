"""What organisers print before leaving for an event, as PDF: the sign-in sheet (confirmed people by surname,
with their organisation and a space to sign) and name badges. Names and organisations only: dietary and
access answers and email addresses stay on the attendee page."""

from __future__ import annotations

from flask import Response, abort, render_template
from flask_login import current_user

from core import audit
from core.lib.wording import plural
from core.models import slugify
from core.pdf import pdf_response
from core.permissions import organiser_required
from core.timeutil import to_local
from events.bookings.lists import printed_attendees
from events.models import Event
from events.pages import event_or_404
from extensions import db

#: Badges on one A4 page: two columns of four, each about 90 × 64 mm, the size of a standard badge holder.
BADGES_PER_PAGE = 8


def _printable(event_id: int) -> Event:
    """A published event (drafts have no bookings worth printing; cancelled events no one coming)."""
    event = event_or_404(event_id)
    if event.state != "published":
        abort(404)
    return event


def _pdf(event: Event, template: str, kind: str) -> Response:
    people = printed_attendees(event)
    html = render_template(template, event=event, people=people, badges_per_page=BADGES_PER_PAGE)
    summary = f"{kind}: {plural(len(people), 'name')}, {event.title}"
    audit.record(current_user, "attendees.printed", summary, f"event {event.id}")
    db.session.commit()
    filename = f"{slugify(kind)}-{slugify(event.title)[:60]}-{to_local(event.starts_at):%Y-%m-%d}.pdf"
    return pdf_response(html, filename)


@organiser_required
def sign_in_sheet(event_id: int):
    """The sign-in sheet as PDF: title, date and venue, then every confirmed person by surname, with their
    organisation and an empty signature column; numbered pages, the table header on each."""
    return _pdf(_printable(event_id), "events/print/sign_in_sheet.html", "Sign-in sheet")


@organiser_required
def badges(event_id: int):
    """Name badges as PDF, one per confirmed person (name large, organisation, event title small),
    eight to an A4 page, to cut out (or to fold in half as place cards)."""
    return _pdf(_printable(event_id), "events/print/badges.html", "Badges")
