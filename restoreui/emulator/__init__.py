"""A local Pinecone control plane for backups and restore jobs (standard library only).

It is the upstream of demo mode and of every test. Run it alone with

    python -m restoreui.emulator [--host 127.0.0.1] [--port 5081]
        [--api-key local-emulator-key] [--seed 42] [--jobs 260] [--speed 1.0]
        [--max-backups 200] [--max-indexes 50]
        [--latency-ms 0] [--error-rate 0] [--rate-limit-rate 0] [--retry-after 1]
        [--malformed-rate 0] [--reset-rate 0] [--slow-body-rate 0] [--slow-body-seconds 2]

or from Python:

    emulator = Emulator(port=0, api_key="k", seed=7, speed=50.0).start()
    emulator.url; emulator.set_faults(error_rate=0.5); emulator.stats(); emulator.stop()

API: GET /indexes, GET|DELETE /indexes/{name}, GET|POST /indexes/{name}/backups
(include_deleted=true on 2026-07), GET /backups, GET|DELETE /backups/{id},
POST /backups/{id}/create-index, GET /restore-jobs, GET /restore-jobs/{id}.
Every request needs `Api-Key` and `X-Pinecone-Api-Version` (2025-04, 2025-10,
2026-04 or 2026-07); answers take that version's shape. Lists take `limit`
(1..100, default 10) and `paginationToken` (base64 JSON {"limit", "offset"}).

Restores run on the clock, computed on each request: a job is Pending ~3 s,
InProgress ~57 s with a rising percent_complete, then Completed, and its
index turns Ready; a new backup turns Ready after ~5 s. `speed` divides
those times. Six seeded jobs are running at start; all finish within ~3 minutes at speed 1.

Fault settings (all off by default; rates are shares of requests, 0.0-1.0,
drawn from an RNG seeded with `seed`, reseeded whenever faults change):
latency_ms, error_rate (500/503), rate_limit_rate (429 + Retry-After:
retry_after seconds), malformed_rate (body cut short), reset_rate (connection
reset, no answer), slow_body_rate (body trickled over slow_body_seconds).

Control endpoint (never faulted, never counted, no API key needed):
    GET    /_emulator/faults  -> current fault settings
    POST   /_emulator/faults  -> body {"error_rate": 0.2, ...}: change those settings
    DELETE /_emulator/faults  -> all faults off
    GET    /_emulator/stats   -> {"total": N, "calls": {"GET /restore-jobs": n, ...},
                                  "faulted": {"reset": n, ...}}
    GET    /_emulator/state   -> seed, speed and counts of indexes, backups, jobs by status
    POST   /_emulator/reset   -> seed data back, faults off, counters zeroed
"""

from restoreui.emulator.server import Emulator, Faults

__all__ = ["Emulator", "Faults"]
