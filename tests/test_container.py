"""The container image: a clean Dockerfile, and its exact command serving the
app in production mode. No Docker engine is needed: the image's entrypoint runs
here with the image's settings file and environment."""

import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from gunicorn_instances import free_port

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text()
BIN = Path(sys.executable).parent
HOST = "restoreui.example.com"
METRICS_TOKEN = "metrics-" + secrets.token_hex(8)


def _final_stage() -> str:
    return DOCKERFILE.rsplit("\nFROM ", 1)[1]


def _instructions(name: str) -> list[str]:
    """The final stage's NAME instructions, with continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", _final_stage())
    return re.findall(rf"^{name}\s+(.+)$", joined, re.MULTILINE)


def _instruction(name: str) -> str:
    [instruction] = _instructions(name)
    return instruction


def test_the_dockerfile_passes_hadolint():
    result = subprocess.run([BIN / "hadolint", "--no-color", "Dockerfile"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, f"hadolint:\n{result.stdout}{result.stderr}"


def test_the_image_runs_as_a_user_without_compilers():
    final = _final_stage()
    assert final.startswith("python:3.13-slim")
    assert re.search(r"^USER [1-9]\d*:[1-9]\d*$", final, re.MULTILINE), (
        "the final stage does not switch to a non-root user"
    )
    assert not re.search(r"\b(gcc|build-essential|apt-get install|pip install)\b", final)


def test_the_image_never_receives_local_secrets_or_databases():
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert "*" in ignored, "the build context is not an allow-list"
    allowed = {line[1:].rstrip("/") for line in ignored if line.startswith("!")}
    assert allowed <= {
        "pyproject.toml",
        "README.md",
        "manage.py",
        "gunicorn.conf.py",
        "restoreui",
        "templates",
        "static",
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory, emulator):
    """The image's ENTRYPOINT and environment, after the image's collectstatic."""
    tmp = tmp_path_factory.mktemp("container")
    projects = tmp / "projects.toml"
    projects.write_text(f'[projects.prod]\napi_key = "{emulator.api_key}"\nhost = "{emulator.url}"\n')
    image_env = dict(re.findall(r"(\w+)=(\S+)", _instruction("ENV")))
    image_env |= {
        "PATH": f"{BIN}:/usr/bin:/bin",
        "HOME": str(tmp),
        "DJANGO_STATIC_ROOT": str(tmp / "static"),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp / "metrics"),
    }
    collectstatic = next(run for run in _instructions("RUN") if "collectstatic" in run).rsplit("&& ", 1)[1]
    subprocess.run(["sh", "-c", collectstatic], cwd=ROOT, env=image_env, check=True, timeout=120)

    port = free_port()
    env = image_env | {
        "PORT": str(port),
        "GUNICORN_WORKERS": "2",
        # Workers retire after a few requests, so samples certainly come from several processes.
        "GUNICORN_MAX_REQUESTS": "5",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_CSRF_TRUSTED_ORIGINS": f"https://{HOST}",
        "RESTOREUI_PROJECTS_FILE": str(projects),
        "RESTOREUI_TRUSTED_PROXIES": "127.0.0.1",
        "RESTOREUI_METRICS_TOKEN": METRICS_TOKEN,
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
    }
    process = subprocess.Popen(
        json.loads(_instruction("ENTRYPOINT")),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{base}/healthz", headers={"Host": HOST}, timeout=2)
                break
            except requests.RequestException:
                assert process.poll() is None, f"gunicorn exited: {process.stdout.read()}"
                assert time.monotonic() < deadline, "gunicorn did not answer within 30 s"
                time.sleep(0.1)
        yield {"base": base, "env": env, "process": process}
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _get(server, path, **headers):
    headers = {"Host": HOST, "X-Forwarded-Proto": "https"} | headers
    return requests.get(server["base"] + path, headers=headers, allow_redirects=False, timeout=10)


def test_it_serves_the_login_page_in_production_mode(server):
    response = _get(server, "/login/")
    assert response.status_code == 200, response.text
    assert "Log in to restoreui" in response.text
    assert "'nonce-" in response.headers["Content-Security-Policy"]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Secure" in response.headers["Set-Cookie"]


def test_it_sends_plain_http_to_https(server):
    response = _get(server, "/login/", **{"X-Forwarded-Proto": "http"})
    assert response.status_code == 301
    assert response.headers["Location"] == f"https://{HOST}/login/"


def test_it_serves_hashed_static_files_compressed_and_cached_for_a_year(server):
    stylesheet = re.search(r'href="(/static/css/restoreui\.[0-9a-f]{12}\.css)"', _get(server, "/login/").text)
    assert stylesheet, "the page does not link the hashed stylesheet"
    response = _get(server, stylesheet[1], **{"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "max-age=315360000" in response.headers["Cache-Control"]
    assert "immutable" in response.headers["Cache-Control"]
    assert response.headers["Vary"] == "Accept-Encoding"
    assert response.text.strip(), "the stylesheet is empty"


def test_the_image_healthcheck_passes(server):
    command = json.loads(_instruction("HEALTHCHECK").split(" CMD ", 1)[1])
    result = subprocess.run(command, env=server["env"], capture_output=True, text=True, timeout=10)
    assert result.returncode == 0, result.stderr


def test_readyz_reaches_the_upstream_from_the_production_process(server):
    response = _get(server, "/readyz", Authorization=f"Bearer {METRICS_TOKEN}")
    assert response.status_code == 200, response.text
    assert response.json()["checks"]["pinecone:prod"]["ok"] is True


def test_metrics_add_up_across_workers(server):
    for _ in range(12):
        assert _get(server, "/healthz").status_code == 200
    response = _get(server, "/metrics", Authorization=f"Bearer {METRICS_TOKEN}")
    assert response.status_code == 200
    counts = re.findall(r'restoreui_page_render_seconds_count\{status="200",view="healthz"\} ([\d.]+)', response.text)
    assert len(os.listdir(server["env"]["PROMETHEUS_MULTIPROC_DIR"])) >= 3, "the requests did not span several workers"
    assert sum(float(c) for c in counts) >= 12, "the scrape saw only one worker's requests"


# Last in the file: it stops the server.
def test_it_logs_each_request_to_stdout_and_stops_cleanly_on_sigterm(server):
    _get(server, "/login/", **{"X-Request-ID": "probe-42"})
    process = server["process"]
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert re.search(r'"GET /login/ HTTP/1.1" 200 \d+ \d+ms rid=probe-42', output)
    assert "Shutting down: Master" in output
