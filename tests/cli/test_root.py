"""vimo.cli.root: the one signal handler of the commands, and progress bars that appear with their first task."""

import os
import signal
import time

import pytest
import typer

from vimo.cli.root import console, progress_bar, stop_on_signals


@pytest.mark.parametrize("swallowed", [False, True])
def test_a_signal_ends_the_block_with_the_message_and_exit_130(capsys, swallowed):
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    cleaned = []
    with pytest.raises(typer.Exit) as exc:
        with stop_on_signals("out: stopped; continue with --resume") as stop:
            try:
                try:
                    os.kill(os.getpid(), signal.SIGTERM)
                    time.sleep(5)  # the handler raises here
                except KeyboardInterrupt:
                    if not swallowed:
                        raise
                stop.check()  # C code that swallowed the interrupt: the next check stops instead
            finally:
                cleaned.append(True)
    assert exc.value.exit_code == 130 and cleaned == [True]
    assert "out: stopped; continue with --resume" in capsys.readouterr().err
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before


def test_progress_bars_print_nothing_until_their_first_task():
    with console.capture() as captured, progress_bar():
        pass
    assert captured.get() == ""
    with console.capture() as captured, progress_bar() as bar:
        bar.add_task("stage one", total=2)
    assert "stage one" in captured.get()
