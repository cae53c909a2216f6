"""Printables: the poster and the sign-in sheet render to one non-blank A4 page, for the right staff."""

from __future__ import annotations

import io
import subprocess
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from dialogue import printables
from dialogue.models import MeetingMode, MeetingStatus, Registration, RegistrationStatus
from participation.roles import Role
from qpv.models import QPV
from tests.dialogue.factories import DialogueSpaceFactory, MeetingFactory, RegistrationFactory
from tests.dialogue.test_emails import french_day
from tests.helpers import PortalClient
from tests.participation.factories import UserFactory, grant
from tests.qpv.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

A4_POINTS = (595, 842)


def pages_of(pdf: bytes) -> list:
    return PdfReader(io.BytesIO(pdf)).pages


def text_of(pdf: bytes, tmp_path: Path) -> str:
    source = tmp_path / "doc.pdf"
    source.write_bytes(pdf)
    result = subprocess.run(
        ["pdftotext", "-layout", str(source), "-"], capture_output=True, check=True, text=True
    )
    return result.stdout


class _ShownText(HTMLParser):
    """The text a screen shows: no tags, no attributes (a mailto link's address is not shown)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs) -> None:
        if tag in ("script", "style", "template"):
            self._hidden += 1

    def handle_endtag(self, tag) -> None:
        if tag in ("script", "style", "template"):
            self._hidden -= 1

    def handle_data(self, data) -> None:
        if not self._hidden:
            self.parts.append(data)


def shown_text(html: str) -> str:
    parser = _ShownText()
    parser.feed(html)
    return " ".join(parser.parts)


def rasterise(pdf: bytes, tmp_path: Path) -> tuple[list[Path], bytes]:
    """PNG files (one per page) at 50 dpi, and the first page's grey pixels (from a PGM)."""
    source = tmp_path / "doc.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "50", "-png", str(source), str(tmp_path / "page")], check=True
    )
    pngs = sorted(tmp_path.glob("page*.png"))
    grey = subprocess.run(
        ["pdftoppm", "-r", "50", "-gray", "-f", "1", "-l", "1", str(source)],
        capture_output=True,
        check=True,
    ).stdout
    # Binary PGM: "P5", width, height, maxval, then one byte per pixel.
    magic, width, height, maxval, pixels = grey.split(maxsplit=4)
    assert (magic, maxval) == (b"P5", b"255")
    assert len(pixels) == int(width) * int(height)
    return pngs, pixels


def assert_one_non_blank_a4_page(pdf: bytes, tmp_path: Path, *, ink_at_least: float) -> None:
    assert pdf.startswith(b"%PDF-")
    [page] = pages_of(pdf)
    assert tuple(round(float(v)) for v in page.mediabox[2:]) == A4_POINTS
    pngs, pixels = rasterise(pdf, tmp_path)
    assert len(pngs) == 1
    assert pngs[0].read_bytes().startswith(b"\x89PNG")
    dark = sum(1 for value in pixels if value < 200)
    assert dark / len(pixels) > ink_at_least


@pytest.fixture
def meeting():
    host = OrganisationFactory(name="Centre social Pluriel(le)")
    space = DialogueSpaceFactory(name="Café des habitants du Sanitas", host_organisation=host)
    return MeetingFactory(
        dialogue_space=space,
        title="Parlons de la place Saint-Paul",
        venue="Centre social Pluriel(le)",
        address="5 place Saint-Paul, 37000 Tours",
        access_notes="Tram A, arrêt Saint-Paul.",
        step_free=True,
        agenda="1. Tour de table\n2. Le projet de la place\n3. Vos questions",
    )


