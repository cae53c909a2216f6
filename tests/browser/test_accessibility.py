"""Accessibility in Chromium (issue 10): axe-core finds no WCAG 2.0 / 2.1 A or AA violation.

Every page type, logged out and logged in, at 1280 px and on a 360 px phone, is checked by
axe-core 4.11 (node_modules/axe-core, a devDependency), plus what axe's WCAG rules leave out
(unique ids, one h1 and no skipped heading level, one main landmark); so are forms submitted
empty, whose error summary must link to existing fields. No page scrolls sideways on the phone
(360 px, then 320 px) nor at 200 % zoom (a 640 px wide viewport at device scale factor 2: what a
1280 px screen shows at 200 %). The main pages are saved as screenshots under
artifacts/screenshots/ (a11y-*.png). The print test checks the print stylesheet of the meeting
page, the minutes and the Q&A, and saves their PDFs and the first printed page as a PNG.

The site's CSP forbids inline scripts, so axe is not added as a <script> tag: its source is
evaluated through the DevTools protocol (`page.evaluate`), which the page's CSP does not govern; the
pages keep their real CSP, and any CSP violation of the page itself fails the test.

The demo data (`manage.py load_demo`) fills the pages as in real life. It is loaded once: each
audience is a subtest of one test, which reports all the problems it finds, page by page.
"""

from __future__ import annotations

import io
import subprocess
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.browser.conftest import SCREENSHOTS
from tests.helpers import PortalClient, record_second_factor

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

AXE_SOURCE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_RUN = """async (tags) => {
  const results = await axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations"],
  });
  return results.violations.map((violation) => ({
    id: violation.id,
    impact: violation.impact,
    help: violation.help,
    helpUrl: violation.helpUrl,
    nodes: violation.nodes.map((node) => ({target: node.target.join(" "), html: node.html})),
  }));
}"""

# What axe's WCAG rules leave to others: unique identifiers (RGAA 8.2), one level 1 heading and
# no level skipped (RGAA 9.1), one main landmark (RGAA 9.2, 12.7).
STRUCTURE = r"""() => {
  const problems = [];
  const counts = new Map();
  for (const element of document.querySelectorAll("[id]")) {
    counts.set(element.id, (counts.get(element.id) || 0) + 1);
  }
  const twice = [...counts].filter(([, count]) => count > 1).map(([id]) => id);
  if (twice.length) problems.push(`identifiers used twice: ${twice.join(", ")}`);
  const headings = [...document.querySelectorAll("h1, h2, h3, h4, h5, h6, [role=heading]")]
    .filter((heading) => heading.getClientRects().length > 0)
    .map((heading) => ({
      level: Number(heading.getAttribute("aria-level") || heading.tagName.slice(1)),
      text: heading.textContent.trim().replace(/\s+/g, " ").slice(0, 60),
    }));
  const ones = headings.filter((heading) => heading.level === 1).length;
  if (ones !== 1) problems.push(`${ones} level 1 headings`);
  let previous = 0;
  for (const heading of headings) {
    if (heading.level > previous + 1) {
      problems.push(`heading level ${heading.level} after level ${previous}: "${heading.text}"`);
    }
    previous = heading.level;
  }
  const mains = document.querySelectorAll("main, [role=main]").length;
  if (mains !== 1) problems.push(`${mains} main landmarks`);
  return problems;
}"""

DESKTOP = "1280px"
PHONE = "360px"
ZOOM = "200%"
VIEWPORTS = {
    DESKTOP: {"viewport": {"width": 1280, "height": 900}},
    PHONE: {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True},
    # 1280 × 900 device pixels shown at 200 %: 640 × 450 CSS pixels, each 2 device pixels wide.
    ZOOM: {"viewport": {"width": 640, "height": 450}, "device_scale_factor": 2},
}
# axe runs at the two widths of the issue; the zoomed view is checked for sideways scrolling.
AXE_VIEWPORTS = {DESKTOP, PHONE}
REFLOW_VIEWPORTS = {PHONE, ZOOM}
SCREENSHOT_VIEWPORTS = {DESKTOP, PHONE}

DEMO_PASSWORD = "demo-quartiers-2026"


@cache
def axe_source() -> str:
    return AXE_SOURCE.read_text(encoding="utf-8")


