"""Organiser pages for tenures: every appointment (current, alumni, ending soon) and its edit form."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import lazyload

from core.errors import ServiceError
from core.permissions import is_organiser, organiser_required
from core.request_args import paginate, whole_number
from core.timeutil import local_today
from extensions import db
from programmes.forms import AppointmentForm
from programmes.models import DEFAULT_MEETING_TARGET, TENURE_STATUSES, Appointment, Meeting, VisitProgramme
from programmes.tenures.services import (
    AppointmentInput,
    appointments_query,
    count_ending_soon,
    fellows_without_appointment,
    question_counts,
    save_appointment,
)

#: "Ending soon" on the home page and the default of the tenures filter.
ENDING_SOON_DAYS = 90
MAX_ENDING_DAYS = 3660


def ending_soon_days() -> int:
    return current_app.config.get("TENURE_ENDING_SOON_DAYS", ENDING_SOON_DAYS)


@organiser_required
def tenures():
    """Every appointment, soonest end first; filter by status or "ending in the next N days"."""
    status = request.args.get("status") if request.args.get("status") in TENURE_STATUSES else None
    ending = whole_number(request.args.get("ending"))
    ending = min(ending, MAX_ENDING_DAYS) if ending is not None else None
    today = local_today()
    page = paginate(
        appointments_query(status=status, ending_within=ending, today=today),
        per_page=current_app.config["PAGE_SIZE"] * 2,
    )
    return render_template(
        "programmes/tenures.html",
        page=page,
        today=today,
        status=status,
        ending=ending,
        statuses=TENURE_STATUSES,
        soon=ending_soon_days(),
        counts=question_counts([appointment.fellow_id for appointment in page.items]),
        without=fellows_without_appointment(),
        title="Tenures",
    )


def _save(appointment: Appointment, form: AppointmentForm) -> bool:
    if not form.validate_on_submit():
        return False
    try:
        save_appointment(
            appointment,
            AppointmentInput(
                form.fellow_id.data,
                form.tier.data,
                form.cohort.data,
                form.starts_on.data,
                form.ends_on.data,
                form.meeting_target.data or DEFAULT_MEETING_TARGET,
            ),
        )
        db.session.commit()
    except ServiceError as error:
        db.session.rollback()
        form.fellow_id.errors.append(str(error))
        return False
    return True


@organiser_required
def new_appointment():
    """Appoint a fellow: tier, cohort and tenure dates."""
    form = AppointmentForm()
    form.fellow_id.choices = [(fellow.id, fellow.name) for fellow in fellows_without_appointment()]
    if request.method == "GET" and whole_number(request.args.get("fellow_id")):
        form.fellow_id.data = whole_number(request.args.get("fellow_id"))
    appointment = Appointment()
    if _save(appointment, form):
        flash(f"{appointment.fellow.name}'s appointment has been saved.", "success")
        return redirect(url_for("programmes_manage.tenures"))
    return render_template(
        "programmes/appointment_form.html", form=form, appointment=None, title="Appoint a fellow"
    ), 400 if form.errors else 200


@organiser_required
def edit_appointment(appointment_id: int):
    """Change an appointment's tier, cohort or dates (a renewal, an early end)."""
    appointment = db.get_or_404(Appointment, appointment_id)
    form = AppointmentForm(obj=None if request.method == "POST" else appointment)
    form.fellow_id.choices = [(appointment.fellow_id, appointment.fellow.name)]
    if _save(appointment, form):
        flash(f"{appointment.fellow.name}'s appointment has been saved.", "success")
        return redirect(url_for("programmes_manage.tenures"))
    return render_template(
        "programmes/appointment_form.html", form=form, appointment=appointment, title="Edit an appointment"
    ), 400 if form.errors else 200


def home_section(user) -> dict | None:
    """Organisers' home page: how many tenures end in the coming weeks."""
    if not is_organiser(user):
        return None
    days = ending_soon_days()
    return {"ending": count_ending_soon(local_today(), days), "days": days}


def fellow_home_section(user) -> dict | None:
    """A fellow's home page: a link to their programme, and their next visit with its meetings so far."""
    if not (user.is_authenticated and user.role == "fellow"):
        return None
    # One query: the visit with its number of meetings; its fellow is the signed-in user, already loaded.
    meetings = (
        select(func.count(Meeting.id))
        .where(Meeting.programme_id == VisitProgramme.id)
        .correlate(VisitProgramme)
        .scalar_subquery()
    )
    row = db.session.execute(
        select(VisitProgramme, meetings)
        .where(VisitProgramme.fellow_id == user.id, VisitProgramme.ends_on >= local_today())
        .options(lazyload(VisitProgramme.fellow))
        .order_by(VisitProgramme.starts_on)
        .limit(1)
    ).first()
    visit, count = row if row else (None, 0)
    return {"fellow_id": user.id, "visit": visit, "meetings": count}
