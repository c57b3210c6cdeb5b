"""A hostile or buggy upstream, served by a local stub: the API key stays home, and
every value Pinecone sends is untrusted."""

from urllib.parse import unquote, urljoin, urlsplit

import pytest
from django.urls import resolve, reverse
from stub import Stub

from restoreui.models import AuditEntry
from restoreui.projects import Project
from restoreui.views.common import linker
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
def quick(settings, quick_retries):
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
    response = operator_client.post(
        url, {"name": "restored", "tags": "", "deletion_protection": "disabled"}, follow=True
    )
    assert elsewhere.received == [], "the restore was sent on to the host Pinecone redirected to"
    assert "Restore started" not in response.content.decode()
    assert "restoreui does not follow redirects" in response.content.decode()
    entry = AuditEntry.objects.get(action=AuditEntry.Action.RESTORE)
    assert entry.outcome != AuditEntry.Outcome.OK


# -- values no Pinecone should send


def _job(job_id, **values):
    job = {
        "restore_job_id": job_id,
        "backup_id": "b1",
        "target_index_name": "restored",
        "target_index_id": "i2",
        "status": "Running",
        "created_at": "2026-11-25T10:00:00Z",
        "percent_complete": 10.0,
    }
    return job | values


HOSTILE_JOBS = [
    _job("year-one", created_at="0001-01-01T00:00:00+01:00"),
    _job("year-max", created_at="9999-12-31T23:59:59-01:00", completed_at="9999-12-31T23:59:59-05:00"),
    _job("crawling", percent_complete=1e-12),
    _job("negative", percent_complete=-5, created_at="2026-11-25T10:00:00Z"),
    _job("beyond", percent_complete=1e300),
    _job("typed", status={"state": ["Running"]}, created_at=12345, percent_complete="fast", target_index_name=["x"]),
    {"restore_job_id": 42, "status": "Running"},
    "not an object",
]
HOSTILE_BACKUPS = [
    BACKUP | {"backup_id": "huge", "size_bytes": 10**400, "record_count": 10**30, "namespace_count": -1e308},
    BACKUP
    | {
        "backup_id": "typed",
        "size_bytes": "big",
        "dimension": [8],
        "tags": {"k": {"deep": [1]}},
        "created_at": "0001-01-01T00:00:00+01:00",
    },
]


@pytest.fixture
def hostile(upstream):
    jobs = {
        job["restore_job_id"]: job
        for job in HOSTILE_JOBS
        if isinstance(job, dict) and isinstance(job.get("restore_job_id"), str)
    }
    backups = {b["backup_id"]: b for b in HOSTILE_BACKUPS}
    upstream.routes["GET /restore-jobs"] = (200, {}, {"data": HOSTILE_JOBS})
    upstream.routes["GET /backups"] = (200, {}, {"data": HOSTILE_BACKUPS})
    upstream.routes["GET /indexes"] = (200, {}, {"indexes": []})
    for job_id, job in jobs.items():
        upstream.routes[f"GET /restore-jobs/{job_id}"] = (200, {}, job)
    for backup_id, backup in backups.items():
        upstream.routes[f"GET /backups/{backup_id}"] = (200, {}, backup)
    return {"jobs": sorted(jobs), "backups": sorted(backups)}


def test_hostile_values_never_make_a_page_fail(viewer_client, hostile):
    pages = [
        reverse("home"),
        reverse("project", args=["local"]),
        reverse("jobs-list", args=["local"]),
        reverse("jobs-export", args=["local", "csv"]),
        reverse("jobs-export", args=["local", "json"]),
        reverse("backups-list", args=["local"]),
        reverse("search", args=["local"]) + "?q=restored",
        *[reverse("jobs-detail", args=["local", job_id]) for job_id in hostile["jobs"]],
        *[reverse("backups-detail", args=["local", backup_id]) for backup_id in hostile["backups"]],
    ]
    for page in pages:
        assert viewer_client.get(page, follow=True).status_code == 200, (
            f"{page} failed on values Pinecone should not send"
        )


def test_the_job_table_lists_every_readable_job_even_with_impossible_dates(viewer_client, hostile):
    content = viewer_client.get(reverse("jobs-list", args=["local"])).content.decode()
    for job_id in hostile["jobs"]:
        assert reverse("jobs-detail", args=["local", job_id]) in content, f"job {job_id} vanished from the table"


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"data": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        b'{"data": [' + b"1" * 5000 + b"]}",
    ],
    ids=["deep", "deep-inside", "long-number"],
)
def test_a_deep_or_unreadable_answer_is_an_upstream_error_not_a_500(viewer_client, upstream, body):
    upstream.routes["GET /restore-jobs"] = (200, {}, body)
    response = viewer_client.get(reverse("jobs-list", args=["local"]))
    assert response.status_code == 502
    assert "Pinecone" in response.content.decode()