def start_axe(page) -> None:
    """Start axe on the page without waiting: the pages of the other viewports load meanwhile."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    page.evaluate(f"tags => {{ window.axeViolations = ({AXE_RUN})(tags); }}", AXE_TAGS)


def axe_violations(page) -> list[dict]:
    return page.evaluate("() => window.axeViolations")


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"  {violation['id']} ({violation['impact']}): {violation['help']}\n"
            f"    {violation['helpUrl']}"
        )
        for node in violation["nodes"][:6]:
            html = textwrap.shorten(node["html"], 220, placeholder=" …")
            lines.append(f"    - {node['target']}\n      {html}")
        if len(violation["nodes"]) > 6:
            lines.append(f"    - … and {len(violation['nodes']) - 6} more")
    return "\n".join(lines)


@dataclass(frozen=True)
class Visit:
    """A page type: where it is, whether it is a main page (screenshots), how to reach its state."""

    name: str
    path: str
    shot: bool = False
    status: int = 200
    # After the page has loaded: reach the state to check (submit a form, log in…); may return a
    # problem found on the way.
    then: Callable | None = None


@dataclass
class Sweep:
    """The findings of a run over page types and viewports; `check()` fails with all of them."""

    label: str
    problems: list[str] = field(default_factory=list)
    views: int = 0
    axe_runs: int = 0
    started: float = field(default_factory=time.monotonic)
    seconds: dict[str, float] = field(default_factory=dict)

    def add(self, viewport: str, visit: Visit, page, text: str) -> None:
        parts = urlsplit(page.url)
        url = parts.path + (f"?{parts.query}" if parts.query else "")
        self.problems.append(f"[{viewport}] {visit.name} ({url})\n{text}")

    @contextmanager
    def timed(self, phase: str) -> Iterator[None]:
        started = time.monotonic()
        yield
        self.seconds[phase] = self.seconds.get(phase, 0) + time.monotonic() - started

    def check(self) -> None:
        seconds = time.monotonic() - self.started
        phases = ", ".join(f"{phase} {spent:.1f} s" for phase, spent in self.seconds.items())
        print(
            f"\n{self.label}: {self.views} page views, {self.axe_runs} axe runs in {seconds:.1f} s"
            f" ({phases})"
        )
        assert not self.problems, (
            f"{len(self.problems)} accessibility problem(s) — {self.label}:\n\n"
            + "\n\n".join(self.problems)
        )


def watch_resources(page) -> None:
    """Record the scripts, styles, images… that fail (the page itself may be a 404 on purpose)."""
    page.on(
        "response",
        lambda response: (
            page.problems.append(f"{response.status} on {response.url}")
            if response.status >= 400 and response.request.resource_type != "document"
            else None
        ),
    )


def page_problems(page) -> list[str]:
    """JavaScript errors, CSP violations and failed resources; the browser's own report of a 4xx
    page is left out (the status is checked, and failed resources are recorded one by one)."""
    problems = [
        problem for problem in page.problems if "Failed to load resource: the server" not in problem
    ]
    page.problems.clear()
    return problems


def scrolls_sideways(page) -> str | None:
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if width > inner:
        return f"  scrolls sideways: the page is {width} px wide in a {inner} px window"
    return None


def load(page, visit: Visit, viewport: str, result: Sweep, prefix: str) -> bool:
    """Open the page type, check the reflow, take the screenshot, start axe."""
    with result.timed("load"):
        response = page.goto(visit.path)
        status = response.status if response is not None else None
        if status != visit.status:
            result.add(viewport, visit, page, f"  HTTP {status}, expected {visit.status}")
            return False
        if visit.then is not None:
            problem = visit.then(page)
            if problem:
                result.add(viewport, visit, page, problem)
    result.views += 1
    if viewport in REFLOW_VIEWPORTS:
        with result.timed("reflow"):
            problem = scrolls_sideways(page)
            if viewport == PHONE and problem is None:
                # RGAA 10.11 and WCAG 1.4.10 say 320 px: the same page, narrowed.
                size = page.viewport_size
                page.set_viewport_size({"width": 320, "height": size["height"]})
                problem = scrolls_sideways(page)
                page.set_viewport_size(size)
            if problem:
                result.add(viewport, visit, page, problem)
    if visit.shot and viewport in SCREENSHOT_VIEWPORTS:
        with result.timed("screenshots"):
            name = f"a11y-{prefix}-{visit.name}-{viewport.removesuffix('px')}".replace(" ", "-")
            page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    if viewport in AXE_VIEWPORTS:
        with result.timed("axe"):
            structure = page.evaluate(STRUCTURE)
            if structure:
                result.add(viewport, visit, page, "  " + "\n  ".join(structure))
            start_axe(page)
        return True
    return False


def sweep(
    new_context,
    visits: list[Visit],
    *,
    label: str,
    prefix: str,
    session: Callable | None = None,
) -> Sweep:
    """Visit every page type at every viewport: one browser context (device) per viewport, the
    same page type opened in each before axe's results are read, so that axe runs in one
    renderer while the next one loads its page."""
    result = Sweep(label)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pages = {}
    for viewport, options in VIEWPORTS.items():
        context = new_context(**options)
        if session is not None:
            session(context)
        pages[viewport] = context.new_page()
        watch_resources(pages[viewport])
    for visit in visits:
        started = [
            viewport
            for viewport, page in pages.items()
            if load(page, visit, viewport, result, prefix)
        ]
        for viewport in started:
            result.axe_runs += 1
            with result.timed("axe"):
                violations = axe_violations(pages[viewport])
            if violations:
                result.add(viewport, visit, pages[viewport], describe(violations))
        for viewport, page in pages.items():
            problems = page_problems(page)
            if problems:
                result.add(viewport, visit, page, "  " + "\n  ".join(problems))
    for page in pages.values():
        page.context.close()
    return result


def session_of(live_server, user, *, second_factor: bool = True) -> Callable:
    """Put `user`'s session in a browser context (staff: with or without the second factor)."""

    def put(context) -> None:
        client = PortalClient()
        if second_factor:
            client.force_login(user)
            record_second_factor(client, user)
            # The password just confirmed again: allauth then opens its 2FA pages without asking
            # it (the page that asks it is checked on its own, "reauthenticate").
            session = client.session
            session[AUTHENTICATION_METHODS_SESSION_KEY] = [
                *session[AUTHENTICATION_METHODS_SESSION_KEY],
                {"method": "password", "at": time.time(), "reauthenticated": True},
            ]
            session.save()
        else:
            client.force_login_without_second_factor(user)
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )

    return put


