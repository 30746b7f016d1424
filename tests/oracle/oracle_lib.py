"""Helpers shared by the onnxsmith oracle tests (imported by conftest.py and the test modules).

See conftest.py for the environment variables and fixtures.
"""

import os

# Before TensorFlow is imported anywhere.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # bit-stable CPU kernels
os.environ.setdefault("OMP_NUM_THREADS", "1")

import dataclasses
import hashlib
import pathlib
import random
import subprocess
import threading
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import pytest

# (model, file, max abs err, max rel err) of every corpus model that converted and matched;
# printed at the end of the session by conftest.pytest_terminal_summary.
CORPUS_RESULTS: List[tuple] = []

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
SEED = 1234

# Ops of the first handler set of issue 2 (the set every graph made of them must convert).
FIRST_HANDLER_SET = frozenset(
    """
    Placeholder PlaceholderWithDefault Const Identity NoOp MatMul BatchMatMul BatchMatMulV2
    BatchMatMulV3 BiasAdd Add AddV2 Sub Mul RealDiv Maximum Minimum Pow Square Sqrt Rsqrt Exp Log
    Neg Abs Relu Relu6 Elu Selu LeakyRelu Sigmoid Tanh Softplus Softmax LogSoftmax Conv2D
    DepthwiseConv2dNative MaxPool AvgPool FusedBatchNorm FusedBatchNormV2 FusedBatchNormV3
    Reshape Shape StridedSlice Slice Pack Unpack ConcatV2 Mean Sum Max Min Prod Squeeze ExpandDims
    Transpose Pad PadV2 MirrorPad Cast Fill Range Tile GatherV2 ArgMax ArgMin Where Select SelectV2
    Equal NotEqual Less LessEqual Greater GreaterEqual LogicalAnd LogicalOr LogicalNot
    """.split()
)


# --------------------------------------------------------------------------------------------
# TensorFlow (imported once, seeded, single-threaded)
# --------------------------------------------------------------------------------------------

_tf = None
_tf_lock = threading.Lock()


def get_tf():
    """Import TensorFlow lazily, seeded and single-threaded."""
    global _tf
    with _tf_lock:
        if _tf is None:
            import tensorflow as tf

            try:
                tf.config.threading.set_intra_op_parallelism_threads(1)
                tf.config.threading.set_inter_op_parallelism_threads(1)
            except RuntimeError:
                pass  # already initialized
            try:
                tf.config.experimental.enable_op_determinism()
            except Exception:  # pragma: no cover - older TF
                pass
            _tf = tf
            seed_everything()
        return _tf


def seed_everything(seed: int = SEED) -> None:
    random.seed(seed)
    np.random.seed(seed)
    if _tf is not None:
        _tf.random.set_seed(seed)
        try:
            import keras

            keras.utils.set_random_seed(seed)
        except Exception:  # pragma: no cover
            pass


def rng_for(key: str) -> np.random.Generator:
    """A random generator seeded from a stable hash of `key` (independent of test order)."""
    digest = hashlib.sha256(f"{SEED}:{key}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def randomize_batchnorm(model, key: str, beta: float, mean: float, variance=(0.5, 2.0)):
    """Gives every Keras BatchNormalization uniform random statistics (gamma in [0.5, 1.5], beta in
    [-beta, beta], the moving mean in [-mean, mean], the moving variance in `variance`): untrained,
    it is the identity and would prove nothing."""
    import keras

    rng = rng_for(key)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            n = layer.gamma.shape[0]
            layer.set_weights([rng.uniform(0.5, 1.5, n).astype(np.float32),
                               rng.uniform(-beta, beta, n).astype(np.float32),
                               rng.uniform(-mean, mean, n).astype(np.float32),
                               rng.uniform(*variance, n).astype(np.float32)])
    return model


# --------------------------------------------------------------------------------------------
# Freezing
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Frozen:
    """A frozen GraphDef on disk and the tensor names of its inputs and outputs."""

    path: pathlib.Path
    inputs: List[str]  # TF tensor names, e.g. "x:0" (== ONNX graph input names)
    outputs: List[str]  # TF tensor names, e.g. "Identity:0"
    op_types: Dict[str, int]  # op histogram of the frozen graph
    fn: Callable = None  # the traced callable, for TF reference outputs

    @property
    def placeholders(self) -> List[str]:
        """Placeholder node names (tensor names without the ':0' suffix)."""
        return [n.rsplit(":", 1)[0] for n in self.inputs]

    def tf_outputs(self, *arrays) -> List[np.ndarray]:
        """Run the original TF callable eagerly and flatten its outputs."""
        tf = get_tf()
        res = self.fn(*[tf.constant(a) for a in arrays])
        return [np.asarray(t) for t in tf.nest.flatten(res)]


def freeze(model_or_fn, input_signature: Sequence, path, add_shapes: bool = False) -> Frozen:
    """Freeze a Keras model or a tf.function to a binary GraphDef at `path`.

    `input_signature` is a list of tf.TensorSpec; give them names, they become the placeholder
    names (unnamed specs are called x, x_1, ...). Uses convert_variables_to_constants_v2.
    add_shapes=True writes TF's `_output_shapes` attributes (as TF1 exports often carry them);
    by default the converter must infer shapes itself.
    """
    tf = get_tf()
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )

    specs = []
    for i, spec in enumerate(input_signature):
        if spec.name is None:
            spec = tf.TensorSpec(spec.shape, spec.dtype, name="x" if i == 0 else f"x_{i}")
        specs.append(spec)

    if hasattr(model_or_fn, "get_concrete_function"):
        fn = model_or_fn
    else:
        model = model_or_fn
        if _is_keras_model(model):
            fn = tf.function(lambda *args: model(args[0] if len(args) == 1 else list(args),
                                                 training=False))
        else:
            fn = tf.function(model)
    concrete = fn.get_concrete_function(*specs)
    frozen_func = convert_variables_to_constants_v2(concrete)
    graph_def = frozen_func.graph.as_graph_def(add_shapes=add_shapes)
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(graph_def.SerializeToString())

    inputs = [t.name for t in frozen_func.inputs if t.dtype != tf.resource]
    outputs = [t.name for t in frozen_func.outputs]
    hist: Dict[str, int] = {}
    for node in graph_def.node:
        hist[node.op] = hist.get(node.op, 0) + 1
    for f in graph_def.library.function:
        for node in f.node_def:
            hist[node.op] = hist.get(node.op, 0) + 1
    return Frozen(path=path, inputs=inputs, outputs=outputs, op_types=hist, fn=fn)


