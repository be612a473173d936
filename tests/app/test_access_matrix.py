"""The access matrix: every route of the URL map × every kind of visitor, with the outcome written down.

Visitors: anonymous; a fellow (Ada, who owns the booking, the profile and the calendar feed the URLs
name); another fellow (Grace); an organiser. Routes reached by a private link (invitation, reset,
review, calendar feed) are checked with the real token (allowed for anyone holding it) and with a
forged one (404 for everyone). A route added without an entry here fails
``test_every_route_has_an_entry``, so no page is added without someone deciding who may use it.

Outcomes: OK (allowed: the request is answered — a page, a redirect that is not to sign-in, or a 400
for an empty form), LOGIN (302 to the sign-in page), DENIED (403) and HIDDEN (404: the visitor may not
know the thing exists). Refusals are checked for every method; allowed POSTs each run on fresh data,
because an allowed POST changes it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from app import create_app
from core.mail import opened_bodies
from core.models import OutboxMessage, StoredImage, Tag
from core.sealing import open_seal
from events.models import Event, EventInvitation
from extensions import db
from fellows.models import JoinRequest, Organisation, User
from programmes.models import (
    Appointment,
    Expert,
    ExpertInvitation,
    FollowUp,
    ImpactQuote,
    ImpactRecord,
    Meeting,
    PanelMember,
    PolicyQuestion,
    RapidQuestion,
    TimetableProposal,
    VisitProgramme,
)
from writeups.models import Note, NoteRevision

OK, LOGIN, DENIED, HIDDEN = "ok", "login", "denied", "hidden"
ROLES = ("anonymous", "fellow", "other", "organiser")

PUBLIC = (OK, OK, OK, OK)
SIGNED_IN = (LOGIN, OK, OK, OK)
ORGANISERS = (LOGIN, DENIED, DENIED, OK)
#: Reached by a private link: allowed with the real token, HIDDEN with a forged one, whoever asks.
TOKEN = "token"

EXPECTED: dict[tuple[str, str], tuple[str, str, str, str] | str] = {
    # Core
    ("core.home", "GET"): PUBLIC,
    ("core.privacy", "GET"): PUBLIC,
    ("core.security_txt", "GET"): PUBLIC,
    ("core.outbox", "GET"): ORGANISERS,
    ("core.retry", "POST"): ORGANISERS,
    ("core.clear_undeliverable", "POST"): ORGANISERS,
    ("core.audit_log", "GET"): ORGANISERS,
    # Accounts
    ("auth.login", "GET"): PUBLIC,
    ("auth.login", "POST"): PUBLIC,
    ("auth.logout", "POST"): PUBLIC,
    ("auth.join", "GET"): PUBLIC,
    ("auth.join", "POST"): PUBLIC,
    ("auth.forgot_password", "GET"): PUBLIC,
    ("auth.forgot_password", "POST"): PUBLIC,
    ("auth.reset_password", "GET"): TOKEN,
    # An unsubscribe link from an email about a new event: no sign-in, the signed token is the key.
    ("auth.unsubscribe", "GET"): TOKEN,
    ("auth.unsubscribe", "POST"): TOKEN,
    ("auth.reset_password", "POST"): TOKEN,
    ("auth.accept_invitation", "GET"): TOKEN,
    ("auth.accept_invitation", "POST"): TOKEN,
    ("auth.account", "GET"): SIGNED_IN,
    # The code step of two-step sign-in: without a right password first it sends one to sign in.
    ("auth.two_step_code", "GET"): SIGNED_IN,
    ("auth.two_step_code", "POST"): SIGNED_IN,
    ("auth.two_step", "GET"): SIGNED_IN,
    ("auth.two_step_on", "POST"): SIGNED_IN,
    ("auth.two_step_off", "POST"): SIGNED_IN,
    ("auth.two_step_codes", "POST"): SIGNED_IN,
    ("auth.two_step_forget_devices", "POST"): SIGNED_IN,
    ("fellows_manage.switch_off_two_step", "POST"): ORGANISERS,
    ("auth.account", "POST"): SIGNED_IN,
    ("auth.delete_account", "POST"): SIGNED_IN,
    ("auth.email_preferences", "POST"): SIGNED_IN,
    ("auth.export_data", "POST"): SIGNED_IN,
    # Profiles and the directory (Ada's profile is for signed-in fellows)
    ("fellows.directory", "GET"): SIGNED_IN,
    ("fellows.profile", "GET"): (HIDDEN, OK, OK, OK),  # a profile hidden from the visitor is not revealed
    ("fellows.photo", "GET"): (HIDDEN, OK, OK, OK),
    ("fellows.my_profile", "GET"): SIGNED_IN,
    # Organiser accounts have no profile of their own; they edit fellows on the organisers' pages.
    ("fellows.edit_profile", "GET"): (LOGIN, OK, OK, DENIED),
    ("fellows.edit_profile", "POST"): (LOGIN, OK, OK, DENIED),
    ("organisations.detail", "GET"): SIGNED_IN,
    # Events (the event is for fellows; Ada has a place)
    ("events.index", "GET"): PUBLIC,
    ("events.detail", "GET"): SIGNED_IN,
    ("calendar.event_ics", "GET"): SIGNED_IN,
    ("events.book", "POST"): SIGNED_IN,
    ("events.decline_invitation", "POST"): SIGNED_IN,
    ("events.cancel_booking", "POST"): (LOGIN, OK, HIDDEN, HIDDEN),
    ("events.my_bookings", "GET"): SIGNED_IN,
    ("calendar.public_feed", "GET"): PUBLIC,
    ("calendar.personal_feed", "GET"): TOKEN,
    ("calendar.mine", "GET"): SIGNED_IN,
    ("calendar.reset_link", "POST"): SIGNED_IN,
    ("calendar.settings", "POST"): SIGNED_IN,
    # Write-ups (the published one is for fellows)
    ("notes.index", "GET"): PUBLIC,
    ("notes.detail", "GET"): SIGNED_IN,
    ("notes.image", "GET"): SIGNED_IN,
    ("notes.feed", "GET"): PUBLIC,
    ("notes.review", "GET"): TOKEN,
    ("notes.review", "POST"): TOKEN,
    ("notes.review_image", "GET"): TOKEN,
    # The fellowship programme (Ada's own questions; Grace may not see them)
    ("programmes.mine", "GET"): SIGNED_IN,
    ("programmes.questions", "GET"): (LOGIN, OK, HIDDEN, OK),
    ("programmes.questions", "POST"): (LOGIN, OK, HIDDEN, OK),
    ("programmes.edit_question", "GET"): (LOGIN, OK, HIDDEN, OK),
    ("programmes.edit_question", "POST"): (LOGIN, OK, HIDDEN, OK),
    ("programmes.remove_question", "POST"): (LOGIN, OK, HIDDEN, OK),
    ("programmes.brief", "GET"): (LOGIN, OK, HIDDEN, OK),
    ("programmes.brief", "POST"): (LOGIN, OK, HIDDEN, OK),
    ("programmes.issue_brief", "POST"): ORGANISERS,
    # A visit's itinerary and meeting feedback: the fellow whose visit it is, and organisers
    ("programmes.itinerary", "GET"): (LOGIN, OK, HIDDEN, OK),
    ("programmes.itinerary_pdf", "GET"): (LOGIN, OK, HIDDEN, OK),
    ("programmes.rate_meeting", "POST"): (LOGIN, OK, HIDDEN, OK),
    ("programmes.add_follow_up", "POST"): (LOGIN, OK, HIDDEN, OK),
    ("programmes.mark_follow_up_done", "POST"): (LOGIN, OK, HIDDEN, OK),
    ("programmes.reopen_follow_up", "POST"): (LOGIN, OK, HIDDEN, OK),
    ("programmes.remove_follow_up", "POST"): (LOGIN, OK, HIDDEN, OK),
    ("programmes.edit_follow_up", "GET"): (LOGIN, OK, HIDDEN, OK),
    ("programmes.edit_follow_up", "POST"): (LOGIN, OK, HIDDEN, OK),
    # A fellow's impact records and story: the fellow and organisers
    ("programmes.impact", "GET"): (LOGIN, OK, HIDDEN, OK),
    ("programmes.impact", "POST"): (LOGIN, OK, HIDDEN, OK),
    ("programmes.impact_story", "GET"): (LOGIN, OK, HIDDEN, OK),
    ("programmes.edit_impact", "GET"): (LOGIN, OK, HIDDEN, OK),
    ("programmes.edit_impact", "POST"): (LOGIN, OK, HIDDEN, OK),
    ("programmes.remove_impact", "POST"): (LOGIN, OK, HIDDEN, OK),
    ("programmes.add_quote", "POST"): (LOGIN, OK, HIDDEN, OK),
    ("programmes.remove_quote", "POST"): (LOGIN, OK, HIDDEN, OK),
    # An expert's private link (no account): the token is the only key, whoever holds it.
    ("programmes.expert_invitation", "GET"): TOKEN,
    ("programmes.expert_invitation", "POST"): TOKEN,
    ("programmes.expert_remove_me", "POST"): TOKEN,
    ("programmes.expert_feedback", "POST"): TOKEN,
    ("programmes.expert_calendar", "POST"): TOKEN,
    ("programmes.expert_calendar_confirm", "POST"): TOKEN,
    ("programmes.withhold_story_name", "POST"): TOKEN,
    ("programmes.name_in_story", "POST"): TOKEN,
    ("programmes.panel_answer", "GET"): TOKEN,
    ("programmes.panel_answer", "POST"): TOKEN,
    # Organisers' pages
    **{
        (endpoint, method): ORGANISERS
        for endpoint, methods in {
            "events.manage": "GET",
            "events.create": "GET POST",
            "events.edit": "GET POST",
            "events.publish": "POST",
            "events.cancel": "GET POST",
            "events.delete": "POST",
            "events.duplicate": "POST",
            "events.history": "GET",
            "events.change_capacity": "POST",
            "events.attendees": "GET",
            "events.messages": "GET POST",
            "events.send_message": "POST",
            "events.export_attendees": "GET",
            "events.export_catering": "GET",
            "events.add_booking": "POST",
            "events.remove_booking": "POST",
            "events.promote_booking": "POST",
            "events.record_attendance": "POST",
            "events.check_in": "GET",
            "events.check_in_booking": "POST",
            "events.sign_in_sheet": "GET",
            "events.badges": "GET",
            "events.invitations": "GET",
            "events.invite": "POST",
            "events.invite_interest": "POST",
            "events.withdraw_invitation": "POST",
            "calendar_import.upload": "GET POST",
            "calendar_import.confirm": "POST",
            "notes.manage": "GET",
            "notes.choose_event": "GET",
            "notes.create": "GET POST",
            "notes.create_about": "POST",
            "notes.note": "GET",
            "notes.edit": "GET POST",
            "notes.preview": "GET",
            "notes.submit": "POST",
            "notes.publish": "POST",
            "notes.unpublish": "POST",
            "notes.revisions": "GET",
            "notes.restore": "POST",
            "notes.create_review_link": "POST",
            "notes.revoke_review_link": "POST",
            "fellows_manage.fellows": "GET",
            "fellows_manage.invite": "GET POST",
            "fellows_manage.edit_fellow": "GET POST",
            "fellows_manage.deactivate": "POST",
            "fellows_manage.reactivate": "POST",
            "fellows_manage.send_invitation": "POST",
            "fellows_manage.revoke_invitation": "POST",
            "fellows_manage.export_fellows": "GET",
            "fellows_manage.import_csv": "GET POST",
            "fellows_manage.confirm_import": "POST",
            "fellows_manage.import_done": "GET",
            "fellows_manage.invite_imported": "POST",
            "fellows_manage.join_requests": "GET",
            "fellows_manage.approve_join_request": "POST",
            "fellows_manage.decline_join_request": "POST",
            "fellows_manage.organisations": "GET",
            "fellows_manage.new_organisation": "GET POST",
            "fellows_manage.edit_organisation": "GET POST",
            "fellows_manage.tags": "GET POST",
            "fellows_manage.edit_tag": "GET POST",
            "fellows_manage.remove_tag": "POST",
            "programmes_manage.experts": "GET",
            "programmes_manage.new_expert": "GET POST",
            "programmes_manage.edit_expert": "GET POST",
            "programmes_manage.merge_expert": "POST",
            "programmes_manage.import_experts": "GET POST",
            "programmes_manage.confirm_expert_import": "POST",
            "programmes_manage.tenures": "GET",
            "programmes_manage.new_appointment": "GET POST",
            "programmes_manage.edit_appointment": "GET POST",
            "programmes_manage.visits": "GET",
            "programmes_manage.new_visit": "GET POST",
            "programmes_manage.visit": "GET",
            "programmes_manage.edit_visit": "GET POST",
            "programmes_manage.add_to_list": "POST",
            "programmes_manage.send_invitations": "POST",
            "programmes_manage.save_targets": "POST",
            "programmes_manage.remove_from_list": "POST",
            "programmes_manage.busy_import": "GET POST",
            "programmes_manage.confirm_busy_import": "POST",
            "programmes_manage.timetable": "GET",
            "programmes_manage.dashboard": "GET",
            "programmes_manage.network": "GET",
            "programmes_manage.themes": "GET",
            "programmes_manage.export_dashboard": "GET",
            "programmes_manage.export_impact": "GET",
            "programmes_manage.rapid_questions": "GET",
            "programmes_manage.new_rapid_question": "GET POST",
            "programmes_manage.rapid_question": "GET",
            "programmes_manage.add_to_panel": "POST",
            "programmes_manage.remove_panel_member": "POST",
            "programmes_manage.ask_panel": "POST",
            "programmes_manage.thank_panel": "POST",
            "programmes_manage.solve": "POST",
            "programmes_manage.travel_time": "POST",
            "programmes_manage.move_meeting": "POST",
            "programmes_manage.unpin_meeting": "POST",
            "programmes_manage.cancel_meeting": "POST",
            "programmes_manage.repair_timetable": "POST",
            "programmes_manage.repair_proposal": "GET",
            "programmes_manage.apply_repair": "POST",
        }.items()
        for method in methods.split()
    },
}


@dataclass
class World:
    users: dict[str, User]
    args: dict[str, int]
    tokens: dict[str, str]


def _image() -> StoredImage:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (30, 90, 160)).save(out, format="WEBP")
    return StoredImage(content_type="image/webp", width=8, height=8, data=out.getvalue())


def _sealed_link(kind: str) -> str:
    message = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)).one()
    return open_seal(message.sealed_values)["link"].rsplit("/", 1)[1]


@pytest.fixture
def world(app, make_fellow, make_organiser) -> World:
    """One of everything a URL can name, each owned by the visitor it should be."""
    from events.bookings.services import book_place
    from events.calendar.tokens import make_calendar_token
    from fellows.services import invite_fellow, request_password_reset
    from fellows.unsubscribe import unsubscribe_token
    from writeups.reviews import create_review_link

    organiser = make_organiser(name="Olivia Organiser")
    fellow = make_fellow(name="Ada Lovelace", email="ada@example.org", visibility="fellows")
    other = make_fellow(name="Grace Hopper", email="grace@example.org", visibility="fellows")
    now = datetime.now(UTC).replace(microsecond=0)
    with app.app_context():
        ada = db.session.get(User, fellow.id)
        organisation = Organisation(name="Policy Lab", kind="government")
        tag = Tag(name="Digital government", slug="digital-government")
        ada.photo = _image()
        ada.organisation = organisation
        upcoming = Event(
            title="Data lunch",
            kind="lunch",
            state="published",
            audience="fellows",
            capacity=10,
            starts_at=now + timedelta(days=7),
            ends_at=now + timedelta(days=7, hours=2),
        )
        private = Event(
            title="Roundtable",
            kind="roundtable",
            state="published",
            audience="invitation",
            starts_at=now + timedelta(days=9),
            ends_at=now + timedelta(days=9, hours=2),
        )
        past = Event(
            title="Last month's lunch",
            kind="lunch",
            state="published",
            audience="fellows",
            starts_at=now - timedelta(days=30),
            ends_at=now - timedelta(days=30, hours=-2),
        )
        db.session.add_all([organisation, tag, upcoming, private, past])
        db.session.flush()
        booking = book_place(ada, upcoming)
        invitation = EventInvitation(event_id=private.id, user_id=ada.id)
        note = Note(
            event_id=past.id,
            title="What we heard",
            summary="Summary.",
            body="Discussion.",
            state="published",
            audience="fellows",
            published_at=now - timedelta(days=20),
            image=_image(),
        )
        draft = Note(event_id=past.id, title="Draft", summary="", body="Draft.", state="in_review", audience="fellows")
        request = JoinRequest(name="Nadia", email="nadia@example.org", organisation_name="HM Treasury", reason="Hi")
        db.session.add_all([invitation, note, draft, request])
        db.session.flush()
        revision = NoteRevision(note_id=note.id, number=1, title=note.title, body=note.body, audience="fellows")
        db.session.add(revision)
        organiser_row = db.session.get(User, organiser.id)
        link, review_token = create_review_link(draft, organiser_row, "Mark", "mark@example.org")
        draft.image = _image()
        invited = User(email="invited@example.org", name="Invited Person", role="fellow", visibility="fellows")
        db.session.add(invited)
        db.session.flush()
        invite_fellow(invited, organiser_row)
        request_password_reset(other.email)
        failed = OutboxMessage(
            to_address="x@example.org", subject="S", text_body="T", kind="test", status="failed", attempts=6
        )
        db.session.add(failed)
        from core.models import MailSuppression

        bounced = MailSuppression(address="gone@example.org", reason="550 5.1.1 user unknown", source="smtp")
        db.session.add(bounced)
        calendar_token = make_calendar_token(ada)
        appointment = Appointment(
            fellow_id=ada.id, cohort=2026, starts_on=now.date(), ends_on=now.date() + timedelta(days=700)
        )
        question = PolicyQuestion(fellow_id=ada.id, question="How should AI be regulated?")
        expert = Expert(name="Dr Expert", email="expert@example.org")
        invited_expert = Expert(name="Prof Invited", email="invited.expert@example.org")
        visit = VisitProgramme(
            fellow_id=ada.id, starts_on=now.date() + timedelta(days=30), ends_on=now.date() + timedelta(days=34)
        )
        listed = ExpertInvitation(programme=visit, expert=expert, status="listed", available=[])
        expert_token = "expert-link-token-for-the-access-matrix"
        asked = ExpertInvitation(
            programme=visit,
            expert=invited_expert,
            status="invited",
            available=[],
            token_hash=ExpertInvitation.hash(expert_token),
        )
        meeting = Meeting(
            programme=visit,
            invitation=asked,
            starts_at=now - timedelta(days=1, hours=2),
            ends_at=now - timedelta(days=1, hours=1),
        )
        proposal = TimetableProposal(programme=visit, fingerprint="0" * 64, changes=[])
        follow_up = FollowUp(meeting=meeting, action="Send the paper", owner="fellow", due_on=now.date())
        impact = ImpactRecord(
            fellow_id=ada.id, title="Guidance rewritten", what_changed="The triage guidance.", meetings=[meeting]
        )
        quote = ImpactQuote(record=impact, text="It helped.", speaker="A director", consent_on=now.date())
        db.session.add_all(
            [appointment, question, expert, invited_expert, visit, listed, asked, meeting, proposal, follow_up]
        )
        panel_token = "panel-link-token-for-the-access-matrix"
        rapid = RapidQuestion(question="What works against loneliness?", deadline_at=now + timedelta(days=3))
        member = PanelMember(
            question=rapid, expert=invited_expert, status="asked", token_hash=PanelMember.hash(panel_token)
        )
        db.session.add_all([impact, quote, rapid, member])
        db.session.commit()
        world = World(
            users={"fellow": fellow, "other": other, "organiser": organiser},
            args={
                "event_id": upcoming.id,
                "booking_id": booking.id,
                "user_id": ada.id,
                "org_id": organisation.id,
                "tag_id": tag.id,
                "note_id": note.id,
                "revision_id": revision.id,
                "link_id": link.id,
                "draft_note_id": draft.id,
                "invitation_id": invitation.id,
                "request_id": request.id,
                "message_id": failed.id,
                "suppression_id": bounced.id,
                "filename": "favicon.svg",
                "fellow_id": ada.id,
                "question_id": question.id,
                "appointment_id": appointment.id,
                "expert_id": expert.id,
                "visit_id": visit.id,
                "kind": "visit",
                "subject_id": visit.id,
                "expert_invitation_id": listed.id,
                "asked_invitation_id": asked.id,
                "meeting_id": meeting.id,
                "proposal_id": proposal.id,
                "follow_up_id": follow_up.id,
                "record_id": impact.id,
                "quote_id": quote.id,
                "rapid_id": rapid.id,
                "member_id": member.id,
            },
            tokens={
                "auth.reset_password": _sealed_link("password_reset"),
                "auth.accept_invitation": _sealed_link("invitation"),
                "auth.unsubscribe": unsubscribe_token(ada),
                "notes.review": review_token,
                "notes.review_image": review_token,
                "calendar.personal_feed": calendar_token,
                "programmes.expert_invitation": expert_token,
                "programmes.expert_remove_me": expert_token,
                "programmes.expert_feedback": expert_token,
                "programmes.expert_calendar": expert_token,
                "programmes.expert_calendar_confirm": expert_token,
                "programmes.withhold_story_name": expert_token,
                "programmes.name_in_story": expert_token,
                "programmes.panel_answer": panel_token,
            },
        )
        assert all(opened_bodies(m) for m in db.session.scalars(select(OutboxMessage)))
    return world


def _rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


#: Where a URL names two things, the second must belong to the first: the review link is the draft's.
ARGUMENTS = {
    "notes.revoke_review_link": {"note_id": "draft_note_id"},
    "programmes_manage.remove_from_list": {"invitation_id": "expert_invitation_id"},
    "programmes.expert_invitation": {"invitation_id": "asked_invitation_id"},
    "programmes.expert_remove_me": {"invitation_id": "asked_invitation_id"},
    "programmes.expert_feedback": {"invitation_id": "asked_invitation_id"},
    "programmes.expert_calendar": {"invitation_id": "asked_invitation_id"},
    "programmes.expert_calendar_confirm": {"invitation_id": "asked_invitation_id"},
    "programmes.withhold_story_name": {"invitation_id": "asked_invitation_id"},
    "programmes.name_in_story": {"invitation_id": "asked_invitation_id"},
}

#: A private link's clean address (core.private_links) opens only in the browser that opened this link.
OPENED_BY = {
    "notes.review_image": "notes.review",
    "programmes.expert_remove_me": "programmes.expert_invitation",
    "programmes.expert_feedback": "programmes.expert_invitation",
    "programmes.expert_calendar": "programmes.expert_invitation",
    "programmes.expert_calendar_confirm": "programmes.expert_invitation",
    "programmes.withhold_story_name": "programmes.expert_invitation",
    "programmes.name_in_story": "programmes.expert_invitation",
}


def _link_rule(app, endpoint: str):
    """The rule of a private link that carries its token (as in the email)."""
    [rule] = [
        r for r in app.url_map.iter_rules() if r.endpoint == endpoint and "token" in r.arguments and "GET" in r.methods
    ]
    return rule


def _opened_link(app, world: World, endpoint: str):
    """A fresh browser that has opened the email's link for ``endpoint``, which swapped it for its session."""
    link = OPENED_BY.get(endpoint, endpoint)
    client = app.test_client()
    assert client.get(_url(app, _link_rule(app, link), world, token=world.tokens[link])).status_code == 302
    return client


