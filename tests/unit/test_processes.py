"""core.processes: whether a worker that took a shared slot still exists."""

import os

from payground.core.processes import alive


def test_this_process_is_alive_and_a_reaped_child_is_not():
    child = os.fork()
    if child == 0:
        os._exit(0)
    os.waitpid(child, 0)

    assert alive(os.getpid())
    assert not alive(child)


def test_a_process_of_another_user_counts_as_alive():
    assert alive(1)  # init: signalling it is refused (or allowed, as root) - it exists
