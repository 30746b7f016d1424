"""Issue 14: sparse, segment, partition and string ops. Each case converts at opsets 13, 17 and
21 (from the op's first opset where it needs a newer one: ScatterND's reductions at 16, string
concat/regex at 20), checked with the PyPI onnx checker, run in ONNX Runtime, compared with TF.
"""

import numpy as np
import pytest

from oracle_lib import Case, case_tests, fixed, get_tf, ints, named, normal

tf = get_tf()
raw = tf.raw_ops
CASES = []
F32 = np.float32


def case(name, fn, inputs, ops, first=13, **kw):
    opsets = tuple(sorted({max(o, first) for o in (13, 17, 21)}))
    CASES.append(Case(f"sp_{name}", fn, inputs, tuple(ops), opsets=opsets, **kw))


def strings(*values):
    return lambda r: np.array(values, dtype=np.bytes_)


# ---------------------------------------------------------------- SparseToDense
def _s2d(**kw):
    return lambda i, s, v, d: raw.SparseToDense(sparse_indices=i, output_shape=s, sparse_values=v,
                                                default_value=d, **kw)


case("SparseToDense_2d", _s2d(), named(i=fixed([[0, 1], [1, 0], [2, 3]], np.int64), s=fixed([3, 4], np.int64),
                                       v=normal(3), d=fixed(0.5, F32)), ["SparseToDense"])
case("SparseToDense_1d_scalar_value_int32", _s2d(validate_indices=False),
     named(i=fixed([4, 0, 2]), s=fixed([6]), v=fixed(7), d=fixed(-1)), ["SparseToDense"])
case("SparseToDense_empty", _s2d(), named(i=lambda r: np.zeros((0, 2), np.int32), s=fixed([2, 3]),
                                          v=normal(0), d=fixed(0.0, F32)),
     ["SparseToDense"])

# ---------------------------------------------------------------- segments
SEG = named(x=normal(5, 3), i=fixed([0, 2, 4, 1, 1]), s=fixed([0, 0, 1, 3, 3]))
for _op in ("SparseSegmentSum", "SparseSegmentMean", "SparseSegmentSqrtN"):
    case(_op, lambda x, i, s, _op=_op: getattr(raw, _op)(data=x, indices=i, segment_ids=s), SEG,
         [_op], first=16)
    case(f"{_op}WithNumSegments",
         lambda x, i, s, n, _op=_op: getattr(raw, f"{_op}WithNumSegments")(
             data=x, indices=i, segment_ids=s, num_segments=n),
         named(x=normal(4, 2, 2), i=fixed([3, 3, 0], np.int64), s=fixed([1, 1, 2], np.int64),
               n=fixed(5)), [f"{_op}WithNumSegments"], first=16)
case("SegmentMean", lambda x, s: raw.SegmentMean(data=x, segment_ids=s),
     named(x=normal(6, 2), s=fixed([0, 0, 1, 3, 3, 3])), ["SegmentMean"], first=16)
case("SegmentMean_int32", lambda x, s: raw.SegmentMean(data=x, segment_ids=s),
     named(x=ints(4), s=fixed([1, 1, 1, 2], np.int64)), ["SegmentMean"], first=16)
case("UnsortedSegmentSum_negative_ids",
     lambda x, s: raw.UnsortedSegmentSum(data=x, segment_ids=s, num_segments=3),
     named(x=normal(5, 2), s=fixed([0, -1, 2, 2, -3])), ["UnsortedSegmentSum"], first=16)
case("UnsortedSegmentMax_negative_ids",
     lambda x, s: raw.UnsortedSegmentMax(data=x, segment_ids=s, num_segments=4),
     named(x=ints(2, 4), s=fixed([[0, -1, 2, 2], [-1, 3, 3, 0]])), ["UnsortedSegmentMax"], first=18)

# ---------------------------------------------------------------- partition, stitch
case("DynamicPartition", lambda x, p: raw.DynamicPartition(data=x, partitions=p, num_partitions=3),
     named(x=normal(6, 2), p=fixed([0, 2, 1, 0, 2, 2])), ["DynamicPartition"])
case("DynamicPartition_2d_int32_empty_part",
     lambda x, p: raw.DynamicPartition(data=x, partitions=p, num_partitions=3),
     named(x=ints(2, 3, 4), p=fixed([[0, 2, 0], [2, 2, 0]])), ["DynamicPartition"],
     dynamic={"x": (None, None, 4)})
case("DynamicStitch_repeats",
     lambda a, b, x, y: raw.DynamicStitch(indices=[a, b], data=[x, y]),
     named(a=fixed([0, 2]), b=fixed([[1, 3], [2, 4]]), x=normal(2, 3), y=normal(2, 2, 3)),
     ["DynamicStitch"])
case("DynamicStitch_scalar_index_int64",
     lambda a, b, x, y: raw.DynamicStitch(indices=[a, b], data=[x, y]),
     named(a=fixed(1), b=fixed([0, 2]), x=ints(2, dtype=np.int64), y=ints(2, 2, dtype=np.int64)),
     ["DynamicStitch"])
