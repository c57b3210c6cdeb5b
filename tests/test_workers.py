"""The image's gunicorn with its default configuration (no Redis): nothing that
security depends on may differ between worker processes.

Each "worker" here is a gunicorn instance of one worker on its own port, all on
one SQLite database, so a test picks which process answers instead of hoping
the kernel spreads connections: two instances of one worker are the same
as one instance of two, separate processes with a locmem cache each.
"""

import secrets
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from restoreui.emulator import Emulator
from tests.conftest import API_KEY

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = secrets.token_urlsafe(16)
ADDRESS_LIMIT = 8


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Instances:
    """Gunicorn instances on one database, started on demand, stopped at the end."""

    def __init__(self, tmp: Path, env: dict):
        self.tmp, self.env, self.processes = tmp, env, []

    def start(self, count=1, **extra) -> list[str]:
        bases = []
        for _ in range(count):
            port = _free_port()
            log = open(self.tmp / f"gunicorn-{port}.log", "wb")
            env = self.env | {"PORT": str(port), "PROMETHEUS_MULTIPROC_DIR": str(self.tmp / f"m{port}")} | extra
            self.processes.append(
                subprocess.Popen(
                    ["gunicorn", "--config", "gunicorn.conf.py"], cwd=ROOT, env=env, stdout=log, stderr=log
                )
            )
            bases.append(f"http://127.0.0.1:{port}")
        for base, process in zip(bases, self.processes[-count:], strict=False):
            deadline = time.monotonic() + 30
            while True:
                try:
                    requests.get(f"{base}/healthz", timeout=2)
                    break
                except requests.RequestException:
                    assert process.poll() is None, f"the instance at {base} exited"
                    assert time.monotonic() < deadline, f"the instance at {base} did not answer within 30 s"
                    time.sleep(0.1)
        return bases

    def stop(self):
        for process in self.processes:
            process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def instances(tmp_path_factory, emulator):
    tmp = tmp_path_factory.mktemp("workers")
    (tmp / "projects.toml").write_text(f'[projects.local]\napi_key = "{emulator.api_key}"\nhost = "{emulator.url}"\n')
    env = {
        "PATH": f"{BIN}:/usr/bin:/bin",
        "HOME": str(tmp),
        "PYTHONUNBUFFERED": "1",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE": "0",
        "DJANGO_STATIC_ROOT": str(tmp / "static"),
        "RESTOREUI_PROJECTS_FILE": str(tmp / "projects.toml"),
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "GUNICORN_WORKERS": "1",
        "RESTOREUI_LOGIN_ADDRESS_FAILURE_LIMIT": str(ADDRESS_LIMIT),
        # Each test logs in from an address of its own (X-Forwarded-For), so lockouts stay apart.
        "RESTOREUI_TRUSTED_PROXIES": "127.0.0.1",
        "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
    }
    for command in (
        ["manage.py", "migrate", "--noinput", "-v0"],
        ["manage.py", "collectstatic", "--noinput", "-v0"],
        ["manage.py", "createsuperuser", "--noinput", "--username", "root", "--email", "root@example.com"],
    ):
        subprocess.run([sys.executable, *command], cwd=ROOT, env=env, check=True, timeout=120)
    running = Instances(tmp, env)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def workers(instances):
    return instances.start(2)


def _login(session, base, username="root", password=PASSWORD, address="192.0.2.1"):
    session.get(f"{base}/login/", timeout=10)
    return session.post(
        f"{base}/login/",
        {"username": username, "password": password, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": f"{base}/login/", "X-Forwarded-For": address},
        allow_redirects=False,
        timeout=10,
    )


def test_a_logout_on_one_worker_ends_the_session_on_the_other(workers):
    a, b = workers
    session = requests.Session()
    assert _login(session, a).status_code == 302
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
        response = _login(session, (a, b)[attempt % 2], password="wrong", address="192.0.2.2")
        assert "Please enter a correct username and password" in response.text
    for base in (a, b):
        response = _login(requests.Session(), base, address="192.0.2.2")
        assert response.status_code == 200, f"the right password still logged in on {base} during the lockout"
        assert "Too many failed logins" in response.text


def test_one_address_trying_many_usernames_is_locked_out_on_every_worker(workers):
    a, b = workers
    for attempt in range(ADDRESS_LIMIT):
        response = _login(
            requests.Session(), (a, b)[attempt % 2], username=f"spray{attempt}", password="wrong", address="192.0.2.3"
        )
        assert "Please enter a correct username and password" in response.text
    for base in (a, b):
        response = _login(requests.Session(), base, username="spray-next", password="wrong", address="192.0.2.3")
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
    assert _login(session, base, address="192.0.2.4").status_code == 302
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
