"""The draw-a-digit page: ``create_app`` builds the FastAPI app; ``server`` runs it on uvicorn.

Needs the ``web`` extra (FastAPI, uvicorn); ``import neuralpath.web`` itself imports neither,
so the command line can list ``serve`` where they are not installed.
"""
from typing import Any


def create_app(*args: Any, **kwargs: Any) -> Any:
    """Build the app (see ``neuralpath.web.app.create_app``); imports FastAPI on first use."""
    from .app import create_app as _create_app
    return _create_app(*args, **kwargs)


__all__ = ["create_app"]