def _url(app, rule, world: World, token: str | None = None) -> str:
    names = ARGUMENTS.get(rule.endpoint, {})
    values = {name: world.args[names.get(name, name)] for name in rule.arguments if name != "token"}
    if "token" in rule.arguments:
        values["token"] = token
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


def _outcome(response) -> str:
    if response.status_code == 302 and "/login" in response.headers["Location"]:
        return LOGIN
    if response.status_code == 403:
        return DENIED
    if response.status_code == 404:
        return HIDDEN
    assert response.status_code in (200, 302, 400, 409), (response.status_code, response.get_data(as_text=True)[:500])
    return OK


def _clients(app, login, world: World) -> dict[str, object]:
    clients = {"anonymous": app.test_client()}
    clients |= {role: login(user) for role, user in world.users.items()}
    return clients


def test_every_route_has_an_entry():
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    routes = {(rule.endpoint, method) for rule, method in _rules(app)}
    assert sorted(routes - EXPECTED.keys()) == [], "new routes: say who may use them in EXPECTED"
    assert sorted(EXPECTED.keys() - routes) == [], "EXPECTED names routes that no longer exist"


def test_refusals_and_pages_for_every_visitor(app, login, world):
    """Every GET for every visitor, and every refusal of a POST (a refused POST changes nothing)."""
    clients = _clients(app, login, world)
    wrong = []
    checked = 0
    for rule, method in _rules(app):
        expected = EXPECTED[(rule.endpoint, method)]
        if expected == TOKEN and "token" not in rule.arguments:
            # The clean address a link is swapped for: nothing for another browser, the page for the opener.
            url = _url(app, rule, world)
            checked += 1
            if (got := _outcome(app.test_client().open(url, method=method))) != HIDDEN:
                wrong.append((rule.endpoint, method, "a browser that has not opened the link", got))
            if method == "GET" and (got := _outcome(_opened_link(app, world, rule.endpoint).get(url))) != OK:
                wrong.append((rule.endpoint, method, "the browser that opened the link", got))
            continue
        if expected == TOKEN:
            url = _url(app, rule, world, token="forged" + "A" * 40)
            for role in ROLES:
                got = _outcome(clients[role].open(url, method=method))
                checked += 1
                if got != HIDDEN:
                    wrong.append((rule.endpoint, method, role, "forged token", got))
            if method == "GET":
                url = _url(app, rule, world, token=world.tokens[rule.endpoint])
                got = _outcome(clients["anonymous"].get(url))
                checked += 1
                if got != OK:
                    wrong.append((rule.endpoint, method, "anonymous", "real token", got))
            continue
        url = _url(app, rule, world)
        for role, outcome in zip(ROLES, expected, strict=True):
            if method != "GET" and outcome == OK:
                continue  # allowed POSTs change data: test_allowed_posts
            got = _outcome(clients[role].open(url, method=method))
            checked += 1
            if got != outcome:
                wrong.append((rule.endpoint, method, role, outcome, got))
    assert wrong == [], "\n".join(map(str, wrong))
    assert checked > 300


