"""The design pass, measured in the browser: aligned cards, one control height, one-line rows,
plain form values, quiet links, a heading scale, and table cells a screen reader reads once."""

import re

import pytest
from browsing import ARTIFACTS, log_in, main_pages

pytestmark = pytest.mark.e2e

SHOTS = ARTIFACTS / "screenshots"


def shoot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"design-{name}.png", full_page=True)


@pytest.fixture
def pages(project):
    return main_pages(project)


def box(locator):
    found = locator.bounding_box()
    assert found, f"{locator} is not on the page"
    return found


def test_the_about_and_contents_cards_of_a_backup_start_level(operator_page, pages):
    page = operator_page
    page.goto(pages["backup-detail"])
    about = box(page.locator("section.card", has=page.locator("#about-heading")))
    contents = box(page.locator("section.card", has=page.locator("#contents-heading")))
    shoot(page, "backup-cards-1280")
    assert about["y"] == contents["y"], f"About starts at {about['y']} px, Contents at {contents['y']} px"
    assert about["height"] == contents["height"], "The two cards differ in height side by side"


@pytest.mark.parametrize("screen", ["job-table", "backup-list"])
def test_the_filter_bar_has_one_row_of_controls_of_one_height_at_1280(operator_page, pages, screen):
    page = operator_page
    page.goto(pages[screen])
    controls = page.locator(".filter-fields :is(input, select, button)")
    boxes = [box(controls.nth(i)) for i in range(controls.count())]
    shoot(page, f"{screen}-filters-1280")
    assert len(boxes) >= 6, f"The {screen} filter bar has only {len(boxes)} controls"
    heights = {round(b["height"]) for b in boxes}
    tops = {round(b["y"]) for b in boxes}
    assert heights == {32}, f"The {screen} filter controls differ in height: {sorted(heights)} px"
    assert len(tops) == 1, f"The {screen} filter controls wrap onto {len(tops)} rows at 1280 px: tops {sorted(tops)}"


@pytest.mark.parametrize("screen", ["job-table", "backup-list"])
def test_a_list_keeps_each_row_on_one_line_at_1280(operator_page, pages, screen):
    page = operator_page
    page.goto(pages[screen])
    rows = page.locator("table.list-table tbody tr")
    heights = [box(rows.nth(i))["height"] for i in range(rows.count())]
    line, padding = page.evaluate(
        "(() => { const s = getComputedStyle(document.querySelector('table.list-table td'));"
        " return [parseFloat(s.lineHeight), parseFloat(s.paddingTop) + parseFloat(s.paddingBottom)]; })()"
    )
    tallest = max(heights)
    print(f"\n{screen}: {len(heights)} rows take {sum(heights):.0f} px at 1280, the tallest {tallest:.0f} px")
    assert len(heights) == 25, f"The {screen} shows {len(heights)} rows, not a page of 25"
    assert tallest < 1.6 * line + padding + 2, (
        f"A {screen} row is {tallest} px tall: its text wraps (a line is {line} px)"
    )
    assert sum(heights) < 950, f"25 rows of the {screen} take {sum(heights)} px, not half of the 1,900 they took"
    wide = page.evaluate("(w => w.scrollWidth - w.clientWidth)(document.querySelector('.table-wrap'))")
    assert wide <= 0, f"The {screen} scrolls sideways by {wide} px at 1280"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_form_values_are_in_normal_weight_under_bold_labels(new_page, operator, pages, scheme):
    page = new_page(color_scheme=scheme)
    log_in(page, "operator", "operator-pass")
    page.goto(pages["restore-form"])
    name = page.get_by_label("New index name")
    name.fill("a-new-index")
    shoot(page, f"restore-form-values-1280-{scheme}")
    weights = page.evaluate(
        "[...document.querySelectorAll('form.stacked :is(input:not([type=hidden]), select, textarea)')]"
        ".map(e => getComputedStyle(e).fontWeight)"
    )
    label = page.evaluate("getComputedStyle(document.querySelector('form.stacked label')).fontWeight")
    assert weights and set(weights) == {"400"}, f"Form values are drawn in weights {weights}"
    assert int(label) > 400, "The field labels lost their weight"


