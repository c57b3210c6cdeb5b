"""The audit trail: every attempted write leaves a row and a JSON log line, and
operators can browse it."""

import json
import logging

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse

from restoreui import audit
from restoreui.models import AuditEntry
from restoreui.pinecone.errors import Conflict

PASSWORD = "pw"


def _user(username, *groups, superuser=False):
    user = User.objects.create_user(username, password=PASSWORD, is_superuser=superuser)
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    client = Client()
    client.force_login(user)
    return user, client


@pytest.fixture
def audit_log(caplog):
    """The lines written to the restoreui.audit logger (it does not propagate to the root)."""
    logger = logging.getLogger("restoreui.audit")
    logger.addHandler(caplog.handler)
    yield lambda: [json.loads(r.getMessage()) for r in caplog.records if r.name == "restoreui.audit"]
    logger.removeHandler(caplog.handler)


@pytest.fixture
def backup_id(ready_backup):
    return ready_backup.id


def _restore(client, backup_id, name, **extra):
    url = reverse("backups-restore", args=["local", backup_id])
    return client.post(url, {"name": name, "tags": "", "deletion_protection": "disabled"}, **extra)


@pytest.mark.django_db
def test_a_restore_leaves_an_ok_entry_with_the_request_details(backup_id, audit_log):
    _, client = _user("olga", "operators")
    response = _restore(client, backup_id, "products-restore-1", HTTP_X_REQUEST_ID="req-123")
    assert response.status_code == 302, "the restore did not start"
    entry = AuditEntry.objects.get()
    assert (entry.username, entry.project, entry.action, entry.target, entry.outcome) == (
        "olga",
        "local",
        "restore",
        backup_id,
        "ok",
    )
    assert (entry.method, entry.ip, entry.request_id) == ("POST", "127.0.0.1", "req-123")
    assert entry.path == reverse("backups-restore", args=["local", backup_id])
    assert entry.extra["index"] == "products-restore-1"
    [line] = audit_log()
    assert line["user"] == "olga" and line["outcome"] == "ok" and line["request_id"] == "req-123"


@pytest.mark.django_db
def test_a_viewer_s_attempt_is_refused_and_recorded(backup_id, audit_log):
    _, client = _user("vera")
    response = _restore(client, backup_id, "sneaky")
    assert response.status_code == 403
    entry = AuditEntry.objects.get()
    assert entry.outcome == "refused"
    assert entry.detail == "You need the operator role for project 'local'"
    assert audit_log()[0]["outcome"] == "refused"


@pytest.mark.django_db
def test_an_upstream_refusal_is_recorded_with_pinecone_s_error(backup_id):
    _, client = _user("olga", "operators")
    response = _restore(client, backup_id, "products")
    assert response.status_code == 400, "restoring over an existing index did not show the form again"
    entry = AuditEntry.objects.get()
    assert entry.outcome == "failed"
    assert entry.upstream_status == 409
    assert entry.upstream_code == "ALREADY_EXISTS"
    assert "products" in entry.upstream_message


@pytest.mark.django_db
def test_entries_survive_the_deletion_of_their_user(rf):
    olga, _ = _user("olga", "operators")
    request = rf.post("/p/local/backups/b-1/delete/")
    request.user = olga
    audit.record(request, "local", AuditEntry.Action.DELETE_BACKUP, "b-1", AuditEntry.Outcome.OK)
    olga.delete()
    assert AuditEntry.objects.get().username == "olga"


@pytest.mark.django_db
def test_record_keeps_the_status_code_and_message_of_an_error(rf):
    olga, _ = _user("olga")
    request = rf.post("/x/")
    request.user = olga
    error = Conflict("index products already exists", status=409, code="ALREADY_EXISTS")
    entry = audit.record(request, "local", "restore", "b-1", "failed", error=error)
    entry.refresh_from_db()
    assert (entry.upstream_status, entry.upstream_code, entry.upstream_message) == (
        409,
        "ALREADY_EXISTS",
        "index products already exists",
    )


# --- the audit page


@pytest.mark.django_db
def test_viewers_may_not_read_the_audit_log():
    _, client = _user("vera")
    response = client.get(reverse("audit"))
    assert response.status_code == 403
    assert b"operators only" in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("groups,superuser", [(["operators"], False), ([], True)])
def test_operators_and_superusers_read_the_audit_log(groups, superuser):
    _, client = _user("reader", *groups, superuser=superuser)
    response = client.get(reverse("audit"))
    assert response.status_code == 200
    assert b"Nothing has been written from restoreui yet" in response.content


