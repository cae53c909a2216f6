"""Files in an S3-compatible object store (issue 21, item 6): with S3_BUCKET set, minutes, news
images and reports go to the bucket through django-storages, nothing is written under MEDIA_ROOT,
the checked views still serve them (same bytes, same refusals) and the objects stay private.

The object store is moto's S3 in server mode, a real HTTP server in a subprocess on a free loopback
port (`python -m moto.server`), reached by boto3 exactly as a MinIO or AWS bucket would be. Without
S3_BUCKET the default storage stays the local FileSystemStorage (`make run`).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import boto3
import pytest
import yaml
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from pypdf import PdfWriter

from dialogue.models import MeetingStatus, Minutes
from evaluation import services as report_services
from evaluation.indicators import Period, Scope
from evaluation.models import ReportStatus
from qpv.models import NewsItem
from tests.dialogue.factories import MeetingFactory
from tests.whole_site.fault_helpers import free_port

ROOT = Path(__file__).resolve().parents[2]
KEYS = {"access_key": "qed-test", "secret_key": "qed-test-secret"}


@pytest.fixture(scope="module")
def s3_endpoint():
    """moto's S3 server, for the tests of this module; stopped at the end."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(endpoint + "/moto-api/", timeout=1).close()  # noqa: S310
                break
            except OSError:
                assert server.poll() is None, "moto's server stopped at start-up"
                assert time.monotonic() < deadline, "moto's server did not answer within 30 s"
                time.sleep(0.2)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def bucket(s3_endpoint, settings, tmp_path):
    """A fresh private bucket, and STORAGES pointing at it as S3_* would (settings.py); MEDIA_ROOT
    is an empty folder that must stay so."""
    name = f"qed-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="eu-west-3",
        aws_access_key_id=KEYS["access_key"],
        aws_secret_access_key=KEYS["secret_key"],
    )
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
    options = _settings_in_subprocess(
        S3_BUCKET=name,
        S3_ENDPOINT_URL=s3_endpoint,
        S3_REGION="eu-west-3",
        S3_ACCESS_KEY_ID=KEYS["access_key"],
        S3_SECRET_ACCESS_KEY=KEYS["secret_key"],
    )["default"]
    assert options["BACKEND"] == "participation.s3.PrivateS3Storage"
    settings.STORAGES = {**settings.STORAGES, "default": options}
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    yield client, name
    assert list(settings.MEDIA_ROOT.iterdir()) == [], "a file was written under MEDIA_ROOT"


