"""Every page of the site is valid HTML for the W3C Nu HTML checker, its id references point to
elements of the page, and no two of its landmarks share a role and a label (issue 18, item 6).

The pages come from the access matrix (tests/whole_site/test_access_matrix.py): each GET pattern
(and variant) of its table, as the first role it opens to (a visitor for public pages, the resident
for their own, then the staff roles in the table's order), and each form re-rendered with its
errors (a POST with none of its fields, as the first role whose empty POST the table answers 200 or
400). A page added to the table is checked here without another line. htmx partials, files and
redirects are not pages: only full HTML documents are kept.

Each response is saved to a folder, and the checker (`vnu.jar`, installed by `npm ci`; Java from
Debian's `default-jre-headless`, see scripts/system_deps.sh) runs once on the whole folder: one JVM,
a few seconds. A page with known errors is checked with them, so that the checker's answer is known
to be read. The reference and landmark checks read the same files with the standard HTML parser.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import partial
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.test import override_settings

from tests.helpers import PortalClient
from tests.whole_site.test_access_matrix import ROLES, TABLE, Entry, build_world

VNU_JAR = Path(settings.BASE_DIR) / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
INSTALL_JAVA = "sudo apt-get install default-jre-headless (or: sudo scripts/system_deps.sh test)"
# The roles a page is read as, in this order; the out-of-scope referent sees nothing more.
READERS = tuple(role for role in ROLES if role != "referent_out")
# A POST with one field no form knows: the form is bound (`Form(request.POST or None)` would not
# be with an empty body) and every required field is missing.
UNKNOWN_FIELD = {"qd-html-check": "1"}
# The checker's run on the whole site, measured on 2 shared cores: ~10 s.
CHECKER_SECONDS = 60

# A document with known errors: the checker must report each of them.
CANARY = """<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>Canari</title></head>
<body><main>
<p class="a" class="b">Deux attributs class.</p>
<label for="qpv">Quartier</label>
<select id="qpv" name="qpv" required><option value="sanitas">Sanitas</option></select>
<time datetime="2026-12-07T21:00:00.123456+01:00">ce soir</time>
<div hx-get="/">Attribut htmx sans data-</div>
</main></body></html>
"""
CANARY_ERRORS = ("Duplicate attribute", "The first “option” element", "datetime", "hx-get")


# Django's admin (coordinators only) has errors of its own templates and widgets, not of ours: they
# are accepted on /admin/ pages only, each for its reason; anything else there fails as elsewhere.
DJANGO_ADMIN_ERRORS = {
    # The autocomplete widget (select2) renders an empty option for "nothing chosen", and only the
    # chosen option: a required select without a placeholder, or without any option yet.
    r"Element “option” without attribute “label” must not be empty": "admin autocomplete",
    r"must have a descendant “option” element": "admin autocomplete, nothing chosen yet",
    r"The first “option” element in a “select” element with a “required”": "admin autocomplete",
    # A field with a callable default keeps its initial value in a hidden input, which Django
    # 5.2 gives the aria-describedby of the visible field.
    r"“input” element with a “type” attribute whose value is “hidden” must not have any “aria-": (
        "Django's show_hidden_initial"
    ),
}
ADMIN = "/admin/"
# The admin's inlines keep an empty form as a template ("__prefix__"); its help texts are icons.
ADMIN_TEMPLATE_ID = "__prefix__"


def _accepted(page: Page, message: str) -> bool:
    return page.url.startswith(ADMIN) and any(
        re.search(pattern, message) for pattern in DJANGO_ADMIN_ERRORS
    )


@dataclass(frozen=True)
class Page:
    method: str
    url: str
    role: str
    cell: str

    @property
    def title(self) -> str:
        return f"{self.method} {self.url} as {self.role} ({self.cell})"


def _reader(entry: Entry, method: str) -> str | None:
    """The first role the page opens to: for a POST, the first whose form comes back (errors)."""
    shown = {"200"} if method == "GET" else {"200", "400"}
    expected = entry.expected(method)
    return next((role for role in READERS if expected[role] in shown), None)


def _is_document(response) -> bool:
    if response.status_code not in (200, 400) or response.streaming:
        return False
    if not response.headers.get("Content-Type", "").startswith("text/html"):
        return False
    return b"<html" in response.content[:500].lower()


def _render_site(folder: Path) -> dict[str, Page]:
    """Save every page of the access matrix to `folder`; return file name → page."""
    world = build_world()
    client = PortalClient()
    pages: dict[str, Page] = {}
    for entry in TABLE:
        if not entry.routed:
            continue
        for method in ("GET", "POST"):
            role = _reader(entry, method)
            if role is None:
                continue
            client.cookies.clear()
            if world.sessions[role] is not None:
                client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
            cache.clear()  # rate limits
            url = entry.url(world, "A")
            send = client.get if method == "GET" else partial(client.post, data=UNKNOWN_FIELD)
            with transaction.atomic():
                response = send(url)
                transaction.set_rollback(True)
            if not _is_document(response):
                continue
            name = f"{len(pages):04d}.html"
            (folder / name).write_bytes(response.content)
            pages[name] = Page(method, url, role, entry.cell_id)
    return pages


@dataclass
class Site:
    folder: Path
    pages: dict[str, Page]
    # File name → the checker's errors on it.
    errors: dict[str, list[dict]]
    seconds: float


def run_checker(folder: Path) -> tuple[dict[str, list[dict]], float]:
    """Run the Nu HTML checker once on every .html file of `folder`: file name → its errors."""
    java = shutil.which("java")
    if java is None:
        pytest.fail(f"Java is needed for the Nu HTML checker: {INSTALL_JAVA}")
    if not VNU_JAR.exists():
        pytest.fail(f"{VNU_JAR} is missing: run `npm ci` (vnu-jar is a devDependency)")
    command = [java, "-jar", str(VNU_JAR), "--format", "json", "--errors-only", "--skip-non-html"]
    started = time.monotonic()
    result = subprocess.run(
        [*command, str(folder)], capture_output=True, text=True, timeout=300, check=False
    )
    seconds = time.monotonic() - started
    # The checker writes its report on stderr, and exits 1 when it found errors.
    try:
        report = json.loads(result.stderr or result.stdout)
    except json.JSONDecodeError:
        pytest.fail(
            f"The checker did not answer JSON ({result.returncode}): {result.stderr[:2000]}"
        )
    errors: dict[str, list[dict]] = defaultdict(list)
    for message in report["messages"]:
        errors[message.get("url", "").rsplit("/", 1)[-1]].append(message)
    return errors, seconds


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker, tmp_path_factory) -> Site:
    folder = tmp_path_factory.mktemp("pages")
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media"))
    with media, django_db_blocker.unblock(), transaction.atomic():
        pages = _render_site(folder)
        transaction.set_rollback(True)
    (folder / "canary.html").write_text(CANARY)
    errors, seconds = run_checker(folder)
    return Site(folder, pages, errors, seconds)


def _describe(site: Site, name: str, messages: list[dict]) -> list[str]:
    page = site.pages[name]
    return [
        f"{page.title} line {message.get('lastLine', '?')}: {message['message']}"
        f"\n      {message.get('extract', '').strip()[:200]}"
        for message in messages
    ]


@pytest.mark.django_db
def test_every_page_is_valid_html(site: Site):
    assert len(site.pages) > 150, f"only {len(site.pages)} pages rendered"
    posts = [page for page in site.pages.values() if page.method == "POST"]
    assert len(posts) > 30, f"only {len(posts)} forms re-rendered with their errors"
    found = [
        line
        for name, messages in sorted(site.errors.items())
        if name != "canary.html"
        for line in _describe(
            site,
            name,
            [m for m in messages if not _accepted(site.pages[name], m["message"])],
        )
    ]
    assert not found, f"{len(found)} HTML errors:\n" + "\n".join(found)
    assert site.seconds < CHECKER_SECONDS, f"the checker took {site.seconds:.0f} s"


@pytest.mark.django_db
def test_the_checker_reports_known_errors(site: Site):
    """The canary's errors are in the checker's answer: its report is read, file by file."""
    messages = " | ".join(message["message"] for message in site.errors["canary.html"])
    missing = [error for error in CANARY_ERRORS if error not in messages]
    assert not missing, f"the checker missed {missing} in: {messages}"


# References and landmarks ----------------------------------------------------------------------

# Attributes holding ids of the same page (space-separated for the aria ones).
ID_REFERENCES = ("aria-describedby", "aria-labelledby", "for")
# Sectioning content: a header or footer inside it is not a page landmark.
SECTIONING = {"article", "aside", "main", "nav", "section"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
VOID |= {"track", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    ancestors: tuple[str, ...]
    text: list[str]


class Outline(HTMLParser):
    """The ids of a document, its id references, and its landmarks with their labels."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.references: list[tuple[str, str, str]] = []  # (tag, attribute, id)
        self.open: list[Element] = []
        self.elements: list[Element] = []
        self.texts: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        element = Element(tag, values, tuple(e.tag for e in self.open), [])
        if values.get("id"):
            self.ids.add(values["id"])
            self.texts[values["id"]] = element.text
        for attribute in ID_REFERENCES:
            if attribute == "for" and tag not in ("label", "output"):
                continue
            for target in values.get(attribute, "").split():
                self.references.append((tag, attribute, target))
        self.elements.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index].tag == tag:
                del self.open[index:]
                return

    def handle_data(self, data: str) -> None:
        for element in self.open:
            element.text.append(data)

    def landmarks(self) -> list[tuple[str, str]]:
        """(role, label) of each landmark, as assistive technologies list them."""
        found = []
        for element in self.elements:
            label = self._label(element)
            role = element.attrs.get("role") or self._implicit_role(element, label)
            if role in LANDMARK_ROLES:
                found.append((role, label))
        return found

    def _label(self, element: Element) -> str:
        if element.attrs.get("aria-labelledby"):
            parts = element.attrs["aria-labelledby"].split()
            return " ".join(" ".join("".join(self.texts.get(i, [])).split()) for i in parts)
        return " ".join(element.attrs.get("aria-label", "").split())

    @staticmethod
    def _implicit_role(element: Element, label: str) -> str:
        inside_sectioning = SECTIONING.intersection(element.ancestors)
        return {
            "main": "main",
            "nav": "navigation",
            "aside": "complementary",
            "header": "" if inside_sectioning else "banner",
            "footer": "" if inside_sectioning else "contentinfo",
            "section": "region" if label else "",
            "form": "form" if label else "",
        }.get(element.tag, "")


