"""Names suggested for new indexes: always valid for Pinecone, never one already taken."""

from restoreui.lib.index_names import retry_name
from restoreui.pinecone.service import validate_index_name


def test_a_retry_adds_retry_to_the_target():
    assert retry_name("products", set()) == "products-retry"


def test_a_taken_name_counts_on():
    assert retry_name("products", {"products-retry", "products-retry-2"}) == "products-retry-3"


def test_a_retry_of_a_retry_counts_on_instead_of_growing():
    assert retry_name("products-retry", {"products-retry"}) == "products-retry-2"
    assert retry_name("products-retry-2", {"products-retry", "products-retry-2"}) == "products-retry-3"


def test_a_long_target_is_cut_to_fit_45_characters():
    name = retry_name("a" * 44 + "b", set())
    assert len(name) == 45 and name.endswith("-retry") and not validate_index_name(name)


def test_a_name_pinecone_would_refuse_is_made_valid():
    for target in ("Products_V2", "-odd-", "", "x" * 38 + "-" + "y" * 6, "ünïcode"):
        name = retry_name(target, set())
        assert not validate_index_name(name), f"{target!r} gave {name!r}"
