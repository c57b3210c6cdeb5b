"""The service functions views call, against the emulator: lists, versions, caching, writes."""

import json
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import redis
from django.core.cache import cache
from upstream import upstream_backups, upstream_jobs

from restoreui.pinecone import (
    InvalidRequest,
    NotFound,
    Unavailable,
    client,
    create_backup,
    create_index_from_backup,
    delete_backup,
    get_backup,
    get_index,
    get_restore_job,
    hooks,
    known_backup,
    list_backups,
    list_indexes,
    list_restore_jobs,
    restore_durations,
    restore_jobs_for_backup,
    service,
    validate_index_name,
    validate_tags,
)
from restoreui.pinecone import cache as cache_layer
from restoreui.projects import API_VERSIONS, Project

REDIS_URL = "redis://127.0.0.1:6379/0"
SEED_JOBS = 260


@pytest.fixture(autouse=True)
def fast(settings, quick_retries):
    settings.PINECONE_RETRIES = 2
    settings.CACHE_TTL_LIST = 30
    settings.CACHE_TTL_RUNNING = 30
    settings.CACHE_TTL_FINISHED = 3600


@pytest.fixture(params=["locmem", "redis"])
def shared_cache(request, settings):
    """Each caching test runs on the default local-memory cache and on a shared Redis."""
    if request.param == "locmem":
        yield
        return
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except redis.RedisError as e:
        pytest.skip(f"Redis at {REDIS_URL} is not answering ({e}); the shared-cache variant needs it")
    prefix = f"restoreui-test-{uuid.uuid4().hex[:12]}"
    original = settings.CACHES
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    yield
    # Delete only this test's keys: the Redis may be shared, and clear() would flush it all.
    server = redis.Redis.from_url(REDIS_URL)
    for key in server.scan_iter(f"{prefix}:*"):
        server.delete(key)
    settings.CACHES = original


def calls(emulator, endpoint):
    return emulator.calls.get(endpoint, 0)


def test_it_walks_every_page_of_restore_jobs(emulator, project):
    fetched = list_restore_jobs(project)
    jobs = fetched.value.items
    assert len(jobs) == SEED_JOBS and len({j.id for j in jobs}) == SEED_JOBS, "jobs would be missing"
    assert (fetched.value.pages, fetched.value.truncated) == (3, False)
    assert calls(emulator, "GET /restore-jobs") == 3
    assert fetched.stale is False and fetched.error is None
    assert fetched.fetched_at.tzinfo is not None


def test_jobs_are_newest_first_with_unknown_start_times_last(project):
    jobs = list_restore_jobs(project).value.items
    known = [j.created_at for j in jobs if j.created_at]
    unknown = [j for j in jobs if j.created_at is None]
    assert unknown, "the seed has no job without created_at, so this proves nothing"
    assert known == sorted(known, reverse=True), "the newest job would not be on top"
    assert all(j.created_at is None for j in jobs[len(known) :]), "jobs without a time would be on top"


def test_hitting_the_page_cap_says_the_list_is_incomplete(project, settings):
    settings.PINECONE_LIST_PAGE_CAP = 2
    listing = list_restore_jobs(project).value
    assert (listing.truncated, listing.pages, len(listing.items)) == (True, 2, 200), (
        "the page would not warn that jobs are missing"
    )


