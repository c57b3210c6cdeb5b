"""What views call: cached, typed reads of restore jobs, backups and indexes, and the writes.

Reads return Fetched values; they raise PineconeError only when Pinecone fails
and there is no earlier copy to show instead.
"""

import contextvars
import logging
import re
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, Protocol, Self

from django.conf import settings

from restoreui.lib.index_names import validate_index_name as validate_index_name
from restoreui.pinecone import cache, client, clock, hooks
from restoreui.pinecone.errors import InvalidRequest, NotAvailable, NotFound, PineconeError, Unavailable
from restoreui.pinecone.models import (
    FREQUENCIES,
    Backup,
    Fetched,
    Index,
    Listing,
    RestoreDurations,
    RestoreJob,
    RestoreStarted,
    Schedule,
)
from restoreui.projects import Project

log = logging.getLogger(__name__)

PAGE_SIZE = 100
TAG_KEY_RE = re.compile(r"^[A-Za-z0-9_-]+$")
TAG_VALUE_RE = re.compile(r"^[A-Za-z0-9 ;@_.+-]*$")
DELETION_PROTECTION = ("enabled", "disabled")
_OLDEST = datetime.min.replace(tzinfo=UTC)


class _Model(Protocol):
    """A typed result read from one entry of Pinecone's answers (RestoreJob, Backup, Index, Schedule...)."""

    @classmethod
    def from_api(cls, data: Any, api_version: str) -> Self: ...


def validate_tags(tags: dict[Any, Any]) -> list[str]:
    errors = []
    for k, v in tags.items():
        if not isinstance(k, str) or not k:
            errors.append("Tag keys cannot be empty.")
            continue
        if len(k) > 80:
            errors.append(f"Tag key {k[:20]!r}... is longer than 80 characters.")
        if not TAG_KEY_RE.match(k):
            errors.append(f"Tag key {k!r} may use only letters, digits, '_' and '-'.")
        if not isinstance(v, str):
            errors.append(f"Tag {k!r} needs a text value.")
            continue
        if len(v) > 120:
            errors.append(f"The value of tag {k!r} is longer than 120 characters.")
        if not TAG_VALUE_RE.match(v):
            errors.append(f"The value of tag {k!r} may use only letters, digits, spaces and ; @ _ - . +")
    return errors