# The demo data, and a few rows it lacks -----------------------------------------------------------


def load_site() -> SimpleNamespace:
    from dialogue.models import Meeting, MeetingStatus, MinutesStatus, RegistrationStatus
    from dialogue.tokens import confirm_path, manage_path
    from evaluation.models import Report, ReportStatus
    from participation.models import User
    from projects.models import GrantApplication, GrantStatus, ModerationStatus, Project
    from qpv.models import QPV, Follow, NewsItem
    from questions.models import Question, QuestionStatus
    from tests.dialogue.factories import MeetingFactory, RegistrationFactory
    from tests.questions.factories import QuestionFactory

    with override_settings(DEBUG=True):
        call_command("load_demo", "--quiet", stdout=io.StringIO())
    now = timezone.now()
    sanitas = QPV.objects.get(slug="sanitas")
    resident = User.objects.get(email="habitante@example.org")
    coordinator = User.objects.get(email="coordinatrice@example.org")
    upcoming = (
        Meeting.objects.filter(
            dialogue_space__qpv=sanitas,
            status=MeetingStatus.PLANNED,
            registration_required=True,
            starts_at__gt=now + timedelta(days=1),
        )
        .order_by("starts_at")
        .first()
    )
    held = (
        Meeting.objects.filter(
            dialogue_space__qpv=sanitas,
            status=MeetingStatus.HELD,
            minutes__status=MinutesStatus.PUBLISHED,
        )
        .order_by("-starts_at")
        .first()
    )
    # A meeting about to start: the check-in and the speaking-time tracker are open.
    today = MeetingFactory(
        dialogue_space=upcoming.dialogue_space,
        title="Café des habitants : le square",
        starts_at=now + timedelta(minutes=30),
        ends_at=now + timedelta(hours=2, minutes=30),
    )
    for name in ["Awa Diallo", "Karim Benali", "Lucie Martin"]:
        RegistrationFactory(meeting=today, name=name)
    guest = RegistrationFactory(
        meeting=upcoming, status=RegistrationStatus.PENDING, confirmed_at=None
    )
    RegistrationFactory(
        meeting=upcoming, user=resident, name=resident.full_name, email=resident.email
    )
    QuestionFactory(asked_by=resident, asker_email=resident.email, qpv=sanitas)
    Follow.objects.get_or_create(user=resident, qpv=sanitas)
    answered = (
        Question.objects.filter(status=QuestionStatus.ANSWERED, public_display=True)
        .order_by("pk")
        .first()
    )
    forwarded = Question.objects.filter(status=QuestionStatus.FORWARDED).order_by("pk").first()
    project = (
        Project.objects.filter(moderation=ModerationStatus.PUBLISHED, qpv=sanitas)
        .order_by("pk")
        .first()
    )
    application = (
        GrantApplication.objects.filter(
            status=GrantStatus.SUBMITTED, envelope__year=timezone.localdate().year
        )
        .select_related("envelope")
        .order_by("pk")
        .first()
    )
    news = NewsItem.objects.filter(is_published=True, published_at__lte=now).order_by("pk").first()
    ready = Report.objects.create(
        qpv=sanitas,
        period_start=now.date().replace(month=1, day=1),
        period_end=now.date(),
        requested_by=coordinator,
        status=ReportStatus.READY,
        progress=100,
        file="reports/rapport-sanitas.pdf",
        size=48_213,
        checksum="0" * 64,
        generated_at=now,
    )
    Report.objects.create(
        qpv=sanitas,
        period_start=now.date().replace(month=1, day=1),
        period_end=now.date(),
        requested_by=coordinator,
        status=ReportStatus.FAILED,
        error="Le serveur de calcul ne répondait pas.",
        attempts=3,
    )
    return SimpleNamespace(
        sanitas=sanitas,
        resident=resident,
        coordinator=coordinator,
        facilitator=User.objects.get(email="animatrice@example.org"),
        referent=User.objects.get(email="referente.tours@example.org"),
        upcoming=upcoming,
        today=today,
        held=held,
        guest_confirm=confirm_path(guest),
        guest_manage=manage_path(guest),
        answered=answered,
        forwarded=forwarded,
        project=project,
        application=application,
        envelope=application.envelope,
        news=news,
        report=ready,
    )


