import html
from datetime import UTC

from django import template
from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe

from restoreui.lib import formatting

register = template.Library()

register.filter("number", formatting.number)
register.filter("bytes_human", formatting.bytes_human)
register.filter("duration", formatting.duration)
register.filter("relative", formatting.relative)
register.filter("percent", formatting.percent)
register.filter("utc", formatting.utc)
register.filter("rough", formatting.rough)
register.filter("elapsed", formatting.elapsed)
register.filter("approx", formatting.approx)
register.filter("expectation", formatting.expectation)
register.filter("cut_middle", formatting.cut_middle)
register.filter("expires", formatting.expires)


@register.filter
def expiry(schedule, backup):
    """When SCHEDULE's retention deletes BACKUP, in words."""
    return formatting.expires(schedule.expires(backup))


@register.simple_tag
def short(value, length=0, tip=None):
    """VALUE cut in the middle to LENGTH (0: not cut), with TIP (default VALUE) on hover.

    A screen reader hears VALUE once: the cut text and its tooltip are hidden from it and
    the whole value is read from a visually hidden copy. Uncut text with nothing more to
    say carries no title, which would otherwise be read a second time.
    """
    text = "" if value is None else str(value)
    shown = formatting.cut_middle(text, length) if length else text
    tip = str(tip) if tip else text
    if shown == tip:
        return text
    return _for_the_eye(shown, tip, text)


def _for_the_eye(shown, tip, spoken):
    """SHOWN with TIP on hover, both hidden from screen readers, which read SPOKEN instead."""
    return _html(
        '<span title="{}" aria-hidden="true">{}</span><span class="visually-hidden">{}</span>', tip, shown, spoken
    )


def _html(template: str, *args) -> SafeString:
    """Django's format_html, at a third of its cost: a table page calls these tags a few hundred times, and
    format_html escapes each value through a wrapper that first looks for lazy strings among its arguments."""
    return mark_safe(template.format(*map(_escaped, args)))


def _escaped(value) -> str:
    """Django's conditional_escape: VALUE escaped for HTML unless it is already."""
    if isinstance(value, Promise):
        value = str(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


@register.filter
def with_id(name, item_id):
    """ "name (id)" for a hover text, or the id alone when the name is the id."""
    return item_id if not name or name == item_id else f"{name} ({item_id})"


@register.simple_tag
def timestamp(value, relative=True, seconds=True, zone=True, same_day_as=None):
    """A <time> element: UTC text, exact ISO time on hover, local time via JS when chosen.

    ZONE=False leaves " UTC" out, for table columns whose header names the zone;
    on the UTC day of SAME_DAY_AS only the time of day is shown, as a table row already gives the date.
    """
    if value is None:
        return formatting.DASH
    exact = formatting.iso(value)
    shown = formatting.utc(value, seconds=seconds)
    if not zone:
        shown = shown.removesuffix(" UTC")
    if same_day_as is not None and same_day_as.astimezone(UTC).date() == value.astimezone(UTC).date():
        shown = shown[11:]
    if zone:
        element = _html('<time datetime="{}" title="{}">{}</time>', exact, exact, shown)
    else:
        # In a table cell the exact time is for the eye: as a title it would be read after the cell's own text.
        element = _html('<time datetime="{}">{}</time>', exact, _for_the_eye(shown, exact, shown))
    if not relative:
        return element
    return _html('{} <span class="muted">({})</span>', element, formatting.relative(value))


@register.filter
def get(mapping, key):
    return mapping.get(key)
