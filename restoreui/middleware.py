"""Request plumbing: request ids, client addresses behind proxies, headers, SSO."""

import ipaddress
import logging
import re
import uuid
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth.backends import RemoteUserBackend
from django.contrib.auth.middleware import LoginRequiredMiddleware, RemoteUserMiddleware
from django.core.exceptions import MiddlewareNotUsed
from django.shortcuts import resolve_url
from django_htmx.http import HttpResponseClientRedirect

from restoreui.auth import PreparedUserMixin
from restoreui.pinecone import budget

log = logging.getLogger(__name__)

REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in settings.RESTOREUI_TRUSTED_PROXIES)


def client_ip(request) -> str | None:
    """The address of the browser, not of the proxies in front of us.

    X-Forwarded-For is read from the right and only through trusted proxies,
    since anyone can send the header with a made-up address on the left.
    """
    address = request.META.get("REMOTE_ADDR") or None
    if address is None or not _trusted(address):
        return address
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        hop = hop.strip()
        if not hop:
            continue
        if not _trusted(hop):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return address
        address = hop
    return address


def request_id_middleware(get_response):
    """Tag each request with an id that appears in audit entries and the response.

    A proxy's X-Request-ID is reused so its logs and ours can be joined.
    """

    def middleware(request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request.request_id = incoming if REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        response = get_response(request)
        response.headers.setdefault("X-Request-ID", request.request_id)
        return response

    return middleware


def time_budget_middleware(get_response):
    """Every request waits on Pinecone for RESTOREUI_PAGE_TIME_BUDGET seconds at most."""

    def middleware(request):
        with budget.page(settings.RESTOREUI_PAGE_TIME_BUDGET):
            return get_response(request)

    return middleware


def permissions_policy_middleware(get_response):
    """Switch off browser features the dashboard never uses."""

    def middleware(request):
        response = get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.RESTOREUI_PERMISSIONS_POLICY)
        return response

    return middleware


class TrustedProxyUserMiddleware(RemoteUserMiddleware):
    """Single sign-on: log in the user an authenticating proxy names in a header.

    Only requests whose REMOTE_ADDR is a trusted proxy are believed; from anywhere
    else the header is ignored as if absent. Unknown usernames become new
    (non-staff) users, who may read; roles still come from groups.
    """

    def __init__(self, get_response):
        if not settings.RESTOREUI_SSO_HEADER:
            raise MiddlewareNotUsed
        super().__init__(get_response)
        # A class attribute in Django; here it comes from a setting, read once at start.
        self.header = "HTTP_" + settings.RESTOREUI_SSO_HEADER.upper().replace("-", "_")  # type: ignore[misc]

    def get_username(self, request):
        if not _trusted(request.META.get("REMOTE_ADDR", "")):
            raise KeyError(self.header)
        username = request.META[self.header].strip()
        if not username:
            raise KeyError(self.header)
        return username


class SingleSignOnBackend(PreparedUserMixin, RemoteUserBackend):
    def authenticate(self, request, remote_user):  # type: ignore[override]  # as RemoteUserBackend's
        user = super().authenticate(request, remote_user)
        if user is not None and user.has_usable_password() and not settings.RESTOREUI_SSO_LOCAL_ACCOUNTS:
            # A proxy naming "admin" must not become the local admin, whose password guards it.
            log.warning("single sign-on named %r, a local account with a password: not logged in", remote_user)
            return None
        return user

    def configure_user(self, request, user, created=True):
        # Users the proxy vouches for have no password here, so none can be guessed.
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        return user


class HtmxLoginRequiredMiddleware(LoginRequiredMiddleware):
    """When a session ends under an open page, its next poll sends the page to login.

    A plain redirect would make htmx swap the login form into the polled region;
    HX-Redirect sends the whole tab there, with `next` set to the page being viewed.
    """

    def handle_no_permission(self, request, view_func):
        if not request.htmx:
            return super().handle_no_permission(request, view_func)
        current = urlsplit(request.htmx.current_url or "")
        page = current.path + (f"?{current.query}" if current.query else "")
        if not page.startswith("/") or page.startswith("//"):
            page = request.get_full_path()
        login = f"{resolve_url(self.get_login_url(view_func))}?{urlencode({'next': page})}"
        return HttpResponseClientRedirect(login, content="Your session has ended; log in again.", status=401)