case("ParallelDynamicStitch",
     lambda a, b, x, y: raw.ParallelDynamicStitch(indices=[a, b], data=[x, y]),
     named(a=fixed([3, 0]), b=fixed([1, 2]), x=normal(2), y=normal(2)), ["ParallelDynamicStitch"])

# ---------------------------------------------------------------- bincount
case("Bincount_counts", lambda a, s: raw.Bincount(arr=a, size=s, weights=tf.constant([], tf.float32)),
     named(a=ints(3, 4, lo=0, hi=7), s=fixed(6)), ["Bincount"])
case("Bincount_weights", lambda a, s, w: raw.Bincount(arr=a, size=s, weights=w),
     named(a=ints(9, lo=0, hi=5), s=fixed(5), w=normal(9)), ["Bincount"])
case("DenseBincount_2d_binary",
     lambda a, s: raw.DenseBincount(input=a, size=s, weights=tf.constant([], tf.int32),
                                    binary_output=True),
     named(a=ints(2, 6, lo=0, hi=4, dtype=np.int64), s=fixed(4, np.int64)), ["DenseBincount"])
case("DenseBincount_weights",
     lambda a, s, w: raw.DenseBincount(input=a, size=s, weights=w),
     named(a=ints(7, lo=0, hi=3), s=fixed(3), w=normal(7)), ["DenseBincount"])

# ---------------------------------------------------------------- strings
WORDS = strings(b"Hello", b"WORLD", b"mixed Case 1", b"", b"abc", b"XyZ")
case("StringLower", lambda x: tf.reshape(raw.StringLower(input=x), [2, 3]), named(x=WORDS),
     ["StringLower"])
case("StringUpper", lambda x: raw.StringUpper(input=x), named(x=WORDS), ["StringUpper"])
case("StringToNumber_float", lambda x: raw.StringToNumber(string_tensor=x, out_type=tf.float32),
     named(x=strings(b"1.5", b"-2", b"3e2", b"0.125")), ["StringToNumber"])
case("StringToNumber_int64", lambda x: raw.StringToNumber(string_tensor=x, out_type=tf.int64),
     named(x=strings(b"12", b"-7", b"0")), ["StringToNumber"])
case("AsString_int", lambda x: raw.AsString(input=x), named(x=ints(2, 3, lo=-100, hi=100)),
     ["AsString"])
case("StringJoin", lambda a, b: raw.StringJoin(inputs=[a, b, tf.constant("!")], separator="-"),
     named(a=strings(b"a", b"bc", b""), b=strings(b"x", b"", b"z")), ["StringJoin"], first=20)
case("StaticRegexFullMatch", lambda x: tf.strings.regex_full_match(x, "[a-z]+[0-9]?"),
     named(x=strings(b"abc", b"abc1", b"Abc", b"1", b"")), ["StaticRegexFullMatch"], first=20)
case("RegexFullMatch", lambda x: raw.RegexFullMatch(input=x, pattern=tf.constant("h.*o")),
     named(x=strings(b"hello", b"help", b"ho")), ["RegexFullMatch"], first=20)
case("Equal_string", lambda a, b: raw.Equal(x=a, y=b), named(a=strings(b"a", b"b", b""),
                                                             b=strings(b"a", b"c", b"")),
     ["Equal"], first=19)

case("SparseFillEmptyRows",
     lambda i, v, s, d: tuple(raw.SparseFillEmptyRows(indices=i, values=v, dense_shape=s, default_value=d)),
     named(i=fixed([[1, 0], [1, 2], [3, 1], [1, 1], [5, 0]], np.int64), v=normal(5),
           s=fixed([7, 3], np.int64), d=fixed(-1.0, F32)), ["SparseFillEmptyRows"])
case("SparseFillEmptyRows_int32_3d_none_empty",
     lambda i, v, s, d: tuple(raw.SparseFillEmptyRows(indices=i, values=v, dense_shape=s, default_value=d)),
     named(i=fixed([[0, 1, 1], [1, 0, 0]], np.int64), v=ints(2), s=fixed([2, 2, 2], np.int64),
           d=fixed(9)), ["SparseFillEmptyRows"])


# ---------------------------------------------------------------- ragged (values + row splits)
def _rt(v, s):
    return tf.RaggedTensor.from_row_splits(v, s, validate=False)


def _parts(rt):
    return rt.values, rt.row_splits


RAGGED = named(v=normal(7), s=fixed([0, 2, 2, 6, 7], np.int64))
case("RaggedRange", lambda a, b, d: _parts(tf.ragged.range(a, b, d)),
     named(a=fixed([0, 5, 2, -3]), b=fixed([4, 5, 9, 3]), d=fixed([1, 2, 3, 2])), ["RaggedRange"])
case("RaggedRange_float_negative_delta", lambda a, b: _parts(tf.ragged.range(a, b, -0.5)),
     named(a=fixed([2.0, 0.0, 1.0], F32), b=fixed([0.0, 1.0, -0.2], F32)), ["RaggedRange"])
