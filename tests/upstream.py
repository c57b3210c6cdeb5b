"""What the emulator holds right now, as the service module's typed objects.

View tests pick their subjects (a running job, a Ready backup) from here rather
than through the dashboard, so a dashboard bug cannot choose its own test data.
"""

import time

import requests

from restoreui.pinecone import Backup, RestoreJob


def upstream_jobs(emulator) -> list[RestoreJob]:
    """Every job the emulator lists, as it would describe it right now."""
    store = emulator.store
    with store.lock:
        now = time.time()
        return [
            RestoreJob.from_api(store.render_job(j, now), "2026-04") for j in store.jobs.values() if store.listed(j)
        ]


def upstream_backups(emulator, version="2026-04") -> list[Backup]:
    """Every backup as the emulator would describe it right now, in VERSION's shape."""
    store = emulator.store
    with store.lock:
        now = time.time()
        return [Backup.from_api(store.render_backup(b, version, now), version) for b in store.backups.values()]


def restorable(emulator, version="2026-04") -> Backup:
    """A named, Ready backup that no running restore holds on to, so it can be restored or deleted."""
    busy = {j.backup_id for j in upstream_jobs(emulator) if not j.finished}
    return next(b for b in upstream_backups(emulator, version) if b.status == "Ready" and b.id not in busy and b.name)


def delete_index(emulator, name):
    """Delete an index the way any Pinecone client would, behind the dashboard's back.

    Pinecone then drops the restore jobs into it from its list."""
    response = requests.delete(
        f"{emulator.url}/indexes/{name}",
        headers={"Api-Key": emulator.api_key, "X-Pinecone-Api-Version": "2026-04"},
        timeout=5,
    )
    assert response.status_code == 202, response.text
