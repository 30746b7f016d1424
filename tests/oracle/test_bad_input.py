"""Bad input gets a clear error, exit code 1, and no output file (issue 2, item 8).

Every case converts into a fresh, empty output directory and checks that it is still empty
afterwards (no output, no temp file such as out.onnx.tmp.*).
"""

import pathlib
import zipfile

import numpy as np
import pytest

from oracle_lib import check_onnx, describe, freeze, get_tf, leftovers, rng_for, run_onnx

ERROR_PREFIX = "onnxsmith convert: error:"


@pytest.fixture(scope="module")
def good_graph(frozen_cache):
    """A small valid frozen graph: x:0 [None, 4] -> MatMul -> Relu."""
    tf = get_tf()
    w = tf.constant(rng_for("bad_input_w").standard_normal((4, 3)).astype(np.float32))

    @tf.function
    def f(x):
        return tf.nn.relu(tf.matmul(x, w))

    return frozen_cache.get("bad_input_good", lambda p: freeze(f, [tf.TensorSpec([None, 4], tf.float32, name="x")], p))


@pytest.fixture(scope="module")
def unsupported_graph(frozen_cache):
    """A graph with ops outside the handler set: 2 x Dawsn and 1 x UniqueV2. It carries
    `_output_shapes` so that the outputs of passed-through custom ops have known ranks (ONNX
    needs shapes on graph outputs, and a converter cannot infer a custom op's shape)."""
    tf = get_tf()

    @tf.function
    def f(x):
        a = tf.raw_ops.Dawsn(x=x)
        b = tf.raw_ops.Dawsn(x=a)
        u = tf.raw_ops.UniqueV2(x=tf.reshape(b, [-1]), axis=tf.constant([0], tf.int64))
        return tf.nn.relu(b), u.y, u.idx

    return frozen_cache.get(
        "bad_input_unsupported_v4",
        lambda p: freeze(f, [tf.TensorSpec([3, 4], tf.float32, name="x")], p, add_shapes=True),
    )


@pytest.fixture
def out_dir(tmp_path):
    d = tmp_path / "out"
    d.mkdir()
    return d


def assert_clean_failure(proc, out_dir: pathlib.Path, *must_mention):
    assert proc.returncode >= 0, f"killed by signal {-proc.returncode}\n" + describe(proc)
    assert proc.returncode == 1, "expected exit code 1\n" + describe(proc)
    assert ERROR_PREFIX in proc.stderr, f"stderr should contain {ERROR_PREFIX!r}\n" + describe(proc)
    assert leftovers(out_dir) == [], f"files left in the output dir: {leftovers(out_dir)}\n" + describe(proc)
    for text in must_mention:
        assert str(text) in proc.stderr, f"message should mention {text!r}\n" + describe(proc)


def _write(path: pathlib.Path, data: bytes) -> pathlib.Path:
    path.write_bytes(data)
    return path


# ------------------------------------------------------------------------------------ files

def test_missing_file(convert, tmp_path, out_dir):
    missing = tmp_path / "does_not_exist.pb"
    proc = convert(missing, out_dir / "m.onnx")
    assert_clean_failure(proc, out_dir, "does_not_exist.pb")


def test_directory_as_graphdef(convert, tmp_path, out_dir):
    d = tmp_path / "a_directory.pb"
    d.mkdir()
    proc = convert(d, out_dir / "m.onnx")
    assert_clean_failure(proc, out_dir, "a_directory.pb")


def test_empty_file(convert, tmp_path, out_dir):
    proc = convert(_write(tmp_path / "empty.pb", b""), out_dir / "m.onnx")
    assert_clean_failure(proc, out_dir, "empty.pb")


def _graph_def_parses(data: bytes) -> bool:
    tf = get_tf()
    gd = tf.compat.v1.GraphDef()
    try:
        gd.ParseFromString(data)
        return True
    except Exception:
        return False


