"""Minutes (compte rendu): writing and publishing them by role, the attachment's checks, the public
pages, the emails to attendees and followers, the staff reminder, and pinned query counts.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfWriter

from dialogue import emails, tasks
from dialogue.forms.minutes import MAX_ATTACHMENT_BYTES
from dialogue.models import Meeting, MeetingStatus, Minutes, MinutesStatus, RegistrationStatus
from participation.dates import date_format
from participation.roles import Role
from qpv.models import Follow
from tests.dialogue.factories import DialogueSpaceFactory, MeetingFactory, RegistrationFactory
from tests.participation.factories import UserFactory, grant

pytestmark = pytest.mark.django_db

ACTORS = [
    "visitor",
    "resident",
    "facilitator_sanitas",
    "facilitator_space",
    "facilitator_rabiere",
    "referent_tours",
    "referent_joue",
    "correspondent",
    "delegate_all",
    "coordinator",
]
WRITERS = {"facilitator_sanitas", "facilitator_space", "referent_tours", "coordinator"}
# The delegate sees the meeting (its log) but does not write: 403. The others do not see it: 404.
SEES = WRITERS | {"delegate_all"}
# Facilitators and referents of the place are reminded; coordinators are not.
REMINDED = {"facilitator_sanitas", "facilitator_space", "referent_tours"}


def in_days(days: float):
    return (timezone.localtime() + timedelta(days=days)).replace(
        hour=18, minute=0, second=0, microsecond=0
    )


def held_meeting(space, *, days_ago: float = 3, **fields) -> Meeting:
    fields.setdefault("status", MeetingStatus.HELD)
    return MeetingFactory(dialogue_space=space, starts_at=in_days(-days_ago), **fields)


def real_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def publish(meeting, **fields) -> Minutes:
    """Published minutes written straight into the database (no emails)."""
    return Minutes.objects.create(
        meeting=meeting,
        summary=fields.pop("summary", "Nous avons parlé du square."),
        status=MinutesStatus.PUBLISHED,
        published_at=fields.pop("published_at", timezone.now()),
        **fields,
    )


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def meeting(actors):
    """A meeting of Café du Sanitas held three days ago, without minutes."""
    return held_meeting(actors.space, title="Café de novembre")


def edit_url(meeting) -> str:
    return reverse("dialogue:minutes_edit", args=[meeting.pk])


def public_url(meeting) -> str:
    return reverse("dialogue:minutes", args=[meeting.pk])


def href(url: str) -> str:
    # The edit page's path contains the public one: match whole links.
    return f'href="{url}"'


def attachment_url(meeting) -> str:
    return reverse("dialogue:minutes_attachment", args=[meeting.pk])


def post(client, meeting, action="save", **data):
    data.setdefault("summary", "Les habitants ont parlé de l'éclairage du square.")
    return client.post(edit_url(meeting), {"action": action, **data})


# ---- Who may write the minutes ----


@pytest.mark.parametrize("actor", ACTORS)
def test_edit_page_by_role(client, actors, meeting, actor):
    actors.login(client, actor)
    response = client.get(edit_url(meeting))
    if actor == "visitor":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    elif actor in WRITERS:
        assert response.status_code == 200
        assert response["Cache-Control"].startswith("max-age=0")
    else:
        assert response.status_code == (403 if actor in SEES else 404)


@pytest.mark.parametrize("actor", ACTORS)
def test_publish_by_role(client, actors, meeting, actor, django_capture_on_commit_callbacks):
    actors.login(client, actor)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, meeting, action="publish")
    minutes = Minutes.objects.filter(meeting=meeting).first()
    if actor in WRITERS:
        assert response.status_code == 302
        assert response["Location"] == public_url(meeting)
        assert minutes.is_published and minutes.author == actors[actor]
    else:
        expected = 302 if actor == "visitor" else 403 if actor in SEES else 404
        assert response.status_code == expected
        assert minutes is None


def test_meeting_of_another_space_of_the_qpv(client, actors, meeting):
    """The facilitator of one space does not write the minutes of another space of the QPV."""
    other = held_meeting(DialogueSpaceFactory(qpv=actors.sanitas))
    actors.login(client, "facilitator_space")
    # Another space than theirs: out of their scope, as if it did not exist.
    assert client.get(edit_url(other)).status_code == 404
    actors.login(client, "facilitator_sanitas")
    assert client.get(edit_url(other)).status_code == 200


def test_unknown_meeting(client, actors):
    actors.login(client, "coordinator")
    assert client.get(reverse("dialogue:minutes_edit", args=[999999])).status_code == 404
    assert client.get(reverse("dialogue:minutes", args=[999999])).status_code == 404


# ---- Draft, publish, correct ----


def test_draft_then_publish_then_correct(
    client, actors, meeting, mailoutbox, django_capture_on_commit_callbacks
):
    RegistrationFactory(meeting=meeting, attended=True, email="venue@example.org")
    actors.login(client, "facilitator_sanitas")

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, meeting, action="save", decisions="Un nouveau banc.")
    assert response.status_code == 302 and response["Location"] == edit_url(meeting)
    minutes = Minutes.objects.get(meeting=meeting)
    assert minutes.status == MinutesStatus.DRAFT and minutes.published_at is None
    assert mailoutbox == []
    # A draft is never public, not even to its author.
    assert client.get(public_url(meeting)).status_code == 404
    assert "Un nouveau banc." in client.get(edit_url(meeting)).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, meeting, action="publish", decisions="Un nouveau banc.")
    assert response["Location"] == public_url(meeting)
    minutes.refresh_from_db()
    first_published_at = minutes.published_at
    assert minutes.is_published and first_published_at is not None
    assert [message.to for message in mailoutbox] == [["venue@example.org"]]

    # Corrections: public at once, published_at kept, no email again; the page says so.
    page = client.get(edit_url(meeting)).content.decode()
    assert "Save the corrections" in page or "Enregistrer les corrections" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, meeting, action="publish", summary="Résumé corrigé.")
    assert response.status_code == 302
    # "Save" on published minutes does not unpublish them either.
    with django_capture_on_commit_callbacks(execute=True):
        post(client, meeting, action="save", summary="Résumé corrigé deux fois.")
    minutes.refresh_from_db()
    assert minutes.is_published and minutes.published_at == first_published_at
    assert minutes.summary == "Résumé corrigé deux fois."
    assert len(mailoutbox) == 1


def test_no_action_saves_a_draft(client, actors, meeting):
    actors.login(client, "coordinator")
    client.post(edit_url(meeting), {"summary": "Sans bouton."})
    assert Minutes.objects.get(meeting=meeting).status == MinutesStatus.DRAFT


@pytest.mark.parametrize("summary", ["", "   \n  "])
def test_summary_required(client, actors, meeting, summary):
    actors.login(client, "coordinator")
    response = post(client, meeting, summary=summary, decisions="Décision gardée")
    assert response.status_code == 400
    assert response.context["form"].errors["summary"]
    assert "Décision gardée" in response.content.decode()
    assert not Minutes.objects.exists()


def test_too_long_text_refused(client, actors, meeting):
    actors.login(client, "coordinator")
    response = post(client, meeting, decisions="x" * 10_001)
    assert response.status_code == 400
    assert response.context["form"].errors["decisions"]


def test_future_meeting_refused(client, actors, meeting):
    """Before the meeting the page says when the minutes open (200): only writing is refused."""
    future = MeetingFactory(dialogue_space=actors.space)
    actors.login(client, "facilitator_sanitas")
    response = client.get(edit_url(future))
    assert response.status_code == 200
    day = date_format(timezone.localtime(future.starts_at), "l j F Y")
    assert day in response.context["refusal"]
    assert day in response.content.decode()
    assert "<form" not in response.content.decode().split("<main", 1)[1]
    response = post(client, future, action="publish")
    assert response.status_code == 400
    assert not Minutes.objects.exists()


def test_started_meeting_accepted(client, actors, meeting):
    """A meeting under way (not yet marked held) may get its minutes."""
    ongoing = MeetingFactory(
        dialogue_space=actors.space,
        starts_at=timezone.now() - timedelta(minutes=30),
        ends_at=timezone.now() + timedelta(minutes=90),
    )
    actors.login(client, "facilitator_sanitas")
    assert client.get(edit_url(ongoing)).status_code == 200


def test_cancelled_meeting_refused(client, actors, meeting):
    cancelled = held_meeting(
        actors.space, status=MeetingStatus.CANCELLED, cancellation_reason="Neige"
    )
    actors.login(client, "coordinator")
    assert client.get(edit_url(cancelled)).status_code == 200
    assert post(client, cancelled).status_code == 400
    assert not Minutes.objects.exists()


def test_refusal_message_in_french(client, actors, meeting):
    future = MeetingFactory(dialogue_space=actors.space)
    actors.login(client, "coordinator")
    page = client.get(edit_url(future), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert 'lang="fr"' in page


# ---- The attachment ----


def test_real_pdf_accepted_and_served_once_published(client, actors, meeting):
    content = real_pdf()
    actors.login(client, "coordinator")
    upload = SimpleUploadedFile("Compte rendu.PDF", content, content_type="application/pdf")
    assert post(client, meeting, attachment=upload).status_code == 302
    minutes = Minutes.objects.get(meeting=meeting)
    assert minutes.attachment.name.endswith(".pdf")
    # The draft's attachment is not served.
    client.logout()
    assert client.get(attachment_url(meeting)).status_code == 404

    Minutes.objects.filter(pk=minutes.pk).update(
        status=MinutesStatus.PUBLISHED, published_at=timezone.now()
    )
    response = client.get(attachment_url(meeting))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline; filename=")
    assert "compte-rendu-" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == content
    assert attachment_url(meeting) in client.get(public_url(meeting)).content.decode()


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("compte-rendu.pdf", b"MZ\x90\x00 not a pdf at all", "not_pdf"),
        ("compte-rendu.pdf", b"", "empty"),
        ("setup.exe", b"%PDF-1.4 disguised", "extension"),
        ("compte-rendu.docx", b"PK\x03\x04", "extension"),
        ("gros.pdf", b"%PDF-1.4\n" + b"0" * MAX_ATTACHMENT_BYTES, "too_big"),
    ],
)
def test_bad_attachments_refused(client, actors, meeting, name, content, code):
    actors.login(client, "facilitator_sanitas")
    upload = SimpleUploadedFile(name, content, content_type="application/pdf")
    response = post(
        client, meeting, action="publish", summary="Texte tapé gardé", attachment=upload
    )
    assert response.status_code == 400
    errors = response.context["form"].errors.as_data()["attachment"]
    assert errors[0].code == code
    page = response.content.decode()
    assert "Texte tapé gardé" in page
    assert "error-summary" in page
    assert not Minutes.objects.exists()


def test_attachment_replaced_and_removed(
    client, actors, meeting, settings, django_capture_on_commit_callbacks
):
    actors.login(client, "coordinator")
    first = SimpleUploadedFile("a.pdf", real_pdf())
    post(client, meeting, attachment=first)
    first_name = Minutes.objects.get(meeting=meeting).attachment.name
    assert (settings.MEDIA_ROOT / first_name).exists()
    # The old file is deleted once the new one is committed.
    with django_capture_on_commit_callbacks(execute=True):
        post(client, meeting, attachment=SimpleUploadedFile("b.pdf", real_pdf()))
    minutes = Minutes.objects.get(meeting=meeting)
    assert minutes.attachment.name != first_name
    assert not (settings.MEDIA_ROOT / first_name).exists()
    # Replacing and removing at once is contradictory.
    response = post(
        client, meeting, attachment=SimpleUploadedFile("c.pdf", real_pdf()), remove_attachment="on"
    )
    assert response.status_code == 400
    post(client, meeting, remove_attachment="on")
    minutes.refresh_from_db()
    assert not minutes.attachment


def test_attachment_missing_or_absent(client, meeting):
    minutes = publish(meeting)
    assert client.get(attachment_url(meeting)).status_code == 404
    minutes.attachment.name = "minutes/2026/01/perdu.pdf"
    minutes.save()
    assert client.get(attachment_url(meeting)).status_code == 404


# ---- Public pages ----


@pytest.mark.parametrize("actor", ACTORS)
def test_public_page_by_role(client, actors, meeting, actor):
    publish(meeting, summary="Résumé public", decisions="Décision publique")
    actors.login(client, actor)
    response = client.get(public_url(meeting))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Résumé public" in page and "Décision publique" in page
    assert meeting.get_absolute_url() in page
    assert (edit_url(meeting) in page) == (actor in WRITERS)


@pytest.mark.parametrize("actor", ["visitor", "coordinator"])
def test_draft_is_not_public(client, actors, meeting, actor):
    Minutes.objects.create(meeting=meeting, summary="Brouillon secret")
    actors.login(client, actor)
    assert client.get(public_url(meeting)).status_code == 404
    response = client.get(meeting.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert meeting.title in page
    assert "Brouillon secret" not in page
    response = client.get(reverse("dialogue:past"))
    assert response.status_code == 200
    past = response.content.decode()
    assert meeting.title in past
    assert href(public_url(meeting)) not in past


def test_minutes_of_an_inactive_space_are_not_public(client, actors, meeting):
    publish(meeting)
    actors.space.is_active = False
    actors.space.save()
    assert client.get(public_url(meeting)).status_code == 404


def test_meeting_page_and_cards_link_to_published_minutes(client, actors, meeting):
    publish(meeting, summary="Le square sera rénové au printemps.")
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert "Le square sera rénové au printemps." in page
    assert href(public_url(meeting)) in page
    assert href(public_url(meeting)) in client.get(reverse("dialogue:past")).content.decode()
    space_page = client.get(actors.space.get_absolute_url()).content.decode()
    assert href(public_url(meeting)) in space_page


def test_meeting_page_invites_staff_to_write(client, actors, meeting):
    actors.login(client, "facilitator_sanitas")
    assert edit_url(meeting) in client.get(meeting.get_absolute_url()).content.decode()
    actors.login(client, "resident")
    response = client.get(meeting.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert meeting.title in page
    assert edit_url(meeting) not in page


def test_public_page_shows_next_meeting_of_the_space(client, actors, meeting):
    publish(meeting)
    page = client.get(public_url(meeting)).content.decode()
    assert "next-title" in page
    following = MeetingFactory(dialogue_space=actors.space, title="Café de décembre")
    MeetingFactory(dialogue_space=DialogueSpaceFactory(qpv=actors.sanitas), title="Autre espace")
    page = client.get(public_url(meeting)).content.decode()
    assert following.get_absolute_url() in page
    assert "Autre espace" not in page


def test_public_page_is_print_friendly(client, meeting):
    publish(meeting, attachment="minutes/x.pdf")
    page = client.get(public_url(meeting)).content.decode()
    main = page.split("<main", 1)[1]
    # The print stylesheet hides nav, buttons and .no-print: the links to the staff and the
    # attachment button are among them; the text itself is plain.
    assert 'class="list-inline no-print"' in main
    assert 'class="mb-4 no-print"' in main


# ---- Emails ----


def test_publication_emails(
    client, actors, meeting, mailoutbox, django_capture_on_commit_callbacks
):
    sanitas = actors.sanitas
    present = RegistrationFactory(meeting=meeting, attended=True, name="Awa Diallo")
    # Present and following: one email only, the attendee's.
    both_user = UserFactory(email="les-deux@example.org")
    RegistrationFactory(
        meeting=meeting, attended=True, email="LES-DEUX@example.org", user=both_user
    )
    Follow.objects.create(user=both_user, qpv=sanitas)
    RegistrationFactory(meeting=meeting, attended=False, email="absent@example.org")
    RegistrationFactory(meeting=meeting, attended=None, email="pas-pointe@example.org")
    RegistrationFactory(
        meeting=meeting,
        status=RegistrationStatus.CANCELLED,
        attended=None,
        email="annule@example.org",
    )
    follower = UserFactory(email="suiveuse@example.org", full_name="Inès Martin")
    Follow.objects.create(user=follower, qpv=sanitas)
    Follow.objects.create(user=UserFactory(email="ailleurs@example.org"), qpv=actors.rabiere)
    Follow.objects.create(
        user=UserFactory(email="inactif@example.org", is_active=False), qpv=sanitas
    )
    next_meeting = MeetingFactory(dialogue_space=actors.space, title="Café de décembre")
    later = MeetingFactory(
        dialogue_space=actors.space, title="Café de janvier", starts_at=in_days(40)
    )
    actors.login(client, "referent_tours")
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, meeting, action="publish", summary="Résumé pour tous")
    assert response.status_code == 302

    by_address = {message.to[0]: message for message in mailoutbox}
    assert sorted(by_address) == sorted(
        [present.email, "LES-DEUX@example.org", "suiveuse@example.org"]
    )
    thanks = by_address[present.email]
    assert "Awa Diallo" in thanks.body
    assert meeting.title in thanks.subject
    for part in (thanks.body, thanks.alternatives[0][0]):
        assert "Résumé pour tous" in part
        assert "http://" in part or "https://" in part
        assert public_url(meeting) in part
        assert next_meeting.title in part and next_meeting.get_absolute_url() in part
        assert later.title not in part
    news = by_address["suiveuse@example.org"]
    assert "Inès Martin" in news.body
    assert sanitas.name in news.subject
    assert news.extra_headers["List-Unsubscribe"].startswith("<http")
    assert "Résumé pour tous" in news.body
    assert "List-Unsubscribe" not in thanks.extra_headers
    # Plain text is not HTML-escaped; HTML is.
    assert "&#x27;" not in thanks.body and "&amp;" not in thanks.body


def test_publication_without_next_meeting(
    client, actors, meeting, mailoutbox, django_capture_on_commit_callbacks
):
    RegistrationFactory(meeting=meeting, attended=True)
    # A past meeting of the space is not "next", nor a cancelled one.
    held_meeting(actors.space, days_ago=1, title="Hier")
    MeetingFactory(
        dialogue_space=actors.space,
        title="Annulée",
        status=MeetingStatus.CANCELLED,
        cancellation_reason="Travaux",
    )
    actors.login(client, "coordinator")
    with django_capture_on_commit_callbacks(execute=True):
        post(client, meeting, action="publish")
    [message] = mailoutbox
    assert "Hier" not in message.body and "Annulée" not in message.body
    assert actors.sanitas.get_absolute_url() in message.body


def test_publication_emails_rolled_back_send_nothing(
    meeting, mailoutbox, django_capture_on_commit_callbacks
):
    from django.db import transaction

    from dialogue.services.minutes import minutes_save

    RegistrationFactory(meeting=meeting, attended=True)
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                minutes_save(meeting=meeting, by=None, publish=True, summary="Résumé")
                raise RuntimeError("rollback")
        except RuntimeError:
            pass
    assert mailoutbox == []
    assert not Minutes.objects.exists()


# ---- Reminders to the staff ----


def test_reminder_after_seven_days_once(
    actors, meeting, mailoutbox, django_capture_on_commit_callbacks
):
    users = actors.users
    space = actors.space
    late = held_meeting(space, days_ago=8, title="Sans compte rendu")
    with_draft = held_meeting(space, days_ago=9, title="Avec brouillon")
    Minutes.objects.create(meeting=with_draft, summary="Brouillon")
    published = held_meeting(space, days_ago=10, title="Publié")
    publish(published)
    held_meeting(space, days_ago=6, title="Trop récente")
    held_meeting(space, days_ago=8, status=MeetingStatus.PLANNED, title="Jamais tenue")
    held_meeting(space, days_ago=120, title="Très ancienne")
    with django_capture_on_commit_callbacks(execute=True):
        sent = emails.send_minutes_reminders()
    recipients = {message.to[0] for message in mailoutbox}
    assert recipients == {users[name].email for name in REMINDED}
    assert sent == len(REMINDED)
    for message in mailoutbox:
        # One email per person, listing both meetings.
        assert late.title in message.body and with_draft.title in message.body
        assert edit_url(late) in message.body and edit_url(late) in message.alternatives[0][0]
        for title in ("Publié", "Trop récente", "Jamais tenue", "Très ancienne"):
            assert title not in message.body
    late.refresh_from_db()
    assert late.minutes_reminder_sent_at is not None

    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert emails.send_minutes_reminders() == 0
    assert mailoutbox == []
    # A week later the recent meeting is due: it alone is reminded.
    with django_capture_on_commit_callbacks(execute=True):
        emails.send_minutes_reminders(now=timezone.now() + timedelta(days=2))
    assert {message.subject.count("Trop récente") for message in mailoutbox} == {1}


def test_reminder_staff_of_each_place(
    actors, meeting, mailoutbox, django_capture_on_commit_callbacks
):
    users = actors.users
    rabiere_meeting = held_meeting(DialogueSpaceFactory(qpv=actors.rabiere), days_ago=8)
    with django_capture_on_commit_callbacks(execute=True):
        emails.send_minutes_reminders(now=timezone.now() + timedelta(days=6))
    to = {message.to[0]: message for message in mailoutbox}
    assert set(to) == {
        users[name].email for name in REMINDED | {"facilitator_rabiere", "referent_joue"}
    }
    assert meeting.title in to[users["referent_tours"].email].subject
    assert rabiere_meeting.title in to[users["referent_joue"].email].subject
    assert rabiere_meeting.title not in to[users["facilitator_space"].email].body


def test_reminder_task(actors, meeting, mailoutbox, django_capture_on_commit_callbacks):
    held_meeting(actors.space, days_ago=8)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_minutes_reminders() == len(REMINDED)
    assert len(mailoutbox) == len(REMINDED)


@pytest.mark.parametrize("count", [2, 12])
def test_reminder_query_count(actors, meeting, count, django_capture_on_commit_callbacks):
    for index in range(count):
        space = DialogueSpaceFactory(qpv=actors.sanitas if index % 2 else actors.rabiere)
        held_meeting(space, days_ago=8 + index)
        grant(UserFactory(), Role.FACILITATOR, dialogue_space=space)
    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks(execute=False),
    ):
        emails.send_minutes_reminders()
    # Meetings, staff, the update (+ savepoint handling of the atomic block).
    selects_and_updates = [
        query for query in queries if query["sql"].split()[0] in {"SELECT", "UPDATE"}
    ]
    assert len(selects_and_updates) == 3


# ---- The meeting log's section ----


def test_log_partial(actors, meeting):
    facilitator = actors["facilitator_sanitas"]
    delegate = actors["delegate_all"]

    def render(minutes, user):
        return render_to_string(
            "dialogue/includes/log_minutes.html",
            {"meeting": meeting, "minutes": minutes, "user": user},
        )

    assert edit_url(meeting) in render(None, facilitator)
    assert edit_url(meeting) not in render(None, delegate)
    draft = Minutes.objects.create(meeting=meeting, summary="Brouillon")
    assert "text-bg-warning" in render(draft, facilitator)
    assert href(public_url(meeting)) not in render(draft, facilitator)
    draft.status = MinutesStatus.PUBLISHED
    draft.published_at = timezone.now()
    assert href(public_url(meeting)) in render(draft, delegate)
    future = MeetingFactory(dialogue_space=actors.space)
    html = render_to_string(
        "dialogue/includes/log_minutes.html",
        {"meeting": future, "minutes": None, "user": facilitator},
    )
    assert 'id="log-minutes-title"' in html
    assert edit_url(future) not in html


# ---- Query counts ----


@pytest.mark.parametrize("count", [3, 30])
def test_past_meetings_query_count(client, actors, meeting, django_assert_num_queries, count):
    for index in range(count):
        meeting = held_meeting(actors.space, days_ago=index + 1)
        if index % 3 == 0:
            publish(meeting)
        elif index % 3 == 1:
            Minutes.objects.create(meeting=meeting, summary="Brouillon")
    # QPV of the filters (and menu), the paginator's count, the page.
    with django_assert_num_queries(3):
        page = client.get(reverse("dialogue:past")).content.decode()
    assert page.count("bi-journal-text") == len(range(0, min(count, 20), 3))
    # Space, upcoming, past, menu.
    with django_assert_num_queries(4):
        assert client.get(actors.space.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("count", [3, 30])
def test_public_minutes_query_count(client, actors, meeting, django_assert_num_queries, count):
    with CaptureQueriesContext(connection) as without_minutes:
        assert client.get(meeting.get_absolute_url()).status_code == 200
    publish(meeting)
    for index in range(count):
        MeetingFactory(dialogue_space=actors.space, starts_at=in_days(index + 1))
        RegistrationFactory(meeting=meeting, attended=True)
    # The minutes with their meeting and place, the next meeting, the header's menu.
    with django_assert_num_queries(3):
        assert client.get(public_url(meeting)).status_code == 200
    # The meeting page shows the minutes without a query of its own.
    with django_assert_num_queries(len(without_minutes)):
        page = client.get(meeting.get_absolute_url()).content.decode()
    assert href(public_url(meeting)) in page
    # No attachment: the minutes, then the 404 page's menu.
    with django_assert_num_queries(2):
        assert client.get(attachment_url(meeting)).status_code == 404


@pytest.mark.parametrize("count", [3, 30])
def test_edit_page_query_count(client, actors, meeting, django_assert_num_queries, count):
    for index in range(count):
        RegistrationFactory(meeting=meeting, attended=index % 2 == 0)
        Follow.objects.create(user=UserFactory(), qpv=actors.sanitas)
    actors.login(client, "facilitator_sanitas")
    # Session, user, roles, meeting (place, seats, minutes), attendees, followers, menu.
    with django_assert_num_queries(7):
        assert client.get(edit_url(meeting)).status_code == 200
