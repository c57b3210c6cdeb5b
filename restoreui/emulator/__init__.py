"""A local Pinecone control plane for backups and restore jobs (standard library only).

It is the upstream of demo mode and of every test. Run it alone with

    python -m restoreui.emulator [--host 127.0.0.1] [--port 5081]
        [--api-key local-emulator-key] [--limited-api-key KEY] [--seed 42] [--jobs 260]
        [--speed 1.0] [--max-backups 200] [--max-indexes 50] [--extra-indexes 0]
        [--report-progress] [--send-metric] [--plan-gate]
        [--latency-ms 0] [--error-rate 0] [--rate-limit-rate 0] [--retry-after 1]
        [--malformed-rate 0] [--reset-rate 0] [--slow-body-rate 0] [--slow-body-seconds 2]
        [--transient-404-rate 0]

or from Python:

    emulator = Emulator(port=0, api_key="k", seed=7, speed=50.0, report_progress=True).start()
    emulator.url; emulator.set_faults(error_rate=0.5); emulator.set_behaviour(plan_gate=True)
    emulator.stats(); emulator.advance_clock(86400); emulator.reset(); emulator.stop()

API: GET /indexes, GET|DELETE /indexes/{name}, GET|POST /indexes/{name}/backups
(include_deleted=true on 2026-07), GET /backups, GET|DELETE /backups/{id},
POST /backups/{id}/create-index, GET /restore-jobs, GET /restore-jobs/{id}, and
on 2026-07 only the backup schedules: GET|POST /indexes/{name}/backup-schedules,
GET|PATCH|DELETE /backup-schedules/{id}, GET /backup-schedules/{id}/history
(older versions answer these 404 NOT_FOUND "No such endpoint", as for any path
they do not route).
Every request needs `Api-Key`; `X-Pinecone-Api-Version` (2025-04, 2025-10,
2026-04 or 2026-07) picks the answers' shape, and a request without it is
served as 2025-04, the oldest. Lists take `limit` (1..100, default 100, the
service's; the spec says 10) and `paginationToken` (base64 JSON {"limit", "offset"}).

By default it behaves like the real service:
- Restores run on the clock, computed on each request. A running job says
  "Pending" with percent_complete null (or absent) until it is Completed
  (then 100), and completed_at only once it has ended; Failed and Cancelled
  jobs carry no percentage. A restore takes (60 s + 4 s per GB of the
  backup's size_bytes) times a seeded spread of 0.75-1.35, divided by
  `speed`; the seeded finished jobs took as long as that same law says.
  Six seeded jobs are running at start and finish within 4 minutes at speed 1.
  A restored index is Initializing until its job completes; a new backup
  turns Ready after 5 s / speed.
- Deleting an index drops the jobs that restored into it from the list, and
  describing them answers 404.
- Restoring from a backup that is not Ready: 412 FAILED_PRECONDITION
  ("Backup <id> is not completed."). read_capacity on a restore is accepted on
  2026-07; older versions refuse it as an unknown field (422, like any field
  the body does not have).
- Backups leave out the top-level `metric` (2025-10, 2026-04); 2026-07 keeps
  it in the dense_vector schema field, which the SDK requires. A backup taken
  within 15 minutes of its index's last write (or of the restore that made
  it) leaves that write's records out of record_count. source_index_deleted_at
  (2026-07) is sent only for a deleted source. Timestamps have 0, 3, 4, 6 or
  9 fraction digits and end in "Z" or "+00:00".
- Backup schedules (2026-07) run on the emulator's clock at next_scheduled_run,
  with real periods (daily, weekly, monthly = 30 days) and retention in real
  days. Each run makes a backup named "{schedule name}-{YYYYMMDDTHHMMSSZ}"
  (Initializing, Ready 5 s / speed later; InitializationFailed past the backup
  quota); the history lists the next run as Initializing from the moment it is
  planned. Retention deletes a scheduled backup retention days after it was
  made, also after its schedule is deleted. One enabled schedule per index
  (409 ALREADY_EXISTS, also on re-enabling); a pod index (the seeded
  pod-archive) cannot be scheduled or backed up (400); retention is 1..365
  days (400 naming max_backup_retention_days); plan_gate answers 403 FORBIDDEN
  here too. The seed: products-daily (7 days kept) runs for the first time
  150 s / speed after start, and deletes its oldest backup as it does, so a
  demo sees a run within minutes; articles-weekly, contracts-monthly,
  tickets-nightly (its last run failed) beside a disabled tickets-weekly-old,
  and reviews-weekly, disabled 10 days ago; docs-embeddings and
  product-search-v2 have none, and restored indexes were never backed up.
  POST /_emulator/clock moves the clock on to see later runs at once.
  `extra_indexes` (--extra-indexes N) seeds N more indexes (bulk-0000...),
  each with two scheduled backups and every other one a daily schedule, for
  measuring pages and the watcher as a project grows.
- A second key (`limited_api_key`) reads indexes but gets 403
  PERMISSION_DENIED "Access denied: Permission control::backups::list is
  required" on backup and restore endpoints, naming each endpoint's
  permission (control::backups::list|describe|create|delete|restore,
  control::restore_jobs::list|describe; only the first is attested).

Behaviour settings depart from the real service on purpose (all off by
default; given at start, switched while running, back to their start values
on reset):
report_progress (running restores go InProgress with a rising
percent_complete, some stay Pending with none; finished jobs keep the figure
they stopped at), send_metric (backups carry a top-level `metric`),
fail_restores (runtime only: restores started while it is on end Failed
half-way through), plan_gate (backup and restore endpoints answer 403 FORBIDDEN "Backups are not
available on the Starter plan. Upgrade your plan to use backups.").

Fault settings (all off by default; rates are shares of requests, 0.0-1.0,
drawn from an RNG seeded with `seed`, reseeded whenever faults change):
latency_ms, error_rate (500/503), rate_limit_rate (429 + Retry-After:
retry_after seconds), malformed_rate (body cut short), reset_rate (connection
reset, no answer), slow_body_rate (body trickled over slow_body_seconds),
transient_404_rate (describe restore job answers 404 for a job that exists).

Control endpoint (never faulted, never counted, no API key needed):
    GET    /_emulator/faults     -> current fault settings
    POST   /_emulator/faults     -> body {"error_rate": 0.2, ...}: change those settings
    DELETE /_emulator/faults     -> all faults off
    GET    /_emulator/behaviour  -> {"report_progress": false, "send_metric": false, "plan_gate": false,
                                     "fail_restores": false}
    POST   /_emulator/behaviour  -> body {"report_progress": true, ...}: change those settings
    GET    /_emulator/stats      -> {"total": N, "calls": {"GET /restore-jobs": n, ...},
                                     "faulted": {"reset": n, "transient_404": n, ...}}
    GET    /_emulator/state      -> seed, speed, clock and counts of indexes, backups, schedules, listed jobs by status
    POST   /_emulator/clock      -> body {"advance": seconds}: move the clock on (schedules run, retention deletes)
    POST   /_emulator/reset      -> seed data and start-up behaviour back, faults off, counters zeroed
"""

from restoreui.emulator.server import Emulator, Faults

__all__ = ["Emulator", "Faults"]
