"""What the download and hostile-file tests share: a web server on 127.0.0.1 for the length of
a ``with`` block, and a writer of many zero bytes that never holds them in memory."""
from __future__ import annotations

import contextlib
import http.server
import threading
from collections.abc import Iterator


class Files(http.server.BaseHTTPRequestHandler):
    """Serves ``files[name]`` for ``GET /.../name`` (set ``files`` on a subclass)."""

    files: dict = {}

    def do_GET(self):  # noqa: N802 - the name http.server calls
        body = self.files[self.path.rsplit("/", 1)[-1]]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serving(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """``handler`` served on a free loopback port; yields the server's URL (ending in /)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def serving_files(files: dict) -> contextlib.AbstractContextManager[str]:
    """``files`` ({name: bytes}) served on a free loopback port; yields the URL."""
    return serving(type("Served", (Files,), {"files": files}))


def write_zeros(f, count: int, block: int = 1 << 20) -> None:
    """``count`` zero bytes into the open file ``f``, ``block`` at a time."""
    zeros = bytes(block)
    while count:
        f.write(zeros[:min(count, block)])
        count -= min(count, block)
