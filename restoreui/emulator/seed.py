"""The demo project the emulator starts from, built from one seeded random.Random.

The same seed gives the same ids, names, counts and statuses; timestamps are
placed relative to the moment the data is built, so the data always looks recent.
"""

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

DAY = 86400.0
HOUR = 3600.0
DEFAULT_JOBS = 260
# The seeded running jobs all finish within this many seconds at speed 1.0.
MAX_LEFT_S = 240.0

# Timestamp spellings seen from the API: fraction digits, then "Z" or "+00:00".
STYLES = ("6Z", "6+00:00", "0+00:00", "3Z", "9Z", "4Z", "0Z", "3+00:00")

# Seconds a restore takes at speed 1.0: a fixed part plus a part per GB of
# backup, times a seeded spread (a minute for small backups, a few for 50 GB).
RESTORE_BASE_S = 60.0
RESTORE_S_PER_GB = 4.0
RESTORE_SPREAD = (0.75, 1.35)
# Seconds a new restore queues before it runs (seen only when progress is reported).
RESTORE_QUEUE_S = 3.0
# Backups count only records written more than this many seconds before them.
RECORD_COUNT_LAG_S = 15 * 60.0


def stamp(t: float, style: str = "6Z") -> str:
    """`t` as the API spells it: STYLE is the fraction digits then the zone, e.g. "9Z"."""
    digits, zone = int(style[0]), style[1:]
    whole = int(t // 1)
    text = datetime.fromtimestamp(whole, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if digits:
        nanos = min(int((t - whole) * 1e9), 999_999_999)
        text += "." + f"{nanos:09d}"[:digits]
    return text + zone


def restore_seconds(rng: random.Random, size_bytes: int) -> float:
    """How long a restore of a backup of SIZE_BYTES takes at speed 1.0."""
    return (RESTORE_BASE_S + RESTORE_S_PER_GB * size_bytes / 1e9) * rng.uniform(*RESTORE_SPREAD)


@dataclass
class Index:
    name: str
    index_id: str
    dimension: int
    metric: str
    cloud: str
    region: str
    # Metadata fields as (name, type); type None is a legacy untyped field.
    fields: tuple
    sparse: bool
    tags: dict | None
    deletion_protection: str
    record_count: int
    namespace_count: int
    created_at: float
    # The last write, and how many of the records it wrote (a backup taken
    # soon after does not count them yet).
    last_write_at: float = 0.0
    recent_records: int = 0
    deleted_at: float | None = None
    source_backup_id: str | None = None
    # A restored index stays Initializing until this job completes; its last write is that completion.
    restore_job_id: str | None = None
    # As asked for on restore (2026-07); None is on-demand.
    read_capacity: dict | None = None
    # A pod-based index: it cannot be backed up or scheduled.
    pod: bool = False

    @property
    def host(self) -> str:
        return f"{self.name}-{self.index_id.replace('-', '')[:7]}.svc.{self.region}-{self.cloud}.pinecone.io"


@dataclass
class Backup:
    backup_id: str
    name: str | None
    description: str | None
    source_index_id: str
    source_index_name: str
    cloud: str
    region: str
    dimension: int
    metric: str
    fields: tuple
    sparse: bool
    status: str
    record_count: int
    namespace_count: int
    size_bytes: int
    tags: dict | None
    created_at: float
    style: str = "6Z"
    # A backup created through the API turns Ready at this time.
    ready_at: float | None = None
    # Made by this schedule, and deleted this many days after created_at.
    schedule_id: str | None = None
    retention_days: int | None = None


@dataclass
class Schedule:
    schedule_id: str
    name: str
    index_id: str
    frequency: str
    retention_days: int
    enabled: bool
    created_at: float
    # The next run, None while disabled; its backup id and when it was planned
    # (the history lists it as Initializing from then on).
    next_run: float | None
    next_backup_id: str
    planned_at: float
    style: str = "6Z"


@dataclass
class Job:
    restore_job_id: str
    backup_id: str
    target_index_name: str
    target_index_id: str
    created_at: float | None
    style: str
    status: str = "Completed"
    percent: float | None = None
    completed_at: float | None = None
    # Leave unset optional fields out of the JSON instead of sending null.
    omit_unset: bool = False
    # A live job's progress comes from the clock: `head_start` seconds of work
    # were done at `clock_start`, of `pending_s` queued then `run_s` running.
    live: bool = False
    clock_start: float = 0.0
    head_start: float = 0.0
    pending_s: float = 0.0
    run_s: float = 0.0
    # When progress is reported: a job that still says only "Pending" until done.
    shows_percent: bool = True
    # Ends Failed half-way through its run (started while fail_restores was on).
    fails: bool = False


@dataclass
class World:
    indexes: list[Index] = field(default_factory=list)
    backups: list[Backup] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    schedules: list[Schedule] = field(default_factory=list)
    project_id: str = ""


# name, dimension, metric, cloud, region, metadata fields, hybrid, tags, deletion protection
INDEXES = (
    (
        "products",
        1536,
        "cosine",
        "aws",
        "us-east-1",
        (("category", "string"), ("price", "float"), ("in_stock", "boolean"), ("labels", "string_list")),
        False,
        {"env": "production", "team": "catalog"},
        "enabled",
    ),
    (
        "articles",
        768,
        "dotproduct",
        "gcp",
        "us-central1",
        (("genre", "string"), ("published_year", "integer"), ("author", None)),
        False,
        {"env": "production", "team": "editorial"},
        "disabled",
    ),
    (
        "support-tickets",
        1024,
        "cosine",
        "aws",
        "us-west-2",
        (("priority", "integer"), ("team", None), ("resolved", "boolean")),
        False,
        {"env": "production", "pii": "redacted"},
        "disabled",
    ),
    (
        "product-search-v2",
        1536,
        "dotproduct",
        "aws",
        "us-east-1",
        (("genre", "string"), ("brand", None)),
        True,
        {"env": "staging"},
        "disabled",
    ),
    ("docs-embeddings", 3072, "euclidean", "azure", "eastus2", (), False, None, "disabled"),
    (
        "customer-reviews",
        384,
        "cosine",
        "gcp",
        "europe-west4",
        (("genre", None), ("rating", "float")),
        False,
        {"env": "production", "team": "insights"},
        "disabled",
    ),
    (
        "legal-contracts",
        1536,
        "cosine",
        "aws",
        "eu-west-1",
        (("jurisdiction", "string"),),
        False,
        {"env": "production", "compliance": "gdpr"},
        "enabled",
    ),
)
DELETED_INDEX = (
    "legacy-catalog",
    512,
    "cosine",
    "aws",
    "us-east-1",
    (("genre", None),),
    False,
    {"env": "production"},
    "disabled",
)
# Bulk-loaded minutes before the emulator starts: a backup of it now counts too few records.
JUST_LOADED = "product-search-v2"
BACKUPS_PER_INDEX = {
    "products": 9,
    "articles": 7,
    "support-tickets": 7,
    "product-search-v2": 6,
    "docs-embeddings": 4,
    "customer-reviews": 6,
    "legal-contracts": 5,
    "legacy-catalog": 4,
}
# Tags as the API returns them: sometimes null, sometimes empty, values not always strings.
BACKUP_TAGS: tuple[dict[str, object] | None, ...] = (
    None,
    {"env": "production", "schedule": "nightly"},
    {"env": "production", "retention_days": 30},
    {"env": "staging", "ticket": "OPS-4521", "automated": True},
    {},
    {"owner": "ml-platform", "checkpoint": 3, "verified": False},
    {"reason": "pre-deploy; v2.14.0", "score": 0.98},
)
DESCRIPTIONS = (
    None,
    "Nightly snapshot",
    "Before bulk metadata update",
    "Taken by the ops runbook before reindexing",
    None,
)


def new_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def backup_size(rng: random.Random, records: int, dimension: int) -> int:
    return int(records * (dimension * 4 + rng.randint(200, 1200)) * rng.uniform(1.05, 1.3))


def build(rng: random.Random, now: float, speed: float, jobs: int | None = None, extra_indexes: int = 0) -> World:
    world = World()
    _indexes(rng, now, world)
    _backups(rng, now, world)
    _jobs(rng, now, speed, DEFAULT_JOBS if jobs is None else jobs, world)
    # Schedules draw from their own generator, so the data above stays as it was before them.
    _schedules(random.Random(f"schedules-{rng.random()}"), now, speed, world)
    _extra_indexes(random.Random(f"extra-{rng.random()}"), now, extra_indexes, world)
    return world


def _indexes(rng, now, world):
    for spec in INDEXES + (DELETED_INDEX,):
        name, dimension, metric, cloud, region, fields, sparse, tags, protection = spec
        world.indexes.append(
            Index(
                name=name,
                index_id=new_id(rng),
                dimension=dimension,
                metric=metric,
                cloud=cloud,
                region=region,
                fields=fields,
                sparse=sparse,
                tags=tags,
                deletion_protection=protection,
                record_count=int(10 ** rng.uniform(4, 7.3)),
                namespace_count=rng.randint(1, 48),
                created_at=now - rng.uniform(60, 400) * DAY,
            )
        )
    for index in world.indexes:
        index.last_write_at = now - rng.uniform(HOUR, 3 * DAY)
        index.recent_records = int(index.record_count * rng.uniform(0.01, 0.1))
        if index.name == JUST_LOADED:
            index.last_write_at = now - rng.uniform(3, 6) * 60
            index.recent_records = int(index.record_count * 0.45)
    world.indexes[-1].deleted_at = now - 9 * DAY - rng.uniform(0, HOUR)


def _backups(rng, now, world):
    for index in world.indexes:
        newest = index.deleted_at or now
        for _ in range(BACKUPS_PER_INDEX[index.name]):
            created = newest - rng.uniform(2 * HOUR, 30 * DAY - (now - newest))
            records = max(1, int(index.record_count * rng.uniform(0.6, 1.0)))
            name = rng.choice(
                (
                    f"{index.name}-nightly-{datetime.fromtimestamp(created, UTC):%Y%m%d}",
                    f"pre-deploy-{datetime.fromtimestamp(created, UTC):%Y-%m-%d}",
                    f"backup_{datetime.fromtimestamp(created, UTC):%Y_%m_%d}",
                    None,
                )
            )
            world.backups.append(
                Backup(
                    backup_id=new_id(rng),
                    name=name,
                    description=rng.choice(DESCRIPTIONS),
                    source_index_id=index.index_id,
                    source_index_name=index.name,
                    cloud=index.cloud,
                    region=index.region,
                    dimension=index.dimension,
                    metric=index.metric,
                    fields=index.fields,
                    sparse=index.sparse,
                    status="Ready",
                    record_count=records,
                    namespace_count=rng.randint(1, index.namespace_count),
                    size_bytes=backup_size(rng, records, index.dimension),
                    tags=BACKUP_TAGS[len(world.backups) % len(BACKUP_TAGS)],
                    created_at=created,
                    style=rng.choice(STYLES),
                )
            )
    active = [b for b in world.backups if b.source_index_name != DELETED_INDEX[0]]
    odd = rng.sample(active, 7)
    for backup in odd[:4]:
        backup.status = "Initializing"
        backup.created_at = now - rng.uniform(60, 40 * 60)
    for backup in odd[4:]:
        backup.status = "InitializationFailed"
    # Taken minutes after a bulk load: the newest records are not counted yet.
    for backup, counted in zip(rng.sample([b for b in active if b not in odd], 2), (0.0, 0.55), strict=False):
        backup.record_count = int(backup.record_count * counted)
        backup.description = "Taken minutes after a bulk load"


def _jobs(rng, now, speed, count, world):
    ready = [b for b in world.backups if b.status == "Ready" and b.created_at < now - 3 * HOUR]
    live_sources = [b for b in ready if b.source_index_name != DELETED_INDEX[0]]
    taken = {index.name for index in world.indexes}

    def target_name(backup, created):
        base = f"{backup.source_index_name}-restore-{datetime.fromtimestamp(created, UTC):%m%d}"
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}-{n}"
        taken.add(name)
        return name

    def job(backup, created, **kwargs):
        return Job(
            restore_job_id=new_id(rng),
            backup_id=backup.backup_id,
            target_index_name=target_name(backup, created if created is not None else now),
            target_index_id=new_id(rng),
            created_at=created,
            style=rng.choice(STYLES),
            omit_unset=rng.random() < 0.5,
            **kwargs,
        )

    # Running now, each at most MAX_LEFT_S from done at speed 1.0:
    # (share of its duration already done, seconds it queued, says only "Pending" when progress is reported)
    live = (
        (0.15, RESTORE_QUEUE_S, False),
        (0.6, RESTORE_QUEUE_S, False),
        (0.0, 20.0, False),
        (0.3, RESTORE_QUEUE_S, True),
        (0.45, RESTORE_QUEUE_S, True),
        (0.9, RESTORE_QUEUE_S, False),
    )
    specials = []
    for done, pending_s, only_pending in live:
        backup = rng.choice(live_sources)
        total = max(restore_seconds(rng, backup.size_bytes), pending_s + 30)
        head_start = max(total * done, total - MAX_LEFT_S)
        specials.append(
            job(
                backup,
                now - head_start / speed,
                status="Pending",
                live=True,
                clock_start=now,
                head_start=head_start,
                pending_s=pending_s,
                run_s=total - pending_s,
                shows_percent=not only_pending,
            )
        )
    # A status this dashboard has never heard of, to be shown verbatim.
    specials.append(job(rng.choice(ready), now - 5 * HOUR, status="Paused", percent=37.5))
    # created_at has been seen null in the wild.
    nameless = job(rng.choice(ready), None, status="Completed", percent=100.0)
    nameless.completed_at = now - 2 * DAY
    specials.append(nameless)

    # Finished jobs took as long as the size law says: Failed and Cancelled ones stopped part way.
    finished = []
    for _ in range(max(0, count - len(specials))):
        backup = rng.choice(ready)
        took = restore_seconds(rng, backup.size_bytes) / speed
        earliest = max(backup.created_at + 600, now - 30 * DAY)
        created = rng.uniform(earliest, max(earliest, now - HOUR - took))
        status = rng.choices(("Completed", "Failed", "Cancelled"), weights=(80, 12, 8))[0]
        if status == "Completed":
            percent = 100.0
        else:
            share = rng.uniform(0.05, 0.95)
            took *= share
            percent = rng.choice((None, round(100 * share, 1)))
        finished.append(job(backup, created, status=status, percent=percent, completed_at=created + took))
    # Some jobs outlive the backup they restored from.
    for orphan in finished[7::40]:
        orphan.backup_id = new_id(rng)

    world.jobs = (specials + finished)[:count]
    _target_indexes(world, now)


def _target_indexes(world, now):
    """Running restores have their Initializing index; the latest completed ones kept theirs."""
    backups = {b.backup_id: b for b in world.backups}
    completed = sorted(
        (j for j in world.jobs if j.status == "Completed" and j.created_at and j.backup_id in backups),
        key=lambda j: j.created_at,
        reverse=True,
    )
    for job in [j for j in world.jobs if j.live] + completed[:3]:
        backup = backups[job.backup_id]
        world.indexes.append(restored_index(job, backup, None, "disabled", job.created_at or now))


def restored_index(job: Job, backup: Backup, tags: dict | None, protection: str, now: float) -> Index:
    return Index(
        name=job.target_index_name,
        index_id=job.target_index_id,
        dimension=backup.dimension,
        metric=backup.metric,
        cloud=backup.cloud,
        region=backup.region,
        fields=backup.fields,
        sparse=backup.sparse,
        tags=tags if tags is not None else index_tags(backup.tags),
        deletion_protection=protection,
        record_count=backup.record_count,
        namespace_count=backup.namespace_count,
        created_at=now,
        last_write_at=job.completed_at or now,
        recent_records=backup.record_count,
        source_backup_id=backup.backup_id,
        restore_job_id=job.restore_job_id if job.live else None,
    )


def index_tags(tags: dict | None) -> dict | None:
    """Index tags are strings only; a backup's odd values are copied as text."""
    if tags is None:
        return None
    return {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in tags.items()}


PERIODS = {"daily": DAY, "weekly": 7 * DAY, "monthly": 30 * DAY}
# index, schedule name, frequency, retention days, enabled, days since created,
# next run in days (None: FIRST_RUN_S; negative for a disabled one: its last run, days ago), last run failed
SCHEDULES = (
    ("products", "products-daily", "daily", 7, True, 40, None, False),
    ("articles", "articles-weekly", "weekly", 35, True, 60, 2.4, False),
    ("support-tickets", "tickets-nightly", "daily", 5, True, 20, 0.45, True),
    ("support-tickets", "tickets-weekly-old", "weekly", 14, False, 90, -45.0, False),
    ("customer-reviews", "reviews-weekly", "weekly", 28, False, 50, -10.2, False),
    ("legal-contracts", "contracts-monthly", "monthly", 365, True, 100, 12.5, False),
)
POD_INDEX = "pod-archive"
# The first run of products-daily comes this many seconds (divided by speed) after start,
# so a demo sees a scheduled run (and the retention of its oldest backup) within minutes.
FIRST_RUN_S = 150.0


def run_name(schedule_name: str, at: float) -> str:
    return f"{schedule_name}-{datetime.fromtimestamp(at, UTC):%Y%m%dT%H%M%SZ}"


def scheduled_backup(rng, schedule: Schedule, index: Index, at: float, status: str) -> Backup:
    records = max(1, int(index.record_count * rng.uniform(0.9, 1.0)))
    return Backup(
        backup_id=new_id(rng),
        name=run_name(schedule.name, at),
        description=None,
        source_index_id=index.index_id,
        source_index_name=index.name,
        cloud=index.cloud,
        region=index.region,
        dimension=index.dimension,
        metric=index.metric,
        fields=index.fields,
        sparse=index.sparse,
        status=status,
        record_count=records,
        namespace_count=index.namespace_count,
        size_bytes=backup_size(rng, records, index.dimension),
        tags=index_tags(index.tags),
        created_at=at,
        style="6Z",
        schedule_id=schedule.schedule_id,
        retention_days=schedule.retention_days,
    )


def _schedules(rng, now, speed, world):
    """Schedules with their past runs (those retention has not deleted yet), and a pod index."""
    world.project_id = new_id(rng)
    by_name = {i.name: i for i in world.indexes if i.deleted_at is None}
    for name, sname, frequency, retention, enabled, age, next_in, failed in SCHEDULES:
        index, period = by_name[name], PERIODS[frequency]
        created = now - age * DAY
        if next_in is None:
            slot = now + FIRST_RUN_S / speed
        elif enabled:
            slot = now + next_in * DAY
        else:
            # Disabled: its last run was -next_in days ago.
            slot = now + next_in * DAY + period
        schedule = Schedule(
            schedule_id=new_id(rng),
            name=sname,
            index_id=index.index_id,
            frequency=frequency,
            retention_days=retention,
            enabled=enabled,
            created_at=created,
            next_run=slot if enabled else None,
            next_backup_id=new_id(rng),
            planned_at=max(created, slot - period),
            style=rng.choice(("6Z", "0Z", "3+00:00")),
        )
        world.schedules.append(schedule)
        at = slot - period
        while at > created and at + retention * DAY > now:
            if at <= now:
                status = "InitializationFailed" if failed and at == slot - period else "Ready"
                world.backups.append(scheduled_backup(rng, schedule, index, at, status))
            at -= period
    world.indexes.append(
        Index(
            name=POD_INDEX,
            index_id=new_id(rng),
            dimension=768,
            metric="cosine",
            cloud="aws",
            region="us-east-1",
            fields=(),
            sparse=False,
            tags={"env": "archive"},
            deletion_protection="disabled",
            record_count=250_000,
            namespace_count=1,
            created_at=now - 700 * DAY,
            last_write_at=now - 200 * DAY,
            pod=True,
        )
    )


def _extra_indexes(rng, now, count, world):
    """COUNT more indexes for measuring growth: each with two backups, every other one a daily schedule."""
    for n in range(count):
        index = Index(
            name=f"bulk-{n:04d}",
            index_id=new_id(rng),
            dimension=384,
            metric="cosine",
            cloud="aws",
            region="us-east-1",
            fields=(),
            sparse=False,
            tags=None,
            deletion_protection="disabled",
            record_count=rng.randint(1_000, 100_000),
            namespace_count=1,
            created_at=now - 90 * DAY,
            last_write_at=now - 2 * DAY,
        )
        world.indexes.append(index)
        schedule = Schedule(
            schedule_id=new_id(rng),
            name=f"bulk-{n:04d}-daily",
            index_id=index.index_id,
            frequency="daily",
            retention_days=3,
            enabled=True,
            created_at=now - 30 * DAY,
            next_run=(next_run := now + rng.uniform(1, 23) * HOUR),
            next_backup_id=new_id(rng),
            planned_at=now - HOUR,
        )
        if n % 2 == 0:
            world.schedules.append(schedule)
        for days in (1, 2):
            world.backups.append(scheduled_backup(rng, schedule, index, next_run - days * DAY, "Ready"))
