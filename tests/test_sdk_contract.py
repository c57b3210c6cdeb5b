"""The official pinecone SDK, unchanged, against the emulator: the emulator's contract.

Set RESTOREUI_CONTRACT_API_KEY (and RESTOREUI_CONTRACT_HOST for a host other
than https://api.pinecone.io) to run the same tests against a real project. They
discover ids from its lists. Tests that create or delete anything then also need
RESTOREUI_CONTRACT_ALLOW_WRITES=1, and tests of the emulator's own behaviour
(seed counts, faults, the plan gate) are skipped. RESTOREUI_CONTRACT_LIMITED_API_KEY,
a key of the same project without backup permissions, runs the permission test too.
"""

import os
import time
import uuid

import pytest
from pinecone import (
    ConflictError,
    FailedPreconditionError,
    ForbiddenError,
    NotFoundError,
    Pinecone,
    UnauthorizedError,
)
from pinecone.errors.exceptions import ApiError, RateLimitError

from restoreui.emulator import Emulator
from tests.conftest import API_KEY, LIMITED_API_KEY

pytestmark = pytest.mark.contract

REAL_KEY = os.environ.get("RESTOREUI_CONTRACT_API_KEY")
REAL_HOST = os.environ.get("RESTOREUI_CONTRACT_HOST") or None
REAL_LIMITED_KEY = os.environ.get("RESTOREUI_CONTRACT_LIMITED_API_KEY")
ALLOW_WRITES = os.environ.get("RESTOREUI_CONTRACT_ALLOW_WRITES") == "1"
emulator_only = pytest.mark.skipif(bool(REAL_KEY), reason="checks the emulator's own data or faults")


@pytest.fixture(scope="module")
def fast_emulator():
    """A restore finishes in a fraction of a second here, so a test can follow one to the end."""
    server = Emulator(port=0, api_key=API_KEY, limited_api_key=LIMITED_API_KEY, seed=7, speed=200.0).start()
    yield server
    server.stop()


@pytest.fixture
def upstream(fast_emulator):
    """The emulator, fresh, or None when the tests target a real project."""
    if REAL_KEY:
        return None
    fast_emulator.reset()
    yield fast_emulator
    fast_emulator.reset()


@pytest.fixture
def pc(upstream):
    if upstream is None:
        return Pinecone(api_key=REAL_KEY, host=REAL_HOST)
    return Pinecone(api_key=API_KEY, host=upstream.url)


@pytest.fixture
def writes(upstream):
    if upstream is None and not ALLOW_WRITES:
        pytest.skip("writes to a real project need RESTOREUI_CONTRACT_ALLOW_WRITES=1")


def all_pages(list_page, **kwargs):
    """Every item of an SDK listing, keyed by id because pages can overlap."""
    by_id, page = {}, list_page(limit=25, **kwargs)
    while True:
        for item in page:
            by_id[getattr(item, "restore_job_id", None) or item.backup_id] = item
        if not (page.pagination and page.pagination.next):
            return by_id
        page = list_page(pagination_token=page.pagination.next, **kwargs)


def active_index_names(pc):
    return {index.name for index in pc.indexes.list()}


def a_ready_backup(pc):
    """The smallest Ready backup of an existing index no running restore holds: the quickest to restore."""
    active = active_index_names(pc)
    busy = {j.backup_id for j in all_pages(pc.restore_jobs.list).values() if j.status == "Pending"}
    backups = all_pages(pc.backups.list).values()
    ready = [b for b in backups if b.status == "Ready" and b.source_index_name in active and b.backup_id not in busy]
    if not ready:
        pytest.skip("the project has no Ready backup of an existing index")
    return min(ready, key=lambda b: b.size_bytes or 0)


