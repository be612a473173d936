"""Organiser pages for a visit's timetable: solve it from the acceptances, see who could not be placed
and why, move, pin or cancel a meeting by hand, repair the week after a change (a proposal seen before it
is applied), and keep the table of travel times."""

from __future__ import annotations

from datetime import date

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.errors import ServiceError
from core.lib.wording import plural
from core.permissions import organiser_required
from core.timeutil import to_local
from core.upsert import ConflictError, commit_or_retry
from extensions import db
from programmes.forms import CancelMeetingForm, MoveMeetingForm, TravelTimeForm
from programmes.models import ExpertInvitation, Meeting, TimetableProposal, TravelTime, VisitProgramme
from programmes.visits.timetable import services as service
from programmes.visits.timetable.queries import changelog_of
from programmes.visits.timetable.solver import DEFAULT_TRAVEL

#: Two changes to one itinerary at once would both take the next version number: the second is made again.
VERSION_NUMBER = "uq_itinerary_versions_programme_id_number"


def _move_form(visit: VisitProgramme, meeting: Meeting) -> MoveMeetingForm:
    """The small form beside each meeting, filled in with its day and time."""
    form = MoveMeetingForm(formdata=None, prefix=f"m{meeting.id}")
    form.day.choices = {day.isoformat(): f"{day:%A} {day.day} {day:%B}" for day in visit.days()}
    local = to_local(meeting.starts_at)
    form.day.data, form.start.data = local.date().isoformat(), local.time()
    return form


def _unplaced(visit: VisitProgramme) -> list[tuple[str, str]]:
    """(expert's name, reason) for each expert the last solve could not place and who still accepts."""
    reasons = visit.unplaced or {}
    if not reasons:
        return []
    invitations = db.session.scalars(
        select(ExpertInvitation)
        .where(ExpertInvitation.id.in_([int(key) for key in reasons]), ExpertInvitation.status == "accepted")
        .options(selectinload(ExpertInvitation.expert))
        .order_by(ExpertInvitation.id)
    )
    return [(invitation.expert.name, reasons[str(invitation.id)]) for invitation in invitations if invitation.expert]


def render_timetable(visit: VisitProgramme, *, error: str | None = None, status: int = 200):
    meetings = service.meetings_of(visit)
    by_day: dict[date, list[Meeting]] = {day: [] for day in visit.days()}
    for meeting in meetings:
        by_day.setdefault(to_local(meeting.starts_at).date(), []).append(meeting)
    return render_template(
        "programmes/timetable.html",
        visit=visit,
        by_day=by_day,
        forms={meeting.id: _move_form(visit, meeting) for meeting in meetings},
        cancel_forms={meeting.id: CancelMeetingForm(formdata=None, prefix=f"c{meeting.id}") for meeting in meetings},
        changelog=changelog_of(visit),
        unplaced=_unplaced(visit),
        travel=db.session.scalars(select(TravelTime).order_by(TravelTime.place_a, TravelTime.place_b)).all(),
        travel_form=TravelTimeForm(formdata=None),
        default_travel=DEFAULT_TRAVEL,
        error=error,
        title=f"Timetable: {visit.title}",
    ), status


@organiser_required
def timetable(visit_id: int):
    """The visit's meetings day by day, with the reasons of the last solve for anyone left out."""
    visit = db.get_or_404(VisitProgramme, visit_id)
    return render_timetable(visit)


@organiser_required
def solve(visit_id: int):
    """Place every expert who accepted (pinned meetings stay); email whoever's meeting is new, moved or
    cancelled."""
    visit = db.get_or_404(VisitProgramme, visit_id)
    try:
        # Two solves at once both add the new meetings: the slower one solves again around them.
        result = commit_or_retry(
            lambda: service.solve_visit(visit, by=current_user),
            {"uq_meetings_invitation_id", VERSION_NUMBER},
        )
    except ConflictError as error:
        return render_timetable(visit, error=str(error), status=409)
    placed = len(result.timetable.placed)
    flash(
        f"{plural(placed, 'meeting')} in the timetable: {result.created} new, {result.moved} moved, "
        f"{result.cancelled} cancelled; the experts and the fellow have been emailed about each change.",
        "success",
    )
    return redirect(url_for("programmes_manage.timetable", visit_id=visit.id))


@organiser_required
def move(meeting_id: int):
    """Put a meeting at another day and time by hand; it is pinned there."""
    meeting = db.get_or_404(Meeting, meeting_id)
    visit = meeting.programme
    form = MoveMeetingForm(prefix=f"m{meeting.id}")
    form.day.choices = {day.isoformat(): day.isoformat() for day in visit.days()}
    if not form.validate_on_submit():
        return render_timetable(visit, error="Choose one of the visit's days and a time.", status=400)
    try:
        day, start = date.fromisoformat(form.day.data), form.start.data
        commit_or_retry(lambda: service.move_meeting(meeting, day, start, by=current_user), {VERSION_NUMBER})
    except (ServiceError, ConflictError) as error:
        db.session.rollback()
        return render_timetable(visit, error=str(error), status=409)
    flash("The meeting is moved and pinned there; the expert and the fellow have been emailed.", "success")
    return redirect(url_for("programmes_manage.timetable", visit_id=visit.id))


