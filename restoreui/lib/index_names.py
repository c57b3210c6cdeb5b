"""Pinecone's rules for index names (backup schedule names follow them too), and names suggested for new indexes."""

import re
from collections.abc import Collection

MAX_LENGTH = 45
NAME_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
_RETRY_SUFFIX = re.compile(r"-retry(-\d+)?$")


def validate_index_name(name: str, noun: str = "index") -> list[str]:
    """What Pinecone would refuse in NAME, an index's or (NOUN "schedule") a backup schedule's name.

    Checked here, so a bad name costs no upstream call and the form can say what to change.
    """
    if not name:
        return [f"Enter {'an' if noun[0] in 'aeiou' else 'a'} {noun} name."]
    errors = []
    if len(name) > MAX_LENGTH:
        errors.append(f"{noun.capitalize()} names are at most {MAX_LENGTH} characters; this one has {len(name)}.")
    if not NAME_RE.match(name):
        errors.append(
            f"{noun.capitalize()} names use lowercase letters, digits and '-', "
            "and start and end with a letter or digit."
        )
    return errors


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
