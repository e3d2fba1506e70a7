"""signals.py, the one place SIGINT, SIGTERM and SIGHUP are handled: each helper does what it
says and puts the previous handlers back, and SIGHUP saves a training run as SIGTERM does."""
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from neuralpath import signals
from neuralpath.model import load


def _handlers():
    return {s: signal.getsignal(s) for s in signals.STOP_SIGNALS}


def test_the_stop_signals_are_sigint_sigterm_and_sighup():
    assert set(signals.STOP_SIGNALS) == {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_as_interrupt_makes_sigterm_and_sighup_a_keyboard_interrupt(signum):
    before = _handlers()
    with pytest.raises(KeyboardInterrupt), signals.as_interrupt():
        os.kill(os.getpid(), signum)
        time.sleep(1)  # the handler runs at the next bytecode; this is never reached whole
    assert _handlers() == before


def test_held_signals_record_sighup_and_raise_it_after_the_block():
    got = []
    with signals.handling({signal.SIGHUP: lambda s, f: got.append(s)}):
        with signals.HeldSignals() as held:
            os.kill(os.getpid(), signal.SIGHUP)
            assert got == []  # held while the block runs
        assert held.received == [signal.SIGHUP] and got == [signal.SIGHUP]


def test_a_training_stop_counts_and_a_second_signal_stops_at_once():
    before = _handlers()
    with signals.TrainingStop() as stop:
        os.kill(os.getpid(), signal.SIGHUP)
        assert stop.requested and stop.count == 1
        stop.allow()
        os.kill(os.getpid(), signal.SIGINT)
        raise AssertionError("the second signal did not stop at once")  # pragma: no cover
    assert stop.count == 2 and _handlers() == before


def test_nothing_is_caught_when_disabled():
    with pytest.raises(KeyboardInterrupt), signals.TrainingStop(enabled=False):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(1)


@pytest.mark.timeout(120)
def test_sighup_during_train_saves_the_weights_and_exits_130(tmp_path):
    """A closed terminal (SIGHUP) used to kill the run with exit 129 and no model."""
    proc = subprocess.Popen([sys.executable, "-m", "neuralpath", "train", "--iterations",
                             "100000", "--out", "model.npz", "--progress"], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seen = b""
    while not re.search(rb"[1-9]\d*/100000", seen):  # the progress bar counts: training runs
        seen += proc.stderr.read1(4096)
        assert proc.poll() is None, seen
    proc.send_signal(signal.SIGHUP)
    err = (seen + proc.stderr.read()).decode(errors="replace")
    proc.stderr.close()
    assert proc.wait(timeout=60) == 130, err
    assert "training interrupted at iteration" in err and "Traceback" not in err
    assert load(tmp_path / "model.npz").metadata["stopped"] == "interrupted"
