"""Refuse network access from Python: the book must build and test without downloading anything.

:func:`install` patches :mod:`socket` so that every connection or name lookup to a host that is not the
loopback interface raises :class:`NetworkBlockedError` (an ``OSError``) whose message says why. Loopback
stays open: Jupyter kernels talk to the build over 127.0.0.1 (ZeroMQ), the browser tests serve the site on
127.0.0.1. Unix sockets are untouched.

It is switched on by the environment variable ``PWGF_NO_NETWORK=1`` together with this folder on
``PYTHONPATH``: the ``sitecustomize`` module next to this file then installs it at the start of every Python
process, including the kernels that execute the chapters (they inherit the environment). The Makefile sets
both for ``make book`` and ``make test``; ``tests/conftest.py`` sets them for pytest run by hand.

With ``PWGF_NETGUARD_LOG=<file>`` each guarded process appends one line ``<unix time> <pid> <program>``
(e.g. ``-m ipykernel_launcher``) to that file, so the tests can check that the chapters' kernels ran guarded.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
import time

ENV_FLAG = "PWGF_NO_NETWORK"
ENV_LOG = "PWGF_NETGUARD_LOG"
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


class NetworkBlockedError(ConnectionRefusedError):
    """A connection or name lookup to a non-loopback host, refused by the guard."""


def is_loopback(host: object) -> bool:
    """True for ``None``/empty (the local host), loopback names and loopback IP addresses."""
    if host is None or host in ("", b""):
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).strip("[]").split("%", 1)[0]
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _refuse(what: str, host: object) -> NetworkBlockedError:
    return NetworkBlockedError(f"{ENV_FLAG}=1: network access refused ({what} {host!r}); the book is built and "
                               "tested offline, so no chapter or test may download anything")


def _host_of(address: object) -> object:
    if isinstance(address, tuple) and address:
        return address[0]
    return None   # AF_UNIX paths and other families: local


def install() -> None:
    """Patch :mod:`socket` (idempotent)."""
    if getattr(socket, "_pwgf_netguard", False):
        return
    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex
    original_sendto = socket.socket.sendto
    original_getaddrinfo = socket.getaddrinfo
    original_gethostbyname = socket.gethostbyname
    original_gethostbyname_ex = socket.gethostbyname_ex

    def _check(sock: socket.socket, address: object, what: str) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(_host_of(address)):
            raise _refuse(what, _host_of(address))

    def connect(self: socket.socket, address: object) -> None:
        _check(self, address, "connect to")
        return original_connect(self, address)

    def connect_ex(self: socket.socket, address: object) -> int:
        _check(self, address, "connect to")
        return original_connect_ex(self, address)

    def sendto(self: socket.socket, data: bytes, *args: object) -> int:
        _check(self, args[-1], "send to")
        return original_sendto(self, data, *args)

    def getaddrinfo(host: object, *args: object, **kwargs: object) -> list:
        if not is_loopback(host):
            raise _refuse("name lookup of", host)
        return original_getaddrinfo(host, *args, **kwargs)

    def gethostbyname(host: str) -> str:
        if not is_loopback(host):
            raise _refuse("name lookup of", host)
        return original_gethostbyname(host)

    def gethostbyname_ex(host: str) -> tuple:
        if not is_loopback(host):
            raise _refuse("name lookup of", host)
        return original_gethostbyname_ex(host)

    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.socket.sendto = sendto
    socket.getaddrinfo = getaddrinfo
    socket.gethostbyname = gethostbyname
    socket.gethostbyname_ex = gethostbyname_ex
    socket._pwgf_netguard = True
    log = os.environ.get(ENV_LOG)
    if log:
        # sys.argv is not set yet at start-up; orig_argv is, e.g. [python, -m, ipykernel_launcher, -f, ...].
        program = " ".join(os.path.basename(a) for a in sys.orig_argv[1:3]) or os.path.basename(sys.executable)
        try:
            with open(log, "a", encoding="utf-8") as handle:
                handle.write(f"{time.time():.3f} {os.getpid()} {program}\n")
        except OSError:
            pass   # the log is evidence for the tests, never a reason to break a build


def active() -> bool:
    """True once :func:`install` has patched this process."""
    return bool(getattr(socket, "_pwgf_netguard", False))
