"""Demo write-ups: the public, Chatham House write-up of the 12 October 2016 policy lunch, a
fellows-only note (for the latest other past event, else a second note on the lunch) and a draft
prepared for the next upcoming event. Each is skipped when its event is missing.

Running it again changes nothing: demo notes carry fixed uids.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from PIL import Image, ImageDraw
from sqlalchemy import func, select

from core.models import utcnow
from core.tags import find_or_create_tag
from events.models import Event
from extensions import db
from fellows.models import User
from writeups.models import Note
from writeups.services import NoteContent, create_note

LUNCH_TITLE = "Public Service Transformation: What's Next?"
LUNCH_NOTE_UID = "5d0c3f4e-2016-4c12-9a0b-7075626c6963"
FELLOWS_NOTE_UID = "5d0c3f4e-2016-4c12-9a0b-66656c6c6f77"
DRAFT_NOTE_UID = "5d0c3f4e-2016-4c12-9a0b-647261667421"

LUNCH_SUMMARY = (
    "How could digital technology change the way government is run and public services are delivered? "
    'Participants weighed the case for a shared "national grid" for government technology.'
)

LUNCH_BODY = """\
## The question

This policy lunch asked how digital technology could transform the administration of government and the
delivery of public services. The discussion was held under the Chatham House Rule, so this write-up records
the arguments made, not who made them.

## A generator in every house

The speaker began with an analogy from the early days of electricity. Before there was a grid, anyone who
wanted power had to make their own: every household with its own generator, each slightly different, each
maintained separately. That is what grows up when there is no shared infrastructure to plug into.

Government departments, the argument ran, have been in much the same position with digital technology.
Each has built its own platforms, its own ways of checking identity and taking payments, its own hosting and
data stores, because nothing common existed. The result is duplication, systems that cannot talk to one
another, and costs that are hard to see and harder to cut.

Once a national grid exists, with a universal voltage that anyone can rely on, the picture changes. Nobody
keeps a private generator running when the mains are cheaper and more dependable: the less rational models
simply cannot compete. The same should be true of the common building blocks of digital government, if the
shared version is good enough.

## What is already under way

Participants discussed recent initiatives that point in this direction:

- the **Government Digital Service**, created to build shared platforms and common standards across
  central government rather than leave each department to start from scratch;
- **Talk London**, the Greater London Authority's online platform for deliberative democracy, where
  Londoners discuss city issues and help shape policy.

Both raised the same practical questions: who owns a shared service, who pays for it, and what happens to
the departmental systems it is meant to replace.

## Lessons from elsewhere

The conversation then moved beyond the UK.

- **Developing countries.** Where there are fewer legacy systems to protect, technology can reshape the
  relationship between state and citizen instead of merely digitising existing paperwork. Several
  participants saw more room for genuinely new models there than in countries with decades of
  accumulated infrastructure.
- **Australia** was discussed as a pioneer in using technology in public administration, and as a
  source of lessons about both ambition and pace.

## What role for government?

The lunch closed on the role of government itself. Three responsibilities kept returning:

1. **Accountability**: a shared platform concentrates responsibility, so it must be clear who answers when
   it fails.
2. **Privacy**: joining up services means joining up data about citizens, which needs public consent and
   strong safeguards.
3. **Provision**: some services only the state can provide, and citizens need them to work for everyone,
   not only for the digitally confident.

> Should government be an innovator, building what does not yet exist, or an adopter of what others have
> already proved? And what incentives would lead it to make that choice well?

