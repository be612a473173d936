"""The axe helper itself: a page with known faults is reported, by rule, impact, element and address."""

import pytest


def test_axe_reports_serious_violations_with_page_rule_and_element(page, axe, live_server):
    # A page the app does not serve, answered by the browser itself: an image without a text alternative
    # (critical) and grey-on-white text (serious).
    page.route(
        f"{live_server}/broken",
        lambda route: route.fulfill(
            content_type="text/html",
            body='<!doctype html><html lang="en"><title>t</title><main><h1>Broken</h1>'
            '<img src="data:," id="photo"><p style="color:#bbb">faint</p></main></html>',
        ),
    )
    page.goto("/broken")
    axe.settle()
    found = {(v.rule, v.impact): v for v in axe.violations}
    assert ("image-alt", "critical") in found and ("color-contrast", "serious") in found
    assert found[("image-alt", "critical")].targets == ["#photo"]
    with pytest.raises(AssertionError, match=r"/broken: image-alt \[critical\]"):
        axe.assert_clean()
    axe.violations.clear()  # the faults were planted; the test itself passes
