"""The command line as the tests drive it: ``main(argv)`` in this process, its output caught."""
from __future__ import annotations

import io
import os

from neuralpath.cli import main


def run(argv, err=None):
    """``(exit code, stdout, stderr)`` of ``neuralpath ARGV`` (any argument made a string);
    ``err`` may be a stream of the caller's (a terminal look-alike)."""
    out, err = io.StringIO(), err or io.StringIO()
    code = main([str(a) for a in argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def one_line(err):
    """The single line of an error report: no traceback, no raw ``[Errno``, no warning."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err and "[Errno" not in err and "Warning" not in err, err
    return lines[0]


def leftovers(folder):
    """Temporary, probe and link files (or folders) left anywhere under ``folder``."""
    return [os.path.join(d, f) for d, dirs, files in os.walk(folder) for f in files + dirs
            if f.startswith((".tmp-", ".probe-", ".latest-"))]
