"""What people type in a search box is taken literally: LIKE's wildcards % and _ match only themselves
(core.search.contains_text), on every list page that searches text."""

from __future__ import annotations

import pytest

from tests.events_helpers import text_of


@pytest.fixture
def people(make_fellow, make_organiser, make_organisation, make_event):
    plain = make_organisation("Plain Office")
    odd = make_organisation("Office_of 100% Results")
    make_fellow(name="Ada Lovelace", organisation_id=plain.id, visibility="public")
    make_fellow(name="Grace Hopper", organisation_id=odd.id, visibility="public")
    make_event(title="Lunch on data", state="published", audience="public")
    make_event(title="Lunch at 100% capacity", state="published", audience="public")
    return make_organiser()


@pytest.mark.parametrize(
    ("path", "wanted", "unwanted"),
    [
        ("/fellows?q=%", "Grace Hopper", "Ada Lovelace"),
        ("/fellows?q=_", "Grace Hopper", "Ada Lovelace"),
        ("/organiser/fellows?q=%", "Grace Hopper", "Ada Lovelace"),
        ("/organiser/organisations?q=_", "Office_of 100% Results", "Plain Office"),
        ("/organiser/events?q=%", "Lunch at 100% capacity", "Lunch on data"),
        ("/events?q=%", "Lunch at 100% capacity", "Lunch on data"),
    ],
)
def test_a_typed_wildcard_matches_only_itself(people, login, path, wanted, unwanted):
    page = text_of(login(people).get(path))
    assert wanted in page
    assert unwanted not in page
