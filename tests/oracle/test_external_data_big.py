"""Models past protobuf's 2 GB limit (ONNXSMITH_BIG_TESTS=1 only: minutes, ~10 GB of disk and
several GB of memory; the files are deleted at the end):

- a 2.2 GB ONNX model (three ~780 MB MatMul weights, external data) through optimize, quantize
  and run, checked against ONNX Runtime on the original;
- a SavedModel whose variables pass 2 GB (a tf.Module with three huge MatMul weights) through
  convert, checked against TensorFlow; the output goes to external data by itself.
"""
import os
import shutil

import numpy as np
import pytest

from oracle_lib import assert_close, describe, run_cli, run_onnx
from test_external_data import external_entries, matmul_chain

pytestmark = pytest.mark.skipif(os.environ.get("ONNXSMITH_BIG_TESTS") != "1",
                                reason="set ONNXSMITH_BIG_TESTS=1 (minutes, ~10 GB of disk)")

N = 13540  # 3 x N x N float32 = 2.2 GB


@pytest.fixture(scope="module")
def big_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("big")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def big_onnx(big_dir):
    path = big_dir / "big.onnx"
    matmul_chain(path, [N, N, N, N], external=True)
    x = np.random.default_rng(5).standard_normal((1, N), dtype=np.float32)
    want = list(run_onnx(path, {"x": x}).values())[0]
    return path, x, want


@pytest.mark.parametrize("command", ["optimize", "quantize"])
def test_big_model_round_trip(onnxsmith_bin, big_onnx, big_dir, command):
    src, x, want = big_onnx
    out = big_dir / f"{command}.onnx"
    args = [command, src, out] + (["--mode", "dynamic"] if command == "quantize" else [])
    proc = run_cli(onnxsmith_bin, args, timeout=1800)
    assert proc.returncode == 0, describe(proc)
    # Past 2 GB the output goes to external data without being asked (the quantized one is
    # ~550 MB and may stay inline).
    if command == "optimize":
        assert external_entries(out), "a 2.2 GB output must use external data"
    got = list(run_onnx(out, {"x": x}).values())[0]
    tol = dict(atol=1e-4, rtol=1e-3) if command == "optimize" else dict(atol=0.2, rtol=0.2)
    assert_close(got, want, **tol, what=f"{command} of the 2.2 GB model")
    np.save(big_dir / "x.npy", x)
    proc = run_cli(onnxsmith_bin, ["run", out, "--input", f"x={big_dir / 'x.npy'}",
                                   "--output-dir", big_dir / f"run_{command}"], timeout=1800)
    assert proc.returncode == 0, describe(proc)
    ran = np.load(next((big_dir / f"run_{command}").glob("*.npy")))
    assert_close(ran, got, atol=1e-3, rtol=1e-3, what=f"run on the {command} output")
    for f in big_dir.glob(f"{command}.onnx*"):
        f.unlink()


def test_saved_model_past_2gb_converts(onnxsmith_bin, tf, big_dir):
    n = 14000  # 3 x 784 MB of variables

    class Big(tf.Module):
        def __init__(self):
            rng = np.random.default_rng(6)
            self.w = [tf.Variable(rng.standard_normal((n, n), dtype=np.float32) / np.float32(n ** 0.5))
                      for _ in range(3)]

        @tf.function(input_signature=[tf.TensorSpec([1, n], tf.float32)])
        def __call__(self, x):
            for w in self.w:
                x = tf.nn.relu(tf.matmul(x, w))
            return x

    net = Big()
    sm = big_dir / "sm"
    tf.saved_model.save(net, str(sm), signatures=net.__call__)
    x = np.random.default_rng(7).standard_normal((1, n), dtype=np.float32)
    want = net(x).numpy()
    del net
    out = big_dir / "sm.onnx"
    proc = run_cli(onnxsmith_bin, ["convert", "--saved-model", sm, "--output", out], timeout=1800)
    assert proc.returncode == 0, describe(proc)
    shutil.rmtree(sm)
    assert external_entries(out), "a 2.3 GB output must use external data"
    got = list(run_onnx(out, {n_: x for n_ in _inputs(out)}).values())[0]
    assert_close(got, want, atol=1e-4, rtol=1e-3, what="convert of a 2.3 GB SavedModel")


def _inputs(path):
    import onnx

    return [i.name for i in onnx.load(str(path), load_external_data=False).graph.input]
