"""The image's gunicorn with its default configuration (no Redis): nothing that
security depends on may differ between worker processes.

Each "worker" here is a gunicorn instance of one worker on its own port, all on
one SQLite database, so a test picks which process answers instead of hoping
the kernel spreads connections: two instances of one worker are the same
as one instance of two, separate processes with a locmem cache each.
"""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from gunicorn_instances import Instances, login, prepared

from restoreui.emulator import Emulator
from tests.conftest import API_KEY

ADDRESS_LIMIT = 8


@pytest.fixture(scope="module")
def instances(tmp_path_factory, emulator):
    tmp = tmp_path_factory.mktemp("workers")
    env = prepared(
        tmp,
        "local",
        emulator,
        GUNICORN_WORKERS="1",
        RESTOREUI_LOGIN_ADDRESS_FAILURE_LIMIT=str(ADDRESS_LIMIT),
        # Each test logs in from an address of its own (X-Forwarded-For), so lockouts stay apart.
        RESTOREUI_TRUSTED_PROXIES="127.0.0.1",
    )
    running = Instances(tmp, env)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def workers(instances):
    return instances.start(2)


def test_a_logout_on_one_worker_ends_the_session_on_the_other(workers):
    a, b = workers
    session = requests.Session()
    assert login(session, a, address="192.0.2.1").status_code == 302
    # The other worker reads the session once, as it would while the user browses.
    assert session.get(f"{b}/p/local/jobs/export.json", allow_redirects=False, timeout=10).status_code == 200
    cookie = session.cookies["sessionid"]
    session.post(
        f"{a}/logout/",
        {"csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": f"{a}/"},
        allow_redirects=False,
        timeout=10,
    )
    stolen = requests.Session()
    stolen.cookies.set("sessionid", cookie)
    for base in (a, b):
        response = stolen.get(f"{base}/p/local/jobs/export.json", allow_redirects=False, timeout=10)
        assert response.status_code == 302, f"the logged-out session still read the export on {base}"


def test_the_login_throttle_counts_failures_on_every_worker_together(workers):
    a, b = workers
    session = requests.Session()
    for attempt in range(5):
        response = login(session, (a, b)[attempt % 2], password="wrong", address="192.0.2.2")
        assert "Please enter a correct username and password" in response.text
    for base in (a, b):
        response = login(requests.Session(), base, address="192.0.2.2")
        assert response.status_code == 200, f"the right password still logged in on {base} during the lockout"
        assert "Too many failed logins" in response.text


def test_one_address_trying_many_usernames_is_locked_out_on_every_worker(workers):
    a, b = workers
    for attempt in range(ADDRESS_LIMIT):
        response = login(
            requests.Session(), (a, b)[attempt % 2], username=f"spray{attempt}", password="wrong", address="192.0.2.3"
        )
        assert "Please enter a correct username and password" in response.text
    for base in (a, b):
        response = login(requests.Session(), base, username="spray-next", password="wrong", address="192.0.2.3")
        assert "Too many failed logins from your address" in response.text, f"{base} went on checking passwords"


@pytest.fixture
def slow_pinecone():
    server = Emulator(host="127.0.0.1", port=0, api_key=API_KEY, seed=7, latency_ms=8000).start()
    yield server
    server.stop()


def test_healthz_answers_while_every_thread_waits_on_a_slow_pinecone(instances, slow_pinecone, tmp_path):
    projects = tmp_path / "projects.toml"
    projects.write_text(f'[projects.local]\napi_key = "{API_KEY}"\nhost = "{slow_pinecone.url}"\n')
    [base] = instances.start(1, RESTOREUI_PROJECTS_FILE=str(projects), GUNICORN_THREADS="4")
    session = requests.Session()
    assert login(session, base, address="192.0.2.4").status_code == 302
    job_ids = list(slow_pinecone.store.jobs)[:8]

    def job_page(job_id):
        return session.get(f"{base}/p/local/jobs/{job_id}/", allow_redirects=False, timeout=30)

    with ThreadPoolExecutor(len(job_ids)) as pool:
        pages = [pool.submit(job_page, job_id) for job_id in job_ids]
        while sum(slow_pinecone.calls.values()) < 3:
            time.sleep(0.05)
        time.sleep(0.5)  # the other page requests reach the worker too
        # A probe's own timeout: liveness must answer within a second, whatever Pinecone does.
        assert requests.get(f"{base}/healthz", timeout=1).status_code == 200
        answers = [page.result() for page in pages]
    assert {a.status_code for a in answers} <= {200, 503}, "a page waiting on Pinecone did not answer cleanly"
    busy = [a for a in answers if a.status_code == 503]
    assert busy and all("restoreui is busy" in a.text for a in busy)
