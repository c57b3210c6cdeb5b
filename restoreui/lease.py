"""Leases: a database row that names which process performs a duty, and until when.

Taking one is a single UPDATE that succeeds only while the lease is free,
expired or already ours, so two processes can never both hold it; times come
from the database's clock, so clock skew between hosts does not matter.
"""

from datetime import timedelta

from django.db.models import DateTimeField, ExpressionWrapper, Q
from django.db.models.functions import Now
from django.utils import timezone

from restoreui.models import Lease


def acquire(name: str, holder: str, seconds: float) -> bool:
    """Take or renew lease NAME for HOLDER for SECONDS; False when another holder has it."""
    Lease.objects.bulk_create([Lease(name=name, expires=timezone.now())], ignore_conflicts=True)
    until = ExpressionWrapper(Now() + timedelta(seconds=seconds), output_field=DateTimeField())
    taken = (
        Lease.objects.filter(name=name)
        .filter(Q(holder=holder) | Q(holder="") | Q(expires__lte=Now()))
        .update(holder=holder, expires=until)
    )
    return taken == 1


def release(name: str, holder: str) -> None:
    """Let go of lease NAME if HOLDER has it, so a standby can take over at once."""
    Lease.objects.filter(name=name, holder=holder).update(holder="")