def _truncation_offsets(data: bytes):
    """Offsets at several fractions of the file where the cut protobuf really is invalid (a cut
    at a message boundary would still be a valid, smaller GraphDef)."""
    offsets = []
    for frac in (0.02, 0.1, 0.33, 0.5, 0.75, 0.97):
        off = max(1, int(len(data) * frac))
        while off < len(data) and _graph_def_parses(data[:off]):
            off += 1
        if off < len(data) and off not in offsets:
            offsets.append(off)
    return offsets


@pytest.mark.parametrize("source", ["frozen_tf2", "corpus_ds_cnn"])
def test_truncated_graphdef(source, good_graph, convert, tmp_path, request):
    if source == "frozen_tf2":
        data = good_graph.path.read_bytes()
    else:
        corpus = request.getfixturevalue("corpus_dir")
        data = (corpus / "graphdef/arm_kws_ds_cnn_s/DS_CNN_S.pb").read_bytes()
    offsets = _truncation_offsets(data)
    assert len(offsets) >= 4, offsets
    for off in offsets:
        src = _write(tmp_path / f"truncated_{off}.pb", data[:off])
        out_dir = tmp_path / f"out_{off}"
        out_dir.mkdir()
        proc = convert(src, out_dir / "m.onnx")
        assert_clean_failure(proc, out_dir, src.name)


def test_flipped_bytes_invalid(good_graph, convert, tmp_path):
    """Byte flips that make the protobuf unparsable (as judged by TF's own parser)."""
    data = good_graph.path.read_bytes()
    rng = rng_for("flips")
    done = 0
    for attempt in range(400):
        pos = int(rng.integers(0, len(data)))
        bad = bytearray(data)
        bad[pos] ^= 0xFF
        if _graph_def_parses(bytes(bad)):
            continue
        src = _write(tmp_path / f"flipped_{pos}.pb", bytes(bad))
        out_dir = tmp_path / f"out_{pos}"
        out_dir.mkdir()
        proc = convert(src, out_dir / "m.onnx")
        assert_clean_failure(proc, out_dir, src.name)
        done += 1
        if done == 6:
            break
    assert done >= 3, "could not make unparsable byte flips"


def test_flipped_bytes_never_crash(good_graph, convert, tmp_path):
    """Any byte flip: a clean error (exit 1, no file) or a valid model (exit 0), never a crash."""
    data = good_graph.path.read_bytes()
    rng = rng_for("flips_any")
    for i in range(25):
        bad = bytearray(data)
        for pos in rng.integers(0, len(data), size=int(rng.integers(1, 4))):
            bad[int(pos)] = int(rng.integers(0, 256))
        src = _write(tmp_path / f"mutant_{i}.pb", bytes(bad))
        out_dir = tmp_path / f"out_{i}"
        out_dir.mkdir()
        out = out_dir / "m.onnx"
        proc = convert(src, out)
        assert proc.returncode >= 0, f"killed by signal {-proc.returncode}\n" + describe(proc)
        assert proc.returncode in (0, 1), describe(proc)
        if proc.returncode == 1:
            assert_clean_failure(proc, out_dir)
        else:
            assert leftovers(out_dir) == ["m.onnx"], leftovers(out_dir)


# ------------------------------------------------------------------------------ wrong format

