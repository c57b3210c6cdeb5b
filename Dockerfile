# syntax=docker/dockerfile:1

# Build stage: resolve and install the dependencies into a virtualenv that the
# final stage copies whole, so pip and anything it pulled in stay behind.
FROM python:3.13-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /venv
COPY pyproject.toml README.md ./
COPY restoreui ./restoreui
# The project itself runs from /app (templates and static live beside the
# package), so only its dependencies stay installed in the virtualenv.
RUN /venv/bin/pip install . \
    && /venv/bin/pip uninstall --yes restoreui pip


FROM python:3.13-slim-bookworm
ENV PATH=/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    DJANGO_STATIC_ROOT=/app/staticfiles \
    PROMETHEUS_MULTIPROC_DIR=/tmp/restoreui-metrics \
    PORT=8000
RUN useradd --system --uid 10001 --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin restoreui
COPY --from=build /venv /venv
WORKDIR /app
COPY manage.py gunicorn.conf.py ./
COPY restoreui ./restoreui
COPY templates ./templates
COPY static ./static
# Code and static files belong to root: the app can read them, not change them.
# The placeholder key and project exist only so production settings load; the
# manifest storage then writes hashed, gzip-compressed copies for whitenoise.
RUN python -m compileall -q restoreui \
    && DJANGO_SECRET_KEY=collectstatic PINECONE_API_KEY=collectstatic python manage.py collectstatic --noinput --verbosity 0
USER 10001:10001
EXPOSE 8000
# No curl in the image: Python asks /healthz, with a Host the settings allow.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as r; h = os.environ.get('DJANGO_ALLOWED_HOSTS', 'localhost').split(',')[0].strip().lstrip('.*') or 'localhost'; r.urlopen(r.Request('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), headers={'Host': h}), timeout=4)"]
ENTRYPOINT ["gunicorn", "--config", "gunicorn.conf.py"]
