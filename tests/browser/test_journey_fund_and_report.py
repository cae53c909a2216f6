"""Journeys of the participation fund and of the reports, in Chromium, with the mouse and with the
keyboard only: a referent records the residents' committee's decision on an application to the
fund; a prefect's delegate requests a PDF report, watches its status change and downloads it. Both
log in through the real login page and the second factor."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.utils import timezone

from evaluation import tasks as evaluation_tasks
from evaluation.models import Report, ReportStatus
from participation.roles import Role
from projects.models import GrantStatus
from qpv.models import QPV
from tests.browser.journeys import MODES, Driver, at, emails_to, log_in
from tests.participation.factories import PASSWORD, UserFactory, grant
from tests.projects.factories import FundEnvelopeFactory, GrantApplicationFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

REASON = "Le comité finance le matériel ; l'alimentation sera offerte par les commerçants."


def staff_member(email: str, name: str, role: Role, **scope):
    from tests.helpers import activate_totp

    user = UserFactory(email=email, full_name=name)
    grant(user, role, **scope)
    user.totp_secret = activate_totp(user)
    return user


@pytest.mark.parametrize("mode", MODES)
def test_a_referent_records_the_committee_decision_on_a_fund_application(
    mode, new_context, mailoutbox, screenshot
):
    from playwright.sync_api import expect

    sanitas = QPV.objects.select_related("commune").get(slug="sanitas")
    referent = staff_member(
        "ines.moreau@example.org", "Inès Moreau", Role.REFERENT, commune=sanitas.commune
    )
    envelope = FundEnvelopeFactory(
        qpv=sanitas, year=timezone.localdate().year, amount=Decimal("10000.00")
    )
    application = GrantApplicationFactory(
        envelope=envelope,
        title="Fête des voisins de la place Saint-Paul",
        amount_requested=Decimal("1500.00"),
        contact_email="collectif.saint-paul@example.org",
    )

    page = new_context(reduced_motion="reduce").new_page()
    ui = Driver(page, mode)
    page.goto("/")
    log_in(ui, referent.email, PASSWORD, totp_secret=referent.totp_secret)
    ui.follow(page.locator(".site-header").get_by_role("link", name="Espace pro"))
    ui.follow(page.locator("main").get_by_role("link", name="Fonds de participation des habitants"))
    ui.follow(page.locator(".fund-table").get_by_role("link", name="Sanitas"))
    card = page.locator(f"#application-{application.pk}")
    expect(card).to_contain_text(application.title)

    # The committee granted 1 200 € of the 1 500 € asked: less than asked, so a reason.
    ui.open_details(card.locator("summary", has_text="Enregistrer la décision du comité"))
    prefix = f"decide-{application.pk}"
    ui.choose(card.locator(f'input[name="{prefix}-decision"][value="granted"]'))
    ui.fill(card.locator(f'input[name="{prefix}-amount"]'), "1200")
    ui.fill(card.locator(f'textarea[name="{prefix}-reason"]'), REASON)
    ui.follow(card.get_by_role("button", name="Enregistrer la décision"))
    expect(page).to_have_url(
        re.compile(rf"/espace-pro/fonds/{envelope.pk}/#application-{application.pk}$")
    )
    expect(page.locator(".alert-success")).to_contain_text(application.title)
    card = page.locator(f"#application-{application.pk}")
    expect(card.locator(".fund-status")).to_contain_text("Accordée")
    expect(card).to_contain_text(REASON)
    screenshot(page, f"journey-fund-{mode}-decided", full_page=False)
    application.refresh_from_db()
    assert application.status == GrantStatus.GRANTED
    assert application.amount_granted == Decimal("1200.00")
    assert application.decided_by == referent
    assert emails_to(mailoutbox, "collectif.saint-paul@example.org")
    ui.finish()


@pytest.mark.parametrize("mode", MODES)
def test_a_delegate_requests_a_report_watches_its_status_and_downloads_it(
    mode, new_context, monkeypatch, screenshot
):
    from playwright.sync_api import expect

    sanitas = QPV.objects.get(slug="sanitas")
    delegate = staff_member("prefet.delegue@example.org", "Paul Renard", Role.DELEGATE, qpv=sanitas)
    # Celery runs eagerly in tests: the build would be over before the page shows. Keep the
    # queued builds here instead, as a broker would, and run them when the page is watched.
    queued: list[int] = []
    monkeypatch.setattr(evaluation_tasks.build_report, "delay", queued.append)

    page = new_context(reduced_motion="reduce").new_page()
    ui = Driver(page, mode)
    page.goto("/")
    log_in(ui, delegate.email, PASSWORD, totp_secret=delegate.totp_secret)
    ui.follow(page.locator(".site-header").get_by_role("link", name="Espace pro"))
    ui.follow(page.locator("main").get_by_role("link", name="Indicateurs"))
    ui.follow(page.get_by_role("link", name="Demander un rapport PDF"))
    expect(page.locator("h1")).to_contain_text("Rapports")
    ui.select(page.locator('select[name="scope"]'), value="qpv:sanitas")
    ui.select(page.locator('select[name="preset"]'), value="year-2025")
    ui.follow(page.get_by_role("button", name="Demander le rapport"))

    # The status page: queued, and it says it updates by itself.
    report = Report.objects.get()
    assert queued == [report.pk]
    expect(page).to_have_url(at(rf"/espace-pro/rapports/{report.pk}/"))
    status = page.locator("#report-status")
    expect(status).to_have_attribute("data-hx-trigger", "every 2s")
    expect(status.locator(".report-badge")).to_contain_text("En file d'attente")
    expect(status).to_contain_text("toutes les 2 secondes")
    # The live region a screen reader follows is outside the replaced block, and empty: the polls
    # that find nothing new say nothing.
    announcer = page.locator("#report-announcer")
    expect(announcer).to_have_attribute("role", "status")
    expect(announcer).to_have_text("")
    screenshot(page, f"journey-report-{mode}-queued", full_page=False)

    # The page polls every 2 seconds. A keyboard user waiting on "Refresh the status" keeps the
    # focus through each refresh (htmx finds the new block's action by its id).
    refresh = status.get_by_role("link", name="Actualiser le statut")
    if ui.keyboard:
        ui.tab_to(refresh)
        page.evaluate(
            """() => { window.journeySwaps = 0;
              document.body.addEventListener("htmx:afterSettle", () => window.journeySwaps++); }"""
        )
        page.wait_for_function("() => window.journeySwaps >= 1")
        expect(refresh).to_be_focused()

    # A worker builds it; the page follows without a reload, then stops polling. The keyboard
    # user's focus moves from "Refresh" to the download link.
    evaluation_tasks.build_report.apply(args=[report.pk])
    report.refresh_from_db()
    assert report.status == ReportStatus.READY
    download_link = status.get_by_role("link", name=re.compile("Télécharger le PDF"))
    expect(download_link).to_be_visible(timeout=15_000)
    expect(status).not_to_have_attribute("data-hx-trigger", re.compile("."))
    expect(status.locator(".report-badge")).to_contain_text("Prêt")
    # The change is announced once, in the live region that stayed in place.
    expect(announcer).to_have_text("Le rapport est prêt : vous pouvez télécharger le PDF.")
    expect(announcer).to_have_attribute("role", "status")
    ui.expect_focus_kept(download_link)
    screenshot(page, f"journey-report-{mode}-ready", full_page=False)
    with ui.download() as download_info:
        ui.press(download_link)
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as handle:
        content = handle.read()
    assert content.startswith(b"%PDF-")
    assert len(content) == report.size
    if ui.keyboard:
        ui.assert_no_trap()
    ui.finish()
