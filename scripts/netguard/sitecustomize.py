"""Installs the network guard (pwgf_netguard.py, next to this file) when ``PWGF_NO_NETWORK=1``.

Python imports ``sitecustomize`` at start-up from ``sys.path``; the Makefile puts this folder on ``PYTHONPATH``
for ``make book`` and ``make test``, so the build, pytest and every kernel they start run guarded.
"""

import os

if os.environ.get("PWGF_NO_NETWORK") == "1":
    import pwgf_netguard

    pwgf_netguard.install()
