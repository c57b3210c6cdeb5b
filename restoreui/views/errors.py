"""What a screen answers when Pinecone fails, decided here once instead of in every view.

Views raise and let `upstream_errors` answer by the kind of failure and of request:

- the thing the URL names is in neither Pinecone nor the history: the section's not-found
  page (404); an htmx region that polls it says so and stops polling (286);
- anything else Pinecone did (rate-limited, unavailable, a bad answer, a refused key): the
  styled upstream-error page of the section (502; 503 when restoreui itself was busy, 504
  when Pinecone ran out of time); an htmx region gets its own error state instead, as a 200,
  because htmx swaps only 2xx answers.

A view with an old copy never gets here: the service module serves that copy, marked stale.
A part of a page that may fail on its own is loaded with `part`, and a write is sent in
`sending`, which says when it may or may not have been carried out.
"""

import random
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps

from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.template.loader import render_to_string
from django_htmx.http import HttpResponseStopPolling, reswap

from restoreui import audit
from restoreui.models import AuditEntry
from restoreui.pinecone import Busy, NotAvailable, NotFound, PineconeError
from restoreui.views.common import project_or_404

# Seconds after which a page turned away busy asks again by itself, at random in this range.
BUSY_RETRY = (2, 5)
# The error banner alone: for htmx regions whose template has no error state of their own.
BANNER = "_upstream_error.html"


class Missing(Exception):
    """What the URL names is known neither to Pinecone nor to the history: the not-found page."""


def upstream_errors(
    section: str,
    *,
    not_found: str | None = None,
    not_available: str | None = None,
    region: str | None = None,
    **region_context,
):
    """Answer a view's Pinecone failures for SECTION (the header tab the error page keeps).

    NOT_FOUND is the template saying the subject of the URL is not there; it gets the URL's
    arguments (job_id, backup_id...) as context. Without it, NotFound is one more upstream error.
    NOT_AVAILABLE is the note for a feature the project's API version lacks (NotAvailable), with its `reason`.
    REGION is the template partial htmx requests to the view swap in, rendered on failure with
    `error` (or `gone` once its subject is not found) and REGION_CONTEXT; BANNER, for a region
    without an error state, lands inside the region targeted. Views without a region answer
    whole pages, htmx or not.
    """

    def decorate(view):
        @wraps(view)
        def answering(request, project_name, **kwargs):
            try:
                return view(request, project_name, **kwargs)
            except (Missing, PineconeError) as error:
                project = project_or_404(project_name)
                context = {"project": project, "section": section, **kwargs}
                in_region = region if request.htmx else None
                if isinstance(error, Missing) or (not_found and isinstance(error, NotFound)):
                    if in_region:
                        return HttpResponseStopPolling(render_to_string(in_region, context | {"gone": True}, request))
                    return render(request, not_found or "404.html", context, status=404)
                if not_available and isinstance(error, NotAvailable):
                    return render(request, not_available, context | {"reason": error.explain()}, status=404)
                if in_region:
                    response = render(request, in_region, context | region_context | {"error": error})
                    return reswap(response, "innerHTML") if region == BANNER else response
                return _error_page(request, project, error, section)

        return answering

    return decorate


def _error_page(request, project, error: PineconeError, section: str):
    """Pinecone failed and nothing cached can stand in: say so, with the request id."""
    # 504 only when Pinecone ran out of time; a reset or an unreadable answer is a bad gateway.
    status = 504 if getattr(error, "timeout", None) is not None else 502
    context = {"project": project, "error": error, "section": section}
    if isinstance(error, Busy):
        # A moment's crowd (everyone opening one link at once): the page asks again by itself, each
        # viewer after a different pause, so the crowd does not come back at once.
        context["retry_in"] = random.randint(*BUSY_RETRY)
        response = render(request, "upstream_error.html", context, status=503)
        response["Retry-After"] = str(context["retry_in"])
        return response
    return render(request, "upstream_error.html", context, status=status)


@dataclass(frozen=True)
class Part[T]:
    """A part of a page loaded on its own: its value, or why Pinecone could not give it."""

    value: T | None
    error: PineconeError | None


def part[T](load: Callable[[], T]) -> Part[T]:
    """LOAD() for a part of a page that can fail alone: the rest of the page still shows."""
    try:
        return Part(load(), None)
    except PineconeError as error:
        return Part(None, error)


@contextmanager
def sending(
    request,
    project,
    action: str,
    target: str,
    form,
    *,
    unsure: str,
    explain: Callable[[PineconeError], str | ValidationError | None] = lambda error: None,
    extra: dict | None = None,
):
    """Send one write to Pinecone inside the block; when it fails, audit it and say why on FORM.

    The caller checks `form.errors` after the block. A write sent without a clear answer
    (a timeout, a 5xx, a broken connection) may or may not have been carried out: the
    audit entry is "unknown" and the form adds UNSURE, where to look before trying again.
    Any other refusal is put in the write's own words by EXPLAIN, else in Pinecone's.
    """
    try:
        yield
    except PineconeError as error:
        outcome = audit.failure_outcome(error)
        audit.record(request, project.name, action, target, outcome, error=error, extra=extra)
        if outcome == AuditEntry.Outcome.UNKNOWN:
            form.add_error(None, f"{error.explain()} {unsure}")
        else:
            form.add_error(None, explain(error) or error.explain())
