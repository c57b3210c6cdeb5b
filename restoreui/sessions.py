"""The session engine without a shared cache: Django's database sessions, each read with a prepared query.

Every request still reads its session from the database, so a logout or an
expiry on one worker or instance ends the session everywhere at once; only
building the query is saved (see restoreui.prepared).
"""

import logging

from django.contrib.sessions.backends import db
from django.core.exceptions import SuspiciousOperation
from django.utils import timezone

from restoreui.prepared import ByKey


class SessionStore(db.SessionStore):
    _by_key: ByKey | None = None

    def _get_session_from_db(self):
        if SessionStore._by_key is None:
            SessionStore._by_key = ByKey(self.model, "session_key")
        try:
            session = SessionStore._by_key.get(session_key=self.session_key)
        except SuspiciousOperation as e:
            logging.getLogger(f"django.security.{e.__class__.__name__}").warning(str(e))
            session = None
        # Django's own query asks for expire_date > now; an expired row is no session either.
        if session is None or session.expire_date <= timezone.now():
            self._session_key = None
            return None
        return session