@pytest.fixture(scope="module")
def onnx_file(tmp_path_factory):
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Add", ["a", "b"], ["c"])],
        "g",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, [2]) for n in ("a", "b")],
        [helper.make_tensor_value_info("c", TensorProto.FLOAT, [2])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    path = tmp_path_factory.mktemp("wrong_format") / "model_onnx.pb"  # suffix lies on purpose
    onnx.save(model, str(path))
    return path


def _h5_file(corpus_dir):
    return corpus_dir / "keras_h5/dl4j_conv1d_batchnorm/batchNormError2.h5"


@pytest.mark.parametrize("kind", ["onnx", "h5", "h5_magic", "keras_zip", "zip", "text_garbage", "random_bytes"])
def test_wrong_format(kind, convert, onnx_file, tmp_path, out_dir, request):
    if kind == "onnx":
        src = onnx_file
    elif kind in ("h5", "keras_zip"):
        corpus = request.getfixturevalue("corpus_dir")
        src = _h5_file(corpus) if kind == "h5" else corpus / "keras_v3/keras_masking_lstm/model.keras"
    elif kind == "h5_magic":
        src = _write(tmp_path / "weights.pb", b"\x89HDF\r\n\x1a\n" + bytes(range(256)) * 4)
    elif kind == "zip":
        src = tmp_path / "archive.pb"
        with zipfile.ZipFile(src, "w") as z:
            z.writestr("saved_model.pb", b"\x0a\x00")
    elif kind == "text_garbage":
        src = _write(tmp_path / "garbage.pbtxt", b"this is { not a graph ::: \n node { name: ")
    else:
        src = _write(tmp_path / "random.pb", rng_for("random_bytes").integers(0, 256, 4096, dtype=np.uint8).tobytes())
    proc = convert(src, out_dir / "m.onnx")
    assert_clean_failure(proc, out_dir, src.name)


# --------------------------------------------------------------------------- names and shapes

def test_unknown_input_name(good_graph, convert, out_dir):
    proc = convert(good_graph.path, out_dir / "m.onnx", "--inputs", "nope:0")
    assert_clean_failure(proc, out_dir, "nope:0")


def test_unknown_output_name(good_graph, convert, out_dir):
    proc = convert(good_graph.path, out_dir / "m.onnx", "--outputs", "missing_node:0")
    assert_clean_failure(proc, out_dir, "missing_node:0")


def test_output_index_out_of_range(good_graph, convert, out_dir):
    out_node = good_graph.outputs[0].rsplit(":", 1)[0]
    proc = convert(good_graph.path, out_dir / "m.onnx", "--outputs", f"{out_node}:7")
    assert_clean_failure(proc, out_dir, f"{out_node}:7")


@pytest.mark.parametrize("spec", ["x:0[1,a]", "x:0[1,2", "x:0[]]", "x:0[1,,4]", "x:0[-7,4]"])
def test_bad_shape_override(spec, good_graph, convert, out_dir):
    proc = convert(good_graph.path, out_dir / "m.onnx", "--inputs", spec)
    assert_clean_failure(proc, out_dir, "x:0")


def test_shape_override_wrong_rank(good_graph, convert, out_dir):
    """x:0 is [None, 4]: a rank-3 override, or a conflicting static dim, is an error."""
    for spec in ("x:0[1,4,4]", "x:0[2,5]"):
        proc = convert(good_graph.path, out_dir / "m.onnx", "--inputs", spec)
        assert_clean_failure(proc, out_dir, "x:0")


@pytest.mark.parametrize("opset", ["12", "22", "0", "-1", "abc"])
def test_opset_out_of_range(opset, good_graph, convert, out_dir):
    proc = convert(good_graph.path, out_dir / "m.onnx", "--opset", opset)
    # Not a number: a usage error (exit 2); out of range: the converter's error (exit 1).
    assert proc.returncode == (2 if opset == "abc" else 1), describe(proc)
    assert leftovers(out_dir) == [], leftovers(out_dir)
    assert opset in proc.stderr and "opset" in proc.stderr.lower(), describe(proc)


def test_output_into_missing_directory(good_graph, convert, tmp_path):
    """Either a clean error leaving nothing behind, or the directory made and a valid model."""
    out = tmp_path / "no" / "such" / "dir" / "m.onnx"
    proc = convert(good_graph.path, out)
    assert proc.returncode in (0, 1), describe(proc)
    if proc.returncode == 1:
        assert ERROR_PREFIX in proc.stderr, describe(proc)
        assert not out.exists()
    else:
        check_onnx(out)
        assert leftovers(out.parent) == ["m.onnx"], leftovers(out.parent)


def test_good_graph_converts(good_graph, convert_ok, out_dir):
    """Control: the graph the bad cases derive from converts and runs."""
    out = out_dir / "m.onnx"
    convert_ok(good_graph.path, out)
    x = rng_for("good_graph_x").standard_normal((2, 4)).astype(np.float32)
    got = run_onnx(out, {"x:0": x})[good_graph.outputs[0]]
    np.testing.assert_allclose(got, good_graph.tf_outputs(x)[0], atol=1e-5, rtol=1e-4)
    assert leftovers(out_dir) == ["m.onnx"], f"temp files left next to the output: {leftovers(out_dir)}"


# ------------------------------------------------------------------------- unsupported ops

def _node_names(frozen, op):
    tf = get_tf()
    gd = tf.compat.v1.GraphDef()
    gd.ParseFromString(frozen.path.read_bytes())
    return [n.name for n in gd.node if n.op == op]


def test_unsupported_ops(unsupported_graph, convert, out_dir):
    assert unsupported_graph.op_types.get("Dawsn") == 2 and unsupported_graph.op_types.get("UniqueV2") == 1
    proc = convert(unsupported_graph.path, out_dir / "m.onnx")
    assert_clean_failure(proc, out_dir, "unsupported TensorFlow op type", "Dawsn", "UniqueV2")
    msg = proc.stderr
    for op in ("Dawsn", "UniqueV2"):
        nodes = _node_names(unsupported_graph, op)
        assert any(n in msg for n in nodes), f"no {op} node name ({nodes}) in the message\n" + describe(proc)
    assert "--custom-ops" in msg or "--custom_ops" in msg, describe(proc)


def _custom_nodes(model, op):
    return [n for n in model.graph.node if n.op_type == op]


def test_custom_ops_explicit_domain(unsupported_graph, convert, out_dir):
    out = out_dir / "m.onnx"
    proc = convert(unsupported_graph.path, out, "--custom-ops", "Dawsn:com.example.tf,UniqueV2:com.example.tf")
    assert proc.returncode == 0, describe(proc)
    model = check_onnx(out)
    domains = {imp.domain: imp.version for imp in model.opset_import}
    assert "com.example.tf" in domains, f"opset_import lacks the custom domain: {domains}"
    cum, uniq = _custom_nodes(model, "Dawsn"), _custom_nodes(model, "UniqueV2")
    assert len(cum) == 2 and len(uniq) == 1, [(n.op_type, n.domain) for n in model.graph.node]
    assert all(n.domain == "com.example.tf" for n in cum + uniq), [(n.op_type, n.domain) for n in cum + uniq]
    # UniqueV2 has two outputs (y, idx), both used as graph outputs.
    assert len(uniq[0].output) == 2, uniq[0]
    # The supported part of the graph is still converted normally.
    assert any(n.op_type == "Relu" and n.domain in ("", "ai.onnx") for n in model.graph.node)


def test_custom_ops_default_domain(unsupported_graph, convert, out_dir):
    out = out_dir / "m.onnx"
    proc = convert(unsupported_graph.path, out, "--custom-ops", "Dawsn,UniqueV2")
    assert proc.returncode == 0, describe(proc)
    model = check_onnx(out)
    domains = {imp.domain for imp in model.opset_import}
    for n in _custom_nodes(model, "Dawsn") + _custom_nodes(model, "UniqueV2"):
        assert n.domain not in ("", "ai.onnx"), f"{n.op_type} must not be in the ONNX domain"
        assert n.domain in domains, f"domain {n.domain} missing from opset_import {domains}"


def test_custom_ops_partial(unsupported_graph, convert, out_dir):
    """Only Dawsn passed through: UniqueV2 is still unsupported, and named."""
    proc = convert(unsupported_graph.path, out_dir / "m.onnx", "--custom-ops", "Dawsn")
    assert_clean_failure(proc, out_dir, "UniqueV2")