def _entries(*rows):
    AuditEntry.objects.bulk_create(
        AuditEntry(username=u, project=p, action=a, target=t, outcome=o, method="POST", path="/")
        for u, p, a, t, o in rows
    )


@pytest.mark.django_db
def test_the_audit_log_filters_by_project_action_outcome_and_user():
    _entries(
        ("olga", "local", "restore", "backup-a", "ok"),
        ("olga", "prod", "restore", "backup-b", "failed"),
        ("carl", "prod", "delete_backup", "backup-c", "refused"),
    )
    _, client = _user("root", superuser=True)
    page = client.get(reverse("audit"), {"project": "prod", "action": "restore"}).content
    assert b"backup-b" in page and b"backup-a" not in page and b"backup-c" not in page
    page = client.get(reverse("audit"), {"outcome": "refused"}).content
    assert b"backup-c" in page and b"backup-b" not in page
    page = client.get(reverse("audit"), {"user": "olga"}).content
    assert b"backup-a" in page and b"backup-b" in page and b"backup-c" not in page
    page = client.get(reverse("audit"), {"user": "nobody"}).content
    assert b"No entries match these filters" in page


@pytest.mark.django_db
def test_the_audit_log_pages_keep_the_filters():
    _entries(*[("olga", "local", "restore", f"backup-{i:03}", "ok") for i in range(60)])
    _, client = _user("root", superuser=True)
    first = client.get(reverse("audit"), {"project": "local"})
    assert first.context["page"].paginator.num_pages == 2
    assert b'href="?project=local&amp;page=2"' in first.content
    second = client.get(reverse("audit"), {"project": "local", "page": 2})
    assert len(second.context["page"].object_list) == 10


# -- outcomes not known at the time


@pytest.mark.django_db
def test_a_restore_answered_unreadably_is_unknown_then_ok_once_the_job_list_shows_it(
    emulator, backup_id, quick_retries
):
    _, client = _user("op", "operators")
    path = reverse("backups-restore", args=["local", backup_id])
    assert client.get(path).status_code == 200
    emulator.set_faults(malformed_rate=1.0)
    client.post(path, {"name": "maybe-restored", "tags": "", "deletion_protection": "disabled"})
    entry = AuditEntry.objects.get(action=AuditEntry.Action.RESTORE)
    assert entry.outcome == AuditEntry.Outcome.UNKNOWN, "a restore Pinecone may have started was recorded as failed"
    emulator.clear_faults()
    assert client.get(reverse("jobs-list", args=["local"])).status_code == 200
    entry.refresh_from_db()
    assert entry.outcome == AuditEntry.Outcome.OK
    started = next(j for j in emulator.store.jobs.values() if j.target_index_name == "maybe-restored")
    assert entry.extra["restore_job_id"] == started.restore_job_id


@pytest.mark.django_db
def test_an_unknown_restore_the_job_list_never_shows_becomes_failed(backup_id):
    from datetime import timedelta

    from django.utils import timezone

    entry = AuditEntry.objects.create(
        when=timezone.now() - timedelta(minutes=11),
        username="op",
        project="local",
        target=backup_id,
        action=AuditEntry.Action.RESTORE,
        outcome=AuditEntry.Outcome.UNKNOWN,
        method="POST",
        path="/",
        extra={"index": "never-made"},
    )
    _, client = _user("viewer")
    client.get(reverse("jobs-list", args=["local"]))
    entry.refresh_from_db()
    assert entry.outcome == AuditEntry.Outcome.FAILED


@pytest.mark.django_db
def test_operators_read_only_their_projects_entries_and_superusers_all(settings, project):
    from dataclasses import replace

    settings.RESTOREUI_PROJECTS = {
        "local": project,
        "prod": replace(project, name="prod", operators=frozenset({"user:carol"})),
    }
    _entries(("olga", "local", "restore", "backup-local", "ok"), ("carol", "prod", "restore", "backup-prod", "ok"))
    _, olga = _user("olga", "operators")
    page = olga.get(reverse("audit")).content
    assert b"backup-local" in page and b"backup-prod" not in page, "an operator read another project's entries"
    assert b"backup-prod" not in olga.get(reverse("audit"), {"project": "prod"}).content
    _, carol = _user("carol")
    page = carol.get(reverse("audit")).content
    assert b"backup-prod" in page and b"backup-local" not in page
    _, root = _user("root", superuser=True)
    page = root.get(reverse("audit")).content
    assert b"backup-local" in page and b"backup-prod" in page
