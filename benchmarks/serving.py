"""What the server benchmarks share: a real ``neuralpath serve`` in a subprocess on a free
127.0.0.1 port, and the memory a process holds (from /proc).

    from serving import memory, served   # benchmarks/ is the script's own folder
"""
from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator


def memory(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of process ``pid`` in MB: its resident set now and at its peak."""
    with open(f"/proc/{pid}/status") as f:
        fields = dict(line.split(":", 1) for line in f if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


@contextlib.contextmanager
def served(model: str, folder: str, cwd: str | None = None) -> Iterator[tuple[subprocess.Popen,
                                                                             int]]:
    """``neuralpath serve --model MODEL --port 0`` started in ``cwd``, its stderr in
    ``folder/serve.log``: yields (process, port) once it says where it listens, and stops it
    at the end of the block."""
    with open(os.path.join(folder, "serve.log"), "w+") as log:
        proc = subprocess.Popen([sys.executable, "-m", "neuralpath", "serve", "--model", model,
                                 "--port", "0"], stdout=subprocess.DEVNULL, stderr=log, cwd=cwd)
        try:
            port = None
            for _ in range(600):
                log.seek(0)
                found = re.search(r"http://127\.0\.0\.1:(\d+)", log.read())
                if found:
                    port = int(found.group(1))
                    break
                time.sleep(0.1)
            if port is None:
                raise RuntimeError("the server did not start (see its log: "
                                   f"{os.path.join(folder, 'serve.log')})")
            yield proc, port
        finally:
            proc.terminate()
            proc.wait(30)