@organiser_required
def unpin(meeting_id: int):
    """Let the next solve move this meeting again."""
    meeting = db.get_or_404(Meeting, meeting_id)
    service.unpin_meeting(meeting)
    db.session.commit()
    flash("The meeting is no longer pinned: the next solve may move it.", "success")
    return redirect(url_for("programmes_manage.timetable", visit_id=meeting.programme_id))


@organiser_required
def travel_time(visit_id: int):
    """Record the minutes between two places (the solver keeps that gap between meetings there)."""
    visit = db.get_or_404(VisitProgramme, visit_id)
    form = TravelTimeForm()
    if not form.validate_on_submit():
        return render_timetable(visit, error="Name two places and the minutes between them.", status=400)
    try:
        commit_or_retry(
            lambda: service.save_travel_time(form.place_a.data, form.place_b.data, form.minutes.data),
            {"uq_travel_times_place_a_place_b"},
        )
    except ConflictError as error:
        return render_timetable(visit, error=str(error), status=409)
    except ServiceError as error:
        db.session.rollback()
        return render_timetable(visit, error=str(error), status=400)
    flash("The travel time is saved; solve again to use it.", "success")
    return redirect(url_for("programmes_manage.timetable", visit_id=visit.id, _anchor="travel"))


@organiser_required
def cancel(meeting_id: int):
    """Cancel one meeting: the expert and the fellow get a CANCEL, and the expert is left out of later
    solves; a repair can then use the freed time."""
    meeting = db.get_or_404(Meeting, meeting_id)
    visit = meeting.programme
    form = CancelMeetingForm(prefix=f"c{meeting.id}")
    if not form.validate_on_submit():
        return render_timetable(visit, error="A reason has at most 300 characters.", status=400)
    name = meeting.expert.name if meeting.expert else "the expert"
    try:
        commit_or_retry(
            lambda: service.cancel_meeting_for(meeting, by=current_user, reason=form.reason.data), {VERSION_NUMBER}
        )
    except ConflictError as error:
        return render_timetable(visit, error=str(error), status=409)
    flash(
        f"The meeting with {name} is cancelled; they and the fellow have been emailed. "
        "Repair the timetable to use the freed time.",
        "success",
    )
    return redirect(url_for("programmes_manage.timetable", visit_id=visit.id))


@organiser_required
def repair(visit_id: int):
    """Work out a repair of the timetable (every meeting kept where it is unless it must move) and show it;
    nothing changes and nobody is emailed until it is applied."""
    visit = db.get_or_404(VisitProgramme, visit_id)
    proposal = service.propose_repair(visit, by=current_user)
    db.session.commit()
    return redirect(url_for("programmes_manage.repair_proposal", proposal_id=proposal.id))


def render_proposal(proposal: TimetableProposal, *, error: str | None = None, status: int = 200):
    visit = proposal.programme
    changed = {str(data["invitation_id"]) for data in proposal.changes or []}
    # Who stays out (those whose meeting is cancelled are among the changes, with their reason).
    reasons = {key: reason for key, reason in (proposal.unplaced or {}).items() if key not in changed}
    return render_template(
        "programmes/repair.html",
        visit=visit,
        proposal=proposal,
        changes=service.proposal_changes(proposal),
        unplaced=_unplaced_of(reasons),
        error=error,
        title=f"Repair: {visit.title}",
    ), status


def _unplaced_of(reasons: dict[str, str]) -> list[tuple[str, str]]:
    if not reasons:
        return []
    invitations = db.session.scalars(
        select(ExpertInvitation)
        .where(ExpertInvitation.id.in_([int(key) for key in reasons]))
        .options(selectinload(ExpertInvitation.expert))
        .order_by(ExpertInvitation.id)
    )
    return [(invitation.expert.name, reasons[str(invitation.id)]) for invitation in invitations if invitation.expert]


@organiser_required
def repair_proposal(proposal_id: int):
    """The proposed changes, line by line ("Dr X: Tuesday 14:00 → Wednesday 10:00"), before anything changes."""
    return render_proposal(db.get_or_404(TimetableProposal, proposal_id))


@organiser_required
def apply_repair(proposal_id: int):
    """Apply a repair once: its changes are made, emailed to the people they touch, and recorded as the
    itinerary's next version. A second apply changes nothing; a stale proposal is refused."""
    proposal = db.get_or_404(TimetableProposal, proposal_id)
    visit_id = proposal.programme_id
    try:
        version = commit_or_retry(
            lambda: service.apply_proposal(proposal, by=current_user), {"uq_meetings_invitation_id", VERSION_NUMBER}
        )
    except service.ProposalAlreadyApplied as error:
        db.session.rollback()
        flash(str(error), "info")
        return redirect(url_for("programmes_manage.timetable", visit_id=visit_id))
    except (ServiceError, ConflictError) as error:
        db.session.rollback()
        return render_proposal(db.get_or_404(TimetableProposal, proposal_id), error=str(error), status=409)
    if version is None:
        flash("Nothing needed to change: the timetable is as it was.", "success")
    else:
        flash(
            f"Version {version.number} of the itinerary: {plural(len(version.lines), 'change')} made; "
            "the fellow and each expert concerned have been emailed.",
            "success",
        )
    return redirect(url_for("programmes_manage.timetable", visit_id=visit_id))
