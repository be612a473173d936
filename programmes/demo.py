"""Demo data of the fellowship programme: appointments for the demo fellows, Amelia Hart's policy
questions about digital public services (the theme of the 2016 seed lunch), the expert network,
Amelia's first visit week six months ago (its meetings held, rated by her and by some experts), and her
coming visit week with its long list and first answers. Running it again adds nothing."""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from core.models import utcnow
from core.sealing import seal
from core.tags import find_or_create_tag
from core.timeutil import local_to_utc, local_today, to_local
from extensions import db
from fellows.models import User
from fellows.services import find_or_create_organisation
from programmes.briefs.services import snapshot
from programmes.experts.matching.semantic import refresh_embeddings
from programmes.models import (
    Appointment,
    BriefComment,
    BriefVersion,
    Expert,
    ExpertInvitation,
    FollowUp,
    ImpactQuote,
    ImpactRecord,
    Meeting,
    PanelMember,
    PolicyQuestion,
    RapidQuestion,
    VisitProgramme,
    VisitTarget,
)

FELLOW_EMAIL = "amelia.hart@example.org"

QUESTIONS = [
    (
        "How can digital public services stay usable for people who are rarely online?",
        "The department is moving benefit claims online; we want to keep an assisted route that works.",
        ["Digital government", "Public service reform"],
    ),
    (
        "What should a government do before using AI to triage casework?",
        "Evidence on error rates, appeal routes and how staff use recommendations.",
        ["AI policy", "Data and privacy"],
    ),
    (
        "How can departments share data about citizens without losing their trust?",
        None,
        ["Data and privacy", "Digital government"],
    ),
]

#: Two more current fellows' questions, close to Amelia's, so the workshop themes have something to gather.
THEME_QUESTIONS = {
    "esther.nwosu@example.org": [
        (
            "How should an AI system used in a public service be tested before it goes live?",
            "Our company supplies models to two departments; we want a shared way to check them.",
            ["AI policy", "Data and privacy"],
        )
    ],
    "chloe.lindqvist@example.org": [
        (
            "What evidence shows that moving a service online saves money without shutting people out?",
            None,
            ["Public service reform", "Digital government"],
        )
    ],
}


def _appointments(today: date) -> None:
    appointed = set(db.session.scalars(select(Appointment.fellow_id)))
    fellows = db.session.scalars(select(User).where(User.role == "fellow").order_by(User.id)).all()
    for fellow in fellows:
        if fellow.id in appointed or fellow.cohort is None:
            continue
        starts = date(fellow.cohort, 10, 1)
        ends = date(fellow.cohort + 2, 9, 30)
        tier = "policy_fellow"
        if fellow.email == FELLOW_EMAIL:
            # Amelia renewed as a Continuing Fellow; her tenure ends soon, so the organisers' list shows it.
            tier, ends = "continuing_fellow", today + timedelta(days=45)
        elif fellow.fellow_status == "current" and ends < today:
            ends = date(today.year + 1, 9, 30)
        db.session.add(
            Appointment(fellow_id=fellow.id, tier=tier, cohort=fellow.cohort, starts_on=starts, ends_on=ends)
        )


def _questions(fellow: User, questions=QUESTIONS) -> None:
    if db.session.scalar(select(PolicyQuestion.id).where(PolicyQuestion.fellow_id == fellow.id).limit(1)):
        return
    for text, context, topics in questions:
        db.session.add(
            PolicyQuestion(
                fellow_id=fellow.id,
                question=text,
                context=context,
                created_by_id=fellow.id,
                topics=[find_or_create_tag(topic) for topic in topics],
            )
        )


