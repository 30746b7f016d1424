"""Fuzz-style robustness of the optimizer (issue 4): every registered pass, run alone with
`onnxsmith optimize --passes <pass>`, on every model below must give a model that passes
onnx.checker (full_check) and computes the same outputs in ONNX Runtime as the unoptimized one.

Models: the bundled examples/small_cnn converted without optimization, a small corpus CNN when
the corpus is present, and hand-built ONNX graphs in the style of other exporters (PyTorch /
model zoo: Conv+BatchNormalization, Pad+Conv, Gemm+BatchNormalization, ConvTranspose, a
Shape->Gather->Concat->Reshape flatten with a dynamic batch, repeated subexpressions and
initializers, an If with subgraphs). Also checks `optimize --check`.
"""

import pathlib

import numpy as np
import pytest

import oracle_lib
from oracle_lib import REPO_ROOT, assert_close, check_onnx, describe, run_cli, run_onnx

BATCH = 2


def _passes(onnxsmith_bin):
    proc = run_cli(onnxsmith_bin, ["optimize", "--list_passes"], timeout=60)
    assert proc.returncode == 0, describe(proc)
    names = []
    for line in proc.stdout.splitlines():
        if line.startswith("| `"):
            names.append(line.split("`")[1])
    assert names, proc.stdout
    return names


# ---- hand-built models -------------------------------------------------------------------


def _save(model, path):
    import onnx

    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, str(path))
    return path


def _init(name, arr):
    from onnx import numpy_helper

    return numpy_helper.from_array(np.asarray(arr), name)


def _torch_style_cnn(path):
    """Pad -> Conv -> BN -> Relu -> AvgPool(count_include_pad) -> ConvTranspose -> BN ->
    flatten via Shape/Gather/Unsqueeze/Concat/Reshape (dynamic batch) -> Gemm -> BN."""
    from onnx import TensorProto, helper

    rng = np.random.default_rng(4)
    f = lambda *s: rng.uniform(-1, 1, s).astype(np.float32)  # noqa: E731

    def bn_inits(prefix, n):
        return [
            _init(prefix + "_g", rng.uniform(0.5, 1.5, n).astype(np.float32)),
            _init(prefix + "_b", f(n)),
            _init(prefix + "_m", f(n) * 0.3),
            _init(prefix + "_v", rng.uniform(0.5, 2.0, n).astype(np.float32)),
        ]

    inits = [
        _init("pads", np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64)),
        _init("w1", f(6, 3, 3, 3)),
        _init("b1", f(6)),
        _init("wt", f(6, 2, 2, 2)),
        _init("zero", np.array(0, np.int64)),
        _init("axes0", np.array([0], np.int64)),
        _init("minus1", np.array([-1], np.int64)),
        _init("wg", f(5, 6 * 16 * 16)),
        _init("bg", f(5)),
    ]
    k = f(6, 1, 1)
    inits += [_init("k_a", k), _init("k_b", k.copy())]  # equal bytes: deduplicated
    inits += bn_inits("bn1", 6) + bn_inits("bn2", 6) + bn_inits("bn3", 5)
    nodes = [
        helper.make_node("Pad", ["x", "pads"], ["p"]),
        helper.make_node("Conv", ["p", "w1", "b1"], ["c1"], kernel_shape=[3, 3]),
        helper.make_node("BatchNormalization", ["c1", "bn1_g", "bn1_b", "bn1_m", "bn1_v"], ["n1"]),
        helper.make_node("Relu", ["n1"], ["r1"]),
        helper.make_node("Relu", ["n1"], ["r1b"]),  # common subexpression
        helper.make_node("Add", ["r1", "r1b"], ["s1"]),
        helper.make_node("Mul", ["s1", "k_a"], ["s1a"]),
        helper.make_node("Mul", ["s1", "k_b"], ["s1c"]),  # same after deduplication
        helper.make_node("Add", ["s1a", "s1c"], ["s1b"]),
        helper.make_node("Pad", ["s1b", "pads"], ["p2"]),
        helper.make_node("AveragePool", ["p2"], ["a1"], kernel_shape=[3, 3], count_include_pad=1),
        helper.make_node("ConvTranspose", ["a1", "wt"], ["ct"], strides=[2, 2], group=3),
        helper.make_node("BatchNormalization", ["ct", "bn2_g", "bn2_b", "bn2_m", "bn2_v"], ["n2"]),
        helper.make_node("Shape", ["n2"], ["shp"]),
        helper.make_node("Gather", ["shp", "zero"], ["batch"]),
        helper.make_node("Unsqueeze", ["batch", "axes0"], ["batch1"]),
        helper.make_node("Concat", ["batch1", "minus1"], ["flat_shape"], axis=0),
        helper.make_node("Reshape", ["n2", "flat_shape"], ["flat"]),
        helper.make_node("Gemm", ["flat", "wg", "bg"], ["g"], transB=1),
        helper.make_node("BatchNormalization", ["g", "bn3_g", "bn3_b", "bn3_m", "bn3_v"], ["y"]),
        helper.make_node("ReduceMean", ["s1b"], ["aux"], keepdims=0),
    ]
    graph = helper.make_graph(
        nodes,
        "torch_style",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 8, 8])],
        [
            helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 5]),
            helper.make_tensor_value_info("aux", TensorProto.FLOAT, []),
        ],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return _save(model, path)


