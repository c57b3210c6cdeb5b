"""Names suggested for new indexes: always valid for Pinecone, never one already taken."""

from restoreui.lib.index_names import retry_name, validate_index_name


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


def test_schedule_names_follow_the_index_name_rules_in_their_own_words():
    assert validate_index_name("", "schedule") == ["Enter a schedule name."]
    assert validate_index_name("Nightly_" + "x" * 40, "schedule") == [
        "Schedule names are at most 45 characters; this one has 48.",
        "Schedule names use lowercase letters, digits and '-', and start and end with a letter or digit.",
    ]
    assert validate_index_name("nightly-products", "schedule") == []