def test_links_in_tables_are_underlined_only_on_hover_and_in_running_text_always(operator_page, pages):
    page = operator_page
    page.goto(pages["job-table"])
    link = page.locator("table.list-table tbody td a").first
    decoration = "e => getComputedStyle(e).textDecorationLine"
    assert link.evaluate(decoration) == "none", "Links in the job table are underlined at rest"
    link.hover()
    assert link.evaluate(decoration) == "underline", "A table link shows no underline on hover"
    export = page.locator(".toolbar p a").first
    assert export.evaluate(decoration) == "underline", "A link in running text is not underlined"
    nav = page.locator("nav.sections a").first
    assert nav.evaluate(decoration) == "none", "The section links are underlined"


def test_headings_step_down_in_size_and_in_order_on_every_main_screen(operator_page, pages):
    page = operator_page
    problems = []
    for name, path in pages.items():
        page.goto(path)
        headings = page.evaluate(
            "[...document.querySelectorAll('main :is(h1,h2,h3)')].map(h => "
            "[+h.tagName[1], parseFloat(getComputedStyle(h).fontSize), getComputedStyle(h).fontWeight])"
        )
        levels = [level for level, _, _ in headings]
        if levels.count(1) != 1 or levels[0] != 1:
            problems.append(f"{name}: headings run {levels}, not one h1 first")
        if any(b - a > 1 for a, b in zip(levels, levels[1:], strict=False)):
            problems.append(f"{name}: a heading level is skipped in {levels}")
        sizes = {level: size for level, size, _ in headings}
        if 2 in sizes and sizes[1] <= sizes[2] * 1.2:
            problems.append(f"{name}: h1 {sizes[1]} px is hardly larger than h2 {sizes[2]} px")
        if any(int(weight) < 600 for _, _, weight in headings):
            problems.append(f"{name}: a heading is lighter than 600")
    assert not problems, "\n".join(problems)


def test_light_and_dark_draw_from_their_own_colour_tokens(new_page, operator, pages):
    colours = {}
    for scheme in ("light", "dark"):
        page = new_page(color_scheme=scheme)
        log_in(page, "operator", "operator-pass")
        page.goto(pages["job-table"])
        colours[scheme] = page.evaluate(
            "(() => { const s = getComputedStyle(document.body); return [s.backgroundColor, s.color]; })()"
        )
        shoot(page, f"job-table-1280-{scheme}")
    assert colours["light"] != colours["dark"], f"Light and dark look the same: {colours}"


def spoken_cells(page):
    """Each table cell as a screen reader reads it: its name, then any descriptions inside it."""
    session = page.context.new_cdp_session(page)
    nodes = {n["nodeId"]: n for n in session.send("Accessibility.getFullAXTree")["nodes"]}

    def value(node, key):
        return (node.get(key) or {}).get("value") or ""

    def descriptions(node):
        found = []
        for child in node.get("childIds", []):
            child = nodes.get(child)
            if child is None or child.get("ignored"):
                continue
            if value(child, "description"):
                found.append((value(child, "name"), value(child, "description")))
            found += descriptions(child)
        return found

    return [
        (value(node, "name"), descriptions(node))
        for node in nodes.values()
        if value(node, "role") == "cell" and not node.get("ignored")
    ]


def said_twice(name: str) -> str | None:
    """A run of two or more words that comes twice in NAME, if any."""
    words = re.findall(r"\S+", name)
    for size in range(len(words) // 2, 0, -1):
        for start in range(len(words) - 2 * size + 1):
            run = words[start : start + size]
            rest = words[start + size :]
            if any(rest[i : i + size] == run for i in range(len(rest) - size + 1)):
                if size > 1 or len(run[0]) > 3 and not run[0].isdigit():
                    return " ".join(run)
    return None


@pytest.mark.parametrize("screen", ["job-table", "backup-list", "backup-detail"])
def test_table_cells_are_read_once(operator_page, pages, screen):
    page = operator_page
    page.goto(pages[screen])
    cells = spoken_cells(page)
    assert len(cells) > 20, f"The {screen} has only {len(cells)} table cells in its accessibility tree"
    twice = []
    for name, described in cells:
        repeated = said_twice(name)
        if repeated:
            twice.append(f"{name!r} says {repeated!r} twice")
        for inner, description in described:
            if description in name or (len(name) > 2 and name in description) or (inner and inner in description):
                twice.append(f"{name!r} is described again as {description!r}")
    assert not twice, f"On the {screen}, screen readers hear cells twice:\n" + "\n".join(twice[:10])
