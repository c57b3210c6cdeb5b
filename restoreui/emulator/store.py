"""The emulated project's state and the API's answers, shaped per API version.

Every public method takes the lock, computes time-dependent state (restore
progress, backups becoming Ready) lazily from the clock, and either returns
(status, JSON-ready object) or raises ApiError with the API's error envelope.
"""

import base64
import binascii
import bisect
import hashlib
import json
import random
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields

from restoreui.emulator import seed
from restoreui.emulator.seed import PERIODS, Backup, Index, Job, Schedule, stamp

VERSIONS = ("2025-04", "2025-10", "2026-04", "2026-07")
FINISHED = frozenset({"Completed", "Failed", "Cancelled"})
# The service's default page size (the spec says 10); the SDK sends none unless asked.
DEFAULT_LIMIT = 100
MAX_LIMIT = 100
DEFAULT_MAX_BACKUPS = 200
DEFAULT_MAX_INDEXES = 50
# Seconds at speed 1.0 a new backup takes to become Ready.
BACKUP_READY_S = 5.0
RESTORE_FIELDS = ("name", "tags", "deletion_protection")

NAME_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,43}[a-z0-9])?$")
TAG_KEY_RE = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
TAG_VALUE_RE = re.compile(r"^[A-Za-z0-9 ;@_.+-]{0,120}$")
SCHEDULE_FIELDS = ("name", "schedule", "retention")
SCHEDULE_UPDATE_FIELDS = ("frequency", "retention", "enabled")
# The project's max_backup_retention_days (the SDK names it; the server enforces it).
MAX_RETENTION_DAYS = 365
NOT_FOR_POD = "Backups are not supported for pod-based indexes. Use collections to back up {name}."
SCHEDULE_NAME_RULE = (
    "Backup schedule name must be 1-45 characters long, contain only lowercase alphanumeric "
    "characters or hyphens, and must not begin or end with a hyphen."
)
NAME_RULE = (
    "Index name must be 1-45 characters long, contain only lowercase alphanumeric "
    "characters or hyphens, and must not begin or end with a hyphen."
)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def envelope(self) -> dict:
        return {"error": {"code": self.code, "message": self.message}, "status": self.status}


def not_found(what: str) -> ApiError:
    return ApiError(404, "NOT_FOUND", f"{what} not found.")


def unprocessable(detail: str) -> ApiError:
    return ApiError(
        422,
        "UNPROCESSABLE_ENTITY",
        f"Failed to deserialize the JSON body into the target type: {detail}",
    )


def order_key(object_id: str) -> str:
    """Lists come back in id-hash order: the API promises no order, so neither do we."""
    return hashlib.sha1(object_id.encode()).hexdigest()


def encode_token(limit: int, offset: int) -> str:
    raw = json.dumps({"limit": limit, "offset": offset}, separators=(",", ":"))
    return base64.b64encode(raw.encode()).decode()


def decode_token(token: str) -> tuple[int, int]:
    try:
        padded = token + "=" * (-len(token) % 4)
        decoded = json.loads(base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True))
        limit, offset = decoded["limit"], decoded["offset"]
    except (binascii.Error, ValueError, TypeError, KeyError):
        raise ApiError(400, "INVALID_ARGUMENT", f"Invalid pagination token: {token!r}") from None
    if type(limit) is not int or type(offset) is not int or not 1 <= limit <= MAX_LIMIT or offset < 0:
        raise ApiError(400, "INVALID_ARGUMENT", f"Invalid pagination token: {token!r}")
    return limit, offset


@dataclass(frozen=True)
class Behaviour:
    """Where the emulator departs from the real service on purpose; switchable while it runs."""

    # Running restores go InProgress with a rising percent_complete (the real API never says).
    report_progress: bool = False
    # Backups carry a top-level `metric` on 2025-10 and 2026-04 (the real service leaves it out).
    send_metric: bool = False
    # The project's plan has no backups: backup and restore endpoints answer 403 FORBIDDEN.
    plan_gate: bool = False
    # Restores started from now on fail half-way (the real service fails some, unannounced).
    fail_restores: bool = False

    def updated(self, **changes) -> "Behaviour":
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise ValueError(f"unknown behaviour settings: {', '.join(sorted(unknown))}")
        for name, value in changes.items():
            if not isinstance(value, bool):
                raise ValueError(f"{name} must be true or false, got {value!r}")
        return Behaviour(**{**asdict(self), **changes})