case("RaggedRange_scalar_limit_int64", lambda a: _parts(tf.ragged.range(a, np.int64(6), 2)),
     named(a=fixed([0, 3, 6, 1], np.int64)), ["RaggedRange"])
case("RaggedGather", lambda v, s, i: _parts(tf.gather(_rt(v, s), i)),
     named(v=normal(7), s=fixed([0, 2, 2, 6, 7], np.int64), i=fixed([3, 0, 1, 2, 2])),
     ["RaggedGather"])
case("RaggedTensorToTensor", lambda v, s: _rt(v, s).to_tensor(default_value=-1.0), RAGGED,
     ["RaggedTensorToTensor"])
case("RaggedTensorToTensor_inner_int32", lambda v, s: _rt(v, s).to_tensor(),
     named(v=ints(5, 2), s=fixed([0, 3, 3, 5], np.int64)), ["RaggedTensorToTensor"])
case("RaggedTensorToTensor_width", lambda v, s: _rt(v, s).to_tensor(shape=[None, 3]), RAGGED,
     ["RaggedTensorToTensor"])
def _sparse_parts(sp):
    return sp.indices, sp.values, sp.dense_shape


case("RaggedTensorToSparse", lambda v, s: _sparse_parts(_rt(v, s).to_sparse()), RAGGED,
     ["RaggedTensorToSparse"])


# ---------------------------------------------------------------- SparseReshape
case("SparseReshape", lambda i, s, n: tuple(raw.SparseReshape(input_indices=i, input_shape=s, new_shape=n)),
     named(i=fixed([[0, 1, 2], [1, 0, 3], [1, 2, 0]], np.int64), s=fixed([2, 3, 4], np.int64),
           n=fixed([4, -1], np.int64)), ["SparseReshape"])
case("SparseReshape_up_rank", lambda i, s, n: tuple(raw.SparseReshape(input_indices=i, input_shape=s, new_shape=n)),
     named(i=fixed([[0, 5], [2, 1]], np.int64), s=fixed([3, 6], np.int64),
           n=fixed([3, 2, 3], np.int64)), ["SparseReshape"])


test_case_freezes_to_op, test_op = case_tests(CASES, "sparse")


# ---------------------------------------------------------------- lookup tables (TF1-style graph)
TABLES = {
    "str_to_int64": ([b"the", b"cat", b"sat", b""], np.array([3, 1, 4, 1], np.int64), -1,
                     np.array([b"cat", b"dog", b"", b"the", b"sat"])),
    "int64_to_str": (np.array([10, -2, 7], np.int64), [b"ten", b"minus two", b"seven"], "?",
                     np.array([[7, 10], [0, -2]], np.int64)),
    "str_to_float": ([b"a", b"b"], np.array([0.5, -1.25], np.float32), 9.0,
                     np.array([b"b", b"c", b"a"])),
}


@pytest.fixture(scope="module")
def lookup_graphs(tmp_path_factory):
    """{name: (graphdef path, feed, expected outputs)} built and run with TF1 sessions."""
    out = {}
    directory = tmp_path_factory.mktemp("lookup")
    for name, (keys, values, default, feed) in TABLES.items():
        g = tf.Graph()
        with g.as_default():
            x = tf.compat.v1.placeholder(tf.as_dtype(feed.dtype), [None] * feed.ndim, name="x")
            table = tf.lookup.StaticHashTable(
                tf.lookup.KeyValueTensorInitializer(tf.constant(keys), tf.constant(values)), default)
            tf.identity(table.lookup(x), name="y")
            tf.identity(table.size(), name="n")
            with tf.compat.v1.Session(graph=g) as sess:
                sess.run(tf.compat.v1.tables_initializer())
                expected = sess.run(["y:0", "n:0"], {"x:0": feed})
        path = directory / f"{name}.pb"
        path.write_bytes(g.as_graph_def().SerializeToString())
        assert {"HashTableV2", "LookupTableFindV2", "LookupTableSizeV2"} <= {
            n.op for n in g.as_graph_def().node}
        out[name] = (path, feed, expected)
    return out


@pytest.mark.parametrize("opset", (13, 17, 21))
@pytest.mark.parametrize("name", list(TABLES))
def test_lookup_table(name, opset, lookup_graphs, convert_ok, tmp_path):
    from oracle_lib import _ort_value, assert_close, run_onnx

    path, feed, (y, n) = lookup_graphs[name]
    out = tmp_path / "t.onnx"
    model = convert_ok(path, out, "--opset", opset, "--outputs", "y:0,n:0")
    assert any(n_.op_type == "LabelEncoder" and n_.domain == "ai.onnx.ml" for n_ in model.graph.node)
    got = run_onnx(out, {"x:0": _ort_value(feed)})
    if y.dtype.kind in "OS":
        assert_close(got["y:0"].astype(object), _ort_value(y), check_dtype=False, what="y")
    else:
        assert_close(got["y:0"], y, what="y")
    assert_close(got["n:0"], n, what="size")