def _is_keras_model(obj) -> bool:
    try:
        import keras

        if isinstance(obj, keras.Model):
            return True
    except Exception:  # pragma: no cover
        pass
    return type(obj).__name__ in ("Sequential", "Functional", "Model")


# --------------------------------------------------------------------------------------------
# onnxsmith, ONNX checker, ONNX Runtime
# --------------------------------------------------------------------------------------------


def find_binary() -> Optional[pathlib.Path]:
    env = os.environ.get("ONNXSMITH_BIN")
    if env:
        p = pathlib.Path(env)
        return p if p.is_file() and os.access(p, os.X_OK) else None
    # //:onnxsmith lands in bazel-bin/onnxsmith; bazel-bin/cli/onnxsmith if it is built in cli/.
    for cand in (REPO_ROOT / "bazel-bin" / "onnxsmith", REPO_ROOT / "bazel-bin" / "cli" / "onnxsmith"):
        if cand.is_file() and os.access(cand, os.X_OK):
            return cand
    return None


def binary_or_skip() -> pathlib.Path:
    binary = find_binary()
    if binary is None:
        where = os.environ.get("ONNXSMITH_BIN") or (
            f"{REPO_ROOT}/bazel-bin/onnxsmith or {REPO_ROOT}/bazel-bin/cli/onnxsmith")
        pytest.skip(
            f"onnxsmith binary not found at {where} "
            "(build it with `bazel build //:onnxsmith` or set ONNXSMITH_BIN)"
        )
    return binary


def run_cli(binary, args: Sequence[str], timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(binary), *[str(a) for a in args]],
        capture_output=True,
        text=True,
        errors="replace",
        timeout=timeout,
    )


def describe(proc: subprocess.CompletedProcess) -> str:
    return (
        f"command: {' '.join(map(str, proc.args))}\nexit code: {proc.returncode}\n"
        f"--- stdout ---\n{proc.stdout[-4000:]}\n--- stderr ---\n{proc.stderr[-4000:]}"
    )


def check_onnx(path) -> "object":
    """onnx.checker.check_model(full_check=True) with the PyPI onnx (knows every opset)."""
    import onnx

    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    return model


