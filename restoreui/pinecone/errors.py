"""What went wrong talking to Pinecone, with a sentence an operator can act on."""

from typing import Any


def _seconds(value: float) -> str:
    return f"{value:g} s"


class PineconeError(Exception):
    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        project: str | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.request_id = request_id
        self.project = project

    def __str__(self) -> str:
        head = " ".join(str(p) for p in (self.status, self.code) if p)
        text = f"{head}: {self.message}" if head else self.message
        return f"{text} (request id {self.request_id})" if self.request_id else text

    def __reduce__(self) -> tuple[Any, tuple[type["PineconeError"], dict[str, Any]]]:
        # Keyword-only arguments do not survive Exception's default pickling,
        # and errors are shared between processes through the cache.
        return _rebuild, (type(self), self.__dict__.copy())

    def explain(self) -> str:
        return f"Pinecone returned an error: {self.message}"


def _rebuild(cls: type[PineconeError], state: dict[str, Any]) -> PineconeError:
    error = cls.__new__(cls)
    Exception.__init__(error, state.get("message"))
    error.__dict__.update(state)
    return error


class InvalidRequest(PineconeError):
    def explain(self) -> str:
        return f"Pinecone rejected the request: {self.message}"


class Unauthorized(PineconeError):
    def explain(self) -> str:
        return f"Pinecone rejected the API key for project {self.project!r}"


class Forbidden(PineconeError):
    def explain(self) -> str:
        if self.code in ("QUOTA_EXCEEDED", "RESOURCE_EXHAUSTED") or "quota" in self.message.lower():
            return f"Project {self.project!r} has reached a Pinecone quota: {self.message}"
        return f"Pinecone does not allow this for project {self.project!r}: {self.message}"


class NotFound(PineconeError):
    def explain(self) -> str:
        return f"Not found in Pinecone: {self.message}"


class Conflict(PineconeError):
    def explain(self) -> str:
        return f"That already exists in Pinecone: {self.message}"


class PreconditionFailed(PineconeError):
    def explain(self) -> str:
        return f"Pinecone cannot do that right now: {self.message}"


class RateLimited(PineconeError):
    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after

    def explain(self) -> str:
        if self.retry_after is None:
            return "Pinecone is rate-limiting requests; try again shortly"
        return f"Pinecone is rate-limiting requests; try again in {_seconds(self.retry_after)}"


class NotAvailable(PineconeError):
    """A feature the project's API version does not have: pages show a note, not an error."""

    def explain(self) -> str:
        return self.message


class Unavailable(PineconeError):
    """5xx answers, timeouts, refused connections and bodies that are not the API's JSON.

    `sent` is False only when the request surely never reached Pinecone (no
    connection); otherwise a write may or may not have been carried out.
    """

    def __init__(self, message: str, *, timeout: float | None = None, sent: bool = True, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.timeout = timeout
        self.sent = sent

    def explain(self) -> str:
        if self.timeout is not None:
            return f"Pinecone is not answering (timed out after {_seconds(self.timeout)})"
        if self.status:
            return f"Pinecone is having trouble (HTTP {self.status}): {self.message}"
        return f"Pinecone cannot be used right now: {self.message}"


class Busy(PineconeError):
    """Nothing was sent: this process already has as many requests waiting on Pinecone as it allows."""

    def explain(self) -> str:
        return "restoreui is busy: too many pages are waiting on Pinecone right now. Try again in a few seconds."


BY_STATUS: dict[int, type[PineconeError]] = {
    400: InvalidRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    412: PreconditionFailed,
    422: InvalidRequest,
    429: RateLimited,
}