# Page types ---------------------------------------------------------------------------------------


def public_visits(site) -> list[Visit]:
    upcoming, held = site.upcoming.pk, site.held.pk
    return [
        Visit("home", "/", shot=True),
        Visit("qpv", "/quartiers/sanitas/", shot=True),
        Visit("agenda", "/rencontres/", shot=True),
        Visit("past meetings", "/rencontres/passees/"),
        Visit("meeting", f"/rencontres/{upcoming}/", shot=True),
        Visit("meeting held", f"/rencontres/{held}/"),
        Visit("meeting print", f"/rencontres/{upcoming}/imprimer/"),
        Visit("space", f"/espaces/{site.upcoming.dialogue_space_id}/"),
        Visit("registration form", f"/rencontres/{upcoming}/inscription/"),
        Visit("minutes", f"/rencontres/{held}/compte-rendu/", shot=True),
        Visit("questions", "/questions/", shot=True),
        Visit("question", f"/questions/{site.answered.pk}/", shot=True),
        Visit("ask", "/quartiers/sanitas/questions/poser/", shot=True),
        Visit("projects", "/projets/", shot=True),
        Visit("project", f"/projets/{site.project.pk}/", shot=True),
        Visit("funds", "/fonds/", shot=True),
        Visit("influence", "/vous-avez-dit/", shot=True),
        Visit("news", "/actualites/", shot=True),
        Visit("news item", f"/actualites/{site.news.pk}/"),
        Visit("legal notice", "/mentions-legales/"),
        Visit("privacy", "/donnees-personnelles/"),
        Visit("accessibility", "/accessibilite/", shot=True),
        Visit("sitemap", "/plan-du-site/"),
        Visit("glossary", "/glossaire/"),
        Visit("not found", "/rencontres/999999/", status=404),
        Visit("invalid link", "/inscriptions/gerer/not-a-link/", status=400),
        Visit("login", "/compte/login/", shot=True),
        Visit("signup", "/compte/signup/", shot=True),
        Visit("password reset", "/compte/password/reset/"),
        Visit("password reset sent", "/compte/password/reset/done/"),
        Visit("login by code", "/compte/login/code/"),
        # Last: the context then waits for the code (allauth sends /compte/login/ there).
        Visit("code entry", "/compte/login/code/", shot=True, then=ask_for_a_login_code),
    ]


def guest_link_visits(site) -> list[Visit]:
    """After the forms: opening a guest's emailed link remembers the registration in this browser,
    and the meeting page then shows it (and a cancel button) instead of the form (issue 17)."""
    return [
        Visit("guest confirmation", site.guest_confirm, shot=True),
        Visit("registration management", site.guest_manage, shot=True),
        Visit("meeting of a known guest", f"/rencontres/{site.upcoming.pk}/", shot=True),
    ]


def ask_for_a_login_code(page) -> None:
    page.locator("main input[type=email]").fill("habitante@example.org")
    page.locator("main form [type=submit]").first.click()
    page.wait_for_url("**/compte/login/code/confirm/")


def log_in_with_a_password(page) -> None:
    # A staff member with an authenticator app: the password leads to the code page.
    page.locator("main input[type=email]").fill("coordinatrice@example.org")
    page.locator("main input[type=password]").fill(DEMO_PASSWORD)
    page.locator("main form [type=submit]").first.click()
    page.wait_for_url("**/compte/2fa/authenticate/")


