"""Prepared reads by key (restoreui.prepared): the same rows as the ORM, and sessions and users still read each time."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from restoreui.history.models import JobNote, RestoreRecord
from restoreui.models import AuditEntry
from restoreui.prepared import ByKey

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-enough-password-1"


def fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def test_it_reads_the_row_the_orm_reads_with_its_types():
    now = timezone.now()
    RestoreRecord.objects.create(
        project="local",
        restore_job_id="job-1",
        backup_id="b-1",
        status="Completed",
        created_at=now - timedelta(minutes=5),
        completed_at=now,
        percent_complete=100.0,
        first_seen=now,
        last_seen=now,
        requested_tags={"team": "search"},
    )
    record = ByKey(RestoreRecord, "project", "restore_job_id").get(project="local", restore_job_id="job-1")
    assert fields(record) == fields(RestoreRecord.objects.get(restore_job_id="job-1"))
    assert record.completed_at == now and record.requested_tags == {"team": "search"}
    assert not record._state.adding and record._state.db == "default"


def test_it_answers_none_when_no_row_matches_and_reads_by_primary_key():
    assert ByKey(JobNote, "project", "restore_job_id").get(project="local", restore_job_id="nothing") is None
    alice = User.objects.create_user("alice", password=PASSWORD)
    assert fields(ByKey(User, "pk").get(pk=alice.pk)) == fields(alice)
    assert ByKey(User, "pk").get(pk=alice.pk + 1) is None


def test_it_tells_whether_any_row_matches():
    unsettled = ByKey(AuditEntry, "project", "action", "outcome")
    key = {"project": "local", "action": AuditEntry.Action.RESTORE, "outcome": AuditEntry.Outcome.UNKNOWN}
    assert not unsettled.exists(**key)
    for _ in range(2):
        AuditEntry.objects.create(username="alice", target="b-1", **key)
    assert unsettled.exists(**key)
    assert not unsettled.exists(**(key | {"project": "other"}))


def test_it_refuses_two_rows_for_one_key():
    for _ in range(2):
        AuditEntry.objects.create(
            username="alice", project="local", action=AuditEntry.Action.RESTORE, outcome=AuditEntry.Outcome.OK
        )
    with pytest.raises(AuditEntry.MultipleObjectsReturned):
        ByKey(AuditEntry, "project", "outcome").get(project="local", outcome=AuditEntry.Outcome.OK)


def test_a_session_deleted_or_expired_in_the_database_ends_at_the_next_request(client):
    User.objects.create_user("alice", password=PASSWORD)
    client.login(username="alice", password=PASSWORD)
    page = reverse("audit")
    assert client.get(page).status_code in (200, 403)
    # As another worker's logout, or the session's end, leaves it in the shared database.
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert client.get(page).status_code == 302
    client.login(username="alice", password=PASSWORD)
    Session.objects.all().delete()
    assert client.get(page).status_code == 302


def test_a_deactivated_user_is_out_at_the_next_request(client):
    alice = User.objects.create_user("alice", password=PASSWORD)
    client.login(username="alice", password=PASSWORD)
    assert client.get(reverse("audit")).status_code in (200, 403)
    User.objects.filter(pk=alice.pk).update(is_active=False)
    assert client.get(reverse("audit")).status_code == 302
