"""ONNX external data: onnxsmith reads and writes it (optimize, quantize, run, inspect, convert),
checked against ONNX Runtime, which reads external data itself; and refuses data files that
escape the model's directory or lie past the end of the file.

The 2.2 GB round trip (past protobuf's 2 GB limit) and the SavedModel with 3 GB of variables
run only with ONNXSMITH_BIG_TESTS=1 (minutes and several GB of disk); the small round trip
always runs.
"""
import os
import pathlib

import numpy as np
import pytest

from oracle_lib import assert_close, describe, run_cli, run_onnx

BIG = os.environ.get("ONNXSMITH_BIG_TESTS") == "1"
ALIGN = 4096


def matmul_chain(path, sizes, seed=0, external=False):
    """x[1,n0] -> MatMul W0[n0,n1] -> Relu -> MatMul W1 ... (float32), saved with onnx."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    nodes, inits = [], []
    prev = "x"
    for i in range(len(sizes) - 1):
        w = (rng.standard_normal((sizes[i], sizes[i + 1]), dtype=np.float32)
             / np.float32(np.sqrt(sizes[i])))
        inits.append(numpy_helper.from_array(w, f"w{i}"))
        del w
        nodes.append(helper.make_node("MatMul", [prev, f"w{i}"], [f"m{i}"]))
        nodes.append(helper.make_node("Relu", [f"m{i}"], [f"r{i}"]))
        prev = f"r{i}"
    graph = helper.make_graph(
        nodes, "chain",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, sizes[0]])],
        [helper.make_tensor_value_info(prev, TensorProto.FLOAT, [1, sizes[-1]])],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path), save_as_external_data=external, all_tensors_to_one_file=True,
              location=pathlib.Path(path).name + ".data" if external else None, size_threshold=1024)
    return sizes


def external_entries(path):
    """{initializer name: {location, offset, length}} of the external ones (data not loaded)."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    out = {}
    for t in model.graph.initializer:
        if t.data_location == onnx.TensorProto.EXTERNAL:
            out[t.name] = {e.key: e.value for e in t.external_data}
    return out


def ort_outputs(path, x):
    return run_onnx(path, {"x": x})


@pytest.fixture(scope="module")
def small_model(tmp_path_factory):
    d = tmp_path_factory.mktemp("ext")
    path = d / "in.onnx"
    matmul_chain(path, [64, 96, 48, 32])
    x = np.random.default_rng(1).standard_normal((1, 64), dtype=np.float32)
    return path, x


@pytest.mark.parametrize("command", ["optimize", "quantize"])
def test_external_data_written_aligned_and_read_by_ort(onnxsmith_bin, small_model, tmp_path, command):
    src, x = small_model
    out = tmp_path / "out.onnx"
    args = [command, src, out, "--external-data"]
    if command == "quantize":
        args += ["--mode", "dynamic"]
    proc = run_cli(onnxsmith_bin, args)
    assert proc.returncode == 0, describe(proc)
    entries = external_entries(out)
    assert entries, "no initializer went to the data file"
    data = tmp_path / "out.onnx.data"
    size = data.stat().st_size
    for name, e in entries.items():
        assert e["location"] == "out.onnx.data", (name, e)
        assert int(e["offset"]) % ALIGN == 0, (name, e)
        assert int(e["offset"]) + int(e["length"]) <= size
    import onnx

    onnx.checker.check_model(str(out), full_check=True)
    tol = dict(atol=1e-5, rtol=1e-4) if command == "optimize" else dict(atol=0.1, rtol=0.1)
    want = list(ort_outputs(src, x).values())[0]
    got = list(ort_outputs(out, x).values())[0]
    assert_close(got, want, **tol, what=f"{command} --external-data")
    # onnxsmith reads its own output back: run it on the reference evaluator.
    np.save(tmp_path / "x.npy", x)
    proc = run_cli(onnxsmith_bin, ["run", out, "--input", f"x={tmp_path / 'x.npy'}",
                                   "--output-dir", tmp_path / "run"])
    assert proc.returncode == 0, describe(proc)
    ran = np.load(next((tmp_path / "run").glob("*.npy")))
    assert_close(ran, got, atol=1e-4, rtol=1e-4, what="run on the external-data model")


