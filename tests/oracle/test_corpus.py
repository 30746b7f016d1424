"""The shared corpus of real TF graphs (../shared/corpus, or $ONNXSMITH_CORPUS).

- Models made of first-handler-set ops convert, pass the PyPI checker and match the reference
  data shipped with them (README.md / MANIFEST.tsv of the corpus describe the formats).
- Models with legacy quantized or audio ops fail with exit 1,
  an "unsupported TensorFlow op type" message naming the op types and nodes, and no output file.
- The text twins (frozen_graph.pbtxt) convert like their .pb.
- The TF1 control-flow models (dl4j_simplewhile_0, dl4j_simpleif_0, dl4j_dynamic_lstm) are
  covered by test_control_flow_tf1.py.
- `onnxsmith inspect` exits 0 or fails cleanly (exit 1 with a message) on every corpus file.
"""

import os
import pathlib
import re
import struct

import numpy as np
import pytest

import oracle_lib
from oracle_lib import assert_close, check_onnx, describe, get_tf, leftovers, max_errors, run_onnx

# ------------------------------------------------------------------------------------------
# Model table
# ------------------------------------------------------------------------------------------

# Models whose graph is made of first-handler-set ops: must convert and match.
SUPPORTED = {
    "dl4j_mlp_00": "graphdef/dl4j_mlp_00/frozen_model.pb",
    "dl4j_mnist_00": "graphdef/dl4j_mnist_00/frozen_model.pb",
    "dl4j_conv_0": "graphdef/dl4j_conv_0/frozen_model.pb",
    "dl4j_batchnorm_fused_nhwc": "graphdef/dl4j_batchnorm_fused_nhwc/frozen_model.pb",
    "tf2onnx_regression": "graphdef/tf2onnx_regression/frozen.pb",
    "tiny_add_int32": "graphdef/tiny_add_int32/model.pb",
    "utensor_linreg": "graphdef/utensor_linreg/test_linreg.pb",
    "dl4j_fake_quant_vars": "graphdef/dl4j_fake_quant_vars/frozen_model.pb",  # QAT import
}

# Models that need ops beyond the first set (Split): they either convert and match, or fail
# with the unsupported-ops message naming exactly those ops.
OPTIONAL = {
    "dl4j_lstm_mnist": ("graphdef/dl4j_lstm_mnist/frozen_model.pb", {"Split"}),
}

# Models that are out of scope for issue 2: must be refused, naming (at least) these op types.
UNSUPPORTED = {
    "utensor_quant_mnist": (
        "graphdef/utensor_quant_mnist/quant_mnist.pb",
        ["QuantizeV2", "QuantizedMatMul", "QuantizedRelu", "RequantizationRange", "Requantize", "Dequantize"],
        [],
    ),
    "utensor_quant_linreg": (
        "graphdef/utensor_linreg/test_quant_linreg.pb",
        ["QuantizedMatMul", "RequantizationRange", "Requantize", "Dequantize"],
        [],
    ),
    "arm_kws_ds_cnn_s_uncut": (
        "graphdef/arm_kws_ds_cnn_s/DS_CNN_S.pb",
        ["DecodeWav", "AudioSpectrogram", "Mfcc"],
        [],
    ),
}

UNSUPPORTED_MSG = "unsupported TensorFlow op type"


# ------------------------------------------------------------------------------------------
# Reference data readers
# ------------------------------------------------------------------------------------------


def read_shape(path: pathlib.Path):
    dims = [int(line) for line in path.read_text().split()]
    return () if dims == [0] else tuple(dims)  # "a scalar is a single 0"


def read_csv_tensor(csv: pathlib.Path, dtype):
    shape = read_shape(csv.with_suffix(".shape"))
    text = csv.read_text().split()
    values = np.array([float(v) for v in text], dtype=np.float64)
    assert values.size == int(np.prod(shape)), f"{csv}: {values.size} values for shape {shape}"
    return values.reshape(shape).astype(dtype)


def read_idx(path: pathlib.Path) -> np.ndarray:
    data = path.read_bytes()
    zero, code, ndim = struct.unpack(">HBB", data[:4])
    assert zero == 0, f"{path}: bad IDX magic"
    types = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    dims = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    arr = np.frombuffer(data[4 + 4 * ndim:], dtype=types[code])
    return arr.reshape(dims).astype(np.dtype(types[code]).newbyteorder("="))


