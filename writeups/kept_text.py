"""Text typed into a note's form survives an expired session: it is kept server-side, the author
signs in again, and the form comes back filled in (stash_draft / take_stash, below)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, request, session, url_for
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from sqlalchemy import delete, select
from werkzeug.datastructures import MultiDict
from wtforms.validators import ValidationError

from core.models import utcnow
from core.request_args import whole_number
from extensions import db
from writeups.access import can_edit_note
from writeups.forms import NoteForm
from writeups.models import NoteDraftStash

#: Longest text kept per field from a form whose session expired.
STASH_FIELD_LIMIT = 100_000
#: The session key listing the restore keys this browser was given, newest first. Kept text goes back
#: only to the browser that typed it: otherwise anyone could plant text (the form accepts it without a
#: sign-in) and send an organiser a restore link that presents it as their own unsaved words.
KEPT_KEYS = "kept_note_texts"  # kept_…: survives signing in (core.permissions.KEPT_ACROSS_SIGN_IN)
MAX_KEPT = 5
#: How long text kept from an expired session waits for its author to sign in again.
STASH_LIFETIME = timedelta(hours=24)


def _csrf_ok() -> bool:
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return True
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        return False
    return True


def _same_site() -> bool:
    """A browser names the page a form came from; text from another site is never kept."""
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    if not origin or origin == "null":
        return True
    # Hosts only: behind a proxy that terminates HTTPS the app may see http:// for its own pages.
    return urlsplit(origin).netloc.lower() == request.host.lower()


def _submitted_fields() -> dict:
    data = {}
    for name in NoteForm.STASHED:
        if name == "topics":
            data[name] = [value for value in request.form.getlist(name) if whole_number(value) is not None][:100]
        elif name in ("chatham_house", "remove_image"):
            data[name] = name in request.form
        else:
            data[name] = request.form.get(name, "")[:STASH_FIELD_LIMIT]
    return data


def keep_text_if_session_lost(form_url: str, find_target: Callable[[], tuple[int, int | None] | None]):
    """The edit form arrived without a valid session (expired, signed out elsewhere) or with an
    expired CSRF token: keep the text server-side and bring it back after signing in.

    ``find_target`` looks up what the text is for, as ``(event_id, note_id)`` (None for a new note), or
    None when the id does not exist. It is called only after the visitor is known not to be a signed-in
    fellow, and an anonymous visitor gets the same answer (a redirect to sign in) whether or not the id
    exists: the answer must not tell anyone but an organiser which ids exist (issue 13, defect 7).

    Returns a redirect, or None when the request is a normal, valid one (or one the view refuses).
    """
    signed_in = current_user.is_authenticated
    if signed_in and (_csrf_ok() or not can_edit_note(current_user)):
        return None  # a valid request, or one the normal checks refuse (403)
    if not _same_site():
        abort(400, "The form was sent from another site.")
    target = find_target()
    if target is None and signed_in:
        return None  # an organiser may know which ids exist: the view answers 404
    if target is not None:
        key = stash_draft(*target, _submitted_fields())
    else:
        # Nothing is kept for an id that does not exist, but the answer and the session look the same.
        forget_old_stashes()
        key = secrets.token_urlsafe(24)
    db.session.commit()
    session[KEPT_KEYS] = [key, *session.get(KEPT_KEYS, [])][:MAX_KEPT]
    restore_url = f"{form_url}?restore={key}"
    if signed_in:
        flash(
            "The form had expired, so nothing was saved. Your text is back in the form: check it and save again.",
            "warning",
        )
        return redirect(restore_url)
    flash(
        "Your session expired while you were writing. Sign in again: your text has been kept and will be "
        "back in the form.",
        "warning",
    )
    return redirect(url_for("auth.login", next=restore_url))


def restored_form(event_id: int, note_id: int | None) -> NoteForm | None:
    """The form filled with the kept text named by ``?restore=`` (the caller has checked who may edit)."""
    key = request.args.get("restore", "")
    if not key:
        return None
    kept = session.get(KEPT_KEYS, [])
    data = None
    if key in kept:
        data = take_stash(key, event_id, note_id)
        db.session.commit()
        if data is not None:
            session[KEPT_KEYS] = [other for other in kept if other != key]
    if data is None:
        flash(
            "The text kept from your expired session is no longer available (it is kept for 24 hours "
            "and handed back once).",
            "warning",
        )
        return None
    flash(
        "This is the text you were writing when your session expired. It has not been saved yet: "
        "check it, choose any image again, and save.",
        "warning",
    )
    pairs = [
        (name, value)
        for name, values in data.items()
        for value in (values if isinstance(values, list) else [values])
        if value not in (False, None)
    ]
    return NoteForm(formdata=MultiDict(pairs))


def forget_old_stashes() -> None:
    """Delete text kept longer than a day."""
    db.session.execute(delete(NoteDraftStash).where(NoteDraftStash.created_at < utcnow() - STASH_LIFETIME))


def stash_draft(event_id: int, note_id: int | None, data: dict) -> str:
    """Keep submitted form fields for up to a day; returns the key for the restore link."""
    forget_old_stashes()
    key = secrets.token_urlsafe(24)
    db.session.add(
        NoteDraftStash(
            key_hash=NoteDraftStash.hash(key), event_id=event_id, note_id=note_id, data=data, created_at=utcnow()
        )
    )
    db.session.flush()
    return key


def take_stash(key: str, event_id: int, note_id: int | None) -> dict | None:
    """The kept fields for this note (or new note of this event), deleted as they are handed back."""
    if not key or len(key) > 100:
        return None
    stash = db.session.scalar(select(NoteDraftStash).where(NoteDraftStash.key_hash == NoteDraftStash.hash(key)))
    if stash is None or stash.event_id != event_id or stash.note_id != note_id:
        return None
    data = dict(stash.data or {})
    fresh = stash.created_at >= utcnow() - STASH_LIFETIME
    db.session.delete(stash)
    db.session.flush()
    return data if fresh else None