def _dup_and_if(path):
    """Equal initializers, equal nodes (one a graph output), and an If whose branches read
    the outer scope."""
    from onnx import TensorProto, helper

    rng = np.random.default_rng(5)
    w = rng.uniform(-1, 1, (4, 4)).astype(np.float32)
    inits = [_init("w_a", w), _init("w_b", w.copy()), _init("k", np.array(2.0, np.float32))]
    then_g = helper.make_graph(
        [helper.make_node("Mul", ["m1", "k"], ["t_out"])], "then", [],
        [helper.make_tensor_value_info("t_out", TensorProto.FLOAT, [2, 4])])
    else_g = helper.make_graph(
        [helper.make_node("Add", ["m2", "k"], ["e_out"])], "else", [],
        [helper.make_tensor_value_info("e_out", TensorProto.FLOAT, [2, 4])])
    nodes = [
        helper.make_node("MatMul", ["x", "w_a"], ["m1"]),
        helper.make_node("MatMul", ["x", "w_b"], ["m2"]),
        helper.make_node("Tanh", ["m1"], ["y1"]),
        helper.make_node("Tanh", ["m2"], ["t2"]),
        helper.make_node("Sub", ["y1", "t2"], ["y2"]),
        helper.make_node("If", ["cond"], ["y3"], then_branch=then_g, else_branch=else_g),
    ]
    graph = helper.make_graph(
        nodes, "dups",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4]),
         helper.make_tensor_value_info("cond", TensorProto.BOOL, [])],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, [2, 4]) for n in ("y1", "y2", "y3")],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return _save(model, path)


# ---- models from the converter -------------------------------------------------------------


def _converted(onnxsmith_bin, graphdef, out, *flags):
    proc = run_cli(onnxsmith_bin, ["convert", "--graphdef", str(graphdef), "--output", str(out),
                                   "--no-optimize", *flags], timeout=120)
    assert proc.returncode == 0, describe(proc)
    return out


@pytest.fixture(scope="module")
def models(onnxsmith_bin, tmp_path_factory):
    d = tmp_path_factory.mktemp("each_pass")
    out = {
        "small_cnn": _converted(onnxsmith_bin, REPO_ROOT / "examples/small_cnn/model.pb",
                                d / "small_cnn.onnx"),
        "torch_style": _torch_style_cnn(d / "torch_style.onnx"),
        "dups_and_if": _dup_and_if(d / "dups.onnx"),
    }
    import os

    corpus = pathlib.Path(os.environ.get("ONNXSMITH_CORPUS", REPO_ROOT.parent / "shared/corpus"))
    kws = corpus / "graphdef/arm_kws_ds_cnn_s/DS_CNN_S.pb"
    if kws.is_file():
        proc = run_cli(onnxsmith_bin, ["convert", "--graphdef", str(kws), "--output",
                                       str(d / "kws.onnx"), "--no-optimize"], timeout=120)
        if proc.returncode == 0:
            out["corpus_ds_cnn"] = d / "kws.onnx"
    return out


def _feeds(model, seed=0):
    from onnx import TensorProto

    rng = np.random.default_rng(seed)
    inits = {i.name for i in model.graph.initializer}
    feeds = {}
    for vi in model.graph.input:
        if vi.name in inits:
            continue
        t = vi.type.tensor_type
        dims = [d.dim_value if d.HasField("dim_value") else BATCH for d in t.shape.dim]
        if t.elem_type == TensorProto.FLOAT:
            feeds[vi.name] = rng.uniform(-1, 1, dims).astype(np.float32)
        elif t.elem_type == TensorProto.BOOL:
            feeds[vi.name] = np.asarray(rng.integers(0, 2, dims).astype(bool))
        elif t.elem_type == TensorProto.INT64:
            feeds[vi.name] = rng.integers(0, 4, dims).astype(np.int64)
        elif t.elem_type == TensorProto.INT32:
            feeds[vi.name] = rng.integers(0, 4, dims).astype(np.int32)
        else:
            pytest.skip(f"no random input for element type {t.elem_type}")
    return feeds