ALLOWED_POSTS = sorted(
    (endpoint, role)
    for (endpoint, method), expected in EXPECTED.items()
    if method == "POST" and expected != TOKEN
    for role, outcome in zip(ROLES, expected, strict=True)
    if outcome == OK
)


@pytest.mark.parametrize("endpoint, role", ALLOWED_POSTS)
def test_allowed_posts(app, login, world, endpoint, role):
    """An allowed POST is answered (a redirect, a page, or a 400 for its empty form), never refused."""
    [rule] = [r for r in app.url_map.iter_rules() if r.endpoint == endpoint and "POST" in r.methods]
    client = _clients(app, login, world)[role]
    assert _outcome(client.post(_url(app, rule, world))) == OK


@pytest.mark.parametrize("endpoint", sorted(e for (e, m), x in EXPECTED.items() if x == TOKEN and m == "POST"))
def test_private_links_accept_a_post_with_the_real_token(app, world, endpoint):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint == endpoint and "POST" in r.methods]
    [link] = [r for r in rules if "token" in r.arguments]
    response = app.test_client().post(_url(app, link, world, token=world.tokens[endpoint]))
    assert _outcome(response) == OK


#: Private links whose opening is swapped for the session (unsubscribing keeps its link: RFC 8058 posts to it).
SWAPPED_POSTS = sorted(e for (e, m), x in EXPECTED.items() if x == TOKEN and m == "POST" and e != "auth.unsubscribe")


@pytest.mark.parametrize("endpoint", SWAPPED_POSTS)
def test_the_clean_address_of_an_opened_link_accepts_its_post(app, world, endpoint):
    [clean] = [
        r
        for r in app.url_map.iter_rules()
        if r.endpoint == endpoint and "POST" in r.methods and "token" not in r.arguments
    ]
    assert _outcome(_opened_link(app, world, endpoint).post(_url(app, clean, world))) == OK