That question was left open, as the best questions at these lunches usually are.
"""

LUNCH_LINKS = [
    {"title": "Cambridge Judge Business School", "url": "https://www.jbs.cam.ac.uk/"},
    {
        "title": "Government Digital Service",
        "url": "https://www.gov.uk/government/organisations/government-digital-service",
    },
    {"title": "Talk London, Greater London Authority", "url": "https://www.london.gov.uk/talk-london"},
]


def lead_image_bytes() -> bytes:
    """A simple drawing of a tablet showing a grid of service tiles (no photograph is shipped)."""
    image = Image.new("RGB", (1200, 675), (29, 79, 145))
    draw = ImageDraw.Draw(image)
    for y in range(675):  # a gentle vertical gradient
        shade = int(29 + 40 * y / 675)
        draw.line([(0, y), (1200, y)], fill=(shade, 79 + shade // 4, 145))
    draw.rounded_rectangle((330, 90, 870, 600), radius=36, fill=(27, 31, 36))
    draw.rounded_rectangle((360, 120, 840, 570), radius=12, fill=(244, 246, 249))
    colours = [(255, 191, 71), (30, 107, 52), (29, 79, 145), (179, 38, 30)]
    for row in range(3):
        for column in range(4):
            left, top = 390 + column * 110, 160 + row * 130
            draw.rounded_rectangle((left, top, left + 80, top + 80), radius=14, fill=colours[(row + column) % 4])
    draw.ellipse((590, 578, 610, 598), fill=(85, 95, 107))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _organiser() -> User | None:
    return db.session.scalar(select(User).where(User.role == "organiser").order_by(User.id))


def _find_event(title: str) -> Event | None:
    return db.session.scalar(select(Event).where(func.lower(Event.title) == title.lower()).order_by(Event.id))


def _exists(uid: str) -> bool:
    return db.session.scalar(select(Note.id).where(Note.uid == uid)) is not None


def _lunch_note(organiser: User | None) -> None:
    event = _find_event(LUNCH_TITLE)
    if event is None or _exists(LUNCH_NOTE_UID):
        return
    content = NoteContent(
        title="A national grid for government? Digital technology and public services",
        summary=LUNCH_SUMMARY,
        body=LUNCH_BODY,
        audience="public",
        chatham_house=True,
        topics=[find_or_create_tag("Digital government"), find_or_create_tag("Public service reform")],
        image_caption="Services that once meant a form and a queue increasingly arrive on a screen.",
        image_credit="Image: tablet use 1 (flickr)",
        links=LUNCH_LINKS,
    )
    note = create_note(event, organiser, content, image_data=lead_image_bytes())
    note.uid = LUNCH_NOTE_UID
    note.state = "published"
    # Published a week after the lunch, as write-ups usually are.
    note.published_at = max(event.ends_at, datetime(2016, 10, 12, 14, tzinfo=UTC)) + timedelta(days=7)


def _past_event() -> Event | None:
    """The most recent other past event; failing that, the 2016 lunch itself (events can have several notes)."""
    others = select(Event).where(Event.state == "published", Event.ends_at < utcnow())
    return db.session.scalar(
        others.where(func.lower(Event.title) != LUNCH_TITLE.lower()).order_by(Event.starts_at.desc(), Event.id)
    ) or _find_event(LUNCH_TITLE)


def _upcoming_event() -> Event | None:
    """The next published event: its write-up is drafted ahead, to be completed on the day."""
    return db.session.scalar(
        select(Event).where(Event.state == "published", Event.starts_at > utcnow()).order_by(Event.starts_at, Event.id)
    )


def _fellows_note(organiser: User | None) -> None:
    event = _past_event()
    if event is None or _exists(FELLOWS_NOTE_UID):
        return
    note = create_note(
        event,
        organiser,
        NoteContent(
            title=f"For fellows: follow-ups from {event.title}",
            summary="Reading suggested during the discussion and the follow-ups fellows agreed, for fellows only.",
            body=(
                "## Follow-ups\n\n"
                "1. Fellows offered to share departmental guidance on shared digital services where they can.\n"
                "2. The organisers will circulate a short reading list before the next lunch on this theme.\n"
                "3. A small group will compare notes on procurement rules that make shared platforms hard to adopt.\n\n"
                "## Questions to pick up next time\n\n"
                "- Who should own a shared component, and how is it funded?\n"
                "- What would make a department retire its own system in favour of a common one?\n\n"
                "These notes are for fellows only and follow the Chatham House Rule: please do not attribute anything "
                "here to a participant.\n"
            ),
            audience="fellows",
            chatham_house=True,
            topics=list(event.topics),
        ),
    )
    note.uid = FELLOWS_NOTE_UID
    note.state = "published"
    note.published_at = event.ends_at + timedelta(days=8)


def _draft_note(organiser: User | None) -> None:
    event = _upcoming_event()
    if event is None or _exists(DRAFT_NOTE_UID):
        return
    note = create_note(
        event,
        organiser,
        NoteContent(
            title=f"Write-up: {event.title}",
            summary="Draft: the outline is ready; the discussion is written up after the event and sent for review.",
            body=(
                "## The question\n\n"
                f"{event.summary or 'What the session set out to discuss.'}\n\n"
                "## The discussion\n\n"
                "*To be written after the event, without attributing anything to a participant.*\n\n"
                "## What next\n\n"
                "*Follow-ups agreed on the day.*\n"
            ),
            audience="public",
            chatham_house=True,
            topics=list(event.topics),
        ),
    )
    note.uid = DRAFT_NOTE_UID


def load() -> None:
    """Create the demo write-ups that are missing; the events they describe must already exist."""
    organiser = _organiser()
    _lunch_note(organiser)
    _fellows_note(organiser)
    _draft_note(organiser)
    db.session.flush()
