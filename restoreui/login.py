"""Throttling of repeated failed logins.

Failures are counted in Django's cache per username and client address, so with
Redis the count holds across every instance and worker. After
RESTOREUI_LOGIN_FAILURE_LIMIT failures the pair is refused for
RESTOREUI_LOGIN_LOCKOUT_SECONDS from the first failure, whatever the password.
"""

import hashlib

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.core.exceptions import ValidationError

from restoreui.middleware import client_ip


def _key(username: str, ip: str | None) -> str:
    # Hashed: usernames can hold characters some cache backends reject in keys.
    digest = hashlib.sha256(f"{username.casefold()}\n{ip}".encode()).hexdigest()
    return f"restoreui:login-failures:{digest}"


class ThrottledAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": "Too many failed logins for this account from your address. "
        "Wait %(minutes)d minutes and try again.",
    }

    def clean(self):
        key = _key(self.cleaned_data.get("username") or "", client_ip(self.request))
        if cache.get(key, 0) >= settings.RESTOREUI_LOGIN_FAILURE_LIMIT:
            raise ValidationError(
                self.error_messages["throttled"],
                code="throttled",
                params={"minutes": -(-settings.RESTOREUI_LOGIN_LOCKOUT_SECONDS // 60)},
            )
        try:
            cleaned = super().clean()
        except ValidationError:
            cache.add(key, 0, timeout=settings.RESTOREUI_LOGIN_LOCKOUT_SECONDS)
            try:
                cache.incr(key)
            except ValueError:
                # The entry expired between add and incr: this failure starts a new window.
                cache.add(key, 1, timeout=settings.RESTOREUI_LOGIN_LOCKOUT_SECONDS)
            raise
        cache.delete(key)
        return cleaned
