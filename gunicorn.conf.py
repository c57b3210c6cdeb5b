"""Gunicorn settings for production, read by the container's entrypoint.

Everything tunable comes from the environment; see README "Deployment".
"""

import os
import shutil
import tempfile

from restoreui import env

wsgi_app = "restoreui.wsgi:application"
bind = [f"{env.get('GUNICORN_BIND') or '0.0.0.0'}:{env.get_int('PORT', 8000, minimum=1, maximum=65535)}"]

# Threads overlap the waits on Pinecone; processes use the CPUs.
_cpus = os.process_cpu_count() or 1
workers = env.get_int("GUNICORN_WORKERS", _cpus + 1, minimum=1)
threads = env.get_int("GUNICORN_THREADS", 4, minimum=1)
worker_class = "gthread"
timeout = env.get_int("GUNICORN_TIMEOUT", 60, minimum=1)
# On SIGTERM, workers finish the requests in hand for up to this long; keep it
# below the orchestrator's kill delay (docker stop -t, terminationGracePeriodSeconds).
graceful_timeout = env.get_int("GUNICORN_GRACEFUL_TIMEOUT", 25, minimum=1)
keepalive = env.get_int("GUNICORN_KEEPALIVE", 5, minimum=0)
max_requests = env.get_int("GUNICORN_MAX_REQUESTS", 2000, minimum=0)
max_requests_jitter = max_requests // 10
if os.path.isdir("/dev/shm"):
    # The heartbeat file is touched constantly; keep it off a container's overlay disk.
    worker_tmp_dir = "/dev/shm"

# Only these proxies may say a request came over HTTPS (X-Forwarded-Proto);
# the same list decides whose X-Forwarded-For and SSO header Django believes.
forwarded_allow_ips = env.get("RESTOREUI_TRUSTED_PROXIES") or ""

accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms rid=%({x-request-id}o)s ua="%(a)s"'
# Stopping, scaling and reloading are the orchestrator's job, and a shared
# default socket path would make two instances on one host collide.
control_socket_disable = True

# Each worker writes its Prometheus samples here so /metrics can add them up.
# Set before the app is imported, since prometheus_client reads it at import.
_own_metrics_dir = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _own_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="restoreui-metrics-")


def on_starting(server):
    # Samples left by an earlier run would be added to this one's.
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):
        os.remove(os.path.join(directory, name))


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _own_metrics_dir:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
