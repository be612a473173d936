"""Demo organisations, an organiser and a dozen Policy Fellows (all invented people)."""

from __future__ import annotations

from sqlalchemy import select

from core.tags import find_or_create_tag
from extensions import db
from fellows.models import Organisation, User
from fellows.services import find_or_create_organisation

DEMO_PASSWORD = "demo-password-2016"  # noqa: S105 - published demo sign-in, printed by `flask demo`
ORGANISER_EMAIL = "organiser@example.org"
FELLOW_EMAIL = "amelia.hart@example.org"

#: Domains reserved for examples (RFC 2606, RFC 6761): no real person has an address there.
EXAMPLE_DOMAINS = ("example.org", "example.com", "example.net", "example", "test", "invalid", "localhost")


def real_accounts() -> str | None:
    """Why the database looks live: accounts with addresses outside the reserved example domains."""
    real = [email for email in db.session.scalars(select(User.email)) if not _is_example(email)]
    if not real:
        return None
    return "1 account with a real address" if len(real) == 1 else f"{len(real)} accounts with real addresses"


def _is_example(email: str) -> bool:
    domain = email.rpartition("@")[2].lower()
    return any(domain == reserved or domain.endswith("." + reserved) for reserved in EXAMPLE_DOMAINS)


ORGANISATIONS = [
    ("Policy Lab, Cabinet Office", "government"),
    ("Cambridge Judge Business School", "university"),
    ("Department for Science, Innovation and Technology", "government"),
    ("HM Treasury", "government"),
    ("Government Digital Service", "government"),
    ("Greater London Authority", "government"),
    ("Arcadia Systems Ltd", "company"),
    ("Northbridge Energy plc", "company"),
    ("University of Cambridge", "university"),
    ("The Civic Futures Trust", "charity"),
]

TOPICS = [
    "Digital government",
    "Public service reform",
    "AI policy",
    "Data and privacy",
    "Energy and climate",
    "Health policy",
    "Science funding",
    "Innovation policy",
]

# (honorific, name, email local part, job title, organisation, sector, cohort, status, interests, visibility)
FELLOWS = [
    (
        "Dr",
        "Amelia Hart",
        "amelia.hart",
        "Deputy Director, Digital Strategy",
        "Department for Science, Innovation and Technology",
        "government",
        2016,
        "current",
        ["Digital government", "AI policy"],
        "public",
    ),
    (
        "",
        "Ben Okafor",
        "ben.okafor",
        "Head of Service Design",
        "Government Digital Service",
        "government",
        2016,
        "alumni",
        ["Digital government", "Public service reform"],
        "fellows",
    ),
    (
        "",
        "Chloe Lindqvist",
        "chloe.lindqvist",
        "Senior Policy Adviser",
        "HM Treasury",
        "government",
        2018,
        "current",
        ["Public service reform", "Science funding"],
        "fellows",
    ),
    (
        "Prof",
        "Daniel Mercer",
        "daniel.mercer",
        "Professor of Public Policy",
        "University of Cambridge",
        "academia",
        2015,
        "alumni",
        ["Public service reform", "Data and privacy"],
        "public",
    ),
    (
        "",
        "Esther Nwosu",
        "esther.nwosu",
        "Chief Data Officer",
        "Arcadia Systems Ltd",
        "industry",
        2019,
        "current",
        ["AI policy", "Data and privacy"],
        "fellows",
    ),
    (
        "Dr",
        "Farid Haddad",
        "farid.haddad",
        "Director of Regulatory Affairs",
        "Northbridge Energy plc",
        "industry",
        2017,
        "current",
        ["Energy and climate", "Innovation policy"],
        "organisers",
    ),
    (
        "",
        "Grace Pemberton",
        "grace.pemberton",
        "Programme Lead, Civic Participation",
        "Greater London Authority",
        "government",
        2020,
        "current",
        ["Digital government", "Public service reform"],
        "public",
    ),
    (
        "",
        "Hugo Baptiste",
        "hugo.baptiste",
        "Policy Manager",
        "The Civic Futures Trust",
        "civil_society",
        2021,
        "current",
        ["Health policy", "Public service reform"],
        "fellows",
    ),
    (
        "Dr",
        "Isla Fraser",
        "isla.fraser",
        "Head of AI Assurance",
        "Department for Science, Innovation and Technology",
        "government",
        2022,
        "current",
        ["AI policy", "Innovation policy"],
        "fellows",
    ),
    (
        "",
        "Jonah Whitfield",
        "jonah.whitfield",
        "Head of Public Affairs",
        "Arcadia Systems Ltd",
        "industry",
        2023,
        "current",
        ["AI policy", "Digital government"],
        "public",
    ),
    (
        "Ms",
        "Keira Adeyemi",
        "keira.adeyemi",
        "Strategy Director",
        "The Civic Futures Trust",
        "civil_society",
        2024,
        "current",
        ["Data and privacy", "Health policy"],
        "fellows",
    ),
    (
        "Dr",
        "Liam Castellanos",
        "liam.castellanos",
        "Economic Adviser",
        "HM Treasury",
        "government",
        2025,
        "current",
        ["Science funding", "Energy and climate"],
        "fellows",
    ),
]


def load() -> list[str]:
    """Create what is missing; existing records (matched by name or email) are left as they are.

    Returns the demo sign-ins, for ``flask demo`` to print."""
    for name, kind in ORGANISATIONS:
        find_or_create_organisation(name, kind)
    for topic in TOPICS:
        find_or_create_tag(topic)

    if db.session.scalar(select(User).where(User.email == ORGANISER_EMAIL)) is None:
        organiser = User(
            email=ORGANISER_EMAIL,
            name="Olivia Grant",
            role="organiser",
            job_title="Policy Programme Manager",
            visibility="organisers",
            links=[],
        )
        organiser.set_password(DEMO_PASSWORD)
        db.session.add(organiser)

    for honorific, name, local, job, org, sector, cohort, status, interests, visibility in FELLOWS:
        email = f"{local}@example.org"
        if db.session.scalar(select(User).where(User.email == email)) is not None:
            continue
        fellow = User(
            email=email,
            honorific=honorific or None,
            name=name,
            role="fellow",
            job_title=job,
            organisation=db.session.scalar(select(Organisation).where(Organisation.name == org)),
            sector=sector,
            cohort=cohort,
            fellow_status=status,
            visibility=visibility,
            interests=[find_or_create_tag(topic) for topic in interests],
            biography=f"{name.split()[0]} joined the Policy Fellowship in {cohort}. "
            f"Interested in **{interests[0].lower()}** and {interests[1].lower()}.",
            links=[],
        )
        fellow.set_password(DEMO_PASSWORD)
        db.session.add(fellow)
    db.session.flush()
    return [
        "Sign in with:",
        f"  organiser: {ORGANISER_EMAIL} / {DEMO_PASSWORD}",
        f"  fellow:    {FELLOW_EMAIL} / {DEMO_PASSWORD}",
    ]