def load_graph_def(path: pathlib.Path):
    tf = get_tf()
    from google.protobuf import text_format

    gd = tf.compat.v1.GraphDef()
    if path.suffix == ".pbtxt":
        text_format.Merge(path.read_text(), gd)
    else:
        gd.ParseFromString(path.read_bytes())
    return gd


def run_tf_graph(graph_def, feeds, fetches):
    """Run a GraphDef in TensorFlow itself (tf.compat.v1), feeds/fetches by tensor name."""
    tf = get_tf()
    graph = tf.Graph()
    with graph.as_default():
        tf.compat.v1.import_graph_def(graph_def, name="")
    config = tf.compat.v1.ConfigProto(intra_op_parallelism_threads=1, inter_op_parallelism_threads=1)
    with tf.compat.v1.Session(graph=graph, config=config) as sess:
        return sess.run(list(fetches), feed_dict=dict(feeds))


def tf_dtype_of(graph_def, tensor_name):
    tf = get_tf()
    graph = tf.Graph()
    with graph.as_default():
        tf.compat.v1.import_graph_def(graph_def, name="")
    return graph.get_tensor_by_name(tensor_name).dtype.as_numpy_dtype


class Reference:
    """Inputs, expected outputs and extra convert flags of one corpus model."""

    def __init__(self, feeds, expected, flags=()):
        self.feeds = feeds  # {tensor name: array}
        self.expected = expected  # {tensor name: array}
        self.flags = list(flags)


def dl4j_reference(model_dir: pathlib.Path, graph_def) -> Reference:
    feeds, expected = {}, {}
    for csv in sorted(model_dir.rglob("*.placeholder.csv")):
        node = str(csv.relative_to(model_dir))[: -len(".placeholder.csv")]
        name = f"{node}:0"
        feeds[name] = read_csv_tensor(csv, tf_dtype_of(graph_def, name))
    for csv in sorted(model_dir.rglob("*.prediction.csv")):
        node = str(csv.relative_to(model_dir))[: -len(".prediction.csv")]
        name = f"{node}:0"
        expected[name] = read_csv_tensor(csv, tf_dtype_of(graph_def, name))
    flags = ["--outputs", ",".join(expected)]
    return Reference(feeds, expected, flags)


def reference_for(name: str, corpus: pathlib.Path, graph_def) -> Reference:
    if name.startswith("dl4j_"):
        rel = SUPPORTED[name] if name in SUPPORTED else OPTIONAL[name][0]
        return dl4j_reference((corpus / rel).parent, graph_def)
    if name == "tf2onnx_regression":
        # X:0 has unknown rank, which an ONNX graph input cannot have (the checker requires a
        # shape on graph inputs): give it one, a dynamic 1-D, and feed a ramp as tf2onnx does.
        x = np.arange(1, 6, dtype=np.float32)
        return Reference({"X:0": x}, {"pred:0": x * np.float32(0.21396178) + np.float32(1.0495254)},
                         ["--inputs", "X:0[-1]", "--outputs", "pred:0"])
    if name == "tiny_add_int32":
        x, y = np.array(40, np.int32), np.array(2, np.int32)
        return Reference({"x:0": x, "y:0": y}, {"z:0": np.array(42, np.int32)}, ["--outputs", "z:0"])
    if name == "utensor_linreg":
        d = corpus / "graphdef/utensor_linreg"
        x, w, b = (read_idx(d / f"{n}_0.idx") for n in ("X", "W", "b"))
        exp = read_idx(d / "output_yhat.idx").reshape(50, 1)
        # The inputs are frozen as Const: make sure they are the ones the reference was made from.
        assert_close((x @ w + b).astype(np.float32), exp, what="IDX reference self-check")
        return Reference({}, {"yhat:0": exp}, ["--outputs", "yhat:0"])
    raise KeyError(name)


# ------------------------------------------------------------------------------------------
# Fixtures
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus(corpus_dir):
    return corpus_dir


@pytest.fixture(scope="module")
def graph_defs(corpus):
    cache = {}

    def get(rel):
        if rel not in cache:
            cache[rel] = load_graph_def(corpus / rel)
        return cache[rel]

    return get


