"""A form sent with errors: the page title starts with "Erreur : " and the error summary takes the
focus (participation/templatetags/form_errors.py, templates/includes/form_errors.html). Every form
of the site is checked by tests/whole_site/test_html_valid.py; here, one per app and the tag."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.template import Context, Template
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from tests.dialogue.factories import MeetingFactory

pytestmark = pytest.mark.django_db

TITLE = re.compile(r"<title>\s*(.*?)\s*</title>", re.S)
SUMMARY = '<div class="alert alert-danger error-summary" tabindex="-1" autofocus>'


def title_of(response) -> str:
    return " ".join(TITLE.search(response.content.decode()).group(1).split())


def _guest_registration(actors, client) -> tuple[str, dict]:
    meeting = MeetingFactory(dialogue_space=actors.space)
    return reverse("dialogue:register", kwargs={"pk": meeting.pk}), {"name": "", "email": "x"}


def _question(actors, client) -> tuple[str, dict]:
    actors.login(client, "resident")
    return reverse("questions:question_ask", kwargs={"slug": "sanitas"}), {"text": ""}


def _news(actors, client) -> tuple[str, dict]:
    actors.login(client, "referent_tours")
    return reverse("qpv:news_create") + "?qpv=sanitas", {"title": ""}


def _project(actors, client) -> tuple[str, dict]:
    actors.login(client, "referent_tours")
    return reverse("projects:project_create") + "?qpv=sanitas", {"title": ""}


def _login(actors, client) -> tuple[str, dict]:
    return reverse("account_login"), {"login": "", "password": ""}


@pytest.mark.parametrize(
    "form", [_guest_registration, _question, _news, _project, _login], ids=lambda f: f.__name__
)
def test_a_form_sent_with_errors_is_titled_error(actors, client, form):
    url, data = form(actors, client)
    shown = client.get(url)
    assert shown.status_code == 200
    assert not title_of(shown).startswith("Erreur")
    refused = client.post(url, data)
    assert refused.status_code in (200, 400)
    assert title_of(refused).startswith("Erreur : "), title_of(refused)
    # The rest of the title is the page's own.
    assert title_of(refused).removeprefix("Erreur : ") == title_of(shown)
    page = refused.content.decode()
    if form is not _login:
        assert SUMMARY in page
    else:  # allauth's summary (allauth/includes/error_summary.html), same markup.
        assert 'error-summary" tabindex="-1" autofocus>' in page


class Name(forms.Form):
    name = forms.CharField()


TAG = Template("{% error_title %}")


def _render(**context) -> str:
    return TAG.render(Context(context))


def test_the_tag_sees_forms_sent_with_errors_wherever_the_context_holds_them():
    refused, accepted, blank = Name({"name": ""}), Name({"name": "Awa"}), Name()
    formset = forms.formset_factory(Name)(
        {"form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "0", "form-0-name": ""}
    )
    formset.forms[0].empty_permitted = False
    assert _render(form=refused) == "Erreur : "
    assert _render(items=[{"question": 1, "form": refused}]) == "Erreur : "
    assert _render(forms_by_pk={3: refused}) == "Erreur : "
    assert _render(formset=formset) == "Erreur : "
    assert _render(form=accepted, other=blank, items=[{"form": blank}]) == ""
    # Deeper than a list of dicts: not looked at (a page of forms is one level down at most).
    assert _render(deep=[[[refused]]]) == ""


def test_the_tag_does_not_evaluate_lazy_objects():
    """The user and the CSRF token are lazy in the context: looking for forms leaves them be."""

    def evaluated():
        raise AssertionError("a lazy object of the context was evaluated")

    assert _render(user=SimpleLazyObject(evaluated), form=Name({"name": ""})) == "Erreur : "
