"""Throttling of repeated failed logins.

Two counts: per username and client address (RESTOREUI_LOGIN_FAILURE_LIMIT),
and per address whatever the username (RESTOREUI_LOGIN_ADDRESS_FAILURE_LIMIT),
so spraying many usernames from one address is stopped too. A count over its
limit refuses logins, whatever the password, for RESTOREUI_LOGIN_LOCKOUT_SECONDS
from its first failure. A successful login forgets its username's count only.

Every worker must see the same counts: with a shared cache (Redis) they are
kept there; with the per-process locmem cache, in the database.
"""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone

from restoreui.middleware import client_ip
from restoreui.models import LoginFailures


def _key(*parts) -> str:
    # Hashed: usernames can hold characters some cache backends reject in keys.
    digest = hashlib.sha256("\n".join(str(p) for p in parts).encode()).hexdigest()
    return f"restoreui:login-failures:{digest}"


def _count(key: str) -> int:
    if settings.RESTOREUI_SHARED_CACHE:
        return cache.get(key, 0)
    cutoff = timezone.now() - timedelta(seconds=settings.RESTOREUI_LOGIN_LOCKOUT_SECONDS)
    return LoginFailures.objects.filter(key=key, started__gte=cutoff).values_list("count", flat=True).first() or 0


def _fail(key: str) -> None:
    lockout = settings.RESTOREUI_LOGIN_LOCKOUT_SECONDS
    if settings.RESTOREUI_SHARED_CACHE:
        cache.add(key, 0, timeout=lockout)
        try:
            cache.incr(key)
        except ValueError:
            # The entry expired between add and incr: this failure starts a new window.
            cache.add(key, 1, timeout=lockout)
        return
    now = timezone.now()
    # Expired windows go (this key's too, so its failure starts a new one).
    LoginFailures.objects.filter(started__lt=now - timedelta(seconds=lockout)).delete()
    row, created = LoginFailures.objects.get_or_create(key=key, defaults={"count": 1, "started": now})
    if not created:
        # Incremented in the database, so failures sent at once to several workers all count.
        LoginFailures.objects.filter(pk=row.pk).update(count=F("count") + 1)


def _forget(key: str) -> None:
    if settings.RESTOREUI_SHARED_CACHE:
        cache.delete(key)
    else:
        LoginFailures.objects.filter(key=key).delete()


class ThrottledAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": "Too many failed logins for this account from your address. "
        "Wait %(minutes)d minutes and try again.",
        "address_throttled": "Too many failed logins from your address. Wait %(minutes)d minutes and try again.",
    }

    def _refuse(self, code: str):
        raise ValidationError(
            self.error_messages[code],
            code=code,
            params={"minutes": -(-settings.RESTOREUI_LOGIN_LOCKOUT_SECONDS // 60)},
        )

    def clean(self):
        ip = client_ip(self.request)
        pair = _key("pair", (self.cleaned_data.get("username") or "").casefold(), ip)
        address = _key("address", ip)
        if _count(address) >= settings.RESTOREUI_LOGIN_ADDRESS_FAILURE_LIMIT:
            self._refuse("address_throttled")
        if _count(pair) >= settings.RESTOREUI_LOGIN_FAILURE_LIMIT:
            self._refuse("throttled")
        try:
            cleaned = super().clean()
        except ValidationError:
            _fail(pair)
            _fail(address)
            raise
        _forget(pair)
        return cleaned
