"""`manage.py load_demo`: one account per role on real QPV, spaces, a year of meetings; idempotent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from dialogue.models import DialogueSpace, Meeting, Registration
from participation.models import RoleAssignment, User
from participation.roles import Role

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, ...]:
    return (
        User.objects.count(),
        RoleAssignment.objects.count(),
        DialogueSpace.objects.count(),
        Meeting.objects.count(),
        Registration.objects.count(),
    )


def test_demo_data_cover_every_role_and_a_year_of_meetings(settings, capsys):
    settings.DEBUG = True
    call_command("load_demo")
    output = capsys.readouterr().out
    assert "demo-quartiers-2026" in output
    assert set(RoleAssignment.objects.values_list("role", flat=True)) == set(Role)
    for email in ["habitante@example.org", "coordinatrice@example.org", "delegue@example.org"]:
        assert email in output
        assert User.objects.get(email=email).check_password("demo-quartiers-2026")
    assert DialogueSpace.objects.values("qpv").distinct().count() == 13
    now = timezone.now()
    assert Meeting.objects.filter(starts_at__lt=now - timedelta(days=300)).exists()
    assert Meeting.objects.filter(starts_at__gt=now + timedelta(days=30)).exists()
    assert Registration.objects.filter(meeting__starts_at__lt=now).count() > 500
    before = counts()
    call_command("load_demo", "--quiet")
    assert counts() == before


def test_demo_data_refused_in_production(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("load_demo")