def test_named_data_file_and_threshold(onnxsmith_bin, small_model, tmp_path):
    src, _ = small_model
    out = tmp_path / "m.onnx"
    proc = run_cli(onnxsmith_bin, ["optimize", src, out, "--external-data-file", "weights.bin",
                                   "--external-data-threshold", str(96 * 48 * 4)])
    assert proc.returncode == 0, describe(proc)
    entries = external_entries(out)
    # w0 (64x96) and w1 (96x48) reach the threshold, w2 (48x32) does not.
    assert sorted(entries) == ["w0", "w1"], entries
    assert {e["location"] for e in entries.values()} == {"weights.bin"}
    assert (tmp_path / "weights.bin").exists()


def test_reads_external_data_written_by_onnx(onnxsmith_bin, tmp_path):
    src = tmp_path / "ext.onnx"
    matmul_chain(src, [32, 2048, 16], external=True)
    out = tmp_path / "opt.onnx"
    proc = run_cli(onnxsmith_bin, ["optimize", src, out])
    assert proc.returncode == 0, describe(proc)
    assert not external_entries(out), "small output should be inline"
    x = np.random.default_rng(2).standard_normal((1, 32), dtype=np.float32)
    assert_close(list(ort_outputs(out, x).values())[0], list(ort_outputs(src, x).values())[0],
                 atol=1e-5, rtol=1e-4)
    proc = run_cli(onnxsmith_bin, ["inspect", src])
    assert proc.returncode == 0, describe(proc)


def _tamper(path, **changes):
    """Rewrites w0's external_data entries (location/offset/length)."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    t = next(t for t in model.graph.initializer if t.name == "w0")
    for e in t.external_data:
        if e.key in changes:
            e.value = str(changes[e.key])
    onnx.save(model, str(path))


@pytest.mark.parametrize("change, message", [
    (dict(location="../escape.data"), "'..'"),
    (dict(location="/etc/passwd"), "absolute"),
    (dict(offset=1 << 30), "past the end"),
    (dict(length=1 << 30), "past the end"),
    (dict(location="missing.data"), "missing.data"),
])
@pytest.mark.parametrize("command", ["optimize", "run", "inspect"])
def test_bad_external_data_refused(onnxsmith_bin, tmp_path, change, message, command):
    src = tmp_path / "bad.onnx"
    matmul_chain(src, [32, 2048, 16], external=True)
    _tamper(src, **change)
    args = {"optimize": ["optimize", src, tmp_path / "o.onnx"],
            "run": ["run", src, "--output-dir", tmp_path / "r"],
            "inspect": ["inspect", src]}[command]
    proc = run_cli(onnxsmith_bin, args)
    assert proc.returncode != 0, describe(proc)
    assert "w0" in proc.stderr and message in proc.stderr, describe(proc)
    assert "Traceback" not in proc.stderr and "terminate" not in proc.stderr
    assert not (tmp_path / "o.onnx").exists()


@pytest.fixture(scope="module")
def small_saved_model(tmp_path_factory, tf):
    d = tmp_path_factory.mktemp("sm")

    class Net(tf.Module):
        def __init__(self):
            rng = np.random.default_rng(3)
            self.w = tf.Variable(rng.standard_normal((16, 512), dtype=np.float32))
            self.v = tf.Variable(rng.standard_normal((512, 8), dtype=np.float32))

        @tf.function(input_signature=[tf.TensorSpec([1, 16], tf.float32)])
        def __call__(self, x):
            return tf.matmul(tf.nn.relu(tf.matmul(x, self.w)), self.v)

    net = Net()
    tf.saved_model.save(net, str(d / "sm"), signatures=net.__call__)
    x = np.random.default_rng(4).standard_normal((1, 16), dtype=np.float32)
    return d / "sm", x, net(x).numpy()


def test_convert_saved_model_external_data(onnxsmith_bin, small_saved_model, tmp_path):
    sm, x, want = small_saved_model
    out = tmp_path / "c.onnx"
    proc = run_cli(onnxsmith_bin, ["convert", "--saved-model", sm, "--output", out,
                                   "--external-data"])
    assert proc.returncode == 0, describe(proc)
    assert external_entries(out)
    got = run_onnx(out, {n: x for n in _input_names(out)})
    assert_close(list(got.values())[0], want, atol=1e-4, rtol=1e-4, what="convert --external-data")


def _input_names(path):
    import onnx

    return [i.name for i in onnx.load(str(path), load_external_data=False).graph.input]
