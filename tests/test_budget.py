"""The slots a process's page requests share while they wait on Pinecone (restoreui.pinecone.budget)."""

import threading

import pytest

from restoreui.pinecone import Busy, budget


@pytest.fixture
def one_slot(settings, monkeypatch):
    settings.PINECONE_CONCURRENT_CALLS = 1
    settings.PINECONE_SLOT_WAIT = 5.0
    monkeypatch.setattr(budget, "_gave_up_at", float("-inf"))
    monkeypatch.setattr(budget, "_released_at", float("-inf"))


class Holder(threading.Thread):
    """A page request that takes the slot and keeps it until told to let go."""

    def __init__(self):
        super().__init__(daemon=True)
        self.holding, self.let_go = threading.Event(), threading.Event()

    def run(self):
        with budget.page(30), budget.slot():
            self.holding.set()
            self.let_go.wait(30)

    def __enter__(self):
        self.start()
        assert self.holding.wait(10), "the holder never got the slot"
        return self

    def __exit__(self, *exc):
        self.let_go.set()
        self.join(10)


def ask(seconds: float) -> str:
    """One page request for a slot with SECONDS of budget left: "slot" or "busy"."""
    try:
        with budget.page(seconds), budget.slot():
            return "slot"
    except Busy:
        return "busy"


def in_a_second(holder: Holder) -> threading.Timer:
    timer = threading.Timer(1.0, holder.let_go.set)
    timer.start()
    return timer


def test_a_request_waits_for_a_slot_that_comes_free(one_slot):
    with Holder() as holder:
        in_a_second(holder)
        assert ask(30) == "slot"


def test_after_a_wait_came_to_nothing_the_next_requests_do_not_wait(one_slot):
    with Holder() as holder:
        assert ask(0.05) == "busy", "a wait longer than the request's budget"
        in_a_second(holder)
        assert ask(30) == "busy", "a queue of requests would each hold the free thread for the whole wait"


def test_a_slot_that_came_free_since_ends_the_rush_a_cold_start_makes(one_slot):
    with Holder():
        assert ask(0.05) == "busy"
    # The slot came free and was taken again, as in a burst of cold pages: the next request waits for it.
    with Holder() as second:
        in_a_second(second)
        assert ask(30) == "slot", "a request was turned away although slots were coming free"
