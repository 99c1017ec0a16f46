"""What several test modules share."""

import os
import shutil

import pytest


@pytest.fixture
def unprivileged() -> list:
    """A command prefix that runs a process without the power to ignore file permissions: nothing
    for a normal user; for root, setpriv dropping the capabilities that override them (as a
    read-only folder is read-only for a server's user, but not for root)."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: a read-only folder cannot be made read-only for this test")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