LANDMARK_ROLES = {"banner", "complementary", "contentinfo", "form", "main", "navigation"}
LANDMARK_ROLES |= {"region", "search"}


def outline(html: str) -> Outline:
    parser = Outline()
    parser.feed(html)
    parser.close()
    return parser


def missing_references(html: str) -> list[str]:
    parsed = outline(html)
    return [
        f'<{tag} {attribute}="{target}">'
        for tag, attribute, target in parsed.references
        if target not in parsed.ids
    ]


def duplicate_landmarks(html: str) -> list[str]:
    counts = Counter(outline(html).landmarks())
    return [f"{count} × {role} “{label}”" for (role, label), count in counts.items() if count > 1]


def _each_page(site: Site, check) -> list[str]:
    return [
        f"{page.title}: {problem}"
        for name, page in site.pages.items()
        for problem in check((site.folder / name).read_text())
        if not (page.url.startswith(ADMIN) and ADMIN_TEMPLATE_ID in problem)
    ]


@pytest.mark.django_db
def test_every_id_reference_points_to_an_element_of_the_page(site: Site):
    """aria-describedby, aria-labelledby and a label's for= name an id the page has (Django's
    own fields point to `<id>_helptext` and `<id>_error`: a template that shows the help text or
    the errors must give them these ids, as crispy's do)."""
    found = _each_page(site, missing_references)
    assert not found, "References to missing ids:\n" + "\n".join(found)