def parse_body(body: bytes) -> dict:
    try:
        data = json.loads(body or b"{}")
    except ValueError as e:
        raise ApiError(400, "INVALID_ARGUMENT", f"Failed to parse the request body as JSON: {e}") from e
    if not isinstance(data, dict):
        raise unprocessable("invalid type: expected a JSON object at line 1 column 1")
    return data


class Store:
    def __init__(
        self,
        seed_value: int = 42,
        speed: float = 1.0,
        jobs: int | None = None,
        max_backups: int = DEFAULT_MAX_BACKUPS,
        max_indexes: int = DEFAULT_MAX_INDEXES,
        behaviour: Behaviour = Behaviour(),
        extra_indexes: int = 0,
    ):
        if speed <= 0:
            raise ValueError("speed must be above 0")
        if jobs is not None and jobs < 0:
            raise ValueError("jobs must be 0 or more")
        self.seed = seed_value
        self.speed = speed
        self.job_count = jobs
        self.extra_indexes = extra_indexes
        self.max_backups = max_backups
        self.max_indexes = max_indexes
        self.behaviour = behaviour
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.rng = random.Random(self.seed)
            self.skew = 0.0
            now = self.now()
            world = seed.build(self.rng, now, self.speed, self.job_count, self.extra_indexes)
            self.indexes = {i.name: i for i in world.indexes if i.deleted_at is None}
            self.indexes_by_id = {i.index_id: i for i in world.indexes}
            self.backups = {b.backup_id: b for b in world.backups}
            self.backup_order = sorted((order_key(b.backup_id), b.backup_id) for b in world.backups)
            self.jobs = {j.restore_job_id: j for j in world.jobs}
            self.job_order = sorted((order_key(j.restore_job_id), j.restore_job_id) for j in world.jobs)
            self.schedules = {s.schedule_id: s for s in world.schedules}
            self.schedule_order = sorted((order_key(s.schedule_id), s.schedule_id) for s in world.schedules)
            self.project_id = world.project_id

    def now(self) -> float:
        """The emulator's clock: the real one, moved on by POST /_emulator/clock."""
        return time.time() + self.skew

    def advance_clock(self, seconds: float) -> None:
        with self.lock:
            self.skew += seconds
            self.run_schedules()

    def run_schedules(self) -> None:
        """Run every schedule whose next run has come, then delete the backups retention expired."""
        with self.lock:
            now = self.now()
            for schedule in self.schedules.values():
                while schedule.next_run is not None and schedule.next_run <= now:
                    self.run(schedule, schedule.next_run)
                    schedule.planned_at = schedule.next_run
                    schedule.next_run += PERIODS[schedule.frequency]
                    schedule.next_backup_id = seed.new_id(self.rng)
            for backup in list(self.backups.values()):
                if backup.retention_days is not None and backup.created_at + backup.retention_days * seed.DAY <= now:
                    self.remove_backup(backup.backup_id)

    def run(self, schedule: Schedule, at: float) -> None:
        index = self.indexes_by_id.get(schedule.index_id)
        if index is None or index.deleted_at is not None:
            return
        quota_left = len(self.backups) < self.max_backups
        backup = seed.scheduled_backup(
            self.rng, schedule, index, at, "Initializing" if quota_left else "InitializationFailed"
        )
        backup.backup_id = schedule.next_backup_id
        if quota_left:
            backup.ready_at = at + BACKUP_READY_S / self.speed
        self.add_backup(backup)

    def add_backup(self, backup: Backup) -> None:
        self.backups[backup.backup_id] = backup
        bisect.insort(self.backup_order, (order_key(backup.backup_id), backup.backup_id))

    def remove_backup(self, backup_id: str) -> None:
        del self.backups[backup_id]
        self.backup_order.remove((order_key(backup_id), backup_id))

    # -- time-dependent state ------------------------------------------------

    def job_state(self, job: Job, now: float) -> tuple[str, float | None, float | None]:
        """(status, percent_complete, completed_at) of a job at `now`.

        Like the real service, a running job says "Pending" and no percentage
        until it is Completed (100); with report_progress it goes InProgress
        with a rising percentage, and finished jobs keep the figure they stopped at.
        """
        report = self.behaviour.report_progress
        if not job.live:
            percent = job.percent if report or job.status == "Completed" else None
            return job.status, percent, job.completed_at
        done = job.head_start + (now - job.clock_start) * self.speed
        total = job.pending_s + job.run_s
        if job.fails and done >= job.pending_s + job.run_s / 2:
            failed_at = job.clock_start + (job.pending_s + job.run_s / 2 - job.head_start) / self.speed
            return "Failed", 50.0 if report else None, failed_at
        if done >= total:
            return "Completed", 100.0, job.clock_start + (total - job.head_start) / self.speed
        if not report or done < job.pending_s or not job.shows_percent:
            return "Pending", None, None
        return "InProgress", round(100.0 * (done - job.pending_s) / job.run_s, 1), None

    def listed(self, job: Job) -> bool:
        """Jobs whose target index was deleted drop out of the list and 404 on describe."""
        target = self.indexes_by_id.get(job.target_index_id)
        return target is None or target.deleted_at is None

    def last_write(self, index: Index, now: float) -> float:
        if index.restore_job_id is not None:
            return self.job_state(self.jobs[index.restore_job_id], now)[2] or now
        return index.last_write_at

    def backup_status(self, backup: Backup, now: float) -> str:
        if backup.ready_at is not None and now >= backup.ready_at:
            return "Ready"
        return backup.status

    def index_state(self, index: Index, now: float) -> str:
        if index.restore_job_id is None:
            return "Ready"
        status = self.job_state(self.jobs[index.restore_job_id], now)[0]
        return {"Completed": "Ready", "Failed": "InitializationFailed", "Cancelled": "InitializationFailed"}.get(
            status, "Initializing"
        )

    # -- rendering per API version --------------------------------------------

    def render_job(self, job: Job, now: float) -> dict:
        status, percent, completed_at = self.job_state(job, now)
        out = {
            "restore_job_id": job.restore_job_id,
            "backup_id": job.backup_id,
            "target_index_name": job.target_index_name,
            "target_index_id": job.target_index_id,
            "status": status,
            "created_at": None if job.created_at is None else stamp(job.created_at, job.style),
            "completed_at": None if completed_at is None else stamp(completed_at, job.style),
            "percent_complete": percent,
        }
        if job.omit_unset:
            for key in ("completed_at", "percent_complete"):
                if out[key] is None:
                    del out[key]
        return out

    def render_backup(self, backup: Backup, version: str, now: float) -> dict:
        """The backup in VERSION's shape; `metric` only with send_metric, as the service leaves it out."""
        status = self.backup_status(backup, now)
        initializing = status == "Initializing"
        counted = status == "Ready"
        out = {
            "backup_id": backup.backup_id,
            "source_index_name": backup.source_index_name,
            "source_index_id": backup.source_index_id,
            "name": backup.name,
            "description": backup.description,
            "status": status,
            "cloud": backup.cloud,
            "region": backup.region,
            "dimension": None if initializing else backup.dimension,
            "record_count": backup.record_count if counted else None,
            "namespace_count": backup.namespace_count if counted else None,
            "size_bytes": backup.size_bytes if counted else None,
            "tags": backup.tags,
            "created_at": stamp(backup.created_at, backup.style),
        }
        if version in ("2025-10", "2026-04"):
            if self.behaviour.send_metric:
                out["metric"] = backup.metric
            if backup.fields:
                out["schema"] = legacy_schema(backup.fields)
        elif version == "2026-07":
            del out["dimension"]
            out["schema"] = None if initializing else typed_schema(backup)
            source = self.indexes_by_id.get(backup.source_index_id)
            if source is not None and source.deleted_at is not None:
                out["source_index_deleted_at"] = stamp(source.deleted_at, backup.style)
        return out

    def render_index(self, index: Index, version: str, now: float) -> dict:
        state = self.index_state(index, now)
        status = {"ready": state == "Ready", "state": state}
        read_capacity = {**(index.read_capacity or {"mode": "OnDemand"}), "status": {"state": "Ready"}}
        if version == "2026-07":
            out = {
                "name": index.name,
                "status": status,
                "schema": typed_schema(index),
                "deployment": pod_spec(index, "pod")
                if index.pod
                else {"deployment_type": "managed", "cloud": index.cloud, "region": index.region},
                "deletion_protection": index.deletion_protection,
                "host": index.host,
                "read_capacity": read_capacity,
                "tags": index.tags,
            }
            if index.source_backup_id:
                out["source_backup_id"] = index.source_backup_id
            return out
        serverless: dict[str, object] = {"cloud": index.cloud, "region": index.region}
        if version != "2025-04" and not index.pod:
            serverless["read_capacity"] = read_capacity
            if index.fields:
                serverless["schema"] = legacy_schema(index.fields)
        return {
            "name": index.name,
            "dimension": index.dimension,
            "metric": index.metric,
            "host": index.host,
            "deletion_protection": index.deletion_protection,
            "tags": index.tags,
            "spec": {"pod": pod_spec(index, None)} if index.pod else {"serverless": serverless},
            "status": status,
            "vector_type": "dense",
        }

    def page(self, order: Sequence[tuple[object, str]], query: dict) -> tuple[list[str], dict]:
        """The ids on the requested page and the list's pagination member."""
        limit = DEFAULT_LIMIT
        offset = 0
        token = query.get("paginationToken")
        if token:
            limit, offset = decode_token(token)
        if "limit" in query:
            # A limit beside a token overrides the token's page size, as the API does.
            raw = query["limit"]
            if not re.fullmatch(r"-?\d+", raw.strip()):
                raise ApiError(400, "INVALID_ARGUMENT", f"limit must be an integer, got {raw!r}")
            limit = int(raw)
            if not 1 <= limit <= MAX_LIMIT:
                raise ApiError(400, "INVALID_ARGUMENT", f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
        ids = [object_id for _, object_id in order[offset : offset + limit]]
        if offset + limit < len(order):
            return ids, {"pagination": {"next": encode_token(limit, offset + limit)}}
        # The last page says so either way the API does: pagination null, or no member.
        return ids, {} if (offset // limit) % 2 else {"pagination": None}

    # -- endpoints ----------------------------------------------------------------

    def list_indexes(self, version, query, body):
        with self.lock:
            now = self.now()
            return 200, {"indexes": [self.render_index(i, version, now) for i in self.indexes.values()]}

    def describe_index(self, version, query, body, index_name):
        with self.lock:
            return 200, self.render_index(self.active_index(index_name), version, self.now())

    def delete_index(self, version, query, body, index_name):
        with self.lock:
            index = self.active_index(index_name)
            if index.deletion_protection == "enabled":
                raise ApiError(
                    403,
                    "FORBIDDEN",
                    "Deletion protection is enabled for this index. Disable deletion protection before retrying.",
                )
            index.deleted_at = self.now()
            del self.indexes[index_name]
            return 202, None

    def list_backups(self, version, query, body):
        with self.lock:
            return self.backup_page(self.backup_order, version, query)

    def list_index_backups(self, version, query, body, index_name):
        with self.lock:
            include_deleted = query.get("include_deleted", "false").lower()
            if include_deleted not in ("true", "false"):
                raise ApiError(
                    400, "INVALID_ARGUMENT", f"include_deleted must be true or false, got {query['include_deleted']!r}"
                )
            # Only 2026-07 knows about backups of deleted indexes of the same name.
            if version == "2026-07" and include_deleted == "true":
                order = [e for e in self.backup_order if self.backups[e[1]].source_index_name == index_name]
                if not order and index_name not in self.indexes:
                    raise not_found(f"Index {index_name}")
            else:
                index = self.active_index(index_name)
                order = [e for e in self.backup_order if self.backups[e[1]].source_index_id == index.index_id]
            return self.backup_page(order, version, query)

    def backup_page(self, order, version, query):
        ids, pagination = self.page(order, query)
        now = self.now()
        return 200, {"data": [self.render_backup(self.backups[i], version, now) for i in ids], **pagination}

    def describe_backup(self, version, query, body, backup_id):
        with self.lock:
            return 200, self.render_backup(self.backup(backup_id), version, self.now())

    def create_backup(self, version, query, body, index_name):
        data = parse_body(body)
        for key in ("name", "description"):
            if data.get(key) is not None and not isinstance(data[key], str):
                raise unprocessable(f"{key}: invalid type: expected a string")
        with self.lock:
            index = self.active_index(index_name)
            if index.pod:
                raise ApiError(400, "INVALID_ARGUMENT", NOT_FOR_POD.format(name=index_name))
            now = self.now()
            if self.index_state(index, now) != "Ready":
                raise ApiError(412, "FAILED_PRECONDITION", f"Index {index_name} is not ready.")
            if len(self.backups) >= self.max_backups:
                raise ApiError(
                    403,
                    "FORBIDDEN",
                    f"Backup quota of {self.max_backups} reached for this project. "
                    "Delete backups or upgrade to create more.",
                )
            records = index.record_count
            if now - self.last_write(index, now) < seed.RECORD_COUNT_LAG_S:
                records = max(0, records - index.recent_records)
            backup = Backup(
                backup_id=seed.new_id(self.rng),
                name=data.get("name"),
                description=data.get("description"),
                source_index_id=index.index_id,
                source_index_name=index.name,
                cloud=index.cloud,
                region=index.region,
                dimension=index.dimension,
                metric=index.metric,
                fields=index.fields,
                sparse=index.sparse,
                status="Initializing",
                record_count=records,
                namespace_count=index.namespace_count,
                size_bytes=seed.backup_size(self.rng, index.record_count, index.dimension),
                tags=index.tags,
                created_at=now,
                style="3Z",
                ready_at=now + BACKUP_READY_S / self.speed,
            )
            self.add_backup(backup)
            return 201, self.render_backup(backup, version, now)

    def delete_backup(self, version, query, body, backup_id):
        with self.lock:
            self.backup(backup_id)
            now = self.now()
            pending = [
                j.restore_job_id
                for j in self.jobs.values()
                if j.backup_id == backup_id and self.listed(j) and self.job_state(j, now)[0] not in FINISHED
            ]
            if pending:
                raise ApiError(
                    412,
                    "FAILED_PRECONDITION",
                    f"Unable to delete backup. There are pending restore jobs for this backup: {pending}",
                )
            self.remove_backup(backup_id)
            return 202, None

    def create_index_from_backup(self, version, query, body, backup_id):
        data = parse_body(body)
        known = RESTORE_FIELDS + ("read_capacity",) if version == "2026-07" else RESTORE_FIELDS
        for key in data:
            if key not in known:
                # Versions before 2026-07 have no read_capacity: an unknown field fails deserialising.
                raise unprocessable(f"unknown field `{key}`, expected one of " + ", ".join(f"`{k}`" for k in known))
        name = data.get("name")
        if name is None:
            raise unprocessable("missing field `name` at line 1 column 2")
        if not isinstance(name, str):
            raise unprocessable("name: invalid type: expected a string")
        tags = data.get("tags")
        if tags is not None and (not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values())):
            raise unprocessable("tags: invalid type: expected a map of strings to strings")
        protection = data.get("deletion_protection")
        if protection is not None and protection not in ("enabled", "disabled"):
            raise unprocessable(
                f"deletion_protection: unknown variant `{protection}`, expected `disabled` or `enabled`"
            )
        read_capacity = check_read_capacity(data.get("read_capacity"))
        with self.lock:
            backup = self.backup(backup_id)
            if not NAME_RE.match(name):
                raise ApiError(400, "INVALID_ARGUMENT", NAME_RULE)
            check_tags(tags)
            if name in self.indexes:
                raise ApiError(409, "ALREADY_EXISTS", f"Resource {name} already exists")
            now = self.now()
            if self.backup_status(backup, now) != "Ready":
                raise ApiError(412, "FAILED_PRECONDITION", f"Backup {backup_id} is not completed.")
            if len(self.indexes) >= self.max_indexes:
                raise ApiError(403, "FORBIDDEN", "Increase your quota or upgrade to create more indexes.")
            total = seed.restore_seconds(self.rng, backup.size_bytes)
            job = Job(
                restore_job_id=seed.new_id(self.rng),
                backup_id=backup_id,
                target_index_name=name,
                target_index_id=seed.new_id(self.rng),
                created_at=now,
                style="6Z",
                live=True,
                clock_start=now,
                pending_s=seed.RESTORE_QUEUE_S,
                run_s=total - seed.RESTORE_QUEUE_S,
                fails=self.behaviour.fail_restores,
            )
            index = seed.restored_index(job, backup, tags, protection or "disabled", now)
            index.read_capacity = read_capacity
            self.jobs[job.restore_job_id] = job
            bisect.insort(self.job_order, (order_key(job.restore_job_id), job.restore_job_id))
            self.indexes[name] = index
            self.indexes_by_id[index.index_id] = index
            return 202, {"restore_job_id": job.restore_job_id, "index_id": index.index_id}

    def list_restore_jobs(self, version, query, body):
        with self.lock:
            order = [e for e in self.job_order if self.listed(self.jobs[e[1]])]
            ids, pagination = self.page(order, query)
            now = self.now()
            return 200, {"data": [self.render_job(self.jobs[i], now) for i in ids], **pagination}

    def describe_restore_job(self, version, query, body, job_id):
        with self.lock:
            job = self.jobs.get(job_id)
            if job is None or not self.listed(job):
                raise not_found(f"Restore job {job_id}")
            return 200, self.render_job(job, self.now())

    # -- backup schedules (2026-07) ----------------------------------------------

    def render_schedule(self, schedule: Schedule) -> dict:
        return {
            "schedule_id": schedule.schedule_id,
            "name": schedule.name,
            "index_id": schedule.index_id,
            "project_id": self.project_id,
            "schedule_type": "time-based",
            "frequency": schedule.frequency,
            "retention_expire_after_days": schedule.retention_days,
            "enabled": schedule.enabled,
            "created_at": stamp(schedule.created_at, schedule.style),
            "next_scheduled_run": None if schedule.next_run is None else stamp(schedule.next_run, schedule.style),
        }

    def list_backup_schedules(self, version, query, body, index_name):
        with self.lock:
            index = self.active_index(index_name)
            order = [e for e in self.schedule_order if self.schedules[e[1]].index_id == index.index_id]
            ids, pagination = self.page(order, query)
            return 200, {"data": [self.render_schedule(self.schedules[i]) for i in ids], **pagination}

    def create_backup_schedule(self, version, query, body, index_name):
        data = parse_body(body)
        check_fields(data, SCHEDULE_FIELDS)
        for key in SCHEDULE_FIELDS:
            if key not in data:
                raise unprocessable(f"missing field `{key}` at line 1 column 2")
        name, plan, retention = data["name"], data["schedule"], data["retention"]
        if not isinstance(name, str):
            raise unprocessable("name: invalid type: expected a string")
        if not isinstance(plan, dict) or not isinstance(retention, dict):
            raise unprocessable("schedule, retention: invalid type: expected an object")
        if plan.get("type") != "time-based":
            raise ApiError(
                400,
                "INVALID_ARGUMENT",
                f"Unsupported schedule type {plan.get('type')!r}: only 'time-based' is supported.",
            )
        frequency = check_frequency(plan.get("frequency"))
        days = check_retention(retention)
        if not NAME_RE.match(name):
            raise ApiError(400, "INVALID_ARGUMENT", SCHEDULE_NAME_RULE)
        with self.lock:
            index = self.active_index(index_name)
            if index.pod:
                raise ApiError(400, "INVALID_ARGUMENT", NOT_FOR_POD.format(name=index_name))
            self.check_one_enabled(index.index_id)
            now = self.now()
            schedule = Schedule(
                schedule_id=seed.new_id(self.rng),
                name=name,
                index_id=index.index_id,
                frequency=frequency,
                retention_days=days,
                enabled=True,
                created_at=now,
                next_run=now + PERIODS[frequency],
                next_backup_id=seed.new_id(self.rng),
                planned_at=now,
            )
            self.schedules[schedule.schedule_id] = schedule
            bisect.insort(self.schedule_order, (order_key(schedule.schedule_id), schedule.schedule_id))
            return 201, self.render_schedule(schedule)

    def describe_backup_schedule(self, version, query, body, schedule_id):
        with self.lock:
            return 200, self.render_schedule(self.schedule(schedule_id))

    def update_backup_schedule(self, version, query, body, schedule_id):
        data = parse_body(body)
        check_fields(data, SCHEDULE_UPDATE_FIELDS)
        frequency = check_frequency(data["frequency"]) if "frequency" in data else None
        days = check_retention(data["retention"]) if "retention" in data else None
        enabled = data.get("enabled")
        if enabled is not None and not isinstance(enabled, bool):
            raise unprocessable("enabled: invalid type: expected a boolean")
        with self.lock:
            schedule = self.schedule(schedule_id)
            now = self.now()
            if enabled and not schedule.enabled:
                self.check_one_enabled(schedule.index_id)
                schedule.enabled = True
                # Re-enabling plans the next run from now, not from the old slot.
                schedule.planned_at = now
                schedule.next_run = now + PERIODS[frequency or schedule.frequency]
            elif enabled is False:
                schedule.enabled = False
                schedule.next_run = None
            if frequency is not None and frequency != schedule.frequency:
                schedule.frequency = frequency
                if schedule.enabled:
                    schedule.next_run = max(now, schedule.planned_at + PERIODS[frequency])
            if days is not None:
                # A new retention re-times the deletions of the backups it already made.
                schedule.retention_days = days
                for backup in self.backups.values():
                    if backup.schedule_id == schedule_id:
                        backup.retention_days = days
            self.run_schedules()
            return 200, self.render_schedule(schedule)

    def delete_backup_schedule(self, version, query, body, schedule_id):
        with self.lock:
            self.schedule(schedule_id)
            del self.schedules[schedule_id]
            self.schedule_order.remove((order_key(schedule_id), schedule_id))
            # Its backups stay, and still expire when their retention runs out.
            return 202, None

    def list_backup_schedule_history(self, version, query, body, schedule_id):
        """The backups it made, newest first, led by the planned next run as Initializing."""
        with self.lock:
            schedule = self.schedule(schedule_id)
            made = sorted(
                (b for b in self.backups.values() if b.schedule_id == schedule_id),
                key=lambda b: b.created_at,
                reverse=True,
            )
            index = self.indexes_by_id.get(schedule.index_id)
            if schedule.next_run is not None and index is not None and index.deleted_at is None:
                planned = seed.scheduled_backup(
                    random.Random(schedule.next_backup_id), schedule, index, schedule.next_run, "Initializing"
                )
                planned.backup_id, planned.created_at = schedule.next_backup_id, schedule.planned_at
                made.insert(0, planned)
            rows = {b.backup_id: b for b in made}
            order = [(None, b.backup_id) for b in made]
            ids, pagination = self.page(order, query)
            now = self.now()
            # Served by the shared backup handler: the legacy schema shape, whatever the version.
            return 200, {"data": [self.render_backup(rows[i], "2026-04", now) for i in ids], **pagination}

    def check_one_enabled(self, index_id: str) -> None:
        for other in self.schedules.values():
            if other.index_id == index_id and other.enabled:
                raise ApiError(
                    409,
                    "ALREADY_EXISTS",
                    f"The index already has an enabled backup schedule ({other.name}, "
                    f"{other.schedule_id}). Disable or delete it first.",
                )

    # -- lookups ----------------------------------------------------------------

    def schedule(self, schedule_id: str) -> Schedule:
        schedule = self.schedules.get(schedule_id)
        if schedule is None:
            raise not_found(f"Backup schedule {schedule_id}")
        return schedule

    def active_index(self, name: str) -> Index:
        index = self.indexes.get(name)
        if index is None:
            raise not_found(f"Index {name}")
        return index

    def backup(self, backup_id: str) -> Backup:
        backup = self.backups.get(backup_id)
        if backup is None:
            raise not_found(f"Backup {backup_id}")
        return backup

    def summary(self) -> dict:
        with self.lock:
            now = self.now()
            jobs: dict[str, int] = {}
            for job in filter(self.listed, self.jobs.values()):
                status = self.job_state(job, now)[0]
                jobs[status] = jobs.get(status, 0) + 1
            return {
                "seed": self.seed,
                "speed": self.speed,
                "indexes": len(self.indexes),
                "backups": len(self.backups),
                "restore_jobs": jobs,
                "schedules": len(self.schedules),
                "clock": stamp(now, "0Z"),
            }


def check_fields(data: dict, known: tuple) -> None:
    for key in data:
        if key not in known:
            raise unprocessable(f"unknown field `{key}`, expected one of " + ", ".join(f"`{k}`" for k in known))


def check_frequency(value) -> str:
    if value not in PERIODS:
        raise ApiError(
            400, "INVALID_ARGUMENT", f"Invalid frequency {value!r}: expected one of daily, weekly or monthly."
        )
    return value


def check_retention(value) -> int:
    days = value.get("expire_after_days") if isinstance(value, dict) else None
    if type(days) is not int or not 1 <= days <= MAX_RETENTION_DAYS:
        raise ApiError(
            400,
            "INVALID_ARGUMENT",
            f"retention.expire_after_days must be between 1 and the project's "
            f"max_backup_retention_days ({MAX_RETENTION_DAYS}), got {days!r}.",
        )
    return days


def pod_spec(index: Index, deployment_type: str | None) -> dict:
    spec = {"environment": f"{index.region}-{index.cloud}", "pod_type": "p1.x1", "replicas": 1, "shards": 1}
    return {"deployment_type": deployment_type, **spec} if deployment_type else {**spec, "pods": 1}


def check_tags(tags: dict | None) -> None:
    for key, value in (tags or {}).items():
        if not TAG_KEY_RE.match(key):
            raise ApiError(
                400,
                "INVALID_ARGUMENT",
                f"Invalid tag key {key!r}: keys must be 80 characters or less "
                "and contain only alphanumeric characters, '_' or '-'.",
            )
        if not TAG_VALUE_RE.match(value):
            raise ApiError(
                400,
                "INVALID_ARGUMENT",
                f"Invalid value for tag {key!r}: values must be 120 characters or less "
                "and contain only alphanumeric characters, ';', '@', '_', '-', '.', '+' or ' '.",
            )


def check_read_capacity(value) -> dict | None:
    """2026-07's read_capacity: {"mode": "OnDemand"}, or "Dedicated" with node type and scaling."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise unprocessable("read_capacity: invalid type: expected an object")
    mode = value.get("mode")
    if mode == "OnDemand":
        return {"mode": "OnDemand"}
    if mode != "Dedicated":
        raise unprocessable(f"read_capacity: unknown variant `{mode}`, expected `OnDemand` or `Dedicated`")
    dedicated = value.get("dedicated")
    if not isinstance(dedicated, dict) or not all(isinstance(dedicated.get(k), str) for k in ("node_type", "scaling")):
        raise unprocessable("read_capacity: missing field `dedicated` with `node_type` and `scaling`")
    return {"mode": "Dedicated", "dedicated": dedicated}


def legacy_schema(fields: tuple) -> dict:
    return {"fields": {name: {"filterable": True} for name, _ in fields}}


def typed_schema(source: Index | Backup) -> dict:
    """2026-07: vectors are typed schema fields; metadata typed or legacy untyped."""
    fields = {"_values": {"type": "dense_vector", "dimension": source.dimension, "metric": source.metric}}
    if source.sparse:
        fields["_sparse_values"] = {"type": "sparse_vector"}
    for name, kind in source.fields:
        fields[name] = {"filterable": True} if kind is None else {"type": kind, "filterable": True}
    return {"fields": fields}