def _walk(project: Project, endpoint: str, field: str, ids: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every page of a list endpoint, up to PINECONE_LIST_PAGE_CAP pages."""
    items: list[Any] = []
    seen_tokens: set[str] = set()
    token = None
    for page in range(1, settings.PINECONE_LIST_PAGE_CAP + 1):
        # A token already carries its page size; sending limit as well shifts the window.
        params = {"paginationToken": token} if token else {"limit": PAGE_SIZE}
        body = client.call(project, "GET", endpoint, ids=ids, params=params)
        data = body.get(field) if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise Unavailable(f"Pinecone answered {endpoint} without a {field!r} list", project=project.name)
        items.extend(data)
        pagination = body.get("pagination")
        token = pagination.get("next") if isinstance(pagination, dict) else None
        if not token or not isinstance(token, str):
            return {"items": items, "truncated": False, "pages": page}
        if token in seen_tokens:
            log.warning("%s for project %s repeated a page token", endpoint, project.name)
            return {"items": items, "truncated": True, "pages": page}
        seen_tokens.add(token)
    return {"items": items, "truncated": True, "pages": settings.PINECONE_LIST_PAGE_CAP}


def _readable(project: Project, model: type[_Model], items: list[Any]) -> list[Any]:
    """The entries that parse, each id once (pages can overlap), the latest copy winning."""
    kept: dict[str, Any] = {}
    for raw in items:
        try:
            kept[_id(model.from_api(raw, project.api_version))] = raw
        except ValueError as e:
            log.warning("project %s: skipped an entry Pinecone sent: %s", project.name, e)
    return list(kept.values())


def _id(item: Any) -> str:
    return item.name if isinstance(item, Index) else item.id


def _one[M: _Model](project: Project, model: type[M], body: Any) -> M:
    try:
        return model.from_api(body, project.api_version)
    except ValueError as e:
        raise Unavailable(f"Pinecone sent an answer the dashboard cannot read: {e}", project=project.name) from e


def _fetched(copy: cache.Copy) -> Fetched[Any]:
    return Fetched(
        copy.value,
        datetime.fromtimestamp(copy.at, UTC),
        stale=copy.error is not None,
        error=copy.error,
        version=copy.version,
    )


def _listing[M: _Model](
    project: Project,
    key: str,
    model: type[M],
    load: Callable[[], dict[str, Any]],
    keep: Callable[[M], bool] | None = None,
    loaded: Callable[[Listing[M]], object] | None = None,
    ttl: float | None = None,
) -> Fetched[Listing[M]]:
    """A whole list, cached as the raw entries that parse; each process holds it parsed and sorted.

    Past its lifetime the last copy is served at once and refreshed behind the answer (see cache).
    LOADED(listing) is called with the whole list whenever a fresh copy came from Pinecone.
    """

    def validated() -> dict[str, Any]:
        raw = load()
        return {**raw, "items": _readable(project, model, raw["items"])}

    copy = cache.fetch(
        key,
        validated,
        lambda _: ttl or settings.CACHE_TTL_LIST,
        parse=lambda raw: _sorted_listing(project, model, raw),
        loaded=loaded,
        revalidate=True,
    )
    listing = copy.value
    if keep is not None:
        listing = Listing(tuple(i for i in listing.items if keep(i)), listing.truncated, listing.pages)
    return _fetched(copy._replace(value=listing))


def _sorted_listing[M: _Model](project: Project, model: type[M], raw: dict[str, Any]) -> Listing[M]:
    """The typed, sorted list, made once per copy per process: a warm page parses nothing."""
    # Any: each model sorts by its own fields.
    items: list[Any] = [model.from_api(r, project.api_version) for r in raw["items"]]
    if model is Index:
        items.sort(key=lambda i: i.name)
    else:
        # Newest first; unknown start times count as the oldest, so they end the list.
        items.sort(key=lambda i: (i.created_at or _OLDEST, i.id), reverse=True)
    return Listing(tuple(items), raw["truncated"], raw["pages"])


def derived[T](name: str, versions: tuple[str, ...], make: Callable[[], T]) -> T:
    """MAKE(), once per process for each set of cached copies VERSIONS names (Fetched.version).

    For what views make of lists (merged, filtered, sorted): kept beside the parsed lists,
    and made afresh every time when a version is unknown ("").
    """
    if not all(versions):
        return make()
    return cache.derived(name, ":".join(versions), make)


def _detail[M: _Model](
    project: Project,
    key: str,
    model: type[M],
    endpoint: str,
    ident: str,
    ttl: Callable[[M], float],
    loaded: Callable[[M], object] | None = None,
) -> Fetched[M]:
    def load() -> dict[str, Any]:
        body: dict[str, Any] = client.call(project, "GET", endpoint, ids=(ident,))
        _one(project, model, body)
        return body

    def parse(raw: dict[str, Any]) -> M:
        return model.from_api(raw, project.api_version)

    return _fetched(cache.fetch(key, load, lambda raw: ttl(parse(raw)), parse=parse, loaded=loaded))


def _restore_jobs(project: Project, keep: Callable[[RestoreJob], bool] | None) -> Fetched[Listing[RestoreJob]]:
    key = cache.key(project, "restore-jobs")
    return _listing(
        project,
        key,
        RestoreJob,
        lambda: _walk(project, "/restore-jobs", "data"),
        keep,
        loaded=lambda listing: hooks.on_restore_jobs_listed(project, listing),
    )


def list_restore_jobs(project: Project) -> Fetched[Listing[RestoreJob]]:
    return _restore_jobs(project, keep=None)


def restore_jobs_for_backup(project: Project, backup_id: str) -> Fetched[Listing[RestoreJob]]:
    # The API has no filter, so this is the cached full list seen through one backup.
    return _restore_jobs(project, keep=lambda job: job.backup_id == backup_id)


def restore_durations(project: Project) -> Fetched[RestoreDurations]:
    """(backup size, seconds taken) of each completed restore in the job list, and backup sizes.

    Derived from the two cached lists and cached itself, so a poll reads a few
    numbers instead of parsing both lists again.
    """

    def load() -> dict[str, Any]:
        sizes = {b.id: b.size_bytes for b in list_backups(project).value.items if b.size_bytes is not None}
        pairs = [
            (sizes.get(job.backup_id), job.duration.total_seconds())
            for job in list_restore_jobs(project).value.items
            if job.state == "completed" and job.duration is not None
        ]
        return {"pairs": pairs, "sizes": sizes}

    key = cache.key(project, "restore-durations")
    return _fetched(
        cache.fetch(
            key,
            load,
            lambda _: settings.CACHE_TTL_LIST,
            parse=lambda raw: RestoreDurations(tuple(raw["pairs"]), raw["sizes"]),
            revalidate=True,
        )
    )


def get_restore_job(project: Project, job_id: str) -> Fetched[RestoreJob]:
    def ttl(job: RestoreJob) -> float:
        return settings.CACHE_TTL_FINISHED if job.finished else settings.CACHE_TTL_RUNNING

    key = cache.key(project, "restore-job", job_id)
    return _detail(
        project,
        key,
        RestoreJob,
        "/restore-jobs/{}",
        job_id,
        ttl,
        loaded=lambda job: hooks.on_restore_job_loaded(project, job),
    )


def _backups_key(project: Project, index_name: str | None) -> str:
    return cache.key(project, "backups", *([index_name] if index_name else []))


def list_backups(project: Project, index_name: str | None = None) -> Fetched[Listing[Backup]]:
    endpoint, ids = ("/indexes/{}/backups", (index_name,)) if index_name else ("/backups", ())
    return _listing(project, _backups_key(project, index_name), Backup, lambda: _walk(project, endpoint, "data", ids))


def get_backup(project: Project, backup_id: str) -> Fetched[Backup]:
    def ttl(backup: Backup) -> float:
        return settings.CACHE_TTL_RUNNING if backup.state == "initializing" else settings.CACHE_TTL_LIST

    key = cache.key(project, "backup", backup_id)
    return _detail(project, key, Backup, "/backups/{}", backup_id, ttl)


def list_indexes(project: Project) -> Fetched[Listing[Index]]:
    key = cache.key(project, "indexes")
    return _listing(project, key, Index, lambda: _walk(project, "/indexes", "indexes"))


def get_index(project: Project, name: str) -> Fetched[Index]:
    def ttl(index: Index) -> float:
        return settings.CACHE_TTL_LIST if index.ready else settings.CACHE_TTL_RUNNING

    return _detail(project, cache.key(project, "index", name), Index, "/indexes/{}", name, ttl)


def create_index_from_backup(
    project: Project,
    backup_id: str,
    name: str,
    tags: dict[str, str] | None = None,
    deletion_protection: str | None = None,
) -> RestoreStarted:
    errors = validate_index_name(name) + validate_tags(tags or {})
    if deletion_protection not in (None, *DELETION_PROTECTION):
        errors.append("Deletion protection is either 'enabled' or 'disabled'.")
    if errors:
        raise InvalidRequest(" ".join(errors), project=project.name)
    body: dict[str, Any] = {"name": name}
    if tags is not None:
        body["tags"] = tags
    if deletion_protection is not None:
        body["deletion_protection"] = deletion_protection
    try:
        answer = client.call(project, "POST", "/backups/{}/create-index", ids=(backup_id,), body=body)
    finally:
        # Even a failed answer may hide a started restore, so the lists are asked again.
        cache.drop(cache.key(project, "restore-jobs"), cache.key(project, "indexes"))
    return _one(project, RestoreStarted, answer)


def create_backup(project: Project, index_name: str, name: str | None = None, description: str | None = None) -> Backup:
    body = {k: v for k, v in (("name", name), ("description", description)) if v is not None}
    try:
        answer = client.call(project, "POST", "/indexes/{}/backups", ids=(index_name,), body=body)
    finally:
        cache.drop(_backups_key(project, None), _backups_key(project, index_name))
    return _one(project, Backup, answer)


def known_backup(project: Project, backup_id: str) -> Backup | None:
    """A backup as last seen, without asking Pinecone; None when no copy is held.

    For pages where the backup is a side detail: a second upstream call in a
    row would double their uncached load time.
    """
    raw = cache.last(cache.key(project, "backup", backup_id))
    if isinstance(raw, dict) and raw.get("backup_id") == backup_id:
        try:
            return Backup.from_api(raw, project.api_version)
        except ValueError:
            return None
    return known_backups(project).get(backup_id)


def _held_listing[M: _Model](project: Project, key: str, model: type[M]) -> cache.Copy | None:
    """The list KEY as last read, parsed once per copy in this process as list reads parse it."""
    return cache.peek(key, parse=lambda raw: _sorted_listing(project, model, raw))


def known_backups(project: Project) -> dict[str, Backup]:
    """The project's backups by id as last listed, without asking Pinecone; empty when no copy is held."""
    held = _held_listing(project, _backups_key(project, None), Backup)
    if held is None:
        return {}
    return derived(f"known-backups:{project.name}", (held.version,), lambda: {b.id: b for b in held.value.items})


def known_index_names(project: Project, since: datetime | None = None) -> frozenset[str] | None:
    """The names in the project's index list as last read, without asking Pinecone.

    None when no whole list is held, or none read after SINCE (an index created
    later would be missing from it).
    """
    held = _held_listing(project, cache.key(project, "indexes"), Index)
    if held is None or held.value.truncated:
        return None
    if since is not None and datetime.fromtimestamp(held.at, UTC) < since:
        return None
    return derived(
        f"known-index-names:{project.name}", (held.version,), lambda: frozenset(i.name for i in held.value.items)
    )


def delete_backup(project: Project, backup_id: str) -> None:
    keys = [cache.key(project, "backup", backup_id), _backups_key(project, None)]
    # The index's own backup list is cached too; its name is in any copy we hold.
    known = known_backup(project, backup_id)
    if known and known.source_index_name:
        keys.append(_backups_key(project, known.source_index_name))
    try:
        client.call(project, "DELETE", "/backups/{}", ids=(backup_id,))
    finally:
        cache.drop(*keys)


# -- backup schedules (API 2026-07) ---------------------------------------------

SCHEDULES_SINCE = "2026-07"


def schedules_unavailable(project: Project) -> str | None:
    """Why this project cannot have backup schedules, or None when it can."""
    if project.api_version >= SCHEDULES_SINCE:
        return None
    return f"Backup schedules are not available on API {project.api_version}: they came with API {SCHEDULES_SINCE}."


def _need_schedules(project: Project) -> None:
    reason = schedules_unavailable(project)
    if reason:
        raise NotAvailable(reason, project=project.name)


def validate_schedule(
    project: Project,
    name: str | None = None,
    frequency: str | None = None,
    retention_days: int | None = None,
) -> list[str]:
    """What Pinecone would refuse, checked here so a bad value costs no upstream call."""
    errors = []
    if name is not None:
        errors += validate_index_name(name, "schedule")
    if frequency is not None and frequency not in FREQUENCIES:
        errors.append(f"A schedule runs daily, weekly or monthly, not “{frequency}”.")
    if retention_days is not None and not 1 <= retention_days <= project.max_retention_days:
        errors.append(
            f"Keep backups for 1 to {project.max_retention_days} days "
            f"(project {project.name}'s maximum), not {retention_days}."
        )
    return errors


def _schedules_key(project: Project, index_name: str) -> str:
    return cache.key(project, "schedules", index_name)


def _schedule_keys(project: Project, index_name: str, schedule_id: str | None) -> list[str]:
    # A new generation leaves every whole-project copy behind (see schedules_by_index).
    cache.put_last(_schedules_generation_key(project), uuid.uuid4().hex)
    keys = [_schedules_key(project, index_name)]
    if schedule_id:
        keys += [cache.key(project, "schedule", schedule_id), cache.key(project, "schedule-history", schedule_id)]
    return keys


def list_schedules(project: Project, index_name: str) -> Fetched[Listing[Schedule]]:
    """The index's schedules, enabled or not, newest first; cached for CACHE_TTL_SCHEDULES."""
    _need_schedules(project)
    return _listing(
        project,
        _schedules_key(project, index_name),
        Schedule,
        lambda: _walk(project, "/indexes/{}/backup-schedules", "data", (index_name,)),
        ttl=settings.CACHE_TTL_SCHEDULES,
    )


def index_schedules(project: Project, index_name: str) -> tuple[Schedule, ...]:
    """The schedules of an index, none for an index that is gone (its schedules went with it)."""
    try:
        return list_schedules(project, index_name).value.items
    except NotFound:
        return ()


# Schedules are listed per index: a cold overview asks this many at once, not hundreds in a row.
SCHEDULE_FETCHES_AT_ONCE = 8


def schedules_by_index(project: Project, index_names: Iterable[str]) -> dict[str, tuple[Schedule, ...] | None]:
    """Each named index's schedules; None where Pinecone failed.

    Kept whole as well as per index, so a warm overview of hundreds of indexes
    reads two cache entries instead of hundreds. The whole copy lives only as
    long as its oldest part would, and a schedule write starts a new generation.
    """
    names = tuple(sorted(set(index_names)))
    generation = cache.last(_schedules_generation_key(project)) or "0"
    key = cache.key(project, "schedules-by-index", generation, *names)
    # The same copy gives the same dict, so callers may keep what they computed from it.
    schedules: dict[str, tuple[Schedule, ...] | None] = cache.fetch(
        key,
        lambda: _assemble_schedules(project, names),
        lambda v: v["until"] - clock.now(),
        parse=lambda snapshot: snapshot["schedules"],
    ).value
    return schedules


def _schedules_generation_key(project: Project) -> str:
    return cache.key(project, "schedules-generation")


def _assemble_schedules(project: Project, names: tuple[str, ...]) -> dict[str, Any]:
    """Every index's schedules from their own cached copies, the missing ones asked side by side."""

    def one(name: str) -> tuple[tuple[Schedule, ...] | None, float]:
        try:
            fetched = list_schedules(project, name)
        except NotFound:
            return (), clock.now() + settings.CACHE_TTL_SCHEDULES
        except PineconeError as error:
            log.warning("project %s: schedules of %s unknown: %s", project.name, name, error)
            return None, clock.now()
        expires = fetched.fetched_at.timestamp() + settings.CACHE_TTL_SCHEDULES
        if fetched.stale or expires <= clock.now():
            # Stale, or past its lifetime and being refreshed: look again soon.
            return fetched.value.items, clock.now() + settings.CACHE_TTL_RUNNING
        return fetched.value.items, expires

    with ThreadPoolExecutor(max_workers=SCHEDULE_FETCHES_AT_ONCE) as pool:
        # Each fetch runs in a copy of this request's context: under its time budget and in its slot.
        futures = [pool.submit(contextvars.copy_context().run, one, name) for name in names]
        found = dict(zip(names, (f.result() for f in futures), strict=False))
    until = min((expiry for _, expiry in found.values()), default=clock.now() + settings.CACHE_TTL_SCHEDULES)
    return {"schedules": {name: items for name, (items, _) in found.items()}, "until": until}


def get_schedule(project: Project, schedule_id: str) -> Fetched[Schedule]:
    _need_schedules(project)
    key = cache.key(project, "schedule", schedule_id)
    return _detail(project, key, Schedule, "/backup-schedules/{}", schedule_id, lambda _: settings.CACHE_TTL_SCHEDULES)


def schedule_history(project: Project, schedule_id: str) -> Fetched[Listing[Backup]]:
    """The backups a schedule made, and its next run listed as Initializing."""
    _need_schedules(project)
    return _listing(
        project,
        cache.key(project, "schedule-history", schedule_id),
        Backup,
        lambda: _walk(project, "/backup-schedules/{}/history", "data", (schedule_id,)),
    )


def _checked(errors: list[str], project: Project) -> None:
    if errors:
        raise InvalidRequest(" ".join(errors), project=project.name)


def create_schedule(project: Project, index_name: str, name: str, frequency: str, retention_days: int) -> Schedule:
    _need_schedules(project)
    _checked(validate_schedule(project, name, frequency, retention_days), project)
    body = {
        "name": name,
        "schedule": {"type": "time-based", "frequency": frequency},
        "retention": {"expire_after_days": retention_days},
    }
    try:
        answer = client.call(project, "POST", "/indexes/{}/backup-schedules", ids=(index_name,), body=body)
    finally:
        cache.drop(*_schedule_keys(project, index_name, None))
    return _one(project, Schedule, answer)


def update_schedule(
    project: Project,
    index_name: str,
    schedule_id: str,
    frequency: str | None = None,
    retention_days: int | None = None,
    enabled: bool | None = None,
) -> Schedule:
    _need_schedules(project)
    _checked(validate_schedule(project, None, frequency, retention_days), project)
    body: dict[str, Any] = {}
    if frequency is not None:
        body["frequency"] = frequency
    if retention_days is not None:
        body["retention"] = {"expire_after_days": retention_days}
    if enabled is not None:
        body["enabled"] = enabled
    try:
        answer = client.call(project, "PATCH", "/backup-schedules/{}", ids=(schedule_id,), body=body)
    finally:
        cache.drop(*_schedule_keys(project, index_name, schedule_id))
    return _one(project, Schedule, answer)


def delete_schedule(project: Project, index_name: str, schedule_id: str) -> None:
    _need_schedules(project)
    try:
        client.call(project, "DELETE", "/backup-schedules/{}", ids=(schedule_id,))
    finally:
        cache.drop(*_schedule_keys(project, index_name, schedule_id))
