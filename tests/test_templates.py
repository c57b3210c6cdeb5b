"""The templates read like the Python: short lines, and one table frame for the lists."""

from pathlib import Path

from django.template.loader import get_template

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
LIMIT = 120


def test_no_template_line_is_longer_than_the_code_s():
    long = [
        f"{path.relative_to(TEMPLATES)}:{number} ({len(line)})"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if len(line) > LIMIT
    ]
    assert not long, f"Template lines over {LIMIT} characters: {', '.join(long)}"


def test_the_job_and_backup_lists_share_one_table_frame():
    for name in ("jobs/_table.html", "backups/_table.html"):
        nodes = get_template(name).template.nodelist
        parents = [node.parent_name.var for node in nodes if hasattr(node, "parent_name")]
        assert parents == ["_table.html"], f"{name} does not extend the shared table frame"