@pytest.mark.django_db
def test_no_two_landmarks_share_a_role_and_a_label(site: Site):
    found = _each_page(site, duplicate_landmarks)
    assert not found, "Landmarks a screen reader cannot tell apart:\n" + "\n".join(found)


ERROR_TITLE = "Erreur : "


def error_summary_problems(html: str) -> list[str]:
    """A page titled "Erreur : " shows an error summary that takes the focus, and the other way
    round (templates/includes/form_errors.html, participation/templatetags/form_errors.py)."""
    parsed = outline(html)
    title = next((e for e in parsed.elements if e.tag == "title"), None)
    titled = title is not None and "".join(title.text).strip().startswith(ERROR_TITLE)
    summaries = [e for e in parsed.elements if "error-summary" in e.attrs.get("class", "").split()]
    focused = [e for e in summaries if e.attrs.get("tabindex") == "-1" and "autofocus" in e.attrs]
    # A form refused for a reason the page states instead of showing the form again (a forged
    # password reset link: no field left; a payment form of an application decided meanwhile:
    # its error in an alert at the top of the page): the title says it, with no summary to focus.
    fields = {"button", "select", "textarea"}
    form_shown = any(
        "main" in e.ancestors
        and (e.tag in fields or (e.tag == "input" and e.attrs.get("type") != "hidden"))
        for e in parsed.elements
    )
    stated = any(e.attrs.get("role") == "alert" and "main" in e.ancestors for e in parsed.elements)
    problems = []
    if titled and not focused and form_shown and not stated:
        problems.append(f"titled “{ERROR_TITLE}” without an error summary that takes the focus")
    if summaries and not titled:
        problems.append(f"an error summary, but the title does not start with “{ERROR_TITLE}”")
    if summaries and not focused:
        problems.append("an error summary without tabindex=-1 and autofocus")
    # A page opened at a fragment ignores autofocus: a form refused would not focus its summary.
    problems += [
        f"a form posts to a fragment, its errors will not take the focus: {e.attrs['action']}"
        for e in parsed.elements
        if e.tag == "form" and e.attrs.get("method") == "post" and "#" in e.attrs.get("action", "")
    ]
    return problems