def _settings_in_subprocess(**env: str) -> dict:
    """STORAGES as participation.settings builds it from this environment (S3_* of the caller
    left out), in a fresh interpreter."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith("S3_")}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, participation.settings as s; print(json.dumps(s.STORAGES))",
        ],
        cwd=ROOT,
        env={**clean, "DEBUG": "true", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    import json

    return json.loads(result.stdout)


def _objects(client, bucket_name: str) -> dict[str, bytes]:
    listing = client.list_objects_v2(Bucket=bucket_name).get("Contents", [])
    return {
        item["Key"]: client.get_object(Bucket=bucket_name, Key=item["Key"])["Body"].read()
        for item in listing
    }


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def _pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _png() -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 200)).save(output, format="PNG")
    return output.getvalue()


def _assert_private(client, bucket_name: str, key: str) -> None:
    """No grant to everyone, and the bare address of the object is refused to an anonymous GET."""
    grants = client.get_object_acl(Bucket=bucket_name, Key=key)["Grants"]
    assert not [g for g in grants if "AllUsers" in g["Grantee"].get("URI", "")], grants
    url = default_storage.url(key)
    assert "Signature" not in url and "X-Amz-" not in url, "storage.url() must never sign"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url, timeout=10)  # noqa: S310 (moto on loopback)
    assert refused.value.code == 403


# ---- Without S3 settings: the local folder --------------------------------------------------------


def test_without_s3_settings_files_stay_in_the_local_folder():
    default = _settings_in_subprocess()["default"]
    assert default == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"S3_BUCKET": "Bad_Bucket"}, "S3_BUCKET"),
        ({"S3_BUCKET": "qed", "S3_ENDPOINT_URL": "ftp://x"}, "S3_ENDPOINT_URL"),
        ({"S3_BUCKET": "qed", "S3_ACCESS_KEY_ID": "only-one"}, "S3_SECRET_ACCESS_KEY"),
        ({"S3_BUCKET": "qed", "S3_ADDRESSING_STYLE": "sideways"}, "S3_ADDRESSING_STYLE"),
    ],
)
def test_a_bad_s3_setting_stops_start_up_naming_it(env, message):
    clean = {key: value for key, value in os.environ.items() if not key.startswith("S3_")}
    result = subprocess.run(
        [sys.executable, "-c", "import participation.settings"],
        cwd=ROOT,
        env={**clean, "DEBUG": "true", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert message in result.stderr.strip().splitlines()[-1]


def test_s3_settings_make_private_unsigned_objects():
    options = _settings_in_subprocess(S3_BUCKET="qed-media", S3_ENDPOINT_URL="http://minio:9000")[
        "default"
    ]["OPTIONS"]
    assert options["bucket_name"] == "qed-media"
    assert options["endpoint_url"] == "http://minio:9000"
    assert options["addressing_style"] == "path"
    assert options["default_acl"] is None
    assert options["querystring_auth"] is False
    assert options["file_overwrite"] is False


# ---- With the object store: through the real views and services ----------------------------------


@pytest.mark.django_db
def test_minutes_attachment_goes_to_the_bucket_and_is_served_by_the_checked_view(
    client, actors, bucket, django_capture_on_commit_callbacks
):
    s3, bucket_name = bucket
    meeting = MeetingFactory(dialogue_space=actors.space, status=MeetingStatus.HELD)
    content = _pdf()
    actors.login(client, "facilitator_sanitas")
    edit = reverse("dialogue:minutes_edit", args=[meeting.pk])
    data = {"summary": "Les habitants ont parlé du square.", "action": "save"}
    response = client.post(edit, {**data, "attachment": SimpleUploadedFile("cr.pdf", content)})
    assert response.status_code == 302
    minutes = Minutes.objects.get(meeting=meeting)
    assert _objects(s3, bucket_name) == {minutes.attachment.name: content}
    _assert_private(s3, bucket_name, minutes.attachment.name)

    # A draft's attachment is nobody's to download, not even its writer's.
    url = reverse("dialogue:minutes_attachment", args=[meeting.pk])
    assert client.get(url).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(edit, {**data, "action": "publish"})
    assert response.status_code == 302

    client.logout()
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert int(response["Content-Length"]) == len(content)
    assert _body(response) == content

    # Replaced: the old object is deleted once the new one is committed.
    first = minutes.attachment.name
    actors.login(client, "facilitator_sanitas")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(edit, {**data, "attachment": SimpleUploadedFile("cr2.pdf", _pdf())})
    minutes.refresh_from_db()
    assert first not in _objects(s3, bucket_name)
    assert minutes.attachment.name in _objects(s3, bucket_name)


@pytest.mark.django_db
def test_news_image_is_re_encoded_into_the_bucket_and_served_by_the_checked_view(
    client, actors, bucket
):
    s3, bucket_name = bucket
    actors.login(client, "referent_tours")
    response = client.post(
        reverse("qpv:news_create") + "?qpv=sanitas",
        {
            "title": "Fête de quartier",
            "body_markdown": "Rendez-vous samedi.",
            "image": SimpleUploadedFile("Photo de Mme Diallo.png", _png(), "image/png"),
            "image_alt": "Des habitants sur la place",
            "publication": "draft",
            "publish_at": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    news = NewsItem.objects.get()
    assert not news.is_published
    stored = _objects(s3, bucket_name)
    assert list(stored) == [news.image.name] and "Diallo" not in news.image.name
    _assert_private(s3, bucket_name, news.image.name)

    url = reverse("qpv:news_image", args=[news.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Cache-Control"] == "private, no-store"
    assert _body(response) == stored[news.image.name]
    # A draft's image: the referent of another commune and visitors are told it does not exist.
    actors.login(client, "referent_joue")
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_report_is_built_into_the_bucket_and_downloaded_by_its_readers_only(
    client, actors, bucket, django_capture_on_commit_callbacks
):
    s3, bucket_name = bucket
    with django_capture_on_commit_callbacks(execute=True):
        report = report_services.report_request(
            user=actors["referent_tours"],
            scope=Scope.of_qpv(actors.sanitas),
            period=Period.quarter(2026, 1),
        )
    report.refresh_from_db()
    assert report.status == ReportStatus.READY, report.error
    stored = _objects(s3, bucket_name)
    assert set(stored) == {report.file.name, report.odt_file.name}
    assert stored[report.file.name].startswith(b"%PDF-")
    for key in stored:
        _assert_private(s3, bucket_name, key)

    for view, name in [
        ("evaluation:report_download", report.file.name),
        ("evaluation:report_download_odt", report.odt_file.name),
    ]:
        url = reverse(view, args=[report.pk])
        actors.login(client, "referent_tours")
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        assert _body(response) == stored[name]
        actors.login(client, "referent_joue")
        assert client.get(url).status_code == 404
        actors.login(client, "resident")
        assert client.get(url).status_code == 403

    # A file gone from the bucket is a 404, never a 500.
    s3.delete_object(Bucket=bucket_name, Key=report.file.name)
    actors.login(client, "referent_tours")
    assert client.get(reverse("evaluation:report_download", args=[report.pk])).status_code == 404


# ---- The production shape: two web replicas and a worker that share no disk -----------------------


def test_compose_runs_stateless_web_replicas_and_workers_beside_an_object_store():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert services["web"]["deploy"]["replicas"] == "${WEB_REPLICAS:-2}"
    # nginx's upstream is the service name: Docker's DNS answers with every replica.
    assert services["proxy"]["environment"]["PROXY_UPSTREAM"] == "web:8000"
    for name in ("web", "worker", "beat"):
        service = services[name]
        assert "volumes" not in service, f"{name} keeps files on a volume of its own"
        assert service["environment"]["S3_BUCKET"].startswith("${S3_BUCKET:?")
    assert "media" not in compose["volumes"]
    assert services["migrate"]["volumes"] == ["static:/app/var/staticfiles"]
    # The bundled MinIO is optional, and its bucket is made before anything uses it.
    assert services["objectstore"]["profiles"] == ["objectstore"]
    assert services["objectstore-bucket"]["profiles"] == ["objectstore"]
    bucket_step = services["migrate"]["depends_on"]["objectstore-bucket"]
    assert bucket_step == {"condition": "service_completed_successfully", "required": False}
    script = services["objectstore-bucket"]["entrypoint"][-1]
    assert "mc anonymous set none" in script and "mc version enable" in script
    # Exactly one beat: never scaled by a replica count.
    assert "deploy" not in services["beat"]
