"""Who may do what: one helper per rule, used by views, templates and tests alike."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def is_organiser(user) -> bool:
    return bool(user and user.is_authenticated and user.role == "organiser")


def is_fellow(user) -> bool:
    return bool(user and user.is_authenticated and user.role == "fellow")


def organiser_required(view):
    """Signed-in organisers only: anonymous users are sent to sign in, fellows get 403."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not is_organiser(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


#: Session keys starting with this survive signing in (text typed into an expired session, say); every
#: other key is dropped when a session is renewed at sign-in.
KEPT_ACROSS_SIGN_IN = "kept_"


def can_view_profile(viewer, fellow) -> bool:
    """A profile's visibility choice, applied to one viewer (anonymous, fellow or organiser)."""
    if not fellow.is_listed:
        # Deactivated, invited-but-not-joined and organiser accounts have no public profile.
        return is_organiser(viewer) or (viewer.is_authenticated and viewer.id == fellow.id)
    if is_organiser(viewer) or (viewer.is_authenticated and viewer.id == fellow.id):
        return True
    if fellow.visibility == "public":
        return True
    if fellow.visibility == "fellows":
        return viewer.is_authenticated
    return False


def can_edit_profile(viewer, fellow) -> bool:
    return is_organiser(viewer) or (viewer.is_authenticated and viewer.id == fellow.id)


def acting_user():
    """The signed-in person as a model object (not Flask-Login's proxy), for services that record who acted."""
    return current_user._get_current_object()
