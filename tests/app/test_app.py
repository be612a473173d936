"""The application shell: configuration, secrets, CSRF, error pages, navigation by role."""

import pytest
from sqlalchemy import event
from werkzeug.security import generate_password_hash

from app import create_app
from config import normalise_database_url
from core.ical_settings import calendar_settings
from extensions import db
from fellows.models import User
from programmes.tenures.manage import ending_soon_days

PASSWORD = "a long enough password"
HASH = generate_password_hash(PASSWORD)


def test_refuses_to_start_in_production_without_a_real_secret(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite"})
    monkeypatch.setenv("SECRET_KEY", "change-me")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite"})
    monkeypatch.setenv("SECRET_KEY", "9c1f4e2a7b3d8e6f0a5c9b2d4e7f1a3c")
    assert create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite"}).config["SECRET_KEY"]


def test_debug_mode_does_not_skip_the_secret_check(monkeypatch, tmp_path):
    """FLASK_DEBUG=1 (as `flask run --debug` sets it) still refuses a missing or placeholder SECRET_KEY."""
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("FLASK_DEBUG", "1")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite"})
    monkeypatch.setenv("SECRET_KEY", "dev")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite"})


def test_database_url_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "9c1f4e2a7b3d8e6f0a5c9b2d4e7f1a3c")
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.internal/fellowship")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db.internal/fellowship"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_settings_the_readme_documents_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "9c1f4e2a7b3d8e6f0a5c9b2d4e7f1a3c")
    monkeypatch.setenv("BASE_URL", "https://events.example.org")
    monkeypatch.setenv("CALENDAR_UID_DOMAIN", "old-host.example.org")  # the site moved: UIDs must not
    monkeypatch.setenv("TENURE_ENDING_SOON_DAYS", "45")
    monkeypatch.setenv("PAGE_SIZE", "50")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite"})
    with app.app_context():
        assert calendar_settings().uid_domain == "old-host.example.org"
        assert ending_soon_days() == 45
    assert app.config["PAGE_SIZE"] == 50


def test_post_without_csrf_token_is_refused_with_a_clear_page(csrf_app, make_fellow):
    client = csrf_app.test_client()
    fellow = make_fellow()
    response = client.post("/login", data={"email": fellow.email, "password": "correct horse battery staple"})
    assert response.status_code == 400
    assert "The form had expired" in response.get_data(as_text=True)
    # The same sign-in with the token from the form works.
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    response = client.post(
        "/login", data={"email": fellow.email, "password": "correct horse battery staple", "csrf_token": token}
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("path", "status", "title"),
    [
        ("/no-such-page", 404, "Page not found"),
        ("/logout", 405, "Method not allowed"),
    ],
)
def test_error_pages_use_the_site_layout(client, path, status, title):
    response = client.get(path)
    assert response.status_code == status
    text = response.get_data(as_text=True)
    assert f"<h1>{title}</h1>" in text
    assert 'class="site-header"' in text


def test_unexpected_errors_get_the_500_page(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom():
        raise RuntimeError("kaboom")

    response = client.get("/boom")
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "Something went wrong" in text and "kaboom" not in text


def test_navigation_fits_the_role(client, login, make_fellow, make_organiser):
    anonymous = client.get("/").get_data(as_text=True)
    assert 'aria-label="Organiser"' not in anonymous and "My profile" not in anonymous
    fellow_page = login(make_fellow()).get("/").get_data(as_text=True)
    assert "My profile" in fellow_page and 'aria-label="Organiser"' not in fellow_page
    organiser_page = login(make_organiser()).get("/").get_data(as_text=True)
    assert 'aria-label="Organiser"' in organiser_page and "Join requests" in organiser_page


def test_assets_are_served_locally(client):
    page = client.get("/").get_data(as_text=True)
    assert "https://" not in page.split("<body", 1)[0]  # nothing in <head> comes from elsewhere
    response = client.get("/static/css/site.css")
    assert response.status_code == 200
    response.close()


def test_security_headers(client):
    response = client.get("/login")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_keeping_signed_in_people_follows_the_cache_not_the_page_cache_setting(monkeypatch, tmp_path):
    """With a per-process cache each worker would have a generation of its own, so a sign-out through one
    worker would go unseen by another that kept the person: they are read on every request, even where an
    operator turned the page cache on."""
    monkeypatch.setenv("SECRET_KEY", "9c1f4e2a7b3d8e6f0a5c9b2d4e7f1a3c")
    monkeypatch.delenv("REDIS_URL", raising=False)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite",
            "PAGE_CACHE": True,
            "CACHE_TYPE": "SimpleCache",
            "WTF_CSRF_ENABLED": False,
            "MAIL_SEND_ON_COMMIT": False,
        }
    )
    with app.app_context():
        db.create_all()
        db.session.add(User(email="grace@example.org", name="Grace Hopper", role="fellow", password_hash=HASH))
        db.session.commit()
        engine = db.engine
    client = app.test_client()
    assert client.post("/login", data={"email": "grace@example.org", "password": PASSWORD}).status_code == 302
    client.get("/privacy")
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731  (before_cursor_execute's statement)
    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert "Grace Hopper" in client.get("/privacy").get_data(as_text=True)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    assert any("FROM users" in statement for statement in statements), statements


def test_a_method_no_page_takes_is_refused_with_allow_and_logged(client, caplog):
    """ASVS 14.5.1: an unexpected method gets 405 with the methods that work, and a line in the log that
    names it, so that probing shows up where an operator looks."""
    with caplog.at_level("WARNING", logger="security"):
        response = client.open("/logout", method="PUT")
    assert response.status_code == 405
    assert response.headers["Allow"].split(", ") and "POST" in response.headers["Allow"]
    assert "<h1>Method not allowed</h1>" in response.get_data(as_text=True)
    assert [record.getMessage() for record in caplog.records if record.name == "security"] == [
        "method not allowed: PUT /logout from 127.0.0.1"
    ]
