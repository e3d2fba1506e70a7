"""The run folders the page wrote, capped in number: the oldest are deleted, never another's.

Every live run's folder is an ordinary run folder (``pipeline.finish_run``), so they would
pile up under ``runs/`` as a class trains. ``PageFolders`` keeps the names of the folders the
page wrote in a ledger, ``runs/.page-runs.json`` (written atomically, kept over restarts), and
once there are more than ``max_folders`` deletes the oldest of them. A folder the page did not
write (a ``neuralpath train`` run, ``serve``'s first start) is never in the ledger, so never
deleted; nor is the folder ``runs/latest`` points at, nor a name that is not a run folder's
name (a ledger edited by hand cannot point outside ``runs/``, nor at ``runs/`` itself).
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import threading

LEDGER = ".page-runs.json"
_RUN_NAME = re.compile(r"[0-9]{8}-[0-9]{6}-[0-9]{6}")  # runs.new_run_dir's names
MAX_FOLDERS = 64  # run folders written by the page kept on disk


class PageFolders:
    """The page's run folders under ``runs_dir``, at most ``max_folders`` of them."""

    def __init__(self, runs_dir: str, max_folders: int = MAX_FOLDERS) -> None:
        self.runs_dir, self.max_folders = runs_dir, max_folders
        self.lock = threading.Lock()

    def _path(self, name: str) -> str:
        return os.path.join(self.runs_dir, name)

    def _ours(self, name: object) -> bool:
        """A name the ledger may hold: a run folder's name as ``runs.new_run_dir`` makes them
        (``20261202-080319-502739``), a plain folder of ``runs_dir`` (not a link)."""
        return (isinstance(name, str) and _RUN_NAME.fullmatch(name) is not None
                and os.path.isdir(self._path(name)) and not os.path.islink(self._path(name)))

    def names(self) -> list[str]:
        """The page's folders still on disk, oldest first."""
        try:
            with open(self._path(LEDGER), encoding="utf-8") as f:
                names = json.load(f)
        except (OSError, ValueError):
            return []
        return [n for n in names if self._ours(n)] if isinstance(names, list) else []

    def record(self, folder: str) -> list[str]:
        """Note ``folder`` (just written by the page) and delete the oldest page folders over
        ``max_folders``; returns the paths deleted."""
        name = os.path.basename(os.path.normpath(folder))
        with self.lock:
            names = [n for n in self.names() if n != name] + [name]
            latest = os.path.realpath(self._path("latest"))
            removed: list[str] = []
            for victim in list(names[:-1]):
                if len(names) <= self.max_folders:
                    break
                if os.path.realpath(self._path(victim)) == latest:
                    continue
                shutil.rmtree(self._path(victim), ignore_errors=True)
                names.remove(victim)
                removed.append(self._path(victim))
            self._write(names)
        return removed

    def _write(self, names: list[str]) -> None:
        tmp = self._path(f".page-runs-{os.getpid()}-{secrets.token_hex(4)}.tmp")
        try:
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(names, f)
            os.replace(tmp, self._path(LEDGER))
        except OSError:
            if os.path.exists(tmp):
                os.unlink(tmp)