def _convert_and_compare(name, graph_path, ref: Reference, convert_ok, tmp_path, extra_flags=()):
    out = tmp_path / f"{name}.onnx"
    model = convert_ok(graph_path, out, *ref.flags, *extra_flags)
    graph_inputs = {i.name for i in model.graph.input} - {t.name for t in model.graph.initializer}
    assert graph_inputs == set(ref.feeds), f"ONNX inputs {sorted(graph_inputs)}, expected {sorted(ref.feeds)}"
    got = run_onnx(out, ref.feeds)
    worst = (0.0, 0.0)
    for tname, exp in ref.expected.items():
        assert tname in got, f"ONNX outputs {list(got)} lack {tname}"
        assert_close(got[tname], exp, what=tname)
        if exp.dtype.kind == "f":
            errs = max_errors(got[tname], exp)
            worst = (max(worst[0], errs[0]), max(worst[1], errs[1]))
    oracle_lib.CORPUS_RESULTS.append((name, graph_path.name, *worst))
    return model


def _assert_refused(proc, out: pathlib.Path, graph_def, op_types):
    assert proc.returncode == 1, "expected exit 1 for unsupported ops\n" + describe(proc)
    assert not out.exists(), "an output file was left behind"
    assert leftovers(out.parent) == [], f"files left in the output dir: {leftovers(out.parent)}"
    msg = proc.stderr
    assert "onnxsmith convert: error:" in msg, describe(proc)
    assert UNSUPPORTED_MSG in msg, describe(proc)
    missing = [op for op in op_types if not re.search(rf"\b{re.escape(op)}\b", msg)]
    assert not missing, f"message does not name op types {missing}\n{describe(proc)}"
    for op in op_types:
        nodes = [n.name for n in graph_def.node if n.op == op]
        assert any(n in msg for n in nodes), f"message names no {op} node (one of {nodes[:5]})\n{describe(proc)}"
    assert "--custom-ops" in msg or "--custom_ops" in msg, "message should point to --custom-ops\n" + describe(proc)


# ------------------------------------------------------------------------------------------
# Tests
# ------------------------------------------------------------------------------------------


def test_corpus_has_expected_models(corpus):
    rels = list(SUPPORTED.values()) + [v[0] for v in OPTIONAL.values()] + [v[0] for v in UNSUPPORTED.values()]
    missing = [r for r in rels if not (corpus / r).is_file()]
    assert not missing, f"corpus files missing: {missing}"


@pytest.mark.parametrize("name", sorted(SUPPORTED))
def test_reference_data_matches_tf(name, corpus, graph_defs):
    """Sanity check of the test's reading of the reference data: TF reproduces it."""
    gd = graph_defs(SUPPORTED[name])
    ref = reference_for(name, corpus, gd)
    got = run_tf_graph(gd, ref.feeds, ref.expected)
    for (tname, exp), value in zip(ref.expected.items(), got):
        assert_close(np.asarray(value), exp, what=f"TF vs shipped reference, {tname}")


@pytest.mark.parametrize("name", sorted(SUPPORTED))
def test_supported_model_matches_reference(name, corpus, graph_defs, convert_ok, tmp_path):
    gd = graph_defs(SUPPORTED[name])
    ref = reference_for(name, corpus, gd)
    _convert_and_compare(name, corpus / SUPPORTED[name], ref, convert_ok, tmp_path)


@pytest.mark.parametrize("name", sorted(n for n in SUPPORTED if n.startswith("dl4j_")))
def test_pbtxt_twin_matches_reference(name, corpus, graph_defs, convert_ok, tmp_path):
    pbtxt = (corpus / SUPPORTED[name]).with_name("frozen_graph.pbtxt")
    if not pbtxt.exists():
        pytest.skip(f"{name} has no frozen_graph.pbtxt")
    gd = graph_defs(SUPPORTED[name])
    ref = reference_for(name, corpus, gd)
    _convert_and_compare(name, pbtxt, ref, convert_ok, tmp_path)


def test_default_inputs_outputs(corpus, convert_ok, tmp_path):
    """Without --inputs/--outputs: Placeholders become inputs, graph sinks outputs."""
    model = convert_ok(corpus / SUPPORTED["dl4j_mlp_00"], tmp_path / "mlp.onnx")
    assert [i.name for i in model.graph.input if i.name not in {t.name for t in model.graph.initializer}] == ["input:0"]
    assert [o.name for o in model.graph.output] == ["output:0"]