@pytest.mark.django_db
def test_a_form_sent_with_errors_is_titled_error_and_focuses_its_summary(site: Site):
    """Every form of the site re-rendered with its errors (the admin has its own title)."""
    refused = {
        name: page
        for name, page in site.pages.items()
        if page.method == "POST" and not page.url.startswith(ADMIN)
    }
    titled = [
        page
        for name, page in refused.items()
        if "<title>" + ERROR_TITLE in " ".join((site.folder / name).read_text().split())
    ]
    assert len(titled) > 30, f"only {len(titled)} forms came back titled {ERROR_TITLE!r}"
    found = _each_page(site, error_summary_problems)
    assert not found, "Forms sent with errors:\n" + "\n".join(found)


def test_the_page_checks_find_what_they_look_for():
    html = """<html><body><header>Site</header><main>
    <section aria-label="Mes données"><div role="region" aria-label="Mes données">x</div></section>
    <article><header>Not a landmark</header></article>
    <nav aria-labelledby="n1"><h2 id="n1">Pages</h2></nav><nav aria-label="Pages"></nav>
    <section><h2>No name: not a region</h2></section><section><h2>Another</h2></section>
    <label for="here">Here</label><input id="here" aria-describedby="here gone">
    <label for="nowhere">Lost</label><div aria-labelledby="missing"></div>
    </main><footer>Bas</footer></body></html>"""
    assert missing_references(html) == [
        '<input aria-describedby="gone">',
        '<label for="nowhere">',
        '<div aria-labelledby="missing">',
    ]
    assert error_summary_problems(html) == []
    assert error_summary_problems(
        '<title>Erreur : Poser</title><main><div class="alert error-summary">x</div>'
        '<form method="post"><button>Envoyer</button></form></main>'
    ) == [
        "titled “Erreur : ” without an error summary that takes the focus",
        "an error summary without tabindex=-1 and autofocus",
    ]
    assert error_summary_problems(
        '<title>Poser</title><div class="error-summary" tabindex="-1" autofocus>x</div>'
        '<form method="post" action="/fonds/demandes/3/decision/#application-3"></form>'
    ) == [
        "an error summary, but the title does not start with “Erreur : ”",
        "a form posts to a fragment, its errors will not take the focus:"
        " /fonds/demandes/3/decision/#application-3",
    ]
    assert sorted(duplicate_landmarks(html)) == [
        "2 × navigation “Pages”",
        "2 × region “Mes données”",
    ]
