"""Posting one message to one webhook: the only code here that speaks HTTP.

Every text that leaves this module (kept on the row, written to the audit log)
is scrubbed of the URL, which is the target's secret.
"""

from dataclasses import dataclass

import requests
from django.conf import settings
from urllib3.exceptions import MaxRetryError, NameResolutionError, NewConnectionError

from restoreui.notifications.targets import Target

DELIVERED = "delivered"
# The target surely did not take it: sending it again cannot post it twice.
NOT_SENT = "not_sent"
# The target refused it (a 4xx other than 429): the same message would be refused again.
REFUSED = "refused"
# It may have reached the target: sending it again might post it twice.
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Result:
    outcome: str
    error: str = ""


def post(target: Target, payload: dict) -> Result:
    timeout = (min(3.05, settings.RESTOREUI_NOTIFY_TIMEOUT), settings.RESTOREUI_NOTIFY_TIMEOUT)
    try:
        response = requests.post(target.url, json=payload, timeout=timeout, allow_redirects=False)
    except (requests.ConnectTimeout, requests.exceptions.SSLError):
        return Result(NOT_SENT, "could not connect (timed out or TLS failed)")
    except requests.ConnectionError as e:
        if _never_connected(e):
            return Result(NOT_SENT, "could not connect (refused or no such host)")
        return Result(UNKNOWN, "the connection broke after the message was sent")
    except requests.Timeout:
        return Result(UNKNOWN, f"no answer within {settings.RESTOREUI_NOTIFY_TIMEOUT:g} s")
    except requests.RequestException as e:
        return Result(UNKNOWN, f"could not be sent ({type(e).__name__})")
    if 200 <= response.status_code < 300:
        return Result(DELIVERED)
    answer = f"the target answered HTTP {response.status_code}{_body(response, target.url)}"
    if response.status_code == 429 or response.status_code >= 500:
        return Result(NOT_SENT, answer)
    return Result(REFUSED, answer)


def _never_connected(error: requests.ConnectionError) -> bool:
    reason = error.args[0].reason if error.args and isinstance(error.args[0], MaxRetryError) else None
    return isinstance(reason, (NewConnectionError, NameResolutionError))


def _body(response, url: str) -> str:
    """The start of the target's answer (Slack says why there), printable and without the URL."""
    text = "".join(c if c.isprintable() else " " for c in response.text[:200]).strip()
    return f": {scrub(text, url)}" if text else ""


def scrub(text: str, url: str) -> str:
    """TEXT without URL or its path, which carries the secret of most webhooks."""
    path = url.split("://", 1)[-1].partition("/")[2]
    for secret in (url, f"/{path}" if path else ""):
        if secret:
            text = text.replace(secret, "[webhook URL]")
    return text
