"""Writing and editing notes: revisions with who and when, history with differences, restore,
the conflicting save (409, text kept), the session that expired while writing, images, preview."""

from __future__ import annotations

import io
import re

from PIL import Image
from werkzeug.datastructures import MultiDict

from core.models import StoredImage
from extensions import db
from tests.conftest import PASSWORD
from tests.notes_helpers import get_note, past, text_of


def form_data(**overrides) -> dict:
    data = {
        "title": "Grid write-up",
        "summary": "A short summary.",
        "body": "## First\n\nOriginal text.",
        "audience": "fellows",
    }
    data.update(overrides)
    return data


def png_bytes(size=(1600, 900)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def create(client, event_id: int, **overrides) -> int:
    response = client.post(f"/organiser/events/{event_id}/notes/new", data=form_data(**overrides))
    assert response.status_code == 302, text_of(response)
    return int(re.search(r"/organiser/notes/(\d+)", response.headers["Location"]).group(1))


def test_create_edit_keeps_every_revision_with_who_and_when(app, make_event, make_organiser, make_user, login):
    event_id = make_event(starts_at=past())
    olivia, piers = make_organiser(name="Olivia Grant"), make_organiser(name="Piers Lamb")
    first, second = login(olivia), login(piers)
    note_id = create(first, event_id, topics=[], further_reading="JBS https://www.jbs.cam.ac.uk/")
    note = get_note(app, note_id)
    assert note.state == "draft" and note.version == 1 and [r.number for r in note.revisions] == [1]
    assert [(link.title, link.url) for link in note.links] == [("JBS", "https://www.jbs.cam.ac.uk/")]

    response = second.post(
        f"/organiser/notes/{note_id}/edit",
        data=form_data(version=note.version, body="## First\n\nRevised text.", title="Grid write-up, revised"),
    )
    assert response.status_code == 302
    note = get_note(app, note_id)
    assert note.title == "Grid write-up, revised" and note.version == 2
    assert note.links == []
    revisions = sorted(note.revisions, key=lambda r: r.number)
    assert [(r.number, r.reason, r.created_by_id, r.body) for r in revisions] == [
        (1, "Created", olivia.id, "## First\n\nOriginal text."),
        (2, "Saved", piers.id, "## First\n\nRevised text."),
    ]
    assert all(r.created_at for r in revisions)

    history = text_of(first.get(f"/organiser/notes/{note_id}/revisions"))
    assert "Revision 2" in history and "Piers Lamb" in history and "Olivia Grant" in history
    assert 'class="diff_chg"' in history or 'class="diff_add"' in history  # the body's differences
    assert "Grid write-up, revised" in history and "JBS (https://www.jbs.cam.ac.uk/)" in history


def test_restore_makes_a_new_revision(app, make_event, make_organiser, login):
    event_id = make_event(starts_at=past())
    client = login(make_organiser())
    note_id = create(client, event_id, body="Version one text.")
    client.post(f"/organiser/notes/{note_id}/edit", data=form_data(version=1, body="Version two text."))
    first_revision = next(r for r in get_note(app, note_id).revisions if r.number == 1)

    response = client.post(f"/organiser/notes/{note_id}/revisions/{first_revision.id}/restore")
    assert response.status_code == 302
    note = get_note(app, note_id)
    assert note.body == "Version one text." and note.version == 3
    newest = max(note.revisions, key=lambda r: r.number)
    assert (newest.number, newest.reason, newest.body) == (3, "Restored revision 1", "Version one text.")
    assert "Restored revision 1" in text_of(client.get(f"/organiser/notes/{note_id}/revisions"))


def test_restoring_a_revision_of_another_note_is_404(app, make_event, make_organiser, login):
    event_id = make_event(starts_at=past())
    client = login(make_organiser())
    one, two = create(client, event_id), create(client, event_id)
    other_revision = get_note(app, two).revisions[0]
    assert client.post(f"/organiser/notes/{one}/revisions/{other_revision.id}/restore").status_code == 404


def test_second_stale_save_is_refused_and_keeps_the_text(app, make_event, make_organiser, login):
    event_id = make_event(starts_at=past())
    alice, bob = login(make_organiser(name="Alice Arden")), login(make_organiser(name="Bob Brook"))
    note_id = create(alice, event_id, body="Shared start.")
    # Both open the edit form at version 1.
    assert 'name="version" type="hidden" value="1"' in text_of(alice.get(f"/organiser/notes/{note_id}/edit"))
    assert 'name="version" type="hidden" value="1"' in text_of(bob.get(f"/organiser/notes/{note_id}/edit"))

    assert (
        alice.post(
            f"/organiser/notes/{note_id}/edit", data=form_data(version=1, body="Alice's careful edit.")
        ).status_code
        == 302
    )
    conflict = bob.post(f"/organiser/notes/{note_id}/edit", data=form_data(version=1, body="Bob's different edit."))
    assert conflict.status_code == 409
    html = text_of(conflict)
    assert "Alice Arden saved this note while you were editing it" in html
    assert "Bob&#39;s different edit." in html.split("<textarea", 3)[2]  # still in the body field
    assert "Alice's&nbsp;careful&nbsp;edit." in html  # the difference is shown
    note = get_note(app, note_id)
    assert note.body == "Alice's careful edit." and note.version == 2 and len(note.revisions) == 2

    # Saving again after seeing the difference is deliberate, and now goes ahead.
    assert 'name="version" type="hidden" value="2"' in html
    assert (
        bob.post(f"/organiser/notes/{note_id}/edit", data=form_data(version=2, body="Bob's merged edit.")).status_code
        == 302
    )
    assert get_note(app, note_id).body == "Bob's merged edit."


def test_racing_saves_are_caught_by_the_version_column(app, make_event, make_organiser):
    """Two sessions load version 1; the slower flush finds the row changed and is refused."""
    import pytest

    from writeups import services
    from writeups.models import Note

    event_id = make_event(starts_at=past())
    organiser = make_organiser()
    with app.app_context():
        from events.models import Event
        from fellows.models import User

        user = db.session.get(User, organiser.id)
        note = services.create_note(db.session.get(Event, event_id), user, services.NoteContent(title="Race"))
        db.session.commit()
        note_id = note.id
    with app.app_context():
        user = db.session.get(User, organiser.id)
        slow = db.session.get(Note, note_id)
        assert slow.version == 1
        # Another request commits version 2 in its own connection meanwhile.
        with db.engine.begin() as connection:
            connection.execute(db.text("UPDATE notes SET version = 2, body = 'fast' WHERE id = :id"), {"id": note_id})
        with pytest.raises(services.NoteConflict):
            services.save_note(slow, user, services.NoteContent(title="Race", body="slow"), expected_version=1)
        db.session.rollback()
        assert db.session.get(Note, note_id).body == "fast"


def test_session_expired_while_writing_keeps_the_text_through_sign_in(app, make_event, make_organiser, login, client):
    event_id = make_event(starts_at=past())
    organiser = make_organiser()
    note_id = create(login(organiser), event_id, body="Before.")
    # The anonymous client plays the organiser whose session has expired.
    response = client.post(
        f"/organiser/notes/{note_id}/edit",
        data=form_data(version=1, body="Two hours of careful writing.", chatham_house="y", audience="attendees"),
        headers={"Origin": "https://localhost"},
    )  # the browser names our own site (scheme may differ behind a proxy)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/login?next=")
    assert get_note(app, note_id).body == "Before."  # nothing saved without a session

    signed_in = client.post(location, data={"email": organiser.email, "password": PASSWORD})
    assert signed_in.status_code == 302
    edit_url = signed_in.headers["Location"]
    assert edit_url.startswith(f"/organiser/notes/{note_id}/edit?restore=")
    page = client.get(edit_url)
    html = text_of(page)
    assert page.status_code == 200
    assert "Two hours of careful writing." in html and "has not been saved yet" in html
    assert re.search(r'id="chatham_house"[^>]*checked|checked[^>]*id="chatham_house"', html)
    assert re.search(r'value="attendees"[^>]*checked|checked[^>]*value="attendees"', html)
    from writeups.models import NoteDraftStash

    with app.app_context():
        assert db.session.query(NoteDraftStash).count() == 0  # handed back once, then gone
    assert "Two hours" not in text_of(client.get(edit_url))

    # Saving the restored form works (it carries the version it was opened at).
    assert (
        client.post(
            f"/organiser/notes/{note_id}/edit", data=form_data(version=1, body="Two hours of careful writing.")
        ).status_code
        == 302
    )
    assert get_note(app, note_id).body == "Two hours of careful writing."


def test_kept_text_is_only_handed_to_someone_who_may_edit(app, make_event, make_organiser, make_fellow, login, client):
    event_id = make_event(starts_at=past())
    note_id = create(login(make_organiser()), event_id)
    location = client.post(f"/organiser/notes/{note_id}/edit", data=form_data(body="Secret draft words.")).headers[
        "Location"
    ]
    from urllib.parse import parse_qs, urlsplit

    edit_url = parse_qs(urlsplit(location).query)["next"][0]
    fellow = login(make_fellow())
    assert fellow.get(edit_url).status_code == 403
    other_note = create(login(make_organiser()), event_id)
    key = edit_url.split("restore=")[1]
    wrong = login(make_organiser()).get(f"/organiser/notes/{other_note}/edit?restore={key}")
    assert "Secret draft words." not in text_of(wrong)


def test_kept_text_expires_after_a_day(app, make_event, make_organiser, login, client):
    from datetime import timedelta

    from writeups.models import NoteDraftStash

    event_id = make_event(starts_at=past())
    organiser = make_organiser()
    note_id = create(login(organiser), event_id)
    location = client.post(f"/organiser/notes/{note_id}/edit", data=form_data(body="Yesterday's words.")).headers[
        "Location"
    ]
    with app.app_context():
        stash = db.session.scalar(db.select(NoteDraftStash))
        stash.created_at -= timedelta(hours=25)
        db.session.commit()
    edit_url = client.post(location, data={"email": organiser.email, "password": PASSWORD}).headers["Location"]
    html = text_of(client.get(edit_url))
    assert "Yesterday" not in html and "no longer available" in html
    with app.app_context():
        assert db.session.query(NoteDraftStash).count() == 0


def test_new_note_text_is_kept_when_the_session_expired(app, make_event, make_organiser, client):
    event_id = make_event(starts_at=past())
    organiser = make_organiser()
    response = client.post(f"/organiser/events/{event_id}/notes/new", data=form_data(body="Fresh words."))
    next_url = client.post(response.headers["Location"], data={"email": organiser.email, "password": PASSWORD}).headers[
        "Location"
    ]
    assert next_url.startswith(f"/organiser/events/{event_id}/notes/new?restore=")
    assert "Fresh words." in text_of(client.get(next_url))


def csrf_login(app, user):
    """Sign in with CSRF protection on, as a browser does: read the token from the form first."""
    client = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', text_of(client.get("/login"))).group(1)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    return client


def test_expired_csrf_token_keeps_the_text(csrf_app, make_event, make_organiser):
    event_id = make_event(starts_at=past())
    client = csrf_login(csrf_app, make_organiser())
    html = text_of(client.get(f"/organiser/events/{event_id}/notes/new"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    note_id = create(client, event_id, csrf_token=token)

    stale = client.post(
        f"/organiser/notes/{note_id}/edit",
        data=form_data(version=1, body="Words after a long lunch.", csrf_token="expired-token"),
    )
    assert stale.status_code == 302 and "restore=" in stale.headers["Location"]
    restored = text_of(client.get(stale.headers["Location"]))
    assert "Words after a long lunch." in restored and "The form had expired" in restored
    assert get_note(csrf_app, note_id).body != "Words after a long lunch."


def test_text_from_another_site_is_not_kept(app, make_event, make_organiser, login, client):
    event_id = make_event(starts_at=past())
    note_id = create(login(make_organiser()), event_id)
    response = client.post(
        f"/organiser/notes/{note_id}/edit", data=form_data(body="Injected."), headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 400
    from writeups.models import NoteDraftStash

    with app.app_context():
        assert db.session.query(NoteDraftStash).count() == 0


def test_invalid_form_is_400_and_saves_nothing(app, make_event, make_organiser, login):
    event_id = make_event(starts_at=past())
    client = login(make_organiser())
    response = client.post(f"/organiser/events/{event_id}/notes/new", data=form_data(title="", body=""))
    assert response.status_code == 400
    assert "Enter a title" in text_of(response) and "Write the note" in text_of(response)
    from writeups.models import Note

    with app.app_context():
        assert db.session.query(Note).count() == 0


def test_lead_image_is_resized_re_encoded_and_served_with_credit(app, make_event, make_organiser, login, client):
    event_id = make_event(starts_at=past())
    organiser = login(make_organiser())
    data = form_data(
        audience="public",
        image=(io.BytesIO(png_bytes()), "photo.png"),
        image_caption="A tablet in use",
        image_credit="Image: tablet use 1 (flickr)",
    )
    response = organiser.post(f"/organiser/events/{event_id}/notes/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    note_id = int(re.search(r"/organiser/notes/(\d+)", response.headers["Location"]).group(1))
    assert organiser.post(f"/organiser/notes/{note_id}/publish").status_code == 302
    page = text_of(client.get(f"/notes/{note_id}"))
    assert "Image: tablet use 1 (flickr)" in page and "A tablet in use" in page
    image = client.get(f"/notes/{note_id}/image")
    assert image.status_code == 200 and image.mimetype == "image/webp"
    with Image.open(io.BytesIO(image.data)) as served:
        assert served.format == "WEBP" and max(served.size) == 1200


def test_a_file_that_is_not_an_image_is_refused(app, make_event, make_organiser, login):
    event_id = make_event(starts_at=past())
    organiser = login(make_organiser())
    data = form_data(image=(io.BytesIO(b"<script>alert(1)</script>"), "evil.png"))
    response = organiser.post(f"/organiser/events/{event_id}/notes/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 400 and "not an image" in text_of(response)
    from writeups.models import Note

    with app.app_context():
        assert db.session.query(Note).count() == 0


def test_preview_shows_the_draft_exactly_as_readers_will(app, make_event, make_organiser, login, client):
    event_id = make_event(starts_at=past())
    organiser = login(make_organiser())
    note_id = create(organiser, event_id, body="## Heading\n\nDraft **text**.", chatham_house="y")
    preview = organiser.get(f"/organiser/notes/{note_id}/preview")
    html = text_of(preview)
    assert preview.status_code == 200 and "Preview" in html
    assert "<h2>Heading</h2>" in html and "<strong>text</strong>" in html
    assert "Held under the Chatham House Rule" in html
    assert client.get(f"/organiser/notes/{note_id}/preview").status_code == 302  # anonymous → sign in


def test_organiser_pages_refuse_fellows(make_event, make_fellow, make_organiser, login):
    import pytest  # noqa: F401

    event_id = make_event(starts_at=past())
    note_id = create(login(make_organiser()), event_id)
    fellow = login(make_fellow())
    for method, url in [
        ("get", "/organiser/notes"),
        ("get", f"/organiser/events/{event_id}/notes/new"),
        ("get", f"/organiser/notes/{note_id}"),
        ("get", f"/organiser/notes/{note_id}/edit"),
        ("get", f"/organiser/notes/{note_id}/preview"),
        ("get", f"/organiser/notes/{note_id}/revisions"),
        ("post", f"/organiser/notes/{note_id}/edit"),
        ("post", f"/organiser/notes/{note_id}/publish"),
        ("post", f"/organiser/notes/{note_id}/submit"),
        ("post", f"/organiser/notes/{note_id}/unpublish"),
        ("post", f"/organiser/notes/{note_id}/review-links"),
    ]:
        assert getattr(fellow, method)(url).status_code == 403, url


def test_a_note_with_further_reading_opens_saves_unchanged_and_saves_changed(app, make_event, make_organiser, login):
    """Regression: the edit form of a note with links answered 500 ('NoteLink' object is not subscriptable)."""
    from tests.html import form_posting_to

    client = login(make_organiser())
    reading = "JBS, Cambridge https://www.jbs.cam.ac.uk/\nhttps://www.gov.uk/government/organisations/gds"
    note_id = create(client, make_event(starts_at=past()), further_reading=reading)
    stored = [
        ("JBS, Cambridge", "https://www.jbs.cam.ac.uk/"),
        ("https://www.gov.uk/government/organisations/gds",) * 2,
    ]

    def links():
        return [(link.title, link.url) for link in get_note(app, note_id).links]

    def edit_form() -> list:
        page = client.get(f"/organiser/notes/{note_id}/edit")
        assert page.status_code == 200
        return form_posting_to(page.get_data(as_text=True), f"/organiser/notes/{note_id}/edit")["fields"]

    fields = edit_form()
    assert ("further_reading", reading.replace("\n", "\r\n")) in fields  # shown as it was typed
    response = client.post(f"/organiser/notes/{note_id}/edit", data=MultiDict(fields), follow_redirects=True)
    assert "There were no changes to save." in text_of(response)
    note = get_note(app, note_id)
    assert links() == stored and note.version == 1 and len(note.revisions) == 1

    changed = MultiDict(edit_form())
    changed["further_reading"] = reading + "\r\nTalk London https://www.london.gov.uk/talk-london"
    response = client.post(f"/organiser/notes/{note_id}/edit", data=changed, follow_redirects=True)
    assert "Your changes are saved." in text_of(response)
    assert links() == [*stored, ("Talk London", "https://www.london.gov.uk/talk-london")]
    assert get_note(app, note_id).version == 2


def test_an_image_chosen_with_a_form_that_had_errors_is_kept_for_the_next_try(app, make_event, make_organiser, login):
    from tests.html import form_posting_to

    client, event_id = login(make_organiser()), make_event(starts_at=past())
    path = f"/organiser/events/{event_id}/notes/new"
    data = form_data(title="")
    data["image"] = (io.BytesIO(png_bytes()), "tablet.png")
    response = client.post(path, data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    page = text_of(response)
    assert "Enter a title" in page and "The image you chose (1200 × 675 pixels) is kept" in page

    fields = MultiDict(form_posting_to(response.get_data(as_text=True), path)["fields"])
    fields["title"] = "Grid write-up"
    response = client.post(path, data=fields, content_type="multipart/form-data")
    assert response.status_code == 302
    note = get_note(app, int(re.search(r"/organiser/notes/(\d+)", response.headers["Location"]).group(1)))
    with app.app_context():
        image = db.session.get(StoredImage, note.image_id)
        assert (image.width, image.height) == (1200, 675)

    # The kept image belongs to the browser that chose it: another organiser cannot adopt it by its number.
    other = login(make_organiser())
    response = other.post(path, data={**form_data(), "kept_image": str(note.image_id)})
    assert response.status_code == 302
    other_note = get_note(app, int(re.search(r"/organiser/notes/(\d+)", response.headers["Location"]).group(1)))
    assert other_note.image_id is None