def resident_visits(site) -> list[Visit]:
    return [
        # First: allauth asks for the password again 5 minutes after it was last given.
        Visit("2fa activate", "/compte/2fa/totp/activate/", shot=True),
        Visit("2fa activate errors", "/compte/2fa/totp/activate/", then=submit_empty()),
        Visit("reauthenticate", "/compte/reauthenticate/", shot=True),
        Visit("home", "/"),
        Visit("qpv", "/quartiers/sanitas/"),
        Visit("meeting", f"/rencontres/{site.upcoming.pk}/", shot=True),
        Visit("ask", "/quartiers/sanitas/questions/poser/"),
        Visit("idea", "/quartiers/sanitas/projets/proposer/", shot=True),
        Visit("fund application", f"/fonds/{site.envelope.pk}/candidater/", shot=True),
        Visit("account", "/compte/", shot=True),
        Visit("my registrations", "/compte/inscriptions/", shot=True),
        Visit("my questions", "/compte/questions/", shot=True),
        Visit("my data", "/compte/mes-donnees/", shot=True),
        Visit("contact preferences", "/compte/preferences/", shot=True),
        Visit("delete account", "/compte/supprimer/", shot=True),
        Visit("emails", "/compte/email/"),
        Visit("password change", "/compte/password/change/"),
        Visit("sessions", "/compte/sessions/"),
        Visit("2fa", "/compte/2fa/"),
    ]


def staff_visits(site) -> list[Visit]:
    upcoming, held, today = site.upcoming.pk, site.held.pk, site.today.pk
    project, envelope = site.project.pk, site.envelope.pk
    return [
        # First: allauth asks for the password again 5 minutes after it was last given.
        Visit("recovery codes", "/compte/2fa/recovery-codes/", shot=True),
        Visit("home", "/espace-pro/", shot=True),
        Visit("space form", "/espace-pro/espaces/nouveau/?qpv=sanitas"),
        Visit("meeting form", f"/espace-pro/rencontres/{upcoming}/modifier/", shot=True),
        Visit("meeting cancel", f"/espace-pro/rencontres/{upcoming}/annuler/"),
        Visit("registrants", f"/espace-pro/rencontres/{upcoming}/inscrits/"),
        Visit("meeting log", f"/espace-pro/rencontres/{held}/journal/", shot=True),
        Visit("check-in", f"/espace-pro/rencontres/{today}/accueil/", shot=True),
        Visit("tracker", f"/espace-pro/rencontres/{today}/temps-de-parole/", shot=True),
        Visit(
            "walk-ins",
            f"/espace-pro/rencontres/{today}/accueil/sans-inscription/plusieurs/",
        ),
        Visit("minutes edit", f"/espace-pro/rencontres/{held}/compte-rendu/", shot=True),
        Visit("feedback qr", f"/espace-pro/rencontres/{held}/avis/qr/"),
        Visit("meeting questions", f"/espace-pro/rencontres/{upcoming}/questions/"),
        Visit("questions", "/espace-pro/questions/", shot=True),
        Visit("question", f"/espace-pro/questions/{site.forwarded.pk}/", shot=True),
        Visit("moderation", "/espace-pro/questions/moderation/"),
        Visit("projects", "/espace-pro/projets/", shot=True),
        Visit("project new", "/espace-pro/projets/nouveau/?qpv=sanitas"),
        Visit("project step", f"/espace-pro/projets/{project}/etape/"),
        Visit("project evaluation", f"/espace-pro/projets/{project}/evaluation/"),
        Visit("ideas", "/espace-pro/projets/idees/"),
        Visit("funds", "/espace-pro/fonds/", shot=True),
        Visit("fund decision", f"/espace-pro/fonds/{envelope}/", shot=True),
        Visit("fund new", "/espace-pro/fonds/nouveau/"),
        Visit("influence", "/espace-pro/vous-avez-dit/", shot=True),
        Visit("influence qpv", "/espace-pro/vous-avez-dit/nouveau/"),
        Visit("influence new", "/espace-pro/vous-avez-dit/nouveau/?qpv=sanitas"),
        Visit("news", "/espace-pro/actualites/", shot=True),
        Visit("news new", "/espace-pro/actualites/nouvelle/"),
        Visit("dashboard", "/espace-pro/indicateurs/", shot=True),
        Visit("reports", "/espace-pro/rapports/", shot=True),
        Visit("report", f"/espace-pro/rapports/{site.report.pk}/"),
        Visit("audit log", "/espace-pro/journal-d-audit/", shot=True),
        Visit("sms usage", "/espace-pro/sms/"),
    ]


# Forms submitted empty: the error summary and the fields in error must pass too.


BROKEN_ERROR_LINKS = """() => [...document.querySelectorAll(".error-summary a[href^='#']")]
  .map((link) => link.getAttribute("href"))
  .filter((href) => !document.getElementById(decodeURIComponent(href.slice(1))))"""


# The state of a page whose form came back with errors (issue 18): the summary has the focus and
# the title says "Erreur : " first.
ERROR_STATE = """() => {
  const summary = document.querySelector(".error-summary");
  return {
    summary: summary !== null,
    focused: summary !== null && document.activeElement === summary,
    tabindex: summary && summary.getAttribute("tabindex"),
    heading: summary !== null && summary.querySelector("h2, h3") !== null,
    title: document.title,
  };
}"""