def unique_name(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_the_sdk_walks_every_page_of_restore_jobs(pc, upstream):
    jobs = all_pages(pc.restore_jobs.list)
    if upstream is not None:
        assert len(jobs) == 260
    for job in jobs.values():
        assert job.restore_job_id and job.backup_id and job.target_index_name and job.status


def test_the_sdk_gets_the_services_default_page_of_restore_jobs(pc, upstream):
    page = pc.restore_jobs.list()
    assert len(page) <= 100
    if upstream is not None:
        assert len(page) == 100 and page.pagination.next, "the default page is 100 jobs, not the spec's 10"


def test_the_sdk_reads_running_jobs_as_pending_without_a_percentage(pc):
    jobs = all_pages(pc.restore_jobs.list).values()
    for job in jobs:
        assert job.status != "InProgress", "the service has no in-progress status"
        if job.status == "Completed":
            assert job.percent_complete == 100 and job.completed_at
        elif job.status in ("Pending", "Failed", "Cancelled"):
            assert job.percent_complete is None, f"a {job.status} job carried a percentage"
        if job.status == "Pending":
            assert job.completed_at is None


def test_the_sdk_describes_a_restore_job_found_in_the_list(pc):
    page = pc.restore_jobs.list(limit=5)
    if not len(page):
        pytest.skip("the project has no restore jobs")
    listed = page[0]
    described = pc.restore_jobs.describe(job_id=listed.restore_job_id)
    assert described.restore_job_id == listed.restore_job_id
    assert described.backup_id == listed.backup_id
    assert described.target_index_name == listed.target_index_name


def test_the_sdk_reports_an_unknown_restore_job_as_not_found(pc):
    with pytest.raises(NotFoundError):
        pc.restore_jobs.describe(job_id=str(uuid.uuid4()))


def test_the_sdk_lists_project_backups_and_describes_one(pc, upstream):
    backups = all_pages(pc.backups.list)
    if upstream is not None:
        assert len(backups) == len(upstream.store.backups)
    if not backups:
        pytest.skip("the project has no backups")
    for backup in backups.values():
        described = pc.backups.describe(backup_id=backup.backup_id)
        assert described.backup_id == backup.backup_id
        assert described.source_index_name == backup.source_index_name
        if described.status == "Ready" and described.schema is not None:
            assert described.dense_dimension is None or described.dense_dimension > 0
        break


def test_the_sdk_reads_source_index_deleted_at_only_for_a_deleted_source(pc):
    backups = all_pages(pc.backups.list).values()
    active = active_index_names(pc)
    for backup in backups:
        if backup.source_index_name in active:
            assert backup.source_index_deleted_at is None, backup
    orphans = [b for b in backups if b.source_index_deleted_at]
    if not orphans:
        pytest.skip("the project has no backups of a deleted index")
    described = pc.backups.describe(backup_id=orphans[0].backup_id)
    assert described.source_index_deleted_at == orphans[0].source_index_deleted_at
    assert described.source_index_name not in active


def test_the_sdk_lists_the_backups_of_one_index(pc):
    backup = a_ready_backup(pc)
    scoped = all_pages(pc.backups.list, index_name=backup.source_index_name)
    assert backup.backup_id in scoped
    assert {b.source_index_name for b in scoped.values()} == {backup.source_index_name}


def test_the_sdk_reaches_backups_of_a_deleted_index_with_include_deleted(pc):
    orphans = [b for b in all_pages(pc.backups.list).values() if b.source_index_deleted_at]
    if not orphans:
        pytest.skip("the project has no backups of a deleted index")
    name = orphans[0].source_index_name
    listed = all_pages(pc.backups.list, index_name=name, include_deleted=True)
    assert orphans[0].backup_id in listed
    if name not in active_index_names(pc):
        with pytest.raises(NotFoundError):
            pc.backups.list(index_name=name)


def test_the_sdk_parses_every_index(pc):
    for index in pc.indexes.list():
        assert index.name and index.status.state
        assert pc.indexes.describe(index.name).name == index.name


def test_the_sdk_creates_and_deletes_a_backup(pc, writes):
    source = a_ready_backup(pc).source_index_name
    created = pc.backups.create(
        index_name=source, name=unique_name("restoreui-contract"), description="restoreui contract test"
    )
    try:
        assert created.status in ("Initializing", "Ready")
        assert created.source_index_name == source
        deadline = time.monotonic() + 300
        while pc.backups.describe(backup_id=created.backup_id).status == "Initializing":
            assert time.monotonic() < deadline, "the new backup never left Initializing"
            time.sleep(0.05 if not REAL_KEY else 5)
    finally:
        pc.backups.delete(backup_id=created.backup_id)
    with pytest.raises(NotFoundError):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            pc.backups.describe(backup_id=created.backup_id)
            time.sleep(0.05 if not REAL_KEY else 2)


def test_the_sdk_restores_a_backup_and_follows_its_restore_job(pc, upstream, writes):
    backup = a_ready_backup(pc)
    name = unique_name("restoreui-contract")
    created = pc.create_index_from_backup(name=name, backup_id=backup.backup_id, timeout=-1)
    try:
        job = pc.restore_jobs.describe(job_id=created.restore_job_id)
        assert job.backup_id == backup.backup_id and job.target_index_name == name
        assert job.target_index_id == created.index_id
        assert job.status not in ("Failed", "Cancelled")
        if upstream is not None:
            with pytest.raises(FailedPreconditionError):
                pc.backups.delete(backup_id=backup.backup_id)
            deadline = time.monotonic() + 5
            while job.status != "Completed":
                assert time.monotonic() < deadline, f"the restore stuck at {job.status}"
                assert job.status == "Pending" and job.percent_complete is None and job.completed_at is None
                time.sleep(0.05)
                job = pc.restore_jobs.describe(job_id=created.restore_job_id)
            assert job.percent_complete == 100 and job.completed_at
            assert pc.indexes.describe(name).status.ready
    finally:
        if upstream is None:
            pc.indexes.delete(name)


def test_the_sdk_reports_a_restore_from_a_backup_not_ready_as_a_failed_precondition(pc, writes):
    waiting = [b for b in all_pages(pc.backups.list).values() if b.status != "Ready"]
    if not waiting:
        pytest.skip("the project has no backup that is not Ready")
    with pytest.raises(FailedPreconditionError) as raised:
        pc.create_index_from_backup(name=unique_name("restoreui-contract"), backup_id=waiting[0].backup_id, timeout=-1)
    assert raised.value.error_code == "FAILED_PRECONDITION" and "not completed" in raised.value.message


@emulator_only
def test_the_sdk_restores_onto_dedicated_read_nodes(pc, upstream):
    capacity = {
        "mode": "Dedicated",
        "dedicated": {"node_type": "b1", "scaling": "Manual", "manual": {"shards": 1, "replicas": 1}},
    }
    backup = a_ready_backup(pc)
    pc.create_index_from_backup(name="dedicated-copy", backup_id=backup.backup_id, read_capacity=capacity, timeout=-1)
    assert pc.indexes.describe("dedicated-copy").read_capacity.dedicated.node_type == "b1"


def test_the_sdk_reports_a_restore_into_an_existing_name_as_a_conflict(pc, writes):
    backup = a_ready_backup(pc)
    with pytest.raises(ConflictError):
        pc.create_index_from_backup(name=backup.source_index_name, backup_id=backup.backup_id, timeout=-1)


def test_the_sdk_reports_a_wrong_key_as_unauthorized(upstream):
    host = REAL_HOST if upstream is None else upstream.url
    with pytest.raises(UnauthorizedError):
        Pinecone(api_key="not-a-key", host=host).restore_jobs.list(limit=1)


def test_the_sdk_reports_a_key_without_backup_permissions_as_forbidden(upstream):
    if upstream is None and not REAL_LIMITED_KEY:
        pytest.skip("needs RESTOREUI_CONTRACT_LIMITED_API_KEY, a key without backup permissions")
    limited = (
        Pinecone(api_key=REAL_LIMITED_KEY, host=REAL_HOST)
        if upstream is None
        else Pinecone(api_key=LIMITED_API_KEY, host=upstream.url)
    )
    with pytest.raises(ForbiddenError) as raised:
        limited.backups.list()
    assert raised.value.error_code == "PERMISSION_DENIED"
    assert raised.value.message == "Access denied: Permission control::backups::list is required"


@emulator_only
def test_the_sdk_reports_the_plan_gate_as_forbidden_naming_the_plan(pc, upstream):
    upstream.set_behaviour(plan_gate=True)
    with pytest.raises(ForbiddenError) as raised:
        pc.backups.list()
    assert raised.value.error_code == "FORBIDDEN" and "plan" in raised.value.message


@emulator_only
def test_the_sdk_reports_a_transient_miss_of_a_restore_job_as_not_found(pc, upstream):
    job = pc.restore_jobs.list(limit=1)[0]
    upstream.set_faults(transient_404_rate=1.0)
    with pytest.raises(NotFoundError):
        pc.restore_jobs.describe(job_id=job.restore_job_id)
    upstream.clear_faults()
    assert pc.restore_jobs.describe(job_id=job.restore_job_id).restore_job_id == job.restore_job_id


@emulator_only
def test_the_sdk_loses_a_job_whose_target_index_it_deleted(pc, upstream):
    backup = a_ready_backup(pc)
    created = pc.create_index_from_backup(name="soon-gone", backup_id=backup.backup_id, timeout=-1)
    pc.indexes.delete("soon-gone")
    assert created.restore_job_id not in all_pages(pc.restore_jobs.list)
    with pytest.raises(NotFoundError):
        pc.restore_jobs.describe(job_id=created.restore_job_id)


@emulator_only
def test_the_sdk_retries_throttled_calls_then_gives_up(pc, upstream):
    upstream.set_faults(rate_limit_rate=1.0, retry_after=0)
    with pytest.raises(RateLimitError):
        pc.restore_jobs.list(limit=1)
    assert upstream.calls["GET /restore-jobs"] == 4, "one call and three retries"


# -- backup schedules (2026-07) ------------------------------------------------


def a_scheduled_index(pc):
    """An index with an enabled schedule, and that schedule."""
    for name in sorted(active_index_names(pc)):
        try:
            enabled = [s for s in pc.backup_schedules.iter_schedules(index_name=name) if s.enabled]
        except ApiError:
            continue
        if enabled:
            return name, enabled[0]
    pytest.skip("the project has no index with an enabled backup schedule")


def test_the_sdk_lists_an_index_schedules_and_describes_one(pc):
    name, schedule = a_scheduled_index(pc)
    described = pc.backup_schedules.describe(schedule_id=schedule.schedule_id)
    assert described.name == schedule.name and described.enabled
    assert described.frequency in ("daily", "weekly", "monthly")
    assert described.retention_expire_after_days >= 1
    assert described.next_scheduled_run is not None and described.created_at is not None


def test_the_sdk_reads_a_schedule_history_led_by_its_planned_run(pc):
    name, schedule = a_scheduled_index(pc)
    history = list(pc.backup_schedules.iter_history(schedule_id=schedule.schedule_id))
    assert history and history[0].status == "Initializing"
    assert all(row.source_index_name == name for row in history)
    assert all(row.name.startswith(f"{schedule.name}-") for row in history if row.name)


@emulator_only
def test_the_sdk_sees_seeded_schedules_a_failed_run_and_a_disabled_schedule(pc):
    tickets = list(pc.backup_schedules.iter_schedules(index_name="support-tickets"))
    assert sorted(s.enabled for s in tickets) == [False, True]
    nightly = next(s for s in tickets if s.enabled)
    finished = [
        r for r in pc.backup_schedules.iter_history(schedule_id=nightly.schedule_id) if r.status != "Initializing"
    ]
    assert finished[0].status == "InitializationFailed"
    reviews = list(pc.backup_schedules.iter_schedules(index_name="customer-reviews"))
    assert [(s.enabled, s.next_scheduled_run) for s in reviews] == [(False, None)]


def test_the_sdk_creates_updates_and_deletes_a_schedule(pc, writes):
    index = "docs-embeddings" if not REAL_KEY else os.environ.get("RESTOREUI_CONTRACT_SCHEDULE_INDEX")
    if not index:
        pytest.skip("name an unscheduled index in RESTOREUI_CONTRACT_SCHEDULE_INDEX")
    created = pc.backup_schedules.create(
        index_name=index, name=unique_name("contract"), frequency="weekly", retention_days=3
    )
    try:
        assert created.enabled and created.retention_expire_after_days == 3
        with pytest.raises(ConflictError):
            pc.backup_schedules.create(
                index_name=index, name=unique_name("second"), frequency="daily", retention_days=3
            )
        paused = pc.backup_schedules.update(schedule_id=created.schedule_id, enabled=False)
        assert not paused.enabled and paused.next_scheduled_run is None
        changed = pc.backup_schedules.update(
            schedule_id=created.schedule_id, frequency="daily", retention_days=2, enabled=True
        )
        assert (changed.frequency, changed.retention_expire_after_days, changed.enabled) == ("daily", 2, True)
        assert changed.next_scheduled_run is not None
    finally:
        pc.backup_schedules.delete(schedule_id=created.schedule_id)
    with pytest.raises(NotFoundError):
        pc.backup_schedules.describe(schedule_id=created.schedule_id)


@emulator_only
def test_the_sdk_cannot_schedule_a_pod_index(pc):
    with pytest.raises(ApiError) as raised:
        pc.backup_schedules.create(index_name="pod-archive", name="nightly", frequency="daily", retention_days=7)
    assert raised.value.status_code == 400 and "pod-based" in str(raised.value)


@emulator_only
def test_the_sdk_reports_a_retention_past_the_project_maximum(pc):
    with pytest.raises(ApiError) as raised:
        pc.backup_schedules.create(index_name="docs-embeddings", name="long", frequency="daily", retention_days=366)
    assert raised.value.status_code == 400 and "max_backup_retention_days" in str(raised.value)


@emulator_only
def test_the_sdk_reports_the_plan_gate_on_schedules_with_its_plan_hint(pc, upstream):
    upstream.set_behaviour(plan_gate=True)
    with pytest.raises(ForbiddenError) as raised:
        pc.backup_schedules.list(index_name="products")
    assert "Starter plan" in str(raised.value) and "plan entitlement" in str(raised.value)


@emulator_only
def test_a_scheduled_run_makes_a_named_backup_and_retention_deletes_the_oldest(pc, upstream):
    schedule = next(iter(pc.backup_schedules.iter_schedules(index_name="products")))
    before = {r.backup_id: r for r in pc.backup_schedules.iter_history(schedule_id=schedule.schedule_id)}
    planned = next(r for r in before.values() if r.status == "Initializing")
    upstream.advance_clock(24 * 3600)
    after = {r.backup_id: r for r in pc.backup_schedules.iter_history(schedule_id=schedule.schedule_id)}
    ran = pc.backups.describe(backup_id=planned.backup_id)
    assert ran.name == planned.name and ran.name.startswith("products-daily-")
    assert ran.status == "Ready"
    oldest = min((r for r in before.values() if r.status == "Ready"), key=lambda r: r.created_at)
    assert oldest.backup_id not in after
    with pytest.raises(NotFoundError):
        pc.backups.describe(backup_id=oldest.backup_id)