def run_onnx(path, feeds: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
    """Run an ONNX model with onnxruntime (CPU, single thread, graph optimizations off so that
    ORT runs exactly what onnxsmith wrote). Returns {output name: array} in graph output order."""
    import onnxruntime as ort

    path = str(path)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(path, sess_options=opts, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    values = sess.run(names, {k: np.asarray(v) for k, v in feeds.items()})
    return dict(zip(names, values))


def assert_close(actual, expected, atol: float = 1e-5, rtol: float = 1e-4, what: str = "",
                 check_dtype: bool = True) -> None:
    """np.allclose-style comparison (|a - e| <= atol + rtol * |e|) that reports the max abs / rel
    error and the worst element. Shapes (and by default dtypes) must match exactly; integer and
    bool tensors must be equal."""
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    prefix = f"{what}: " if what else ""
    assert actual.shape == expected.shape, (
        f"{prefix}shape mismatch: got {actual.shape}, expected {expected.shape}"
    )
    if check_dtype:
        assert actual.dtype == expected.dtype, (
            f"{prefix}dtype mismatch: got {actual.dtype}, expected {expected.dtype}"
        )
    if expected.dtype.kind not in "fc":
        mismatch = actual != expected
        if np.any(mismatch):
            idx = tuple(int(i) for i in np.argwhere(mismatch)[0])
            raise AssertionError(
                f"{prefix}{int(mismatch.sum())}/{expected.size} elements differ; first at {idx}: "
                f"got {actual[idx]!r}, expected {expected[idx]!r}"
            )
        return
    if expected.size == 0:
        return
    a = actual.astype(np.float64)
    e = expected.astype(np.float64)
    nan_a, nan_e = np.isnan(a), np.isnan(e)
    assert np.array_equal(nan_a, nan_e), f"{prefix}NaN positions differ"
    a = np.where(nan_a, 0.0, a)
    e = np.where(nan_e, 0.0, e)
    inf_e = np.isinf(e) | np.isinf(a)
    if np.any(inf_e):
        assert np.array_equal(a[inf_e], e[inf_e]), f"{prefix}infinities differ"
        a = np.where(inf_e, 0.0, a)
        e = np.where(inf_e, 0.0, e)
    abs_err = np.abs(a - e)
    rel_err = abs_err / np.maximum(np.abs(e), np.finfo(np.float64).tiny)
    bad = abs_err > atol + rtol * np.abs(e)
    if np.any(bad):
        worst = tuple(int(i) for i in np.unravel_index(np.argmax(abs_err - rtol * np.abs(e)), e.shape))
        raise AssertionError(
            f"{prefix}{int(bad.sum())}/{e.size} elements out of tolerance (atol={atol}, rtol={rtol}); "
            f"max abs err {abs_err.max():.3g}, max rel err {rel_err.max():.3g}; "
            f"worst at {worst}: got {a[worst]!r}, expected {e[worst]!r}"
        )


def max_errors(actual, expected):
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    if a.size == 0:
        return 0.0, 0.0
    abs_err = np.abs(a - e)
    return float(abs_err.max()), float((abs_err / np.maximum(np.abs(e), 1e-30)).max())


def onnx_opset(model, domain: str = "") -> Optional[int]:
    for imp in model.opset_import:
        if imp.domain in (domain, "ai.onnx" if domain == "" else domain):
            return imp.version
    return None


def onnx_input_shapes(model) -> Dict[str, list]:
    """{input name: [dim value or dim_param or None]} of a ModelProto's graph inputs."""
    inits = {i.name for i in model.graph.initializer}
    shapes = {}
    for vi in model.graph.input:
        if vi.name in inits:
            continue
        t = vi.type.tensor_type
        if not t.HasField("shape"):
            shapes[vi.name] = None
            continue
        dims = []
        for d in t.shape.dim:
            if d.HasField("dim_value"):
                dims.append(d.dim_value)
            elif d.HasField("dim_param"):
                dims.append(d.dim_param)
            else:
                dims.append(None)
        shapes[vi.name] = dims
    return shapes


def leftovers(directory) -> List[str]:
    return sorted(p.name for p in pathlib.Path(directory).iterdir())


# --------------------------------------------------------------------------------------------
# Per-op cases: one small tf.function per op variant, its inputs fed as placeholders, frozen
# once, converted at several opsets, run in ONNX Runtime and compared with TensorFlow
# (test_ops.py and the per-family op test files).
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Case:
    name: str
    fn: Callable  # python function of tf tensors (positional, in `inputs` order)
    inputs: Callable[[np.random.Generator], Dict[str, np.ndarray]]
    ops: tuple  # op types the frozen graph must contain (checks the test itself)
    opset21: bool = False  # also convert at opset 21
    opsets: Optional[tuple] = None  # instead of 13/17(/21): ops that need a newer opset
    dynamic: Dict[str, Sequence[Optional[int]]] = dataclasses.field(default_factory=dict)
    atol: float = 1e-5
    rtol: float = 1e-4

    def arrays(self):
        return self.inputs(rng_for(f"op:{self.name}"))

    def opset_list(self):
        return self.opsets or ((13, 17, 21) if self.opset21 else (13, 17))


class CaseList(list):
    """A test module's cases; `case(...)` adds one (ops default to the name's first word)."""

    def case(self, name, fn, inputs, ops=None, **kw):
        self.append(Case(name, fn, inputs, tuple(ops or (name.split("_")[0],)), **kw))


def case_params(cases) -> list:
    """pytest params (name, opset) of every case at each of its opsets."""
    return [pytest.param(c.name, o, id=f"{c.name}-opset{o}") for c in cases for o in c.opset_list()]


def freeze_case(frozen_cache, c: Case, prefix: str = "op") -> Frozen:
    """The case's tf.function frozen once per session (dynamic dims from `c.dynamic`);
    `prefix` keeps the session cache apart between test modules."""

    def build(path):
        tf = get_tf()
        specs = [tf.TensorSpec(c.dynamic.get(k, v.shape), tf.as_dtype(v.dtype), name=k)
                 for k, v in c.arrays().items()]
        return freeze(tf.function(c.fn), specs, path)

    return frozen_cache.get(f"{prefix}_{c.name}", build)


def case_tests(cases, prefix: str = "op"):
    """The two test functions of a module of cases (assign them to test_* names there):
    the frozen graph holds the op types under test, and the case converts and matches TF at
    each of its opsets. Uses the conftest fixtures frozen_cache and convert_ok."""
    by_name = {c.name: c for c in cases}
    assert len(by_name) == len(cases), "duplicate case names"

    @pytest.mark.parametrize("name", list(by_name))
    def test_case_freezes_to_op(name, frozen_cache):
        c = by_name[name]
        check_case_ops(c, freeze_case(frozen_cache, c, prefix))

    @pytest.mark.parametrize("name,opset", case_params(cases))
    def test_op(name, opset, frozen_cache, convert_ok, tmp_path):
        c = by_name[name]
        check_case(c, freeze_case(frozen_cache, c, prefix), opset, convert_ok, tmp_path)

    return test_case_freezes_to_op, test_op


def check_case_ops(c: Case, frozen: Frozen) -> None:
    for op in c.ops:
        assert op in frozen.op_types, f"{op} not in frozen graph: {frozen.op_types}"


def check_case(c: Case, frozen: Frozen, opset: int, convert_ok, tmp_path) -> None:
    """Converts at `opset` (checker-clean), runs in ONNX Runtime, compares with TF."""
    arrays = c.arrays()
    expected = frozen.tf_outputs(*arrays.values())
    out = pathlib.Path(tmp_path) / f"{c.name}.onnx"
    convert_ok(frozen.path, out, "--opset", opset, "--outputs", ",".join(frozen.outputs))
    got = run_onnx(out, {k: _ort_value(v) for k, v in zip(frozen.inputs, arrays.values())})
    assert set(frozen.outputs) <= set(got), f"ONNX outputs {list(got)} lack some of {frozen.outputs}"
    for i, (tname, exp) in enumerate(zip(frozen.outputs, expected)):
        if exp.dtype.kind in "OS":  # TF strings are bytes, ONNX Runtime's str
            assert_close(got[tname].astype(object), _ort_value(exp), check_dtype=False,
                         what=f"output {i} ({tname})")
            continue
        if np.iscomplexobj(exp):  # onnxsmith's complex output: [..., 2] (real, imaginary)
            exp = np.stack([exp.real, exp.imag], axis=-1)
        assert_close(got[tname], exp, atol=c.atol, rtol=c.rtol, what=f"output {i} ({tname})")


def _ort_value(a: np.ndarray) -> np.ndarray:
    """ONNX Runtime takes string tensors as object arrays of str."""
    a = np.asarray(a)
    if a.dtype.kind in "OS":
        return np.vectorize(lambda v: v.decode() if isinstance(v, bytes) else v, otypes=[object])(a) \
            if a.size else a.astype(object)
    return a


# Input generators for cases: each takes the case's np.random.Generator.
def normal(*shape, dtype=np.float32):
    return lambda r: r.standard_normal(shape).astype(dtype)


def pos(*shape, lo=0.5, hi=2.0):
    return lambda r: r.uniform(lo, hi, shape).astype(np.float32)


def ints(*shape, lo=-5, hi=6, dtype=np.int32):
    return lambda r: r.integers(lo, hi, shape).astype(dtype)


def bools(*shape):
    return lambda r: r.integers(0, 2, shape).astype(np.bool_)


def named(**gens):
    return lambda r: {k: g(r) for k, g in gens.items()}


def nonzero(*shape):
    return lambda r: (r.uniform(0.5, 2.0, shape) * r.choice([-1.0, 1.0], shape)).astype(np.float32)


def ties(*shape):
    """Small integer-valued floats: comparisons meet equal elements."""
    return lambda r: r.integers(-2, 3, shape).astype(np.float32)


def fixed(value, dtype=np.int32):
    """A fixed array (a run-time-valued input such as a permutation or sizes)."""
    return lambda r: np.array(value, dtype=dtype)