def test_poster_is_one_page_with_everything_a_passer_by_needs(meeting, tmp_path):
    pdf = printables.poster_pdf(meeting)
    assert_one_non_blank_a4_page(pdf, tmp_path, ink_at_least=0.03)
    text = " ".join(text_of(pdf, tmp_path).split())
    for expected in [
        "Parlons de la place Saint-Paul",
        "18 h 00",
        "20 h 00",
        "Centre social Pluriel(le)",
        "5 place Saint-Paul, 37000 Tours",
        "Café des habitants du Sanitas",
        "Sanitas",
        f"/rencontres/{meeting.pk}/",
        "Quartiers en dialogue — Tours Métropole Val de Loire",
    ]:
        assert expected in text
    assert french_day(meeting.starts_at).capitalize() in text


def test_poster_of_an_open_door_meeting_and_of_a_cancelled_one(meeting, tmp_path):
    meeting.registration_required = False
    meeting.capacity = None
    meeting.save()
    open_door = " ".join(text_of(printables.poster_pdf(meeting), tmp_path).split())
    meeting.status = MeetingStatus.CANCELLED
    meeting.cancellation_reason = "La salle est indisponible."
    meeting.save()
    cancelled = " ".join(text_of(printables.poster_pdf(meeting), tmp_path).split())
    assert "La salle est indisponible." in cancelled
    assert "La salle est indisponible." not in open_door
    assert open_door != cancelled


def test_the_qr_code_points_at_the_meeting_page(meeting, settings):
    import segno

    url = settings.SITE_URL + meeting.get_absolute_url()
    expected = segno.make(url, error="m").svg_data_uri(scale=4, border=0, dark="#000000")
    assert printables.qr_data_uri(url) == expected
    assert expected.startswith("data:image/svg+xml")


@pytest.mark.parametrize("cancelled", [False, True])
def test_the_longest_texts_still_fit_on_one_poster(tmp_path, cancelled):
    """Every field at (or over) its maximum: smaller type and truncation, never a second page."""
    space = DialogueSpaceFactory(
        name="E" * 200, host_organisation=OrganisationFactory(name="H" * 200)
    )
    meeting = MeetingFactory(
        dialogue_space=space,
        title=("Réunion publique très longue " * 10)[:200],
        venue=("Salle polyvalente du centre social " * 6)[:200],
        address=("5 place Saint-Paul, bâtiment C, " * 10)[:300],
        access_notes="Entrée par la cour " * 40,
        accessibility_notes="Ascenseur " * 60,
        agenda="Point " * 300,
        mode=MeetingMode.HYBRID,
        step_free=True,
        capacity=120,
        status=MeetingStatus.CANCELLED if cancelled else MeetingStatus.PLANNED,
        cancellation_reason="Raison " * 100 if cancelled else "",
    )
    assert len(pages_of(printables.poster_pdf(meeting))) == 1


def test_signin_sheet_lists_the_confirmed_registrants_then_blank_lines(meeting, tmp_path):
    for name in ["Zoé Martin", "Amine Haddad", "Jeanne Roux"]:
        RegistrationFactory(meeting=meeting, name=name)
    for status in (
        RegistrationStatus.PENDING,
        RegistrationStatus.WAITLISTED,
        RegistrationStatus.CANCELLED,
    ):
        RegistrationFactory(meeting=meeting, name=f"Pas là {status}", status=status)
    pdf = printables.signin_sheet_pdf(meeting)
    assert_one_non_blank_a4_page(pdf, tmp_path, ink_at_least=0.02)
    text = text_of(pdf, tmp_path)
    assert "Parlons de la place Saint-Paul" in text
    assert "Centre social Pluriel(le)" in text
    assert "Pas là" not in text
    assert "@" not in text  # names only: no email on a sheet left at the door
    # Alphabetical, numbered, then blank numbered lines up to a full page.
    positions = [text.index(name) for name in ["Amine Haddad", "Jeanne Roux", "Zoé Martin"]]
    assert positions == sorted(positions)
    assert str(printables.ROWS_ON_FIRST_PAGE) in text.split("Zoé Martin", 1)[1]


