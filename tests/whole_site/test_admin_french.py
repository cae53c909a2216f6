"""The admin in French, every page of it (issue 19).

A coordinator walks every registered model's list, add, change, delete and history pages, and the
"delete selected" confirmation, with one object of each. A page fails on an English label known to
have leaked from a third-party app, on a French article before a vowel that Django's sentences
glue to a model's name ("Ajout de attribution de rôle"), and a model, app or field name fails when
its French is its English msgid (not translated) unless it reads the same in both languages.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import translation

from tests.participation.factories import UserFactory
from tests.projects.factories import GrantApplicationFactory
from tests.whole_site.test_query_bounds import _admin_object, _build_world

pytestmark = pytest.mark.django_db

# English that third-party apps (allauth, auditlog, Django's permissions) showed in the admin.
KNOWN_LEAKS = (
    "MFA",
    "Authenticator",
    "authenticator",
    "User session",
    "user session",
    "Scope label",
    "Correlation ID",
    "Resource",
    "Changes",
    "Created",
    "Set by",
    "Author",
    "Submitted by",
    "Decided by",
    "Recorded by",
    "Last seen",
    "Last used",
    "User agent",
    "Can add",
    "Can change",
    "Can delete",
    "Can view",
    "Configure the",
    " object (",
    "group-permission",
)
# Whole texts that are English words on their own (a cell, a filter's choice).
KNOWN_LEAK_TEXTS = {"create", "update", "delete", "access", "system", "None", "Qpv", "Ip", "Data"}
# Code names: of a content type (the audit log's filter), of a model without a name.
KNOWN_LEAK_TEXTS |= {"answer", "project", "question", "report", "roleassignment", "fundenvelope"}
LEAK_PATTERN = re.compile(r"\b(?:" + "|".join(re.escape(leak) for leak in KNOWN_LEAKS) + ")")
# "de" and "le" before a vowel are elided in French: "de attribution" is Django's "Ajout de %s".
NO_ELISION = re.compile(r"\b(?:[Dd]e|[Ll]e|[Qq]ue) [aeiouyàâéèêëîïôûAEIOUYÀÂÉÈÊÎÔÛ]")

# Names that read the same in French and in English.
SAME_IN_BOTH = {
    "action",
    "actions",
    "commune",
    "communes",
    "date",
    "description",
    "dialogue",
    "format",
    "id",
    "institution",
    "note",
    "permissions",
    "population",
    "qpv",
    "question",
    "questions",
    "session",
    "structure",
    "structures",
    "type",
}


class _Text(HTMLParser):
    """A page's text nodes and the texts of its title/aria-label/placeholder attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "textarea"):
            self._skip += 1
        self.texts += [
            value
            for name, value in attrs
            if name in ("title", "aria-label", "placeholder") and value
        ]

    def handle_endtag(self, tag):
        if tag in ("script", "style", "textarea"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(" ".join(data.split()))


def _texts(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return parser.texts


def _english(texts: list[str]) -> list[str]:
    return sorted({text for text in texts if text in KNOWN_LEAK_TEXTS or LEAK_PATTERN.search(text)})


def _unelided(texts: list[str]) -> list[str]:
    return sorted({text for text in texts if NO_ELISION.search(text)})


@pytest.fixture
def admin_world(client):
    world = _build_world()
    coordinator = world.users["coordinator"]
    # One object of each model the dataset lacks.
    group = Group.objects.create(name="Équipe")
    group.permissions.add(*Permission.objects.filter(codename__in=["configure", "add_meeting"]))
    Authenticator.objects.create(user=coordinator, type=Authenticator.Type.TOTP, data={})
    UserSession.objects.create(
        user=coordinator, ip="192.0.2.1", session_key="k" * 32, user_agent="Firefox"
    )
    GrantApplicationFactory(envelope=world.envelope)
    superuser = UserFactory(is_superuser=True)
    client.force_login(superuser)
    return world


def _pages(world) -> list[str]:
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        opts = model._meta
        base = f"admin:{opts.app_label}_{opts.model_name}"
        urls += [
            reverse("admin:app_list", args=[opts.app_label]),
            reverse(f"{base}_changelist"),
            reverse(f"{base}_add"),
        ]
        obj = _admin_object(world, model)
        assert obj is not None, f"No {opts.label} to open in the admin"
        urls += [
            reverse(f"{base}_{view}", args=[obj.pk]) for view in ("change", "delete", "history")
        ]
    return list(dict.fromkeys(urls))


def test_every_admin_page_is_in_french(client, admin_world):
    failures = []
    opened = 0
    for url in _pages(admin_world):
        response = client.get(url)
        # Some models cannot be added nor deleted by hand (audit log, authenticators): 403.
        assert response.status_code in (200, 403), (url, response.status_code)
        if response.status_code != 200:
            continue
        opened += 1
        texts = _texts(response.content.decode())
        if english := _english(texts):
            failures.append(f"{url}: English {english}")
        if unelided := _unelided(texts):
            failures.append(f"{url}: no elision {unelided}")
    assert opened > 60
    assert not failures, "\n".join(failures)


def test_the_delete_selected_action_asks_in_french(client, admin_world):
    failures = []
    for model in admin.site._registry:
        opts = model._meta
        obj = _admin_object(admin_world, model)
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        response = client.post(
            url, {"action": "delete_selected", "_selected_action": [obj.pk], "index": 0}
        )
        if response.status_code != 200:  # no delete action: back to the list
            continue
        texts = _texts(response.content.decode())
        if problems := _english(texts) + _unelided(texts):
            failures.append(f"{url} delete_selected: {problems}")
    assert not failures, "\n".join(failures)


def _names():
    """(what, English, French) of every app, registered model and field the admin shows."""
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        app = apps.get_app_config(opts.app_label)
        yield f"app {app.label}", app.verbose_name
        yield f"model {opts.label}", opts.verbose_name
        yield f"model {opts.label} (plural)", opts.verbose_name_plural
        for inline in model_admin.inlines:
            yield f"inline {inline.model._meta.label}", inline.model._meta.verbose_name_plural
        for field in _shown_fields(model, model_admin):
            yield f"field {opts.label}.{field.name}", field.verbose_name


def _shown_fields(model, model_admin):
    """The model's fields on the admin's form (its fieldsets, else every editable field), in its
    list's columns and filters."""
    opts = model._meta
    if model_admin.fieldsets:
        names = {name for _title, options in model_admin.fieldsets for name in options["fields"]}
    else:
        names = {field.name for field in opts.get_fields() if getattr(field, "editable", False)}
    names |= {name for name in model_admin.list_display if isinstance(name, str)}
    names |= {name for name in model_admin.list_filter if isinstance(name, str)}
    names |= set(model_admin.readonly_fields)
    for name in sorted(names):
        field = next((f for f in opts.get_fields() if f.name == name), None)
        if field is not None and not field.auto_created:
            yield field


def test_every_name_the_admin_shows_is_translated():
    untranslated = []
    for what, name in _names():
        with translation.override("en"):
            english = str(name)
        with translation.override("fr"):
            french = str(name)
        if french == english and english.lower() not in SAME_IN_BOTH:
            untranslated.append(f"{what}: {english!r}")
    assert not untranslated, "\n".join(sorted(set(untranslated)))


def test_known_leaks_are_caught():
    """Guard: the checks see what the issue reported."""
    texts = _texts(
        "<h1>Ajout de attribution de rôle</h1><th>Scope label</th><a title='User sessions'>x</a>"
        "<td>create</td>"
    )
    assert _unelided(texts) == ["Ajout de attribution de rôle"]
    assert _english(texts) == ["Scope label", "User sessions", "create"]
    assert _english(["Création : Ines", "Sessions utilisateur", "Créée par"]) == []
