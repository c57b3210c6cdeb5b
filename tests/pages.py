"""Ask for a page and read it the way an operator does: its title, its words and its table rows."""

import re
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser

from django.urls import reverse

SKIPPED = {"script", "style", "template"}


@dataclass
class Row:
    cells: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.words: list[str] = []
        self.title: list[str] = []
        self.tables: list[list[Row]] = []
        self._stack: list[str] = []
        self._row: Row | None = None
        self._cell: list[str] | None = None
        self._in_body = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self._stack.append(tag)
        if tag == "table":
            self.tables.append([])
        elif tag == "tbody":
            self._in_body += 1
        elif tag == "tr" and self._in_body:
            self._row = Row()
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "a" and self._row is not None and attrs.get("href"):
            self._row.links.append(attrs["href"])
        if tag in ("br", "p", "li", "dt", "dd", "td", "th", "tr", "h1", "h2", "div"):
            self.words.append(" ")

    def handle_endtag(self, tag):
        while self._stack and self._stack.pop() != tag:
            pass
        if tag == "tbody":
            self._in_body -= 1
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.cells.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self.tables:
                self.tables[-1].append(self._row)
            self._row = None
        if tag in ("p", "li", "dd", "td", "th", "h1", "h2", "div"):
            self.words.append(" ")

    def handle_data(self, data):
        if any(tag in SKIPPED for tag in self._stack):
            return
        if "title" in self._stack:
            self.title.append(data)
            return
        self.words.append(data)
        if self._cell is not None:
            self._cell.append(data)


def read(response) -> _Reader:
    reader = _Reader()
    reader.feed(response.content.decode())
    reader.close()
    return reader


def text(response) -> str:
    """The page's words with whitespace squeezed, as a reader sees them."""
    return " ".join("".join(read(response).words).split())


def title(response) -> str:
    return " ".join("".join(read(response).title).split())


def rows(response, table: int = 0) -> list[Row]:
    """The body rows of the page's TABLE-th table."""
    tables = read(response).tables
    return tables[table] if len(tables) > table else []


def ids_in(response, kind: str, table: int = 0) -> list[str]:
    """The ids a table's rows link to first, e.g. kind="jobs" gives the restore job ids in order."""
    pattern = re.compile(rf"/p/[^/]+/{kind}/([^/?#]+)/$")
    found = []
    for row in rows(response, table):
        for link in row.links:
            match = pattern.search(unescape(link))
            if match:
                found.append(match.group(1))
                break
    return found


def jobs_page(client, htmx=False, **params):
    """Project local's job table, as a browser (or htmx, swapping the table) asks for it."""
    headers = {"HX-Request": "true"} if htmx else {}
    return client.get(reverse("jobs-list", args=["local"]), params, headers=headers)


def job_page(client, job_id, **extra):
    return client.get(reverse("jobs-detail", args=["local", job_id]), **extra)


def restore(client, backup_id, name, tags="", deletion_protection="disabled"):
    """Submit the restore form of BACKUP_ID in project local."""
    url = reverse("backups-restore", args=["local", backup_id])
    return client.post(url, {"name": name, "tags": tags, "deletion_protection": deletion_protection})