@pytest.fixture
def overlapping_pages():
    """A server whose restore-job pages overlap and then repeat a token, as the SDK warns."""
    job = {"backup_id": "b", "target_index_name": "t", "target_index_id": "i", "status": "Completed"}
    pages = {
        None: (["j1", "j2"], "p2"),
        "p2": (["j2", "j3"], "p3"),
        "p3": (["j3", "j4"], "p3"),
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            token = parse_qs(urlsplit(self.path).query).get("paginationToken", [None])[0]
            ids, following = pages[token]
            data = [{**job, "restore_job_id": i, "created_at": f"2025-01-0{i[1]}T00:00:00Z"} for i in ids]
            body = json.dumps({"data": data, "pagination": {"next": following}}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield Project(name="overlap", api_key="k", host=f"http://127.0.0.1:{server.server_port}")
    server.shutdown()
    server.server_close()


def test_overlapping_pages_are_deduplicated_and_a_repeated_token_ends_the_walk(overlapping_pages):
    listing = list_restore_jobs(overlapping_pages).value
    assert [j.id for j in listing.items] == ["j4", "j3", "j2", "j1"], "a job would be listed twice"
    assert listing.truncated and listing.pages == 3, "a looping token would spin until the page cap"


def test_an_index_lists_only_its_own_backups(emulator, project):
    everything = list_backups(project).value.items
    name = everything[0].source_index_name
    own = list_backups(project, name).value.items
    assert own and {b.source_index_name for b in own} == {name}
    assert {b.id for b in own} <= {b.id for b in everything}
    assert calls(emulator, "GET /indexes/{index_name}/backups") == 1


def test_jobs_for_a_backup_are_filtered_from_the_cached_list(emulator, project):
    everything = list_restore_jobs(project).value.items
    backup_id = everything[0].backup_id
    mine = restore_jobs_for_backup(project, backup_id).value.items
    assert mine == tuple(j for j in everything if j.backup_id == backup_id)
    assert calls(emulator, "GET /restore-jobs") == 3, "the backup page would walk every job again"


def test_every_api_version_gives_the_same_backups_and_indexes(project, sending_metric):
    def shape(version):
        p = Project(name="local", api_key=project.api_key, host=project.host, api_version=version)
        listed = list_backups(p).value.items
        backups = {b.id: (b.status, b.dimension, b.record_count, b.tags, b.created_at) for b in listed}
        metrics = {b.id: b.metric for b in listed if b.state == "ready"}
        indexes = [
            (i.name, i.ready, i.dimension, i.metric, i.cloud, i.region, i.tags) for i in list_indexes(p).value.items
        ]
        return backups, metrics, indexes

    shapes = {v: shape(v) for v in API_VERSIONS}
    for version in API_VERSIONS:
        assert shapes[version][0] == shapes["2026-04"][0], f"backups read differently under {version}"
        assert shapes[version][2] == shapes["2026-04"][2], f"indexes read differently under {version}"
    assert set(shapes["2025-04"][1].values()) == {None}, "2025-04 has no metric to show"
    for version in ("2025-10", "2026-07"):
        assert shapes[version][1] == shapes["2026-04"][1], f"metrics read differently under {version}"
    assert None not in shapes["2026-07"][1].values(), "2026-07 metric was not found in the schema"


def test_get_functions_return_typed_values(ready_backup, project):
    job = list_restore_jobs(project).value.items[0]
    assert get_restore_job(project, job.id).value == job
    assert get_backup(project, ready_backup.id).value == ready_backup
    index = list_indexes(project).value.items[0]
    assert get_index(project, index.name).value == index


def test_a_missing_job_is_not_found(project):
    with pytest.raises(NotFound):
        get_restore_job(project, "00000000-0000-0000-0000-000000000000")


def test_a_second_read_comes_from_the_cache(emulator, project, shared_cache):
    first = list_backups(project)
    second = list_backups(project)
    assert second.value == first.value and second.fetched_at == first.fetched_at
    assert calls(emulator, "GET /backups") == 1, "every page view would call Pinecone"


def test_a_list_past_its_lifetime_is_served_at_once_and_refreshed_behind(
    emulator, project, settings, clock, shared_cache
):
    first = list_indexes(project)
    clock.advance(settings.CACHE_TTL_LIST)
    again = list_indexes(project)
    assert again.fetched_at == first.fetched_at and not again.stale, "the viewer waited for a fresh copy"
    cache_layer.settle()
    assert calls(emulator, "GET /indexes") == 2, "the list would never refresh"
    fresh = list_indexes(project)
    assert fresh.fetched_at > first.fetched_at and not fresh.stale
    assert calls(emulator, "GET /indexes") == 2, "the refreshed copy was not used"


def test_a_refresh_asked_for_while_the_process_exits_is_left_to_the_next_reader(
    emulator, project, settings, clock, monkeypatch
):
    """Once the pool is shut (the interpreter is exiting), a refresh is dropped, not raised from the answer."""
    first = list_indexes(project)
    stopped = ThreadPoolExecutor(1)
    stopped.shutdown()
    monkeypatch.setattr(cache_layer, "_pool", stopped)
    clock.advance(settings.CACHE_TTL_LIST)
    assert list_indexes(project).fetched_at == first.fetched_at
    assert not cache_layer._refreshing, "the key would be marked as refreshing for good"
    monkeypatch.setattr(cache_layer, "_pool", None)
    list_indexes(project)
    cache_layer.settle()
    assert calls(emulator, "GET /indexes") == 2, "the next reader did not refresh the list"


def test_a_list_past_its_revalidation_window_waits_for_a_fresh_copy(emulator, project, settings, clock, shared_cache):
    first = list_indexes(project)
    clock.advance(settings.CACHE_TTL_LIST + settings.CACHE_REVALIDATE_WINDOW)
    again = list_indexes(project)
    assert again.fetched_at > first.fetched_at, "a copy older than the window was shown as the list"
    assert calls(emulator, "GET /indexes") == 2


def test_finished_jobs_stay_cached_and_running_ones_refresh(emulator, project, settings, clock, shared_cache):
    jobs = list_restore_jobs(project).value.items
    done = next(j for j in jobs if j.finished)
    running = next(j for j in jobs if not j.finished)
    for job_id in (done.id, running.id):
        get_restore_job(project, job_id)
    clock.advance(settings.CACHE_TTL_RUNNING)
    for job_id in (done.id, running.id):
        get_restore_job(project, job_id)
    assert calls(emulator, "GET /restore-jobs/{job_id}") == 3, "only the running job should be asked again"


def test_concurrent_identical_reads_cost_one_upstream_call(emulator, project, shared_cache):
    emulator.set_faults(latency_ms=300)
    results, start = [], threading.Barrier(8)

    def read():
        start.wait()
        results.append(list_backups(project))

    threads = [threading.Thread(target=read) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 8 and len({len(r.value.items) for r in results}) == 1
    assert calls(emulator, "GET /backups") == 1, "eight viewers would cost eight upstream calls"


def test_concurrent_reads_during_an_outage_share_one_failure(emulator, project, shared_cache):
    emulator.set_faults(latency_ms=200, error_rate=1.0)
    errors, start = [], threading.Barrier(6)

    def read():
        start.wait()
        try:
            list_backups(project)
        except Unavailable as e:
            errors.append(e)

    threads = [threading.Thread(target=read) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(errors) == 6, "every viewer should see the outage"
    assert calls(emulator, "GET /backups") == 3, "each viewer would have retried on its own"


def test_an_outage_serves_the_last_good_copy_marked_stale(emulator, project, settings, clock, shared_cache):
    good = list_restore_jobs(project)
    clock.advance(settings.CACHE_TTL_LIST + 1)
    emulator.set_faults(error_rate=1.0)
    # The first viewer after the lifetime is answered at once; the refresh behind it fails.
    assert not list_restore_jobs(project).stale
    cache_layer.settle()
    served = list_restore_jobs(project)
    assert served.stale and isinstance(served.error, Unavailable), "the page would not say it is stale"
    assert served.value == good.value and served.fetched_at == good.fetched_at
    assert served.age.total_seconds() >= settings.CACHE_TTL_LIST + 1, "the page would show the wrong age"
    emulator.clear_faults()
    clock.advance(settings.CACHE_TTL_RUNNING)
    # Still marked stale until a refresh succeeds, and that one is asked for now.
    assert list_restore_jobs(project).stale
    cache_layer.settle()
    fresh = list_restore_jobs(project)
    assert not fresh.stale and fresh.error is None and fresh.fetched_at > good.fetched_at


def test_with_revalidation_off_an_outage_is_seen_by_the_first_viewer(emulator, project, settings, clock):
    settings.CACHE_REVALIDATE_WINDOW = 0
    good = list_restore_jobs(project)
    clock.advance(settings.CACHE_TTL_LIST)
    emulator.set_faults(error_rate=1.0)
    served = list_restore_jobs(project)
    assert served.stale and served.fetched_at == good.fetched_at


def test_right_after_a_failure_the_stale_copy_is_served_without_asking_again(
    emulator, project, settings, clock, shared_cache
):
    list_backups(project)
    clock.advance(settings.CACHE_TTL_LIST)
    emulator.set_faults(error_rate=1.0)
    list_backups(project)
    cache_layer.settle()
    assert list_backups(project).stale
    started = time.monotonic()
    again = list_backups(project)
    assert again.stale and isinstance(again.error, Unavailable)
    assert time.monotonic() - started < 0.1, "every page view would wait on a failing Pinecone"
    assert calls(emulator, "GET /backups") == 1 + 3, "the failure was not remembered"


def test_an_outage_with_nothing_cached_raises(emulator, project):
    emulator.set_faults(error_rate=1.0)
    with pytest.raises(Unavailable):
        list_indexes(project)


def test_something_deleted_elsewhere_is_not_found_not_stale(
    ready_backup, emulator, project, settings, clock, shared_cache
):
    get_backup(project, ready_backup.id)
    client.call(project, "DELETE", "/backups/{}", ids=(ready_backup.id,))
    clock.advance(settings.CACHE_TTL_LIST)
    with pytest.raises(NotFound):
        get_backup(project, ready_backup.id)
    emulator.set_faults(error_rate=1.0)
    # With the last good copy forgotten, an outage cannot bring the deleted backup back.
    with pytest.raises(Unavailable):
        get_backup(project, ready_backup.id)


def test_creating_a_backup_refreshes_the_backup_lists(project, shared_cache):
    index = next(i for i in list_indexes(project).value.items if i.ready)
    before = list_backups(project).value.items
    list_backups(project, index.name)
    created = create_backup(project, index.name, name="before-upgrade", description="manual")
    assert (created.name, created.source_index_name, created.state) == ("before-upgrade", index.name, "initializing")
    assert created.id in {b.id for b in list_backups(project).value.items}, "the new backup would not be listed"
    assert created.id in {b.id for b in list_backups(project, index.name).value.items}
    assert len(list_backups(project).value.items) == len(before) + 1


def test_deleting_a_backup_refreshes_the_lists_and_its_page(ready_backup, project, shared_cache):
    get_backup(project, ready_backup.id)
    list_backups(project, ready_backup.source_index_name)
    delete_backup(project, ready_backup.id)
    assert ready_backup.id not in {b.id for b in list_backups(project).value.items}, (
        "a deleted backup would still be listed"
    )
    assert ready_backup.id not in {b.id for b in list_backups(project, ready_backup.source_index_name).value.items}
    with pytest.raises(NotFound):
        get_backup(project, ready_backup.id)


def test_a_restore_refreshes_jobs_and_indexes(ready_backup, project, shared_cache):
    jobs_before = list_restore_jobs(project).value.items
    list_indexes(project)
    started = create_index_from_backup(
        project, ready_backup.id, "movies-copy", tags={"env": "staging"}, deletion_protection="enabled"
    )
    assert started.restore_job_id and started.index_id
    jobs = list_restore_jobs(project).value.items
    assert len(jobs) == len(jobs_before) + 1 and started.restore_job_id in {j.id for j in jobs}
    assert jobs[0].id == started.restore_job_id, "the new restore should be at the top"
    assert started.restore_job_id in {j.id for j in restore_jobs_for_backup(project, ready_backup.id).value.items}
    index = get_index(project, "movies-copy").value
    assert (index.tags, index.deletion_protection) == ({"env": "staging"}, "enabled")
    assert "movies-copy" in {i.name for i in list_indexes(project).value.items}


def test_a_restore_with_a_bad_name_is_refused_before_calling_pinecone(emulator, project):
    with pytest.raises(InvalidRequest) as caught:
        create_index_from_backup(project, "any", "Bad_Name", tags={"bad key": "x"})
    assert "lowercase" in caught.value.message and "bad key" in caught.value.message
    assert emulator.calls == {}


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("movies-2", True),
        ("a", True),
        ("a" * 45, True),
        ("", False),
        ("a" * 46, False),
        ("Movies", False),
        ("-movies", False),
        ("movies-", False),
        ("mo_vies", False),
        ("mo vies", False),
    ],
)
def test_index_names_follow_pinecones_rules(name, valid):
    assert (validate_index_name(name) == []) is valid, f"{name!r} would be {'refused' if valid else 'sent'}"


def test_tags_follow_pinecones_rules():
    assert validate_tags({"team": "search; ops@acme.io +1", "cost_center-2": ""}) == []
    assert len(validate_tags({"k" * 81: "v"})) == 1
    assert len(validate_tags({"k": "v" * 121})) == 1
    assert len(validate_tags({"bad key": "v", "ok": "no/slash", "": "v"})) == 3


def test_the_cache_hook_counts_hits_misses_revalidations_and_stale(emulator, project, settings, clock, monkeypatch):
    seen = []
    monkeypatch.setattr(hooks, "on_cache", seen.append)
    list_indexes(project)
    list_indexes(project)
    clock.advance(settings.CACHE_TTL_LIST)
    emulator.set_faults(error_rate=1.0)
    list_indexes(project)
    cache_layer.settle()
    list_indexes(project)
    # The refresh behind the third read failed and fell back on the copy it had.
    assert seen == ["miss", "hit", "revalidate", "miss", "stale", "stale"]


def test_projects_do_not_share_cache_entries(emulator, project):
    other = Project(name="other", api_key=project.api_key, host=project.host, api_version="2026-07")
    list_indexes(project)
    list_indexes(other)
    assert calls(emulator, "GET /indexes") == 2, "one project's indexes would show under another"


def test_known_backup_answers_from_cached_copies_only(project, emulator):
    some = list_backups(project).value.items[0]
    cache.clear()
    emulator.reset()
    assert known_backup(project, some.id) is None, "a backup nobody fetched was made up"
    assert emulator.stats()["total"] == 0, "known_backup asked Pinecone"
    list_backups(project)
    assert known_backup(project, some.id).id == some.id, "the cached project list was not used"
    assert emulator.stats()["total"] == 1


def test_known_backups_are_parsed_once_per_copy_and_outlive_its_lifetime(project, emulator, clock, settings):
    """Job pages and history writes look backups up on every load: they share the list's parsed copy."""
    listed = list_backups(project).value.items
    known = service.known_backups(project)
    assert set(known) == {b.id for b in listed}
    assert service.known_backups(project) is known, "the list was parsed again for an unchanged copy"
    assert known_backup(project, listed[0].id) is known[listed[0].id]
    emulator.reset()
    clock.advance(settings.CACHE_TTL_LIST + settings.CACHE_REVALIDATE_WINDOW + 1)
    assert service.known_backups(project) is known, "a copy past its lifetime is still the last one seen"
    assert emulator.stats()["total"] == 0, "looking backups up asked Pinecone"


def test_the_duration_sample_pairs_each_completed_restore_with_its_backup_size(project, emulator):
    sizes = {b.id: b.size_bytes for b in upstream_backups(emulator, project.api_version) if b.size_bytes is not None}
    expected = Counter(
        (sizes.get(j.backup_id), j.duration.total_seconds())
        for j in upstream_jobs(emulator)
        if j.status == "Completed" and j.duration is not None
    )
    sample = restore_durations(project).value
    assert Counter(sample.pairs) == expected, "the sample was not every completed restore with its backup's size"
    assert sample.backup_sizes == sizes


def test_the_duration_sample_is_reused_until_the_list_lifetime_ends(project, emulator):
    restore_durations(project)
    calls = emulator.stats()["total"]
    restore_durations(project)
    assert emulator.stats()["total"] == calls, "the sample asked Pinecone again within the list lifetime"


def test_viewers_after_a_lifetime_all_get_the_last_copy_and_pinecone_one_refresh(
    emulator, project, settings, clock, shared_cache
):
    first = list_backups(project)
    clock.advance(settings.CACHE_TTL_LIST)
    emulator.set_faults(latency_ms=300)
    served, start = [], threading.Barrier(8)

    def read():
        start.wait()
        served.append(list_backups(project))

    threads = [threading.Thread(target=read) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [s.fetched_at for s in served] == [first.fetched_at] * 8, "a viewer waited for the refresh"
    assert not any(s.stale for s in served), "a copy being refreshed was marked as an outage"
    cache_layer.settle()
    assert calls(emulator, "GET /backups") == 2, "eight viewers after the lifetime cost more than one refresh"
    assert list_backups(project).fetched_at > first.fetched_at


def test_the_watcher_reads_ahead_of_the_lifetime_and_waits_for_it(emulator, project, settings, clock, shared_cache):
    first = list_indexes(project)
    clock.advance(settings.CACHE_TTL_LIST / 2)
    with cache_layer.refreshing_ahead(settings.CACHE_TTL_LIST):
        ahead = list_indexes(project)
        again = list_indexes(project)
    assert ahead.fetched_at > first.fetched_at, "a copy about to expire was kept"
    assert again.fetched_at == ahead.fetched_at, "a copy loaded in the same round was loaded again"
    assert calls(emulator, "GET /indexes") == 2


def test_an_unchanged_refresh_keeps_the_parsed_copy(emulator, project, settings, clock, shared_cache):
    first = list_restore_jobs(project)
    clock.advance(settings.CACHE_TTL_LIST)
    list_restore_jobs(project)
    cache_layer.settle()
    refreshed = list_restore_jobs(project)
    assert refreshed.fetched_at > first.fetched_at
    assert refreshed.version == first.version and refreshed.value.items is first.value.items, (
        "an unchanged list was parsed again"
    )
