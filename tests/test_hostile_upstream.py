"""A hostile or buggy upstream, served by a local stub: the API key stays home, and
every value Pinecone sends is untrusted."""

import pytest
from django.urls import reverse

from restoreui.models import AuditEntry
from restoreui.projects import Project
from stub import Stub
from tests.conftest import API_KEY

pytestmark = pytest.mark.django_db

BACKUP = {
    "backup_id": "b1",
    "name": "nightly",
    "source_index_name": "products",
    "source_index_id": "i1",
    "status": "Ready",
    "cloud": "aws",
    "region": "us-east-1",
    "dimension": 8,
    "created_at": "2026-11-01T00:00:00Z",
}


@pytest.fixture(autouse=True)
def quick(settings):
    settings.PINECONE_BACKOFF = 0.01
    settings.PINECONE_RETRY_AFTER_MAX = 0.1


@pytest.fixture
def elsewhere():
    """Another host, which records whatever reaches it and answers like Pinecone would."""
    with Stub({"GET *": (200, {}, {"data": []}), "POST *": (201, {}, {"restore_job_id": "evil"})}) as other:
        yield other


@pytest.fixture
def upstream(settings):
    """The stub as project "local"; each test sets its routes."""
    with Stub() as stub:
        settings.RESTOREUI_PROJECTS = {"local": Project(name="local", api_key=API_KEY, host=stub.url)}
        yield stub


def _redirect_to(other, status=307):
    return lambda method, path, headers, body: (status, {"Location": f"{other.url}{path}"}, b"")


# -- redirects


def test_a_redirect_on_a_read_never_carries_the_api_key_elsewhere(viewer_client, upstream, elsewhere, caplog):
    upstream.routes["GET /restore-jobs"] = _redirect_to(elsewhere)
    response = viewer_client.get(reverse("jobs-list", args=["local"]))
    assert elsewhere.received == [], "the dashboard followed Pinecone's redirect to another host"
    assert response.status_code == 502
    assert "restoreui does not follow redirects" in response.content.decode()
    assert f"{elsewhere.url}/restore-jobs" in caplog.text, "the log did not name where the redirect pointed"


def test_a_redirect_on_a_restore_is_not_followed_nor_reported_as_started(operator_client, upstream, elsewhere):
    upstream.routes["GET /backups/b1"] = (200, {}, BACKUP)
    upstream.routes["POST /backups/b1/create-index"] = _redirect_to(elsewhere)
    url = reverse("backups-restore", args=["local", "b1"])
    response = operator_client.post(url, {"name": "restored", "tags": "", "deletion_protection": "disabled"}, follow=True)
    assert elsewhere.received == [], "the restore was sent on to the host Pinecone redirected to"
    assert "Restore started" not in response.content.decode()
    assert "restoreui does not follow redirects" in response.content.decode()
    entry = AuditEntry.objects.get(action=AuditEntry.Action.RESTORE)
    assert entry.outcome != AuditEntry.Outcome.OK
