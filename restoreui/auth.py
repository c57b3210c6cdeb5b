"""Authentication backends whose per-request read of the logged-in user is a prepared query.

Django's ModelBackend builds `User.objects.get(pk=...)` anew on every request;
these read the same row with the statement built once (see restoreui.prepared).
The user is still read from the database each time: a deactivated user is out
at their next request, on every worker.
"""

from django.contrib.auth import backends, get_user_model

from restoreui.prepared import ByKey

_users: ByKey | None = None


class PreparedUserMixin:
    def get_user(self, user_id):
        global _users
        if _users is None:
            _users = ByKey(get_user_model(), "pk")
        user = _users.get(pk=user_id)
        return user if user is not None and self.user_can_authenticate(user) else None  # type: ignore[attr-defined]


class ModelBackend(PreparedUserMixin, backends.ModelBackend):
    """Username and password, as Django's ModelBackend."""
