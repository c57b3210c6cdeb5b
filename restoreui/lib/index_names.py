"""Names suggested for new indexes."""

import re
from collections.abc import Collection

MAX_LENGTH = 45
_RETRY_SUFFIX = re.compile(r"-retry(-\d+)?$")


def retry_name(target: str, taken: Collection[str]) -> str:
    """A valid index name for retrying a restore into TARGET that is not in TAKEN.

    '<target>-retry', then '-retry-2', '-retry-3'...; a retry of a retry counts on
    instead of growing another suffix, and the target is cut to fit 45 characters.
    """
    base = _RETRY_SUFFIX.sub("", re.sub(r"[^a-z0-9-]+", "-", target.lower())).strip("-") or "index"
    number = 1
    while True:
        suffix = "-retry" if number == 1 else f"-retry-{number}"
        name = base[: MAX_LENGTH - len(suffix)].rstrip("-") + suffix
        if name not in taken:
            return name
        number += 1
