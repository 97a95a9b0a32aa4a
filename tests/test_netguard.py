"""No network at build or test time: the guard of scripts/netguard/ is on, and the chapters were executed under it.

``make book`` and ``make test`` run Python with ``PWGF_NO_NETWORK=1`` and ``scripts/netguard`` on ``PYTHONPATH``;
``sitecustomize.py`` there then makes every Python process (the build, pytest, each kernel that executes a chapter)
refuse connections and name lookups to any host but the loopback interface. Kernels talk to the build over
127.0.0.1, which stays open. ``make book`` also has each guarded process log its start in ``_build/netguard.log``.
"""

from __future__ import annotations

import datetime
import os
import socket
import subprocess
import sys
import textwrap

import pytest
from conftest import NETGUARD_DIR, REPO_ROOT, SITE_DIR

BUILD_DIR = SITE_DIR.parent
GUARD_ERROR = "PWGF_NO_NETWORK=1: network access refused"
# 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never routed, so even without the guard nothing would leave the machine.
EXTERNAL = ("192.0.2.1", 80)

PROBE = textwrap.dedent(f"""
    import socket, urllib.request
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    socket.create_connection(server.getsockname(), timeout=5).close()
    socket.create_connection(("localhost", server.getsockname()[1]), timeout=5).close()
    print("loopback ok")
    for attempt in (lambda: socket.create_connection({EXTERNAL!r}, timeout=5),
                    lambda: urllib.request.urlopen("https://pypi.org/simple/", timeout=5),
                    lambda: socket.getaddrinfo("example.org", 443)):
        try:
            attempt()
            print("CONNECTED")
        except OSError as error:
            print(type(error).__name__, error)
""")


def guarded_env() -> dict[str, str]:
    """The environment the Makefile gives the build and the tests."""
    return dict(os.environ, PWGF_NO_NETWORK="1", PYTHONPATH=str(NETGUARD_DIR))


def test_guard_is_on_in_this_test_process():
    with pytest.raises(OSError, match=GUARD_ERROR):
        socket.create_connection(EXTERNAL, timeout=5)
    with pytest.raises(OSError, match=GUARD_ERROR):
        socket.getaddrinfo("pypi.org", 443)


def test_guard_in_a_fresh_python_with_the_build_environment():
    out = subprocess.run([sys.executable, "-c", PROBE], env=guarded_env(), capture_output=True, text=True,
                         timeout=60, check=True).stdout
    assert out.startswith("loopback ok\n"), out
    assert "CONNECTED" not in out and out.count(GUARD_ERROR) == 3, out


def test_without_the_flag_python_is_not_guarded():
    """The guard is opt-in: the same probe without PWGF_NO_NETWORK does not hit the guard (the network itself may
    still be closed), so readers' own Python is untouched."""
    env = dict(os.environ, PYTHONPATH=str(NETGUARD_DIR))
    env.pop("PWGF_NO_NETWORK", None)
    out = subprocess.run([sys.executable, "-c", "import socket; print(getattr(socket, '_pwgf_netguard', False))"],
                         env=env, capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.strip() == "False"


def test_makefile_builds_and_tests_with_the_guard():
    out = subprocess.run(["make", "-n", "book", "test"], cwd=REPO_ROOT, capture_output=True, text=True,
                         timeout=60, check=True).stdout.replace("\\\n", " ")   # join continued lines
    build = [line for line in out.splitlines()
             if "jupyter-book build" in line or "$(JB) build" in line or "execute_chapters.py" in line]
    pytest_lines = [line for line in out.splitlines() if "-m pytest" in line]
    assert build and pytest_lines, out
    for line in build + pytest_lines:
        assert "PWGF_NO_NETWORK=1" in line and f"PYTHONPATH={NETGUARD_DIR}" in line, line


def test_every_executed_chapter_ran_in_a_guarded_kernel(site_dir):
    """Each notebook in the execution cache was executed by a kernel that logged itself as guarded shortly before."""
    from jupyter_cache import get_cache

    log = BUILD_DIR / "netguard.log"
    assert log.is_file(), f"{log} missing: build with `make book` (it runs the build with the network guard)"
    kernels = [float(line.split()[0]) for line in log.read_text().splitlines() if "ipykernel_launcher" in line]
    records = get_cache(str(BUILD_DIR / ".jupyter_cache")).list_cache_records()
    assert records, "no executed notebook in the cache"
    unguarded = []
    for record in records:
        finished = record.created.replace(tzinfo=datetime.UTC).timestamp()
        started = finished - float(record.data.get("execution_seconds", 0)) - 120
        if not any(started <= t <= finished for t in kernels):
            unguarded.append(record.uri)
    assert not unguarded, f"executed without a guarded kernel (not by `make book`?): {unguarded}"
