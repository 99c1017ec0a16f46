"""The server as ``streamlit run app.py`` starts it with the project's .streamlit/config.toml: what
it listens on, what it connects to, and what a visitor sees of an error."""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from benchmarks.server import free_port

ROOT = Path(__file__).resolve().parents[2]


def started_under_strace(log: Path, port: int, timeout: float = 60.0) -> subprocess.Popen:
    """``streamlit run app.py`` from the project's folder, every bind and connect of every thread
    of it recorded in ``log``; returned once it answers its health check."""
    command = ["strace", "-f", "-qq", "-e", "trace=bind,connect,sendto,sendmsg", "-o", str(log),
               sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)]
    server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              start_new_session=True)  # a group of its own: strace and the server it runs
    deadline = time.monotonic() + timeout
    while True:
        assert server.poll() is None, server.stdout.read()
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok":
                return server
        except OSError:
            pass
        assert time.monotonic() < deadline, f"the server did not answer within {timeout:.0f} s"
        time.sleep(0.2)


def _address(fields: str) -> tuple:
    """(address, port) of a socket address as strace prints it."""
    port = int(re.search(r"htons\((\d+)\)", fields).group(1))
    address = re.search(r'inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)"', fields)
    return address.group(1) or address.group(2), port


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
def test_the_server_listens_on_loopback_only_and_connects_nowhere_at_start(tmp_path):
    log, port = tmp_path / "strace.log", free_port()
    server = started_under_strace(log, port)
    try:
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10).read()
        assert b"<html" in page.lower()
    finally:
        os.killpg(server.pid, signal.SIGINT)  # the server stops as on Ctrl+C, and strace with it
        printed = server.communicate(timeout=30)[0]
    calls = [(call, _address(fields)) for call, fields in
             re.findall(r"(bind|connect|sendto|sendmsg)\(\d+, \{sa_family=AF_INET6?, ([^}]*)\}", log.read_text())]
    assert ("bind", ("127.0.0.1", port)) in calls  # the app's own socket, on loopback
    elsewhere = [(call, address) for call, address in calls if address[0] not in ("127.0.0.1", "::1")]
    assert not elsewhere, f"the server bound or connected beyond this machine: {elsewhere}"
    assert f"URL: http://127.0.0.1:{port}" in printed and "Network URL" not in printed and "External" not in printed


def test_an_uncaught_error_shows_visitors_no_details_and_logs_the_traceback(capfd, caplog):
    """What showErrorDetails = "none" in the project's config does (AppTest reads it from the working
    folder): the page says only that there was an error; the server's log has the whole traceback."""
    script = "def deep():\n    raise RuntimeError('secret detail /srv/optviz/races.sqlite')\ndeep()\n"
    at = AppTest.from_string(script, default_timeout=30).run()
    shown = at.exception[0]
    assert "secret detail" not in shown.message and not shown.stack_trace and not shown.is_markdown
    assert "has encountered an error" in shown.message
    logged = re.sub(r"\x1b\[[0-9;]*m", "", capfd.readouterr().out + caplog.text)  # plain, or drawn by rich
    assert "RuntimeError: secret detail /srv/optviz/races.sqlite" in logged and "in deep" in logged
