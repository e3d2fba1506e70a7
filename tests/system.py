"""What a test needs from the system (Debian packages, not Python ones), and what happens
when it is missing: the test skips and says which package brings it, except under CI=true,
where a missing package is a failure (``.ci/run`` installs them all).

The README's "Tests" section lists the packages: chromium (the browser tests),
fonts-dejavu-core, fonts-freefont-ttf, fonts-liberation2 and fonts-urw-base35 (the printed
digits of tests/corpus.py), and fonts-inconsolata, fonts-roboto-unhinted, fonts-lato,
fonts-open-sans, fonts-cantarell, fonts-crosextra-carlito, fonts-crosextra-caladea and
fonts-noto-mono (its printed photos), fonts-linuxlibertine, fonts-comic-neue,
fonts-firacode, fonts-hack, fonts-quicksand and fonts-oxygen (its fresh photos).
"""
from __future__ import annotations

import os

import pytest


def missing(reason: str) -> None:
    """Skip the calling test for ``reason`` (fail instead under ``CI=true``)."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI must run this test (.ci/run installs the package)")
    pytest.skip(reason)