def test_tf2onnx_regression_shape_override(corpus, graph_defs, convert_ok, tmp_path):
    """X:0 has unknown rank; pin it with --inputs X:0[3]."""
    out = tmp_path / "regression.onnx"
    model = convert_ok(corpus / SUPPORTED["tf2onnx_regression"], out, "--inputs", "X:0[3]", "--outputs", "pred:0")
    x = np.array([-1.0, 0.0, 2.5], np.float32)
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    assert dims == [3]
    assert_close(run_onnx(out, {"X:0": x})["pred:0"], x * np.float32(0.21396178) + np.float32(1.0495254))


def test_unknown_rank_input_needs_shape(corpus, convert, tmp_path):
    """Without a shape for the unknown-rank X:0 the model cannot be a valid ONNX graph: a clean
    error naming the input (and pointing to --inputs), no output file."""
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    proc = convert(corpus / SUPPORTED["tf2onnx_regression"], out_dir / "r.onnx")
    assert proc.returncode == 1, describe(proc)
    assert "onnxsmith convert: error:" in proc.stderr and "X:0" in proc.stderr, describe(proc)
    assert "--inputs" in proc.stderr, describe(proc)
    assert leftovers(out_dir) == [], leftovers(out_dir)


@pytest.mark.parametrize("name", sorted(OPTIONAL))
def test_optional_model(name, corpus, graph_defs, convert, tmp_path):
    """Models needing ops beyond the first set: correct conversion or a clean refusal."""
    rel, extra_ops = OPTIONAL[name]
    gd = graph_defs(rel)
    ref = reference_for(name, corpus, gd)
    out = tmp_path / f"{name}.onnx"
    proc = convert(corpus / rel, out, *ref.flags)
    if proc.returncode == 0:
        check_onnx(out)
        got = run_onnx(out, ref.feeds)
        for tname, exp in ref.expected.items():
            assert_close(got[tname], exp, what=tname)
        oracle_lib.CORPUS_RESULTS.append((name, (corpus / rel).name, *max_errors(got[tname], exp)))
    else:
        present = sorted({n.op for n in gd.node} & set(extra_ops))
        _assert_refused(proc, out, gd, present)


@pytest.mark.parametrize("name", sorted(UNSUPPORTED))
@pytest.mark.parametrize("fmt", ["pb", "pbtxt"])
def test_unsupported_model_refused(name, fmt, corpus, graph_defs, convert, tmp_path):
    rel, op_types, flags = UNSUPPORTED[name]
    path = corpus / rel
    if fmt == "pbtxt":
        path = path.with_name("frozen_graph.pbtxt")
        if not path.exists():
            pytest.skip(f"{name} has no frozen_graph.pbtxt")
    gd = graph_defs(rel)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / f"{name}.onnx"
    proc = convert(path, out, *flags)
    _assert_refused(proc, out, gd, op_types)


def test_functional_while_pbtxt(corpus, convert, tmp_path):
    """TF2 functional While (body/cond in the function library) converts to a Loop and matches
    TensorFlow running the same GraphDef, for starts below, above and far below the bound."""
    path = corpus / "pbtxt/tf_functional_while_loop/graph-functional-while-loop.pbtxt"
    gd = load_graph_def(path)
    out = tmp_path / "while.onnx"
    proc = convert(path, out, "--outputs", "while:2")
    assert proc.returncode == 0, describe(proc)
    model = check_onnx(out)
    assert "Loop" in {n.op_type for n in model.graph.node}
    for start in (3, 12, -5):
        feed = np.array(start, np.int32)
        expected = run_tf_graph(gd, {"input:0": feed}, ["while:2"])[0]
        got = run_onnx(out, {"input:0": feed})["while:2"]
        assert_close(got, expected, what=f"input {start}")
        oracle_lib.CORPUS_RESULTS.append((f"tf_functional_while_loop({start})",
                                          "graph-functional-while-loop.pbtxt", *max_errors(got, expected)))


# ---------------------------------------------------------------- ARM keyword spotting, cut graph