def test_every_pass_alone_keeps_model_valid_and_equal(onnxsmith_bin, models, tmp_path):
    import onnx

    passes = _passes(onnxsmith_bin)
    failures = []
    for name, path in models.items():
        ref_model = onnx.load(str(path))
        feeds_list = [_feeds(ref_model, 0)]
        if any(vi.type.tensor_type.elem_type == onnx.TensorProto.BOOL for vi in ref_model.graph.input):
            feeds_list.append({k: (~v if v.dtype == bool else v) for k, v in feeds_list[0].items()})
        expected = [run_onnx(path, f) for f in feeds_list]
        for p in passes:
            out = tmp_path / f"{name}.{p}.onnx"
            proc = run_cli(onnxsmith_bin, ["optimize", str(path), str(out), "--passes", p],
                           timeout=120)
            if proc.returncode != 0:
                failures.append(f"{name} / {p}: optimize failed\n{describe(proc)}")
                continue
            try:
                check_onnx(out)
                for f, want in zip(feeds_list, expected):
                    got = run_onnx(out, f)
                    assert list(got) == list(want), f"outputs {list(got)} != {list(want)}"
                    for k in want:
                        scale = float(np.max(np.abs(want[k]))) if want[k].size else 0.0
                        assert_close(got[k], want[k], atol=1e-4 * max(scale, 1e-2), rtol=0,
                                     what=f"{name} / {p} / {k}")
            except Exception as e:  # collect all, report together
                failures.append(f"{name} / {p}: {e}")
    assert not failures, "\n\n".join(failures)


def test_passes_fire_on_exported_style_model(onnxsmith_bin, models, tmp_path):
    """The default pipeline folds every BatchNormalization and Pad and the dynamic flatten
    in the PyTorch-style model, keeping the batch dim dynamic."""
    import onnx

    out = tmp_path / "opt.onnx"
    proc = run_cli(onnxsmith_bin, ["optimize", str(models["torch_style"]), str(out), "--check",
                                   "--check_dims", "N=3"])
    assert proc.returncode == 0, describe(proc)
    assert "--check: outputs match" in proc.stdout, proc.stdout
    m = check_onnx(out)
    ops = [n.op_type for n in m.graph.node]
    for gone in ("BatchNormalization", "Pad", "Shape", "Concat", "Gather"):
        assert gone not in ops, ops
    assert ops.count("Relu") == 1 and ops.count("Mul") <= 1, ops
    assert m.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "N"
    feeds = _feeds(onnx.load(str(models["torch_style"])), 3)
    want = run_onnx(models["torch_style"], feeds)
    got = run_onnx(out, feeds)
    for k in want:
        assert_close(got[k], want[k], atol=1e-4 * float(np.max(np.abs(want[k]))), rtol=0, what=k)


def test_check_reports_and_fails_without_writing(onnxsmith_bin, models, tmp_path):
    """--check prints the largest error per output; with zero tolerance the BN folding's
    rounding makes it fail: exit 1, the errors on stderr, no output file. A bad --check_dims
    is a clean usage error."""
    out = tmp_path / "strict.onnx"
    proc = run_cli(onnxsmith_bin, ["optimize", str(models["torch_style"]), str(out), "--check",
                                   "--check_rtol", "0", "--check_atol", "0"])
    assert proc.returncode == 1, describe(proc)
    assert "y: max error" in proc.stderr and "FAIL" in proc.stderr, describe(proc)
    assert not out.exists()
    from onnx import TensorProto, helper

    g = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["r1"]), helper.make_node("Relu", ["x"], ["r2"]),
         helper.make_node("Add", ["r1", "r2"], ["y"])],
        "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["B", 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["B", 3])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    src = _save(m, tmp_path / "in.onnx")
    out = tmp_path / "out.onnx"
    proc = run_cli(onnxsmith_bin, ["optimize", str(src), str(out), "--check", "--check_dims", "4"])
    assert proc.returncode == 0, describe(proc)
    assert "y: max error" in proc.stdout and "ok" in proc.stdout, proc.stdout
    out.unlink()
    proc = run_cli(onnxsmith_bin, ["optimize", str(src), str(out), "--check", "--check_dims", "B"])
    assert proc.returncode == 1, describe(proc)
    assert "--check_dims" in proc.stderr
    assert not out.exists()
