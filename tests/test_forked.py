"""Sharing independent commands with forked helpers changes where they run, never what they give."""

import os

import pytest

from automata_rnn.cli.forked import forked_map
from automata_rnn.cli.main import run_command
from automata_rnn.cli.tour import tour

fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")


def square_with_pid(x):
    return x * x, os.getpid()


@fork
def test_results_in_order_and_helpers_do_work():
    items = list(range(40))
    out = forked_map(square_with_pid, items, workers=2, order=list(reversed(items)))
    assert [r for r, _ in out] == [x * x for x in items]
    assert len({pid for _, pid in out}) in (1, 2)  # a helper may start after the queue is empty


def fail_on_three(x):
    if x == 3:
        raise KeyError("three")
    return x


@fork
def test_an_error_surfaces_as_in_a_serial_run():
    with pytest.raises(KeyError, match="three"):
        forked_map(fail_on_three, range(8), workers=2)


@fork
def test_items_of_a_helper_that_dies_are_computed_here():
    parent = os.getpid()

    def die_in_helper(x):
        if os.getpid() != parent:
            os._exit(9)
        return -x

    assert forked_map(die_in_helper, range(12), workers=2) == [-x for x in range(12)]


def test_order_must_be_a_permutation():
    with pytest.raises(ValueError):
        forked_map(abs, [1, 2, 3], workers=2, order=[0, 0, 1])


@fork
def test_the_tour_is_the_same_in_one_process_and_in_two():
    assert tour(run_command, workers=2) == tour(run_command, workers=1)