SUMMARY_FOCUSED = """() => {
  const summary = document.querySelector(".error-summary");
  return summary === null || document.activeElement === summary;
}"""


def summary_focus_problem(page) -> str | None:
    # The summary is focused by a deferred script once the page has loaded: wait for it (a page that
    # never focuses it still fails below), rather than read the state as soon as the summary exists.
    with suppress(PlaywrightTimeoutError):
        page.wait_for_function(SUMMARY_FOCUSED, timeout=3000)
    state = page.evaluate(ERROR_STATE)
    if not state["summary"]:
        return None
    if state["focused"] and state["title"].startswith("Erreur : ") and state["heading"]:
        return None
    return f"  error summary not focused or page not titled “Erreur : ”: {state}"


def ask_sms_without_a_number(page) -> str | None:
    """The contact preferences have no empty error: SMS ticked, no number."""
    page.locator("#id_sms_updates").check()
    page.locator("#id_phone").fill("")
    return submit_empty("main form.contact-preferences")(page)


def submit_empty(form: str = "main form[method=post]") -> Callable:
    def submit(page) -> None:
        target = page.locator(form).first
        # The browser's own checks (required…) would stop the submission: the server's count.
        # A form folded in a <details> is unfolded first, as a user would.
        target.evaluate(
            "form => { form.noValidate = true; const box = form.closest('details');"
            " if (box) { box.open = true; } }"
        )
        # The form's own button: not a search inside it (the question search's, formnovalidate).
        target.locator("[type=submit]:not([formnovalidate]):not([hidden])").first.click()
        page.locator(".error-summary, .is-invalid, .invalid-feedback").first.wait_for()
        # Each error of the summary links to its field.
        broken = page.evaluate(BROKEN_ERROR_LINKS)
        if broken:
            return "  error summary links to no field: " + ", ".join(broken)
        return summary_focus_problem(page)

    return submit


def public_forms(site) -> list[Visit]:
    return [
        Visit(
            "meeting errors",
            f"/rencontres/{site.upcoming.pk}/",
            shot=True,
            then=submit_empty('main form[action$="/inscription/"]'),
        ),
        Visit("ask errors", "/quartiers/sanitas/questions/poser/", shot=True, then=submit_empty()),
        Visit("login errors", "/compte/login/", then=submit_empty()),
        Visit("signup errors", "/compte/signup/", shot=True, then=submit_empty()),
        Visit("login by code errors", "/compte/login/code/", then=submit_empty()),
        Visit("password reset errors", "/compte/password/reset/", then=submit_empty()),
    ]


def resident_forms(site) -> list[Visit]:
    return [
        Visit("reauthenticate errors", "/compte/reauthenticate/", then=submit_empty()),
        Visit("idea errors", "/quartiers/sanitas/projets/proposer/", then=submit_empty()),
        Visit(
            "fund application errors",
            f"/fonds/{site.envelope.pk}/candidater/",
            shot=True,
            then=submit_empty(),
        ),
        Visit("password change errors", "/compte/password/change/", then=submit_empty()),
        Visit("contact preferences errors", "/compte/preferences/", then=ask_sms_without_a_number),
    ]


def staff_forms(site) -> list[Visit]:
    space, project = site.upcoming.dialogue_space_id, site.project.pk
    return [
        Visit(
            "meeting new errors",
            f"/espace-pro/rencontres/nouvelle/?espace={space}",
            shot=True,
            then=submit_empty(),
        ),
        Visit("space errors", "/espace-pro/espaces/nouveau/?qpv=sanitas", then=submit_empty()),
        Visit("project errors", "/espace-pro/projets/nouveau/?qpv=sanitas", then=submit_empty()),
        Visit("project step errors", f"/espace-pro/projets/{project}/etape/", then=submit_empty()),
        Visit(
            "fund decision errors",
            f"/espace-pro/fonds/{site.envelope.pk}/",
            shot=True,
            then=submit_empty('main form[action*="/decision/"]'),
        ),
        Visit("fund errors", "/espace-pro/fonds/nouveau/", then=submit_empty()),
        Visit(
            "influence errors",
            "/espace-pro/vous-avez-dit/nouveau/?qpv=sanitas",
            then=submit_empty(),
        ),
        Visit("news errors", "/espace-pro/actualites/nouvelle/", then=submit_empty()),
        Visit(
            "question errors",
            f"/espace-pro/questions/{site.forwarded.pk}/",
            then=submit_empty('main form[action$="/echeance/"]'),
        ),
    ]


# Tests --------------------------------------------------------------------------------------------