@pytest.mark.parametrize("registrants, pages", [(24, 1), (25, 2)])
def test_signin_sheet_of_24_long_names_is_still_one_page(registrants, pages):
    """The longest header and names: 24 people and 3 blank lines on one page, then a new page."""
    meeting = MeetingFactory(
        title=("Rencontre au titre très long " * 10)[:200],
        venue=("Salle polyvalente " * 12)[:200],
        address=("12 rue du Général Renault, " * 12)[:300],
    )
    for index in range(registrants):
        RegistrationFactory(
            meeting=meeting, name=(f"{index} " + "Nom-Composé Très-Long " * 7)[:150]
        )
    assert len(pages_of(printables.signin_sheet_pdf(meeting))) == pages


def test_signin_sheet_grows_by_whole_pages(meeting, tmp_path):
    for index in range(40):
        RegistrationFactory(meeting=meeting, name=f"Personne {index:02d}")
    pdf = printables.signin_sheet_pdf(meeting)
    assert len(pages_of(pdf)) == 2
    text = text_of(pdf, tmp_path)
    assert all(f"Personne {index:02d}" in text for index in range(40))
    # The second page is full of rows too: numbered up to the end of the page.
    assert str(printables.ROWS_ON_FIRST_PAGE + printables.ROWS_ON_NEXT_PAGES) in text


def test_sheet_rows_leave_blank_lines():
    assert len(printables.sheet_rows([])) == printables.ROWS_ON_FIRST_PAGE
    rows = printables.sheet_rows(["A"] * 24)
    assert len(rows) == printables.ROWS_ON_FIRST_PAGE
    assert [row.name for row in rows[23:25]] == ["A", ""]
    rows = printables.sheet_rows(["A"] * 25)
    assert len(rows) == printables.ROWS_ON_FIRST_PAGE + printables.ROWS_ON_NEXT_PAGES
    assert [row.number for row in rows] == list(range(1, len(rows) + 1))


# Views and permissions ----------------------------------------------------------------------------


def url(name: str, meeting) -> str:
    return reverse(f"dialogue:{name}", kwargs={"pk": meeting.pk})


def test_views_return_inline_pdfs_that_no_cache_keeps(client, meeting, tmp_path):
    RegistrationFactory(meeting=meeting, name="Amine Haddad")
    staff = UserFactory()
    grant(staff, Role.FACILITATOR, qpv=QPV.objects.get(slug="sanitas"))
    client.force_login(staff)
    for name in ("meeting_poster", "meeting_signin_sheet"):
        response = client.get(url(name, meeting))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("inline; filename=")
        assert "no-store" in response["Cache-Control"]
        assert len(pages_of(response.content)) == 1
    assert "Amine Haddad" in text_of(response.content, tmp_path)


EXPECTED = {
    # role (tests/conftest.py, Actors): (poster, sign-in sheet) of a meeting in Sanitas (Tours)
    "visitor": (302, 302),
    # Who does not see the meeting at all gets a 404, as for an unknown one; the delegate sees it
    # (its log) but prints nothing: 403.
    "resident": (404, 404),
    "facilitator_sanitas": (200, 200),
    "facilitator_rabiere": (404, 404),
    "referent_tours": (200, 200),
    "referent_joue": (404, 404),
    "correspondent": (404, 404),
    "delegate_sanitas": (403, 403),
    "coordinator": (200, 200),
}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_who_may_print(client, actors, meeting, monkeypatch, role):
    # Rendering is tested above; here only the access decision matters.
    monkeypatch.setattr(printables, "poster_pdf", lambda meeting: b"%PDF-poster")
    monkeypatch.setattr(printables, "signin_sheet_pdf", lambda meeting: b"%PDF-sheet")
    actors.login(client, role)
    for name, expected in zip(
        ("meeting_poster", "meeting_signin_sheet"), EXPECTED[role], strict=True
    ):
        response = client.get(url(name, meeting))
        assert response.status_code == expected, (role, name)
        if expected == 302:
            assert response["Location"].startswith(reverse("account_login"))
            assert f"next={url(name, meeting)}" in response["Location"]
        if expected in (403, 404):
            assert b"%PDF" not in response.content