@pytest.fixture(scope="module")
def kws(corpus, graph_defs):
    """TF's own outputs of DS_CNN_S on silence.wav (the whole graph, audio ops included) and
    on a perturbed MFCC fed at Mfcc:0."""
    rel = "graphdef/arm_kws_ds_cnn_s/DS_CNN_S.pb"
    gd = graph_defs(rel)
    wav = (corpus / "graphdef/arm_kws_ds_cnn_s/silence.wav").read_bytes()
    mfcc, reshape, probs = run_tf_graph(gd, {"wav_data:0": wav}, ["Mfcc:0", "Reshape:0", "labels_softmax:0"])
    rng = oracle_lib.rng_for("kws")
    mfcc2 = (mfcc + rng.normal(0, 5.0, mfcc.shape)).astype(np.float32)
    (probs2,) = run_tf_graph(gd, {"Mfcc:0": mfcc2}, ["labels_softmax:0"])
    return corpus / rel, {"silence": (mfcc, reshape, probs), "perturbed": (mfcc2, mfcc2.reshape(reshape.shape), probs2)}


@pytest.mark.parametrize("cut", ["Mfcc", "Reshape"])
def test_kws_cut(cut, kws, convert_ok, tmp_path):
    path, refs = kws
    mfcc, reshape, _ = refs["silence"]
    assert mfcc.shape == (1, 49, 10) and reshape.shape == (1, 490), (mfcc.shape, reshape.shape)
    spec = "Mfcc:0[1,49,10]" if cut == "Mfcc" else "Reshape:0[1,490]"
    out = tmp_path / f"kws_{cut}.onnx"
    model = convert_ok(path, out, "--inputs", spec, "--outputs", "labels_softmax:0")
    ops = {n.op_type for n in model.graph.node}
    assert not ops & {"DecodeWav", "AudioSpectrogram", "Mfcc"}, ops
    worst = (0.0, 0.0)
    for key, (mfcc, reshape, probs) in refs.items():
        feed = mfcc if cut == "Mfcc" else reshape
        got = run_onnx(out, {f"{cut}:0": feed})["labels_softmax:0"]
        assert_close(got, probs, what=f"{key} input")
        e = max_errors(got, probs)
        worst = (max(worst[0], e[0]), max(worst[1], e[1]))
    oracle_lib.CORPUS_RESULTS.append((f"arm_kws_ds_cnn_s (cut at {cut}:0)", path.name, *worst))


# ---------------------------------------------------------------- inspect on every corpus file

def _inspect_targets():
    env = os.environ.get("ONNXSMITH_CORPUS")
    root = pathlib.Path(env) if env else oracle_lib.REPO_ROOT.parent / "shared" / "corpus"
    if not root.is_dir():
        return [pytest.param(None, id="corpus-missing")]
    targets = sorted(p for p in root.rglob("*") if p.is_file())
    targets += sorted(p for p in (root / "savedmodel").glob("*") if p.is_dir())
    return [pytest.param(p, id=str(p.relative_to(root))) for p in targets]


@pytest.mark.parametrize("path", _inspect_targets())
def test_inspect(path, corpus, inspect_cli):
    if path is None:
        pytest.skip("corpus missing")
    proc = inspect_cli(path)
    assert proc.returncode >= 0, f"killed by signal {-proc.returncode}\n" + describe(proc)
    assert proc.returncode in (0, 1), "exit code must be 0 or 1\n" + describe(proc)
    if proc.returncode == 1:
        assert proc.stderr.strip(), "exit 1 without a message\n" + describe(proc)
        assert "error" in proc.stderr.lower(), describe(proc)
    else:
        assert proc.stdout.strip(), "exit 0 without a summary\n" + describe(proc)
    rel = path.relative_to(corpus)
    is_graphdef = (rel.parts[0] == "graphdef" and path.suffix == ".pb") or path.suffix == ".pbtxt"
    if is_graphdef:
        assert proc.returncode == 0, "inspect must read every GraphDef of the corpus\n" + describe(proc)
        gd = load_graph_def(path)
        hist = {}
        for n in gd.node:
            hist[n.op] = hist.get(n.op, 0) + 1
        top = max(hist, key=hist.get)
        assert top in proc.stdout, f"op histogram should mention {top}\n" + describe(proc)


def test_inspect_converted_onnx(corpus, convert_ok, inspect_cli, tmp_path):
    out = tmp_path / "add.onnx"
    convert_ok(corpus / SUPPORTED["tiny_add_int32"], out)
    proc = inspect_cli(out)
    assert proc.returncode == 0, describe(proc)
    assert "Add" in proc.stdout and "x:0" in proc.stdout, describe(proc)
