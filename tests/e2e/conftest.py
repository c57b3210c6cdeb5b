"""Headless Chromium against the live app and the emulator, over real HTTP.

Playwright drives Debian's chromium (CHROMIUM_PATH overrides); Playwright's own
browser download is not needed.
"""

import os

import pytest
from browsing import log_in
from django.core.cache import cache
from playwright.sync_api import Page, sync_playwright

from restoreui.emulator import Emulator
from restoreui.projects import Project

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# A restore of a small backup takes about a minute at speed 1; at 20 it finishes in about three seconds.
FAST_SPEED = 20.0


@pytest.fixture(scope="session")
def browser():
    # Playwright's sync API keeps an event loop running in this thread, which
    # Django takes for async code; the test's own database calls are plain sync.
    allow = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    if allow is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = allow


@pytest.fixture(autouse=True)
def _database_for_the_live_server(transactional_db):
    """The live server's threads see only committed rows."""


@pytest.fixture
def new_page(browser, live_server):
    """Open pages in fresh browser contexts (separate cookies, like separate people)."""
    contexts = []

    def open_page(**options) -> Page:
        options.setdefault("viewport", {"width": 1280, "height": 800})
        context = browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def operator_page(new_page, operator):
    page = new_page()
    log_in(page, "operator", "operator-pass")
    return page


@pytest.fixture
def viewer_page(new_page, viewer):
    page = new_page()
    log_in(page, "viewer", "viewer-pass")
    return page


@pytest.fixture(scope="session")
def fast_emulator(emulator):
    """An emulator whose restores finish in seconds, for journeys that wait for Completed."""
    server = Emulator(host="127.0.0.1", port=0, api_key=emulator.api_key, seed=7, speed=FAST_SPEED)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fast_project(settings, fast_emulator):
    fast_emulator.reset()
    project = Project(name="local", api_key=fast_emulator.api_key, host=fast_emulator.url, emulated=True)
    settings.RESTOREUI_PROJECTS = {project.name: project}
    settings.CACHE_TTL_RUNNING = 0.5
    settings.CACHE_TTL_LIST = 0.5
    cache.clear()
    return project