def test_unknown_meeting_and_post_are_refused(client, actors, meeting):
    actors.login(client, "coordinator")
    missing = reverse("dialogue:meeting_poster", kwargs={"pk": meeting.pk + 1000})
    assert client.get(missing).status_code == 404
    assert client.post(url("meeting_poster", meeting)).status_code == 405


@pytest.mark.parametrize("registrants", [3, 30])
def test_query_counts_do_not_grow(client, actors, meeting, registrants, django_assert_num_queries):
    RegistrationFactory.create_batch(registrants, meeting=meeting)
    actors.login(client, "facilitator_sanitas")
    # session, user, roles, meeting with its place; then the poster's translations (issue 18)
    # or the registrants' names.
    with django_assert_num_queries(5):
        assert client.get(url("meeting_poster", meeting)).status_code == 200
    with django_assert_num_queries(5):
        assert client.get(url("meeting_signin_sheet", meeting)).status_code == 200


def test_an_account_without_a_name_is_a_number_never_its_email(client, meeting, tmp_path):
    """Issue 17: paper and screens print a name, or "Inscrit·e n° N", never an email address."""
    account = UserFactory(email="sans.nom@example.org", full_name="")
    client.force_login(account)
    client.post(reverse("dialogue:register", kwargs={"pk": meeting.pk}))
    registration = Registration.objects.get(user=account)
    assert registration.status == RegistrationStatus.CONFIRMED
    assert registration.name == ""
    RegistrationFactory(meeting=meeting, name="Awa Diallo")
    # Now started half an hour ago: the door's screen lists the registrants.
    meeting.starts_at = timezone.now() - timedelta(minutes=30)
    meeting.ends_at = meeting.starts_at + timedelta(hours=2)
    meeting.save(update_fields=["starts_at", "ends_at"])
    text = text_of(printables.signin_sheet_pdf(meeting), tmp_path)
    assert "@" not in text
    assert "Awa Diallo" in text
    assert f"Inscrit·e n° {registration.pk}" in text
    assert text.index("Awa Diallo") < text.index("Inscrit·e n°")  # names first, then numbers
    # The door's screen and the registrant list, seen by the staff of the place, say the same.
    staff = UserFactory()
    grant(staff, Role.COORDINATOR)
    client = PortalClient()  # the resident's own messages ("sent to <address>") stay with them
    client.force_login(staff)
    for name in ("checkin", "meeting_registrations"):
        response = client.get(reverse(f"dialogue:{name}", kwargs={"pk": meeting.pk}))
        assert response.status_code == 200
        row = response.content.decode()
        assert f"Inscrit·e n° {registration.pk}" in row
        assert "Awa Diallo" in row
        # What the screen shows (links to write or call aside): no address.
        shown = shown_text(row)
        assert "@" not in shown, (name, shown[max(0, shown.find("@") - 200) : shown.find("@") + 50])


def test_names_that_were_emails_are_replaced_by_the_account_name_or_nothing():
    from importlib import import_module

    from django.apps import apps as global_apps

    migration = import_module("dialogue.migrations.0007_registration_names_not_emails")
    named = UserFactory(full_name="Karim Benali")
    unnamed = UserFactory(full_name="")
    meeting = MeetingFactory()
    first = RegistrationFactory(meeting=meeting, user=named, name=named.email, email=named.email)
    second = RegistrationFactory(
        meeting=meeting, user=unnamed, name=unnamed.email, email=unnamed.email
    )
    guest = RegistrationFactory(meeting=meeting, name="Zoé Martin")
    migration.names_not_emails(global_apps, None)
    names = dict(Registration.objects.values_list("pk", "name"))
    assert names == {first.pk: "Karim Benali", second.pk: "", guest.pk: "Zoé Martin"}