# (department, organisation, building or location, expertise)
PLACES = [
    (
        "Department of Computer Science and Technology",
        "University of Cambridge",
        "William Gates Building",
        ["Digital government", "AI policy"],
    ),
    (
        "Bennett Institute for Public Policy",
        "University of Cambridge",
        "Alison Richard Building",
        ["Public service reform", "Digital government"],
    ),
    (
        "Department of Politics and International Studies",
        "University of Cambridge",
        "Alison Richard Building",
        ["Public service reform"],
    ),
    ("Faculty of Law", "University of Cambridge", "David Williams Building", ["Data and privacy", "AI policy"]),
    (
        "Judge Business School",
        "Cambridge Judge Business School",
        "Judge Business School",
        ["Innovation policy", "Digital government"],
    ),
    ("Department of Engineering", "University of Cambridge", "Inglis Building", ["Energy and climate", "AI policy"]),
    ("Leverhulme Centre for the Future of Intelligence", "University of Cambridge", "16 Mill Lane", ["AI policy"]),
    (
        "Department of Public Health and Primary Care",
        "University of Cambridge",
        "Strangeways Research Laboratory",
        ["Health policy", "Data and privacy"],
    ),
    (
        "Data Science Unit",
        "Government Digital Service",
        "London: Whitechapel",
        ["Digital government", "Data and privacy"],
    ),
    ("Policy Lab", "Policy Lab, Cabinet Office", "London: Westminster", ["Public service reform"]),
]
FIRST_NAMES = ["Alex", "Priya", "Tom", "Hannah", "Yusuf", "Grace", "Daniel", "Mei", "Oliver", "Sara"]
LAST_NAMES = ["Ward", "Shah", "Fletcher", "Nowak"]
TITLES = ["Professor", "Reader", "Senior Research Associate", "Lecturer"]
BIOS = {
    "Digital government": "Studies how citizens use online public services, assisted digital support, service design.",
    "Public service reform": "Works on public service reform, local delivery and how evidence reaches policy.",
    "AI policy": "Researches machine learning in the public sector, accountability, automated decisions.",
    "Data and privacy": "Works on data sharing between departments, privacy law and public trust in data use.",
    "Innovation policy": "Researches innovation policy, procurement and government as a customer of technology.",
    "Energy and climate": "Works on energy systems, net zero and infrastructure planning.",
    "Health policy": "Researches health data, NHS services and digital inclusion in primary care.",
}


