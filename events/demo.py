"""Demo events: the 2016 policy lunch this project grew from, and upcoming events of every kind.

Runs after the fellows' loader (it uses their organisations, topics and fellows). Events are matched by
title, so loading twice changes nothing. Rows are made directly rather than through the services, so
that loading demo data sends no email.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from core.models import utcnow
from core.tags import find_or_create_tag
from core.timeutil import local_to_utc, to_local
from events.models import Booking, Event, EventInvitation, Speaker
from extensions import db
from fellows.demo import ORGANISER_EMAIL
from fellows.models import User
from fellows.services import find_or_create_organisation

SEED_TITLE = "Public Service Transformation: What's Next?"

SEED_DESCRIPTION = """\
How can government services be redesigned around the people who use them, rather than around the
departments that run them?

**Dr Mark Thompson** (Cambridge Judge Business School) set out the case for *government as a platform*:
shared components, open standards and the commoditisation of IT, and what they mean for the civil
service of the next decade. Fellows from government and industry then discussed what gets in the way.

The discussion was held under the Chatham House Rule.\
"""


def _london(day: date, hour: int, minute: int = 0) -> datetime:
    return local_to_utc(datetime.combine(day, time(hour, minute)))


def _fellow(local_part: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == f"{local_part}@example.org"))


def _speaker(
    position: int, honorific: str, name: str, role: str, organisation: str | None, fellow_local_part: str | None
) -> Speaker:
    fellow = _fellow(fellow_local_part) if fellow_local_part else None
    return Speaker(
        position=position,
        honorific=honorific or None,
        name=name,
        role=role,
        organisation=find_or_create_organisation(organisation, "university") if organisation else None,
        fellow_id=fellow.id if fellow else None,
    )


def _event(title: str, *, speakers=(), topics=(), **fields) -> tuple[Event, bool]:
    """The event with this title, created if missing; the flag says whether it was just created."""
    event = db.session.scalar(select(Event).where(Event.title == title))
    if event is not None:
        return event, False
    organiser = db.session.scalar(select(User).where(User.email == ORGANISER_EMAIL))
    event = Event(title=title, created_by_id=organiser.id if organiser else None, **fields)
    if event.state != "draft":
        event.published_at = event.starts_at - timedelta(days=30)
    event.topics = [find_or_create_tag(name) for name in topics]
    event.speakers = [_speaker(i, *row) for i, row in enumerate(speakers)]
    db.session.add(event)
    db.session.flush()
    return event, True


def _book(
    event: Event,
    local_parts,
    state: str = "confirmed",
    *,
    attended: bool = False,
    dietary: dict | None = None,
    after_hours: int = 0,
) -> None:
    base = (event.published_at or utcnow()) + timedelta(hours=after_hours)
    for i, local in enumerate(local_parts):
        fellow = _fellow(local)
        if fellow is None:
            continue
        requested = base + timedelta(hours=i + 1)
        db.session.add(
            Booking(
                event_id=event.id,
                user_id=fellow.id,
                state=state,
                requested_at=requested,
                confirmed_at=requested if state == "confirmed" else None,
                cancelled_at=requested + timedelta(days=1) if state == "cancelled" else None,
                attendance="attended" if attended else None,
                dietary_requirements=(dietary or {}).get(local),
            )
        )


def load() -> None:
    """Create the demo events that are missing."""
    host = find_or_create_organisation("Policy Lab, Cabinet Office", "government")
    seed, created = _event(
        SEED_TITLE,
        kind="lunch",
        state="published",
        audience="public",
        capacity=20,
        host=host,
        summary="A policy lunch on redesigning public services around the people who use them.",
        description=SEED_DESCRIPTION,
        starts_at=_london(date(2016, 10, 12), 12, 30),
        ends_at=_london(date(2016, 10, 12), 14, 0),
        venue_name="Policy Lab, Cabinet Office",
        venue_address="70 Whitehall, London SW1A 2AS",
        speakers=[
            ("Dr", "Mark Thompson", "Senior Lecturer in Information Systems", "Cambridge Judge Business School", None)
        ],
        topics=["Digital government"],
    )
    if created:
        _book(
            seed,
            ["amelia.hart", "ben.okafor", "chloe.lindqvist", "esther.nwosu", "farid.haddad", "jonah.whitfield"],
            attended=True,
            dietary={"ben.okafor": "Vegetarian", "esther.nwosu": "vegetarian", "farid.haddad": "Halal"},
        )

    today = to_local(utcnow()).date()
    government = find_or_create_organisation("Department for Science, Innovation and Technology", "government")
    cambridge = find_or_create_organisation("University of Cambridge", "university")

    full, created = _event(
        "AI Assurance: Who Checks the Checkers?",
        kind="lunch",
        state="published",
        audience="fellows",
        capacity=3,
        host=government,
        starts_at=_london(today + timedelta(days=14), 12, 30),
        ends_at=_london(today + timedelta(days=14), 14, 0),
        venue_name="1 Victoria Street",
        venue_address="1 Victoria Street, London SW1H 0ET",
        summary="A small lunch on how AI systems used by government can be tested and audited.",
        description="Three places only: join the waitlist if it is full.",
        speakers=[
            (
                "Dr",
                "Isla Fraser",
                "Head of AI Assurance",
                "Department for Science, Innovation and Technology",
                "isla.fraser",
            )
        ],
        topics=["AI policy"],
    )
    if created:
        _book(full, ["jonah.whitfield", "esther.nwosu", "grace.pemberton"], dietary={"grace.pemberton": "Gluten-free"})
        _book(full, ["amelia.hart", "keira.adeyemi"], state="waitlisted", after_hours=24)

    _event(
        "Designing Services with Citizens",
        kind="workshop",
        state="published",
        audience="public",
        capacity=25,
        host=find_or_create_organisation("Government Digital Service", "government"),
        starts_at=_london(today + timedelta(days=21), 10),
        ends_at=_london(today + timedelta(days=21), 16),
        venue_name="The Civic Futures Trust",
        venue_address="12 Bloomsbury Square, London WC1A 2LP",
        summary="A hands-on day of user research methods for policy teams.",
        speakers=[("Prof", "Daniel Mercer", "Professor of Public Policy", "University of Cambridge", "daniel.mercer")],
        topics=["Public service reform", "Digital government"],
    )
    _event(
        "Net Zero and the Grid: Regulating for Flexibility",
        kind="seminar",
        state="published",
        audience="public",
        capacity=60,
        host=cambridge,
        starts_at=_london(today + timedelta(days=28), 17, 30),
        ends_at=_london(today + timedelta(days=28), 19),
        venue_name="Cambridge Judge Business School",
        venue_address="Trumpington Street, Cambridge CB2 1AG",
        online_url="https://meet.example.org/net-zero-grid",
        summary="What a flexible electricity system asks of regulators.",
        speakers=[("Dr", "Farid Haddad", "Director of Regulatory Affairs", "Northbridge Energy plc", "farid.haddad")],
        topics=["Energy and climate", "Innovation policy"],
    )
    roundtable, created = _event(
        "Data Sharing Across Departments",
        kind="roundtable",
        state="published",
        audience="invitation",
        capacity=12,
        host=host,
        starts_at=_london(today + timedelta(days=35), 9, 30),
        ends_at=_london(today + timedelta(days=35), 11),
        venue_name="Policy Lab, Cabinet Office",
        venue_address="70 Whitehall, London SW1A 2AS",
        summary="A closed discussion, by invitation, on the legal and practical limits of data sharing.",
        topics=["Data and privacy", "Digital government"],
    )
    if created:
        for local in ("amelia.hart", "esther.nwosu", "keira.adeyemi", "daniel.mercer"):
            fellow = _fellow(local)
            if fellow:
                db.session.add(EventInvitation(event_id=roundtable.id, user_id=fellow.id))
    _event(
        "The Economics of Science Funding",
        kind="lecture",
        state="published",
        audience="public",
        capacity=None,
        host=find_or_create_organisation("HM Treasury", "government"),
        starts_at=_london(today + timedelta(days=42), 18),
        ends_at=_london(today + timedelta(days=42), 19, 30),
        online_url="https://meet.example.org/science-funding",
        summary="An online lecture, open to all, on how public money for research is allocated.",
        speakers=[("Dr", "Liam Castellanos", "Economic Adviser", "HM Treasury", "liam.castellanos")],
        topics=["Science funding"],
    )
    _event(
        "Policy Fellowship Annual Conference",
        kind="conference",
        state="published",
        audience="fellows",
        capacity=150,
        host=host,
        starts_at=_london(today + timedelta(days=60), 9),
        ends_at=_london(today + timedelta(days=61), 17),
        venue_name="Institute of Directors",
        venue_address="116 Pall Mall, London SW1Y 5ED",
        summary="Two days of panels and workshops with fellows past and present.",
        topics=["Public service reform", "Innovation policy"],
    )
    _event(
        "Fellows' Summer Social",
        kind="other",
        state="published",
        audience="fellows",
        capacity=80,
        host=None,
        starts_at=_london(today + timedelta(days=75), 18),
        ends_at=_london(today + timedelta(days=75), 21),
        venue_name="Victoria Tower Gardens",
        venue_address="Millbank, London SW1P 3YB",
        summary="Drinks by the river for fellows and their guests.",
    )
    _event(
        "Health Data Roundtable",
        kind="roundtable",
        state="draft",
        audience="fellows",
        capacity=15,
        host=host,
        starts_at=_london(today + timedelta(days=90), 12, 30),
        ends_at=_london(today + timedelta(days=90), 14),
        summary="Still being planned: speakers to be confirmed.",
        topics=["Health policy", "Data and privacy"],
    )
    cancelled, created = _event(
        "Innovation Policy Breakfast",
        kind="lunch",
        state="cancelled",
        audience="fellows",
        capacity=20,
        host=find_or_create_organisation("Arcadia Systems Ltd", "company"),
        starts_at=_london(today + timedelta(days=10), 8),
        ends_at=_london(today + timedelta(days=10), 9, 30),
        venue_name="Arcadia Systems Ltd",
        venue_address="20 King's Cross Road, London N1 9AA",
        cancellation_reason="Our speaker is unwell. We will announce a new date soon.",
        sequence=1,
        topics=["Innovation policy"],
    )
    if created:
        _book(cancelled, ["hugo.baptiste", "isla.fraser"])
    db.session.flush()
