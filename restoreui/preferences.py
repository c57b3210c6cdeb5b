"""A user's stored choices (the time zone pages show times in), carried in the session.

Copied at login, so pages need no query for them; the preference view writes both.
"""

from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest

from restoreui.models import Preference


def remember_preferences(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    """On login (the user_logged_in signal), copy the stored choices into the session."""
    preference = Preference.objects.filter(user=user).first()
    request.session["tz"] = preference.time_zone if preference else Preference.TimeZone.UTC.value
