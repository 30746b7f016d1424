"""Progress on long work (issue 16): drawn on stderr only when it is a terminal.

`onnxsmith convert --saved-model` runs with stderr on a pseudo-terminal (os.openpty) and
ONNXSMITH_PROGRESS_DELAY_MS=0 (phases show at once instead of after 2 s, so a small model is
enough): the tty sees the variable-reading and optimizer phases redrawn with "\\r" and cleared at
the end, and stdout (a pipe) gets the report only. With stderr a pipe, or with
ONNXSMITH_PROGRESS=never, no progress text appears anywhere. Quiet (progress::SetQuiet, wired to
--quiet by the CLI) is tested in tests/unit/progress_test.cc.
"""

import os
import subprocess

import pytest

from oracle_lib import get_tf

PROGRESS_MARK = "onnxsmith: reading variables"


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    tf = get_tf()
    inputs = tf.keras.Input(shape=(8,), name="x")
    x = inputs
    for i in range(12):
        x = tf.keras.layers.Dense(8, activation="relu", name=f"d{i}")(x)
    model = tf.keras.Model(inputs, x)
    path = tmp_path_factory.mktemp("progress") / "sm"
    tf.saved_model.save(model, str(path))
    return path


def run_with_tty_stderr(args, env):
    """Runs `args` with stderr on a pseudo-terminal; returns (exit code, stdout, tty text)."""
    master, slave = os.openpty()
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave, env=env)
    os.close(slave)
    tty = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: every writer of the slave side is gone
            break
        if not chunk:
            break
        tty += chunk
    os.close(master)
    stdout = proc.stdout.read()
    proc.wait(timeout=120)
    return proc.returncode, stdout.decode(errors="replace"), tty.decode(errors="replace")


def convert_args(binary, saved_model, out):
    return [str(binary), "convert", "--saved-model", str(saved_model), "--output", str(out)]


def test_progress_on_a_terminal(onnxsmith_bin, saved_model, tmp_path):
    env = dict(os.environ, ONNXSMITH_PROGRESS_DELAY_MS="0")
    env.pop("ONNXSMITH_PROGRESS", None)
    code, stdout, tty = run_with_tty_stderr(convert_args(onnxsmith_bin, saved_model, tmp_path / "m.onnx"), env)
    assert code == 0, stdout + tty
    assert PROGRESS_MARK in tty, repr(tty)
    assert "onnxsmith: optimizing" in tty, repr(tty)
    assert "\r\x1b[K" in tty, "the line is redrawn in place and cleared at the end"
    assert "onnxsmith:" not in stdout, "progress never goes to stdout"
    assert "onnxsmith convert:" in stdout, stdout


def test_no_progress_through_a_pipe(onnxsmith_bin, saved_model, tmp_path):
    env = dict(os.environ, ONNXSMITH_PROGRESS_DELAY_MS="0")
    env.pop("ONNXSMITH_PROGRESS", None)
    proc = subprocess.run(convert_args(onnxsmith_bin, saved_model, tmp_path / "m.onnx"), env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "onnxsmith: " not in proc.stderr and "\r" not in proc.stderr, repr(proc.stderr)


def test_never_on_a_terminal(onnxsmith_bin, saved_model, tmp_path):
    env = dict(os.environ, ONNXSMITH_PROGRESS_DELAY_MS="0", ONNXSMITH_PROGRESS="never")
    code, stdout, tty = run_with_tty_stderr(convert_args(onnxsmith_bin, saved_model, tmp_path / "m.onnx"), env)
    assert code == 0, stdout + tty
    assert PROGRESS_MARK not in tty, repr(tty)

