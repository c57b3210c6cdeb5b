import pytest
from django.core.cache import cache
from upstream import restorable

from restoreui.emulator import Emulator
from restoreui.pinecone import cache as pinecone_cache
from restoreui.pinecone import clock as cache_clock
from restoreui.projects import Project

API_KEY = "test-api-key"
# A key of the same project that lacks every backup and restore permission.
LIMITED_API_KEY = "test-limited-api-key"


@pytest.fixture(scope="session")
def emulator():
    """The local control-plane emulator on a free port, shared by the session."""
    server = Emulator(host="127.0.0.1", port=0, api_key=API_KEY, limited_api_key=LIMITED_API_KEY, seed=7)
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def fresh_emulator(emulator):
    """Each test starts from the seed data, behaving like the real service, with no faults switched on."""
    emulator.reset()
    yield
    emulator.reset()


@pytest.fixture
def reporting_progress(emulator):
    """Running restores go InProgress with a rising percentage, which the real service never sends:
    for tests of the progress bar, rate and ETA."""
    emulator.set_behaviour(report_progress=True)
    return emulator


@pytest.fixture
def sending_metric(emulator):
    """Backups carry their metric, which the real service often leaves out."""
    emulator.set_behaviour(send_metric=True)
    return emulator


@pytest.fixture
def project(emulator):
    return Project(name="local", api_key=API_KEY, host=emulator.url, emulated=True)


@pytest.fixture(autouse=True)
def projects(settings, project):
    """Point the dashboard at the emulator and start from an empty cache."""
    settings.RESTOREUI_PROJECTS = {project.name: project}
    cache.clear()
    yield settings.RESTOREUI_PROJECTS
    # A refresh behind an answer must not land in the next test's cache.
    pinecone_cache.settle()
    cache.clear()


@pytest.fixture
def quick_retries(settings):
    """Retries back off for 10 ms instead of Pinecone's real pause, so failing calls end quickly."""
    settings.PINECONE_BACKOFF = 0.01


@pytest.fixture
def ready_backup(emulator, project):
    """A named, Ready backup that no running restore holds on to, in the project's API shape."""
    return restorable(emulator, project.api_version)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Production hashing costs ~0.3 s per login; tests log in hundreds of times."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def viewer(django_user_model):
    return django_user_model.objects.create_user("viewer", password="viewer-pass")


@pytest.fixture
def operator(django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("operator", password="operator-pass")
    user.groups.add(Group.objects.get_or_create(name="operators")[0])
    return user


@pytest.fixture
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client


@pytest.fixture
def operator_client(client, operator):
    client.force_login(operator)
    return client


@pytest.fixture(autouse=True)
def history_needs_a_database(request, monkeypatch):
    """Tests without a database (the service module's own) load jobs without recording them."""
    if request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(request.fixturenames):
        return
    from restoreui.pinecone import hooks

    monkeypatch.setattr(hooks, "on_restore_jobs_listed", lambda project, listing: None)
    monkeypatch.setattr(hooks, "on_restore_job_loaded", lambda project, job: None)


@pytest.fixture
def scheduling_project(settings, project):
    """The same project on API 2026-07, the first with backup schedules."""
    from dataclasses import replace

    scheduling = replace(project, api_version="2026-07")
    settings.RESTOREUI_PROJECTS = {scheduling.name: scheduling}
    return scheduling


@pytest.fixture
def project_2026_04(settings, project):
    """The same project on API 2026-04, the last without backup schedules."""
    from dataclasses import replace

    older = replace(project, api_version="2026-04")
    settings.RESTOREUI_PROJECTS = {older.name: older}
    return older


@pytest.fixture
def several_projects(settings, emulator):
    """dev, and prod marked production, on the emulator; broken's Pinecone refuses its key."""

    def project(name, api_key=emulator.api_key, **kwargs):
        return Project(name=name, api_key=api_key, host=emulator.url, emulated=True, **kwargs)

    settings.RESTOREUI_PROJECTS = {
        p.name: p
        for p in (project("dev"), project("prod", environment="production"), project("broken", api_key="wrong"))
    }
    return settings.RESTOREUI_PROJECTS


@pytest.fixture
def clock():
    """The cache's clock, standing still until the test advances it past a lifetime (no sleeping)."""
    with cache_clock.using(cache_clock.ManualClock()) as manual:
        yield manual
    pinecone_cache.settle()