def test_every_page_type_passes_axe_and_reflows(subtests, new_context, live_server):
    """One load of the demo data; each audience is a subtest that lists all its findings."""
    site = load_site()
    resident = session_of(live_server, site.resident)
    coordinator = session_of(live_server, site.coordinator)
    runs = [
        (
            "logged out",
            "public",
            None,
            public_visits(site) + public_forms(site) + guest_link_visits(site),
        ),
        ("resident", "resident", resident, resident_visits(site) + resident_forms(site)),
        ("coordinator", "staff", coordinator, staff_visits(site) + staff_forms(site)),
        (
            # A password login by a staff member with an authenticator app: the code page.
            "staff logging in",
            "staff",
            None,
            [Visit("2fa authenticate", "/compte/login/", shot=True, then=log_in_with_a_password)],
        ),
        (
            # A staff session that has not passed the second factor: the code is asked again.
            "staff without the second factor",
            "staff",
            session_of(live_server, site.facilitator, second_factor=False),
            [
                Visit("2fa reauthenticate", "/espace-pro/", shot=True),
                Visit("2fa reauthenticate errors", "/espace-pro/", then=submit_empty()),
            ],
        ),
    ]
    for label, prefix, session, visits in runs:
        with subtests.test(msg=label):
            sweep(new_context, visits, label=label, prefix=prefix, session=session).check()


# Forms sent with errors, the sessions table on a phone (issue 18) --------------------------------


def test_a_form_sent_with_errors_focuses_its_summary_and_titles_the_page(new_context, live_server):
    """A guest's registration and a staff form, sent empty: the page comes back titled
    "Erreur : …", its error summary (tabindex=-1, a heading) has the focus, and shows it."""
    from participation.roles import Role
    from tests.dialogue.factories import MeetingFactory
    from tests.participation.factories import UserFactory, grant

    meeting = MeetingFactory()
    referent = UserFactory()
    grant(referent, Role.REFERENT, commune=meeting.dialogue_space.qpv.commune)
    qpv = meeting.dialogue_space.qpv.slug
    forms = [
        (None, f"/rencontres/{meeting.pk}/", f'main form[action$="/{meeting.pk}/inscription/"]'),
        (referent, f"/espace-pro/actualites/nouvelle/?qpv={qpv}", "main form[method=post]"),
    ]
    for user, path, form in forms:
        context = new_context()
        if user is not None:
            session_of(live_server, user)(context)
        page = context.new_page()
        page.goto(path)
        title = page.title()
        assert not title.startswith("Erreur")
        target = page.locator(form).first
        target.evaluate("form => { form.noValidate = true; }")
        with page.expect_navigation():
            target.locator("[type=submit]").first.click()
        state = page.evaluate(ERROR_STATE)
        assert state["summary"] and state["heading"], (path, state)
        assert state["tabindex"] == "-1", (path, state)
        assert state["focused"], f"{path}: the focus is not on the error summary ({state})"
        assert state["title"].startswith("Erreur : "), (path, state)
        # The focus is shown: the summary has an outline.
        outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
        assert outline not in ("", "none"), (path, outline)
        assert not page_problems(page)


SESSION_TABLE = """() => {
  const table = document.querySelector("main table");
  const headers = table.querySelectorAll("thead th").length;
  return {
    headers,
    rows: [...table.querySelectorAll("tbody tr")].map((row) => row.cells.length),
    wrapper: table.closest("[tabindex='0'][role=region]")?.getAttribute("aria-label") ?? null,
    scrolls: table.parentElement.scrollWidth > table.parentElement.clientWidth,
  };
}"""


def test_the_sessions_table_on_a_phone_is_reachable_and_has_a_header_per_cell(
    new_context, live_server
):
    """/compte/sessions/ at 360 px (allauth's usersessions): the table scrolls sideways in a
    wrapper the keyboard can focus, named; each row has as many cells as the head has headers;
    axe finds nothing (scrollable-region-focusable, td-has-header...)."""
    from allauth.usersessions.models import UserSession

    from tests.participation.factories import UserFactory

    resident = UserFactory()
    context = new_context(**VIEWPORTS[PHONE])
    session_of(live_server, resident)(context)
    # The list shows the sessions that still exist: this one, and the resident's phone.
    phone = PortalClient()
    phone.force_login(resident)
    browser_key = context.cookies()[0]["value"]
    for key, agent in (
        (browser_key, "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0"),
        (phone.session.session_key, "Mozilla/5.0 (Linux; Android 14; Pixel 8) Chrome/131.0"),
    ):
        UserSession.objects.update_or_create(
            session_key=key,
            defaults={"user": resident, "ip": "2001:db8:85a3::8a2e:370:7334", "user_agent": agent},
        )
    page = context.new_page()
    assert page.goto("/compte/sessions/").status == 200
    table = page.evaluate(SESSION_TABLE)
    assert table["headers"] >= 4
    assert table["rows"] and all(cells == table["headers"] for cells in table["rows"]), table
    assert table["wrapper"] == "Vos sessions ouvertes", table
    # Tab reaches the wrapper, which shows its focus.
    for _press in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.matches('.table-responsive')"):
            break
    else:
        pytest.fail("Tab never reaches the table's scrolling region")
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none"), outline
    start_axe(page)
    violations = axe_violations(page)
    assert not violations, describe(violations)
    assert scrolls_sideways(page) is None
    assert not page_problems(page)


