"""`manage.py load_demo`: one account per role on real QPV, spaces, a year of meetings; idempotent."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F
from django.utils import timezone

from dialogue.models import DialogueSpace, Meeting, MeetingStatus, Registration, WalkIn
from dialogue.selectors.attendance import attendance_summary
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
        WalkIn.objects.count(),
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
    # Attendance: the held meetings were logged at the door, registrants and walk-ins.
    held = Meeting.objects.filter(status=MeetingStatus.HELD)
    assert not held.filter(attendance_saved_at__isnull=True).exists()
    assert (
        not Meeting.objects.exclude(status=MeetingStatus.HELD)
        .filter(attendance_saved_at__isnull=False)
        .exists()
    )
    present = Registration.objects.filter(attended=True)
    assert present.count() > 0.7 * Registration.objects.filter(meeting__in=held).count()
    assert not present.exclude(meeting__in=held).exists()
    assert set(WalkIn.objects.values_list("category", flat=True)) == {
        "resident",
        "association",
        "institution",
        "elected",
    }
    assert set(WalkIn.objects.values_list("first_time", flat=True)) == {True, False, None}
    busiest = held.order_by("-starts_at").first()
    summary = attendance_summary(busiest)
    assert summary.total > 0
    assert summary.women + summary.men + summary.other_gender + summary.gender_not_said == (
        summary.total
    )
    # People come back: registrants counted as returning across the year.
    assert sum(attendance_summary(m).returning for m in held.order_by("-starts_at")[:5]) > 0
    from dialogue.models import Feedback, Minutes, SpeakingTurn

    held_with_log = Meeting.objects.filter(status="held")
    assert Minutes.objects.filter(status="published").count() > held_with_log.count() // 2
    assert SpeakingTurn.objects.values("meeting").distinct().count() > held_with_log.count() // 3
    assert Feedback.objects.count() > 50
    # Issue 6, "Vous avez dit, nous avons fait" and news: every outcome, metropole-wide news, an image.
    from projects.models import InfluenceRecord
    from qpv.models import NewsItem

    assert (
        set(InfluenceRecord.objects.values_list("outcome", flat=True))
        == {"adopted", "partly", "not_adopted"}
        and NewsItem.objects.published().filter(qpv=None).exists()
        and NewsItem.objects.exclude(image="").exclude(image_alt="").exists()
    )
    # Issue 6, the fund: an envelope per QPV for 2024-2026, all kinds of decision, payments.
    from projects.models import FundEnvelope, GrantApplication, GrantPayment
    from projects.selectors import with_consumption

    assert (
        FundEnvelope.objects.filter(year__in=[2024, 2025, 2026]).values("qpv", "year").count() == 39
        and {"granted", "refused", "submitted"}
        <= set(GrantApplication.objects.values_list("status", flat=True))
        and GrantApplication.objects.filter(amount_granted__lt=F("amount_requested")).exists()
        and GrantApplication.objects.exclude(decision_meeting=None).exists()
        and GrantPayment.objects.exists()
        and not with_consumption(FundEnvelope.objects.all()).filter(left__lt=0).exists()
    )
    # Issue 6, projects: every stage in several QPV, evaluations, a reasoned abandon, ideas pending.
    from projects.models import Project, ProjectStage

    assert (
        set(Project.objects.public().values_list("stage", flat=True)) == set(ProjectStage)
        and Project.objects.values("qpv").distinct().count() >= 5
        and Project.objects.filter(stage="evaluated", evaluation__isnull=False).count() >= 2
        and Project.objects.filter(stage="abandoned").exclude(abandoned_reason="").exists()
        and Project.objects.filter(moderation="pending", origin="online").count() == 2
        and Project.objects.exclude(origin_meeting=None).exists()
        and Project.objects.exclude(origin_question=None).exists()
        and not Project.objects.public().filter(steps=None).exists()
    )
    # Issue 19: the dashboard and the reports of the local run show targets (the examples).
    from evaluation.models import IndicatorTarget

    assert {("meetings_held", 10), ("questions_on_time_rate", 80)} <= {
        (code, int(value)) for code, value in IndicatorTarget.objects.values_list("code", "value")
    }
    before = counts()
    call_command("load_demo", "--quiet")
    assert counts() == before


def test_demo_data_refused_in_production(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("load_demo")


def test_demo_staff_pass_the_second_factor_with_the_demo_code(settings, capsys):
    from allauth.mfa import app_settings
    from django.urls import reverse

    from tests.helpers import PortalClient

    settings.DEBUG = True
    call_command("load_demo", "--quiet")
    capsys.readouterr()
    client = PortalClient()
    response = client.post(
        reverse("account_login"),
        {"login": "referente.tours@example.org", "password": "demo-quartiers-2026"},
    )
    assert response.url == reverse("mfa_authenticate")
    # The code is read off the "app" at the last moment, in a period that does not end at once
    # (a loaded machine may take seconds between the two steps).
    left = app_settings.TOTP_PERIOD - time.time() % app_settings.TOTP_PERIOD
    if left < 5:
        time.sleep(left + 0.2)
    call_command("demo_code")
    code = capsys.readouterr().out.split()[0]
    assert code.isdigit() and len(code) == 6
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert client.get("/espace-pro/").status_code == 200
    # Residents have no second factor to type.
    assert not User.objects.get(email="habitante@example.org").authenticator_set.exists()


def test_demo_code_refused_in_production(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("demo_code")