def _experts() -> None:
    if db.session.scalar(select(Expert.id).limit(1)):
        return
    for n in range(40):
        department, organisation, location, topics = PLACES[n % len(PLACES)]
        first, last = FIRST_NAMES[n % len(FIRST_NAMES)], LAST_NAMES[n // len(FIRST_NAMES)]
        db.session.add(
            Expert(
                name=f"{first} {last}",
                title=f"{TITLES[n % len(TITLES)]}, {department}" if n % 3 else TITLES[n % len(TITLES)],
                department=department,
                organisation=find_or_create_organisation(organisation),
                location=location,
                email=f"{first.lower()}.{last.lower()}@experts.example.org",
                biography=" ".join(BIOS[topic] for topic in topics),
                meeting_mode="online" if location.startswith("London") and n % 2 else "in_person",
                do_not_contact=n == 39,
                topics=[find_or_create_tag(topic) for topic in topics],
            )
        )


def _visit(fellow: User, today: date) -> None:
    """Amelia's visit week, four weeks ahead: six experts on the long list, three invited (one accepted,
    one declined suggesting a colleague, one not answered yet), and two meetings wanted about her first
    question."""
    if db.session.scalar(select(VisitProgramme.id).where(VisitProgramme.fellow_id == fellow.id).limit(1)):
        return
    monday = today + timedelta(days=28 - today.weekday())
    if (monday.month, monday.day) >= (12, 15) or (monday.month, monday.day) <= (1, 4):
        monday += timedelta(days=21)  # nobody plans a visit week over Christmas and New Year
    _past_visit(fellow, monday)
    visit = VisitProgramme(
        fellow_id=fellow.id,
        starts_on=monday,
        ends_on=monday + timedelta(days=4),
        home_location="Alison Richard Building",
    )
    db.session.add(visit)
    db.session.flush()
    questions, experts = _questions_and_experts(fellow)
    answers = ["accepted", "declined", "invited", "listed", "listed", "listed"]
    for n, (expert, status) in enumerate(zip(experts, answers, strict=False)):
        invitation = ExpertInvitation(
            programme=visit,
            expert=expert,
            question=questions[n % len(questions)] if questions else None,
            status=status,
            available=[],
        )
        if status != "listed":
            token = secrets.token_urlsafe(32)
            invitation.token_hash, invitation.sealed_token = ExpertInvitation.hash(token), seal({"token": token})
            invitation.invited_at = utcnow() - timedelta(days=2)
            invitation.brief_version = 2
            invitation.opened_at = utcnow() - timedelta(days=1, hours=6)  # the funnel's "opened"
        if status == "accepted":
            invitation.available = [str(half) for half in visit.half_days()[:4]]
            invitation.responded_at = utcnow() - timedelta(days=1)
            # Already in the timetable (as if solved), so the itinerary has a meeting to show.
            starts = local_to_utc(datetime.combine(visit.starts_on, time(10, 0)))
            db.session.add(
                Meeting(
                    programme=visit,
                    invitation=invitation,
                    starts_at=starts,
                    ends_at=starts + timedelta(minutes=visit.meeting_minutes),
                    place=expert.location,
                )
            )
        if status == "declined":
            invitation.suggestion = "My colleague Dr Ana Ruiz works on assisted digital services."
            invitation.responded_at = utcnow() - timedelta(days=1)
        db.session.add(invitation)
    if questions:
        # Two meetings wanted about the first question: one accepted, one waiting, so inviting asks one more.
        db.session.add(VisitTarget(programme=visit, question=questions[0], meetings=2))


def _questions_and_experts(fellow: User) -> tuple[list[PolicyQuestion], list[Expert]]:
    """The fellow's questions and the experts who may be contacted, in the order they were added."""
    questions = db.session.scalars(
        select(PolicyQuestion).where(PolicyQuestion.fellow_id == fellow.id).order_by(PolicyQuestion.id)
    ).all()
    experts = db.session.scalars(select(Expert).where(Expert.do_not_contact.is_(False)).order_by(Expert.id)).all()
    return list(questions), list(experts)


#: Amelia's ratings (1–5) and follow-ups of her first visit's meetings, then the experts' own.
PAST_FEEDBACK = [
    (5, "Send the assisted-digital survey results; ask about a return visit in the spring.", 5, "Useful questions."),
    (4, "Read the Bennett Institute paper on local delivery.", None, None),
    (4, None, 4, "Would be glad to meet again with the casework team."),
    (3, "Not the right match for the triage question: ask for a colleague in Law.", None, None),
    (5, "Introduce her to the department's data ethics board.", None, None),
]


#: The follow-ups agreed at the first past meetings (by meeting, as PAST_FEEDBACK): the action, who does
#: it, when it is due (days after the meeting; None: two weeks from today) and whether it is done.
PAST_FOLLOW_UPS = {
    0: [
        ("Send the assisted-digital survey results", "fellow", 7, True),
        ("Ask about a return visit in the spring", "organiser", None, False),
    ],
    1: [("Read the Bennett Institute paper on local delivery", "fellow", 14, True)],
    3: [("Ask for a colleague in Law for the triage question", "organiser", 21, False)],
    4: [("Introduce Amelia to the department's data ethics board", "expert", 28, False)],
}


#: The second question as the first version of Amelia's brief put it, before the office's comment.
FIRST_WORDING = "Should a government use AI to triage casework?"


def _briefs(fellow: User, organiser: User | None, issued_at) -> None:
    """Amelia's brief in two rounds: version 1 (sent with her first visit's invitations), the office's
    comment on it, her reply, and version 2 with the second question reworded (sent with the coming one)."""
    current = snapshot(db.session.scalars(select(PolicyQuestion).where(PolicyQuestion.fellow_id == fellow.id)))
    first = [dict(item) for item in current]
    if len(first) > 1:
        first[1] = {**first[1], "question": FIRST_WORDING, "context": None}
    by = organiser.id if organiser else None
    db.session.add_all(
        [
            BriefVersion(fellow_id=fellow.id, number=1, questions=first, issued_by_id=by, issued_at=issued_at),
            BriefComment(
                fellow_id=fellow.id,
                author_id=by,
                after=1,
                body="The AI question is a yes/no one: experts will say more if it asks what to do first. "
                "A line of background on error rates would help them too.",
                created_at=issued_at + timedelta(weeks=10),
            ),
            BriefComment(
                fellow_id=fellow.id,
                author_id=fellow.id,
                after=1,
                body="Reworded, and background added.",
                created_at=issued_at + timedelta(weeks=11),
            ),
            BriefVersion(
                fellow_id=fellow.id,
                number=2,
                questions=current,
                note="The AI question reworded, with background",
                issued_by_id=by,
                issued_at=issued_at + timedelta(weeks=12),
            ),
        ]
    )


def _past_visit(fellow: User, first_monday: date) -> None:
    """Amelia's first visit week, 26 weeks before the coming one: five meetings held (on the first
    question, the second and the third), rated, with follow-ups; one expert declined, one never answered
    (the invitation expired; the link retired when the visit began)."""
    monday = first_monday - timedelta(weeks=26)
    visit = VisitProgramme(
        fellow_id=fellow.id,
        starts_on=monday,
        ends_on=monday + timedelta(days=4),
        home_location="Alison Richard Building",
    )
    db.session.add(visit)
    db.session.flush()
    questions, experts = _questions_and_experts(fellow)
    invited_at = utcnow() - timedelta(weeks=30)
    organiser = db.session.scalar(select(User).where(User.role == "organiser").order_by(User.id).limit(1))
    _briefs(fellow, organiser, invited_at - timedelta(days=1))
    held: list[Meeting] = []
    for n, expert in enumerate(experts[10:17]):
        status = "accepted" if n < len(PAST_FEEDBACK) else ("declined" if n == len(PAST_FEEDBACK) else "expired")
        invitation = ExpertInvitation(
            programme=visit,
            expert=expert,
            question=questions[min(n // 2, len(questions) - 1)] if questions else None,
            status=status,
            available=[str(half) for half in visit.half_days()[(n % 5) * 2 : (n % 5) * 2 + 2]]
            if status == "accepted"
            else [],
            invited_at=invited_at,
            brief_version=1,
            responded_at=invited_at + timedelta(days=3) if status != "expired" else None,
            expired_at=invited_at + timedelta(days=visit.expire_after_days) if status == "expired" else None,
        )
        db.session.add(invitation)
        if status != "accepted":
            continue
        rating, follow_up, expert_rating, expert_comment = PAST_FEEDBACK[n]
        starts = local_to_utc(datetime.combine(monday + timedelta(days=n % 5), time((10, 11, 14)[n % 3], 0)))
        meeting = Meeting(
            programme=visit,
            invitation=invitation,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=visit.meeting_minutes),
            place=None if expert.meeting_mode == "online" else expert.location,
            rating=rating,
            follow_up=follow_up,
            expert_rating=expert_rating,
            expert_comment=expert_comment,
        )
        db.session.add(meeting)
        _follow_ups(meeting, fellow, n)
        held.append(meeting)
    _impact(fellow, held, monday)


def _impact(fellow: User, meetings: list[Meeting], monday: date) -> None:
    """What came of Amelia's first visit: a change in her department's guidance, drawn from two of its
    meetings, with a quote its speaker agreed to."""
    record = ImpactRecord(
        fellow_id=fellow.id,
        title="Assisted-digital support written into the service standard",
        what_changed=(
            "The department's service standard now asks every new online service to plan assisted-digital "
            "support from its first phase, after the survey results and the data ethics board's review."
        ),
        evidence="Service standard, revision 4 (section 2.3), published eight weeks after the visit.",
        happened_on=monday + timedelta(weeks=8),
        meetings=meetings[:2],
        created_by_id=fellow.id,
    )
    record.quotes.append(
        ImpactQuote(
            text="The fellowship meetings gave us the evidence to make assisted digital a day-one requirement.",
            speaker="Deputy Director, Digital Services",
            consent_on=monday + timedelta(weeks=9),
        )
    )
    db.session.add(record)


def _follow_ups(meeting: Meeting, fellow: User, n: int) -> None:
    """The ledger of a past meeting: done, overdue (nudged on its day) and one still ahead."""
    met_on = to_local(meeting.starts_at).date()
    for action, owner, after, done in PAST_FOLLOW_UPS.get(n, []):
        due_on = met_on + timedelta(days=after) if after is not None else local_today() + timedelta(weeks=2)
        due_at = local_to_utc(datetime.combine(due_on, time(8, 0)))
        db.session.add(
            FollowUp(
                meeting=meeting,
                action=action,
                owner=owner,
                due_on=due_on,
                done_at=due_at - timedelta(days=2) if done else None,
                nudged_at=due_at if due_at <= utcnow() else None,
                created_by_id=fellow.id,
                created_at=meeting.ends_at,
            )
        )


RAPID_QUESTION = "What does the evidence say about four-day working weeks for public servants?"
RAPID_ANSWERS = [
    "Trials in local government kept service levels steady while sickness absence fell; the gains depend on "
    "redesigning rotas, not compressing hours.\n\nThe strongest evidence is from councils that measured "
    "outcomes before and after, for at least a year.",
    "The evidence for frontline services is thin: most trials are of office teams. A pilot should pick "
    "measures in advance and include a service that runs around the clock.",
]


def _rapid(organiser: User | None, today: date) -> None:
    """A rapid-response question due in three days: a panel of three, two of whom have answered."""
    if db.session.scalar(select(RapidQuestion.id).limit(1)):
        return
    topic = find_or_create_tag("Public service reform")
    rapid = RapidQuestion(
        question=RAPID_QUESTION,
        context="HM Treasury's workforce team is briefing on a pilot and wants the evidence within the week.",
        topics=[topic],
        deadline_at=local_to_utc(datetime.combine(today + timedelta(days=3), time(17, 0))),
        created_by_id=organiser.id if organiser else None,
    )
    experts = db.session.scalars(
        select(Expert)
        .where(Expert.topics.any(id=topic.id), Expert.do_not_contact.is_(False))
        .order_by(Expert.id)
        .limit(3)
    ).all()
    asked_at = utcnow() - timedelta(days=1)
    for n, expert in enumerate(experts):
        token = secrets.token_urlsafe(24)
        member = PanelMember(
            expert=expert,
            status="asked",
            asked_at=asked_at,
            token_hash=PanelMember.hash(token),
            sealed_token=seal({"token": token}),
            reasons="Expertise in Public service reform",
        )
        if n < len(RAPID_ANSWERS):
            member.opened_at = asked_at + timedelta(hours=2)
            member.answer, member.answered_at = RAPID_ANSWERS[n], asked_at + timedelta(hours=5 + n)
        rapid.panel.append(member)
    db.session.add(rapid)


def load() -> list[str]:
    today = local_today()
    _appointments(today)
    fellow = db.session.scalar(select(User).where(User.email == FELLOW_EMAIL))
    if fellow is not None:
        _questions(fellow)
    for email, questions in THEME_QUESTIONS.items():
        if (other := db.session.scalar(select(User).where(User.email == email))) is not None:
            _questions(other, questions)
    _experts()
    db.session.flush()
    refresh_embeddings(list(db.session.scalars(select(Expert))))  # semantic matching reads them stored
    if fellow is not None:
        _visit(fellow, today)
        db.session.flush()
    _rapid(db.session.scalar(select(User).where(User.role == "organiser").order_by(User.id)), today)
    db.session.flush()
    return []
