"""Typed results of the control-plane API, parsed tolerantly from every API version.

Each `from_api(data, api_version)` accepts the shapes of 2025-04 through 2026-07.
The shape is read from the payload itself rather than from the version asked
for, so an answer in any version's shape parses the same way.
"""

import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

from restoreui.pinecone import clock
from restoreui.pinecone.errors import PineconeError


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value)


# Counts and sizes beyond a signed 64-bit integer are not counts Pinecone keeps.
_INT_LIMIT = 2**63


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            return None
    if isinstance(value, int) and -_INT_LIMIT < value < _INT_LIMIT:
        return value
    return None


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _percent(value: Any) -> float | None:
    number = _float(value)
    return None if number is None else min(max(number, 0.0), 100.0)


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
        # A timestamp without an offset is UTC, as every documented example is.
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        # Unreadable, or out of range once in UTC (year 1 at +01:00): unknown.
        return None


def _tags(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _require(data: Any, key: str, what: str) -> str:
    if not isinstance(data, dict):
        raise ValueError(f"a {what} should be a JSON object, got {type(data).__name__}")
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"a {what} without {key}")
    return value


def _normal(status: str) -> str:
    return status.lower().replace("_", "").replace("-", "").replace(" ", "")


_JOB_STATES = {
    "pending": "pending",
    "queued": "pending",
    "inprogress": "running",
    "running": "running",
    "completed": "completed",
    "failed": "failed",
    "cancelled": "cancelled",
    "canceled": "cancelled",
}

_BACKUP_STATES = {
    "ready": "ready",
    "completed": "ready",
    "initializing": "initializing",
    "pending": "initializing",
    "failed": "failed",
    "initializationfailed": "failed",
}


@dataclass(frozen=True)
class RestoreJob:
    id: str
    backup_id: str
    target_index_name: str
    target_index_id: str
    status: str
    created_at: datetime | None
    completed_at: datetime | None
    percent_complete: float | None

    @classmethod
    def from_api(cls, data: Any, api_version: str) -> "RestoreJob":
        return cls(
            id=_require(data, "restore_job_id", "restore job"),
            backup_id=_text(data.get("backup_id")) or "",
            target_index_name=_text(data.get("target_index_name")) or "",
            target_index_id=_text(data.get("target_index_id")) or "",
            status=_text(data.get("status")) or "Unknown",
            created_at=_time(data.get("created_at")),
            completed_at=_time(data.get("completed_at")),
            percent_complete=_percent(data.get("percent_complete")),
        )

    @cached_property
    def state(self) -> str:
        return _JOB_STATES.get(_normal(self.status), "unknown")

    @property
    def finished(self) -> bool:
        return self.state in ("completed", "failed", "cancelled")

    @property
    def duration(self) -> timedelta | None:
        if self.created_at and self.completed_at:
            return self.completed_at - self.created_at
        return None

    @property
    def short_id(self) -> str:
        return self.id[:8]


@dataclass(frozen=True)
class SchemaField:
    name: str
    type: str | None
    filterable: bool | None
    dimension: int | None
    metric: str | None

    @classmethod
    def from_api(cls, name: str, data: Any) -> "SchemaField":
        if not isinstance(data, dict):
            # A bare boolean is how some tools write a legacy filterable flag.
            return cls(name, None, _bool(data), None, None)
        # A string field that Pinecone embeds carries its vector's shape in "embed".
        embed = _dict(data.get("embed"))
        return cls(
            name=name,
            type=_text(data.get("type")),
            filterable=_bool(data.get("filterable")),
            dimension=_int(data.get("dimension", embed.get("dimension"))),
            metric=_text(data.get("metric", embed.get("metric"))),
        )


def _schema_fields(schema: Any) -> tuple[SchemaField, ...]:
    fields = _dict(schema).get("fields")
    if not isinstance(fields, dict):
        return ()
    return tuple(SchemaField.from_api(str(name), spec) for name, spec in fields.items())


def _vector_shape(fields: tuple[SchemaField, ...]) -> tuple[int | None, str | None, str | None]:
    """(dimension, metric, vector type) of a 2026-07 schema with one vector field."""
    dense = [f for f in fields if f.type == "dense_vector" or f.dimension is not None]
    sparse = [f for f in fields if f.type == "sparse_vector"]
    if len(dense) == 1:
        return dense[0].dimension, dense[0].metric, "dense"
    if not dense and len(sparse) == 1:
        # Sparse scoring is always a dot product, so the API leaves the metric out.
        return None, sparse[0].metric or "dotproduct", "sparse"
    return None, None, None


@dataclass(frozen=True)
class Backup:
    id: str
    name: str | None
    description: str | None
    status: str
    source_index_name: str
    source_index_id: str
    source_index_deleted_at: datetime | None
    cloud: str
    region: str
    dimension: int | None
    metric: str | None
    record_count: int | None
    namespace_count: int | None
    size_bytes: int | None
    tags: dict[str, str]
    created_at: datetime | None
    schema_fields: tuple[SchemaField, ...]

    @classmethod
    def from_api(cls, data: Any, api_version: str) -> "Backup":
        backup_id = _require(data, "backup_id", "backup")
        fields = _schema_fields(data.get("schema"))
        dimension, metric, _ = _vector_shape(fields)
        return cls(
            id=backup_id,
            name=_text(data.get("name")),
            description=_text(data.get("description")),
            status=_text(data.get("status")) or "Unknown",
            source_index_name=_text(data.get("source_index_name")) or "",
            source_index_id=_text(data.get("source_index_id")) or "",
            source_index_deleted_at=_time(data.get("source_index_deleted_at")),
            cloud=_text(data.get("cloud")) or "",
            region=_text(data.get("region")) or "",
            dimension=_int(data["dimension"]) if data.get("dimension") is not None else dimension,
            metric=_text(data.get("metric")) or metric,
            record_count=_int(data.get("record_count")),
            namespace_count=_int(data.get("namespace_count")),
            size_bytes=_int(data.get("size_bytes")),
            tags=_tags(data.get("tags")),
            created_at=_time(data.get("created_at")),
            schema_fields=fields,
        )

    @cached_property
    def state(self) -> str:
        return _BACKUP_STATES.get(_normal(self.status), "unknown")

    @property
    def display_name(self) -> str:
        return self.name or self.id

    @property
    def short_id(self) -> str:
        return self.id[:8]


