"""Moving profile data between ``ProfileForm`` and a ``User`` (shared by fellows and organisers)."""

from __future__ import annotations

from core.images import process_image
from core.tags import tags_by_ids
from extensions import db
from fellows.models import User
from fellows.services import find_or_create_organisation


def fill_profile_form(form, user: User) -> None:
    """Put a user's current profile into a freshly built form (GET)."""
    form.organisation.data = user.organisation.name if user.organisation else ""
    form.interests.data = [str(tag.id) for tag in user.interests]
    form.links.data = "\n".join(f"{link['label']} {link['url']}" for link in user.links or [])
    form.honorific.data = user.honorific or ""
    form.sector.data = user.sector or ""


def apply_profile_form(form, user: User) -> None:
    """Save a validated profile form onto ``user``; raises ImageRejected for a bad photo."""
    user.honorific = form.honorific.data or None
    user.name = form.name.data
    user.job_title = form.job_title.data
    user.organisation = find_or_create_organisation(form.organisation.data)
    user.sector = form.sector.data or None
    user.cohort = form.cohort.data
    user.fellow_status = form.fellow_status.data or "current"
    user.interests = tags_by_ids(form.interests.data or [])
    user.biography = form.biography.data
    user.links = getattr(form.links, "parsed", [])
    user.visibility = form.visibility.data or "fellows"
    if hasattr(form, "email"):
        user.email = form.email.data.strip().lower()
    upload = form.photo.data
    if upload and getattr(upload, "filename", ""):
        image = process_image(upload.read())
        old = user.photo
        db.session.add(image)
        user.photo = image
        if old is not None:
            db.session.delete(old)
    elif form.remove_photo.data and user.photo is not None:
        old = user.photo
        user.photo = None
        db.session.delete(old)
    db.session.flush()