# Print ----------------------------------------------------------------------------------------------

# What the screen shows around the content, and what only works on a screen.
SCREEN_ONLY = (
    ".site-header, .site-footer, .skip-link, nav, form, button, .btn, .registration-block,"
    " .qa-filters, .staff-links"
)
PRINTED_BOXES = """selector => [...document.querySelectorAll(selector)]
  .filter((element) => element.getClientRects().length > 0)
  .map((element) => element.outerHTML.slice(0, 120))"""


def pdf_text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_meeting_minutes_and_questions_print_cleanly(new_context):
    from dialogue.models import Minutes, MinutesStatus
    from questions.models import AnswerStatus, QuestionStatus
    from tests.dialogue.factories import MeetingFactory
    from tests.qpv.factories import OrganisationFactory
    from tests.questions.factories import AnswerFactory, QuestionFactory

    meeting = MeetingFactory(
        title="Café des habitants de décembre",
        agenda="1. Nouvelles du quartier\n2. Le square\n3. Questions",
        access_notes="Entrée par la cour, arrêt de tram Place Neuve.",
    )
    held = MeetingFactory(
        dialogue_space=meeting.dialogue_space,
        title="Café des habitants de novembre",
        starts_at=timezone.now() - timedelta(days=20),
        ends_at=timezone.now() - timedelta(days=20) + timedelta(hours=2),
        status="held",
    )
    Minutes.objects.create(
        meeting=held,
        summary="Les habitants ont fait le point sur le square et sur l'éclairage.",
        decisions="Un groupe de travail se réunira avant la prochaine rencontre.",
        next_steps="Réponse du bailleur sous 30 jours.",
        status=MinutesStatus.PUBLISHED,
        published_at=timezone.now() - timedelta(days=15),
    )
    organisation = OrganisationFactory(name="Tours Habitat")
    questions = []
    for number in range(6):
        question = QuestionFactory(
            organisation=organisation,
            status=QuestionStatus.ANSWERED,
            received_on=timezone.localdate() - timedelta(days=30 + number),
        )
        question.answered_on = question.received_on + timedelta(days=12)
        question.save()
        AnswerFactory(
            question=question,
            text=f"Les travaux de la porte {number} sont commandés pour le mois prochain.",
            status=AnswerStatus.PUBLISHED,
            published_at=timezone.now(),
        )
        questions.append(question)

    pages = {
        "meeting": (f"/rencontres/{meeting.pk}/", meeting.title, 1),
        "minutes": (f"/rencontres/{held.pk}/compte-rendu/", "un groupe de travail", 1),
        "questions": ("/questions/", questions[0].text, 3),
        "question": (f"/questions/{questions[0].pk}/", "porte 0 sont commandés", 1),
    }
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = new_context().new_page()
    for name, (path, expected, max_pages) in pages.items():
        page.goto(path)
        page.emulate_media(media="print")
        # Menus, footer, buttons and forms stay on the screen.
        assert page.evaluate(PRINTED_BOXES, SCREEN_ONLY) == [], name
        # The sheet tells where it comes from; the text is black, at a readable size.
        assert page.locator(".print-source").is_visible()
        style = page.evaluate(
            "() => { const s = getComputedStyle(document.body);"
            " return [s.color, parseFloat(s.fontSize)]; }"
        )
        assert style[0] == "rgb(0, 0, 0)"
        assert style[1] >= 14  # 11 pt
        # A card (a question, the next meeting) is never cut across two sheets.
        assert set(
            page.evaluate(
                "() => [...document.querySelectorAll('main .card')]"
                ".map((card) => getComputedStyle(card).breakInside)"
            )
        ) <= {"avoid"}
        pdf = SCREENSHOTS / f"print-{name}.pdf"
        page.pdf(path=str(pdf), format="A4")
        text = pdf_text(pdf)
        pages_printed = text.count("\f")
        assert 1 <= pages_printed <= max_pages, (name, pages_printed)
        assert expected.lower() in " ".join(text.split()).lower(), name
        for screen_text in ("Mentions légales", "Plan du site", "Aller au contenu", "Se connecter"):
            assert screen_text not in text, (name, screen_text)
        page.emulate_media(media="screen")
    # One printed page as an image, to look at with the screenshots.
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "70",
            "-f",
            "1",
            "-l",
            "1",
            str(SCREENSHOTS / "print-meeting.pdf"),
            str(SCREENSHOTS / "print-meeting"),
        ],
        check=True,
    )
    assert page.problems == []