@dataclass(frozen=True)
class Index:
    name: str
    id: str | None
    status: str
    ready: bool
    dimension: int | None
    metric: str | None
    vector_type: str | None
    host: str | None
    cloud: str | None
    region: str | None
    deletion_protection: str | None
    tags: dict[str, str]
    created_at: datetime | None
    source_backup_id: str | None
    # Pod-based indexes cannot be backed up or scheduled.
    pod: bool = False

    @classmethod
    def from_api(cls, data: Any, api_version: str) -> "Index":
        name = _require(data, "name", "index")
        status = data.get("status")
        if isinstance(status, dict):
            state = _text(status.get("state")) or "Unknown"
            ready = status.get("ready") is True
        else:
            state = _text(status) or "Unknown"
            ready = state.lower() == "ready"
        # Up to 2026-04 the shape is top-level and the place in spec.serverless;
        # 2026-07 moves them into schema.fields and deployment.
        dimension, metric, vector_type = _vector_shape(_schema_fields(data.get("schema")))
        place = _dict(_dict(data.get("spec")).get("serverless")) or _dict(data.get("deployment"))
        pod = "pod" in _dict(data.get("spec")) or _dict(data.get("deployment")).get("deployment_type") == "pod"
        return cls(
            name=name,
            id=_text(data.get("id")),
            status=state,
            ready=ready,
            dimension=_int(data["dimension"]) if data.get("dimension") is not None else dimension,
            metric=_text(data.get("metric")) or metric,
            vector_type=_text(data.get("vector_type")) or vector_type,
            host=_text(data.get("host")),
            cloud=_text(place.get("cloud")),
            region=_text(place.get("region")),
            deletion_protection=_text(data.get("deletion_protection")),
            tags=_tags(data.get("tags")),
            created_at=_time(data.get("created_at")),
            source_backup_id=_text(data.get("source_backup_id")),
            pod=pod,
        )


FREQUENCIES = {"daily": timedelta(days=1), "weekly": timedelta(days=7), "monthly": timedelta(days=30)}


@dataclass(frozen=True)
class Schedule:
    """A backup schedule (API 2026-07). It names its index by id only."""

    id: str
    name: str
    index_id: str
    frequency: str
    retention_days: int | None
    enabled: bool
    created_at: datetime | None
    next_run: datetime | None

    @classmethod
    def from_api(cls, data: Any, api_version: str) -> "Schedule":
        retention = _int(data.get("retention_expire_after_days")) if isinstance(data, dict) else None
        return cls(
            id=_require(data, "schedule_id", "backup schedule"),
            name=_text(data.get("name")) or "",
            index_id=_text(data.get("index_id")) or "",
            frequency=_text(data.get("frequency")) or "unknown",
            retention_days=retention if retention is not None and retention > 0 else None,
            enabled=data.get("enabled") is True,
            created_at=_time(data.get("created_at")),
            next_run=_time(data.get("next_scheduled_run")),
        )

    @property
    def period(self) -> timedelta | None:
        """How often it runs; None for a frequency this dashboard does not know."""
        return FREQUENCIES.get(self.frequency)

    @property
    def display_name(self) -> str:
        return self.name or self.id

    @property
    def planned_name(self) -> str | None:
        """The name its next run's backup will have; the history lists it before it starts."""
        return f"{self.name}-{self.next_run:%Y%m%dT%H%M%SZ}" if self.next_run else None

    def made(self, backup: "Backup") -> bool:
        """Whether BACKUP is one of this schedule's runs: named "{name}-{run timestamp}"."""
        stem, _, stamp = (backup.name or "").rpartition("-")
        return bool(self.name) and stem == self.name and _RUN_STAMP.fullmatch(stamp) is not None

    def expires(self, backup: "Backup") -> datetime | None:
        if self.retention_days is None or backup.created_at is None:
            return None
        return backup.created_at + timedelta(days=self.retention_days)


_RUN_STAMP = re.compile(r"\d{8}T\d{6}Z")


@dataclass(frozen=True)
class RestoreStarted:
    restore_job_id: str
    index_id: str | None

    @classmethod
    def from_api(cls, data: Any, api_version: str) -> "RestoreStarted":
        return cls(
            restore_job_id=_require(data, "restore_job_id", "restore answer"),
            index_id=_text(data.get("index_id")),
        )


@dataclass(frozen=True)
class RestoreDurations:
    """The sample duration estimates learn from."""

    # (backup size in bytes or None, seconds taken) per completed restore
    pairs: tuple[tuple[int | None, float], ...]
    backup_sizes: dict[str, int]


@dataclass(frozen=True)
class Listing[T]:
    items: tuple[T, ...]
    # The page cap was hit (or the API repeated a page token): the list may be incomplete.
    truncated: bool
    pages: int


@dataclass(frozen=True)
class Fetched[T]:
    value: T
    fetched_at: datetime
    stale: bool = False
    error: PineconeError | None = None
    # Names the cached copy this came from (see cache.derived); "" when it names none.
    version: str = field(default="", compare=False, repr=False)

    @property
    def age(self) -> timedelta:
        return datetime.fromtimestamp(clock.now(), UTC) - self.fetched_at
