"""The image's gunicorn command as tests start it: a prepared environment, instances on
free ports that answer before a test sees them, and a login as the superuser it made.

test_workers.py and test_cluster.py run several instances side by side on one database.
"""

import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from bench.cluster import free_port, log_in

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = secrets.token_urlsafe(16)


def prepared(tmp: Path, project: str, emulator, **env: str) -> dict:
    """The environment of an instance serving PROJECT on EMULATOR, migrated, with static
    files collected and a superuser "root" (password PASSWORD); ENV adds or overrides."""
    projects = f'[projects.{project}]\napi_key = "{emulator.api_key}"\nhost = "{emulator.url}"\n'
    (tmp / "projects.toml").write_text(projects)
    env = {
        "PATH": f"{BIN}:/usr/bin:/bin",
        "HOME": str(tmp),
        "PYTHONUNBUFFERED": "1",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        # Plain HTTP between the test and the instances; TLS is the container test's subject.
        "DJANGO_SECURE": "0",
        "DJANGO_STATIC_ROOT": str(tmp / "static"),
        "RESTOREUI_PROJECTS_FILE": str(tmp / "projects.toml"),
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
    } | env
    for command in (
        ["manage.py", "migrate", "--noinput", "-v0"],
        ["manage.py", "collectstatic", "--noinput", "-v0"],
        ["manage.py", "createsuperuser", "--noinput", "--username", "root", "--email", "root@example.com"],
    ):
        subprocess.run([sys.executable, *command], cwd=ROOT, env=env, check=True, timeout=120)
    return env


def wait_until_answering(base: str, process: subprocess.Popen, **headers: str) -> None:
    """Return once BASE answers /healthz; fail if the process exits or 30 s pass first."""
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(f"{base}/healthz", headers=headers, timeout=2)
            return
        except requests.RequestException:
            assert process.poll() is None, f"the instance at {base} exited"
            assert time.monotonic() < deadline, f"the instance at {base} did not answer within 30 s"
            time.sleep(0.1)


def stop(processes: list[subprocess.Popen]) -> None:
    """SIGTERM, as an orchestrator stops a container; kill whatever is still there after 30 s."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Instances:
    """Gunicorn instances of one environment, started on demand, stopped at the end."""

    def __init__(self, tmp: Path, env: dict):
        self.tmp, self.env, self.processes = tmp, env, []

    def start(self, count=1, **extra) -> list[str]:
        bases = []
        for _ in range(count):
            port = free_port()
            log = open(self.tmp / f"gunicorn-{port}.log", "wb")
            env = self.env | {"PORT": str(port), "PROMETHEUS_MULTIPROC_DIR": str(self.tmp / f"m{port}")} | extra
            self.processes.append(
                subprocess.Popen(
                    ["gunicorn", "--config", "gunicorn.conf.py"], cwd=ROOT, env=env, stdout=log, stderr=log
                )
            )
            bases.append(f"http://127.0.0.1:{port}")
        for base, process in zip(bases, self.processes[-count:], strict=True):
            wait_until_answering(base, process)
        return bases

    def stop(self):
        stop(self.processes)


def login(session: requests.Session, base: str, username="root", password=PASSWORD, address: str | None = None):
    """Log in through the form, as a browser would (from ADDRESS, via the trusted proxy); the answer is the POST's."""
    return log_in(session, base, username, password, {"X-Forwarded-For": address} if address else None)
