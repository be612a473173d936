"""The pictures in docs/guides/ are taken here, of the demo data, by the same browser the journeys use.

Each picture is of one part of a page, after checking that the part shows what the guide says it shows.
A run writes them as test artifacts (test-artifacts/screenshots/guides/); with UPDATE_GUIDE_SCREENSHOTS=1
it writes them into docs/guides/images/, to commit when a page has changed:

    UPDATE_GUIDE_SCREENSHOTS=1 .venv/bin/pytest tests/browser/test_guide_screenshots.py
"""

from __future__ import annotations

import os

from playwright.sync_api import expect
from sqlalchemy import select

from extensions import db
from fellows.demo import DEMO_PASSWORD, ORGANISER_EMAIL
from tests.browser.conftest import sign_in
from tests.browser.support import ROOT, SCREENSHOTS

GUIDE_IMAGES = ROOT / "docs" / "guides" / "images"
WIDTH = 1000


def _folder():
    folder = GUIDE_IMAGES if os.environ.get("UPDATE_GUIDE_SCREENSHOTS") else SCREENSHOTS / "guides"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _picture(locator, name: str) -> None:
    locator.scroll_into_view_if_needed()
    path = _folder() / f"{name}.png"
    locator.screenshot(path=path, animations="disabled", timeout=15_000)
    assert path.stat().st_size > 5_000, f"{name}.png is nearly empty"


def test_the_organisers_guide_pictures_show_the_demo_funnel_brief_network_and_themes(app, runner, page):
    from programmes.models import VisitProgramme

    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        visit = db.session.scalar(select(VisitProgramme).order_by(VisitProgramme.starts_on.desc()))
        visit_id, fellow_id = visit.id, visit.fellow_id
    viewport = {"width": WIDTH, "height": 900}

    organiser = page
    organiser.set_viewport_size(viewport)
    sign_in(organiser, ORGANISER_EMAIL, DEMO_PASSWORD)
    organiser.goto(f"/organiser/visits/{visit_id}")
    invitations = organiser.locator("section[aria-labelledby=tracker]")
    expect(invitations.get_by_role("heading", name="The funnel")).to_be_visible()
    expect(invitations.locator("table.targets")).to_contain_text("1 of 2")
    _picture(invitations, "organiser-funnel")

    organiser.goto(f"/programme/fellows/{fellow_id}/brief")
    expect(organiser.get_by_role("heading", name="Version 2")).to_be_visible()
    expect(organiser.locator("ins").first).to_be_visible()  # the words version 2 added
    _picture(organiser.locator("main"), "organiser-brief")

    organiser.goto("/organiser/programme-network")
    fields = organiser.locator("section[aria-labelledby=fields]")
    expect(fields.locator("figure.chart svg")).to_be_visible()
    expect(fields.locator("#field-table")).to_contain_text("Thin")
    _picture(fields, "organiser-network")

    organiser.goto("/organiser/workshop-themes")
    theme = organiser.locator("article.theme").filter(has_text="AI policy").first
    expect(theme).to_contain_text("Esther Nwosu")
    expect(theme.get_by_role("link", name="Plan a workshop on this theme")).to_be_visible()
    _picture(theme, "organiser-themes")
