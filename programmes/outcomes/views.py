"""A fellow's impact: what changed in her policy work, the evidence, the meetings it drew on and quotes
(with consent); as a page (the fellow and organisers) and as a PDF impact story. Follow-ups are kept on
the itinerary (``programmes.visits.views.itinerary``)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from core.errors import ServiceError
from core.models import slugify, utcnow
from core.pdf import pdf_response
from core.timeutil import local_today, to_local
from extensions import db
from fellows.models import User
from programmes.access import can_view_programme_of
from programmes.forms import ImpactForm, QuoteForm
from programmes.models import ImpactQuote, ImpactRecord
from programmes.outcomes import services
from programmes.outcomes.queries import held_meetings_of, impact_of


def _fellow_or_404(fellow_id: int) -> User:
    fellow = db.session.get(User, fellow_id)
    if fellow is None or fellow.role != "fellow" or not can_view_programme_of(current_user, fellow.id):
        abort(404)  # another fellow's impact is not revealed
    return fellow


def _record_or_404(record_id: int) -> ImpactRecord:
    record = db.session.get(ImpactRecord, record_id)
    if record is None or not can_view_programme_of(current_user, record.fellow_id):
        abort(404)
    return record


def _meeting_choices(fellow_id: int) -> list[tuple[int, str]]:
    return [
        (m.id, f"{to_local(m.starts_at):%-d %B %Y}: {m.expert.name if m.expert else 'an expert'}")
        for m in held_meetings_of(fellow_id, utcnow())
    ]


def _impact_form(fellow_id: int, record: ImpactRecord | None = None) -> ImpactForm:
    form = ImpactForm(obj=None if request.method == "POST" else record)
    form.meetings.choices = _meeting_choices(fellow_id)
    if request.method == "GET" and record is not None:
        form.meetings.data = [m.id for m in record.meetings]
    return form


def _saved(record: ImpactRecord, fellow_id: int, form: ImpactForm) -> bool:
    if not form.validate_on_submit():
        return False
    try:
        services.save_impact(
            record,
            fellow_id,
            current_user,
            title=form.title.data,
            what_changed=form.what_changed.data,
            evidence=form.evidence.data,
            happened_on=form.happened_on.data,
            meeting_ids=form.meetings.data or [],
        )
    except ServiceError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return False
    db.session.commit()
    return True


def _page(fellow: User, form: ImpactForm, quote_forms: dict | None = None, status: int | None = None):
    records = impact_of(fellow.id)
    quote_forms = quote_forms or {}
    for record in records:
        quote_forms.setdefault(record.id, QuoteForm(formdata=None, prefix=f"q{record.id}", consent_on=local_today()))
    failed = form.errors or any(f.errors for f in quote_forms.values())
    return render_template(
        "programmes/impact.html",
        fellow=fellow,
        records=records,
        form=form,
        quote_forms=quote_forms,
        title=f"Impact of {fellow.name}" if current_user.is_organiser else "My impact",
    ), status or (400 if failed else 200)


@login_required
def impact(fellow_id: int):
    """The fellow's impact records, with a form to add one (the fellow and organisers)."""
    fellow = _fellow_or_404(fellow_id)
    form = _impact_form(fellow.id)
    if request.method == "POST" and _saved(ImpactRecord(), fellow.id, form):
        flash("The impact record has been added.", "success")
        return redirect(url_for("programmes.impact", fellow_id=fellow.id))
    return _page(fellow, form)


@login_required
def edit_impact(record_id: int):
    record = _record_or_404(record_id)
    form = _impact_form(record.fellow_id, record)
    if request.method == "POST" and _saved(record, record.fellow_id, form):
        flash("The impact record has been saved.", "success")
        return redirect(url_for("programmes.impact", fellow_id=record.fellow_id, _anchor=f"impact-{record.id}"))
    return render_template(
        "programmes/impact_form.html", record=record, form=form, title=f"Edit: {record.title}"
    ), 400 if form.errors else 200


@login_required
def remove_impact(record_id: int):
    record = _record_or_404(record_id)
    fellow_id = record.fellow_id
    services.remove_impact(record)
    db.session.commit()
    flash("The impact record has been removed.", "success")
    return redirect(url_for("programmes.impact", fellow_id=fellow_id))


@login_required
def add_quote(record_id: int):
    """A quote about the change, with the speaker's consent (a quote without it is refused, 400)."""
    record = _record_or_404(record_id)
    form = QuoteForm(prefix=f"q{record.id}")
    if form.validate():
        try:
            services.add_quote(record, form.text.data, form.speaker.data, form.consent_on.data)
        except ServiceError as error:
            db.session.rollback()
            form.consent_on.errors = [*form.consent_on.errors, str(error)]
        else:
            db.session.commit()
            flash("The quote has been added.", "success")
            return redirect(url_for("programmes.impact", fellow_id=record.fellow_id, _anchor=f"impact-{record.id}"))
    fellow = db.session.get(User, record.fellow_id)
    return _page(fellow, ImpactForm(formdata=None), {record.id: form}, status=400)


@login_required
def remove_quote(quote_id: int):
    """Consent withdrawn, or a mistake: the quote goes from the record and every story made after."""
    quote = db.session.get(ImpactQuote, quote_id)
    if quote is None or not can_view_programme_of(current_user, quote.record.fellow_id):
        abort(404)
    record = quote.record
    services.remove_quote(quote)
    db.session.commit()
    flash("The quote has been removed.", "success")
    return redirect(url_for("programmes.impact", fellow_id=record.fellow_id, _anchor=f"impact-{record.id}"))


@login_required
def impact_story(fellow_id: int):
    """The impact story as an A4 PDF: each change with its evidence, the meetings behind it and quotes."""
    fellow = _fellow_or_404(fellow_id)
    html = render_template(
        "programmes/impact_pdf.html", fellow=fellow, records=impact_of(fellow.id), today=local_today()
    )
    return pdf_response(html, f"impact-{slugify(fellow.name)[:40]}-{local_today():%Y-%m-%d}.pdf")