def test_an_answer_larger_than_allowed_is_an_upstream_error(settings, viewer_client, upstream):
    settings.PINECONE_MAX_BODY_BYTES = 10_000
    upstream.routes["GET /restore-jobs"] = (200, {}, {"data": [_job(f"j{i}") for i in range(200)]})
    response = viewer_client.get(reverse("jobs-list", args=["local"]))
    assert response.status_code == 502
    assert "larger than" in response.content.decode()


# -- a leaky upstream


def _pieces(secret, size=8):
    return {secret[i : i + size].casefold() for i in range(len(secret) - size + 1)}


def test_the_api_key_is_scrubbed_from_every_upstream_field(operator_client, upstream, caplog):
    leak = {
        "code": API_KEY.upper(),
        "message": f"key {API_KEY} rejected; did you mean {API_KEY[1:10].upper()}?",
    }
    upstream.routes["GET /backups/b1"] = (200, {}, BACKUP)
    upstream.routes["POST /backups/b1/create-index"] = (
        400,
        {"x-pinecone-request-id": f"rq-{API_KEY}"},
        {"error": leak},
    )
    url = reverse("backups-restore", args=["local", "b1"])
    response = operator_client.post(url, {"name": "restored", "tags": "", "deletion_protection": "disabled"})
    entry = AuditEntry.objects.get(action=AuditEntry.Action.RESTORE)
    places = {
        "page": response.content.decode(),
        "log": caplog.text,
        "audit entry": " ".join(str(v) for v in entry.as_log().values()),
    }
    for where, text in places.items():
        found = [p for p in _pieces(API_KEY) if p in text.casefold()]
        assert not found, f"the {where} holds pieces of the API key: {found}"
    assert "[api key]" in places["audit entry"]


# -- names and ids no form or link expects


@pytest.mark.parametrize("name", ["  padded  ", "x" * 250], ids=["edge-spaces", "long"])
def test_a_backup_with_an_awkward_name_is_deleted_by_typing_its_exact_name(operator_client, upstream, name):
    upstream.routes["GET /backups/b1"] = (200, {}, BACKUP | {"name": name})
    upstream.routes["DELETE /backups/b1"] = (202, {}, b"")
    response = operator_client.post(reverse("backups-delete", args=["local", "b1"]), {"confirm": name})
    assert response.status_code == 302, "the exact name did not confirm the deletion"
    assert [r[:2] for r in upstream.received if r[0] == "DELETE"] == [("DELETE", "/backups/b1")]


def test_a_name_with_edge_spaces_is_not_confirmed_by_its_trimmed_form(operator_client, upstream):
    upstream.routes["GET /backups/b1"] = (200, {}, BACKUP | {"name": " padded "})
    response = operator_client.post(reverse("backups-delete", args=["local", "b1"]), {"confirm": "padded"})
    assert response.status_code == 400
    assert not [r for r in upstream.received if r[0] == "DELETE"]


@pytest.mark.parametrize("ident", [".", "..", "a/b", "%2F", "100%25", "x/?q=1#f"])
@pytest.mark.parametrize("name", ["jobs-detail", "backups-detail", "indexes-detail", "backups-delete"])
def test_links_to_odd_ids_lead_back_to_the_same_id(viewer_client, name, ident):
    url = reverse(name, args=["local", ident])
    # As a browser follows the link: dot segments resolved, then split into path, query string and fragment.
    followed = urlsplit(urljoin("http://restoreui.example/", url))
    assert (followed.path, followed.query, followed.fragment) == (url, "", ""), (
        f"a browser would turn {url} into another page"
    )
    # As the server reads it: percent-decoded once, then matched and converted.
    match = resolve(unquote(followed.path))
    assert (match.url_name, list(match.kwargs.values())[-1]) == (name, ident), f"{url} leads to {match.kwargs}"
    assert viewer_client.get(url).status_code in (403, 404)


@pytest.mark.parametrize("ident", [".", "..", "a/b", "%2F", "100%25", "x/?q=1#f", "é ü", "\x00", "a-b_c~d"])
@pytest.mark.parametrize("name", ["jobs-detail", "backups-detail", "indexes-detail", "indexes-restore-before"])
def test_a_table_s_links_are_the_ones_reverse_makes(name, ident):
    assert linker(name, "local")(ident) == reverse(name, args=["local", ident])


def test_the_markdown_line_escapes_what_pinecone_named(viewer_client, upstream):
    job = _job("j1", target_index_name="x](https://evil.example)*bold*", status="Running_[now]")
    upstream.routes["GET /restore-jobs/j1"] = (200, {}, job)
    response = viewer_client.get(reverse("jobs-detail", args=["local", "j1"]))
    line = response.context["markdown"]
    assert "](https://evil.example)" not in line and "*bold*" not in line
    assert r"x\]\(https://evil.example\)\*bold\*" in line
    assert r"Running\_\[now\]" in line
