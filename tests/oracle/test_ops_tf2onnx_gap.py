"""The tf2onnx 1.17 ops onnxsmith converted last (issue 14): the fused RNN cells (LSTMBlockCell,
BlockLSTM/BlockLSTMV2, GRUBlockCell), DenseToDenseSetOperation, TensorListResize, PlaceholderV2,
RandomShuffle, SampleDistortedBoundingBox(V2); and math ops past tf2onnx's table (Lgamma,
Xlog1py). Deterministic ops go through oracle_lib's case machinery at opsets 13, 17 and 21 (from
the op's minimum opset); random ops are checked on shapes, dtypes and the property their values
must have."""

import numpy as np
import onnx
import pytest

from oracle_lib import CaseList, case_tests, freeze, get_tf, named, normal, run_onnx

tf = get_tf()
raw = tf.raw_ops
F32 = np.float32
ALL = (13, 17, 21)

CASES = CaseList()
case = CASES.case

B, I, H, T = 2, 3, 4, 3


def small(*shape, dtype=F32):
    return lambda r: (0.5 * r.standard_normal(shape)).astype(dtype)


def lstm_inputs(dtype=F32, steps=None):
    x = small(steps, B, I, dtype=dtype) if steps else small(B, I, dtype=dtype)
    return named(x=x, cs=small(B, H, dtype=dtype), h=small(B, H, dtype=dtype),
                 w=small(I + H, 4 * H, dtype=dtype), wci=small(H, dtype=dtype),
                 wcf=small(H, dtype=dtype), wco=small(H, dtype=dtype), b=small(4 * H, dtype=dtype))


# ---------------------------------------------------------------- LSTMBlockCell
for _peep, _clip, _fb in ((False, -1.0, 1.0), (True, 0.5, 0.0), (True, 3.0, 1.5)):
    case(f"LSTMBlockCell_peep{int(_peep)}_clip{_clip}_fb{_fb}",
         lambda x, cs, h, w, wci, wcf, wco, b, _p=_peep, _c=_clip, _f=_fb: raw.LSTMBlockCell(
             x=x, cs_prev=cs, h_prev=h, w=w, wci=wci, wcf=wcf, wco=wco, b=b, forget_bias=_f,
             cell_clip=_c, use_peephole=_p),
         lstm_inputs(), opsets=ALL)
case("LSTMBlockCell_dynamic_batch",
     lambda x, cs, h, w, wci, wcf, wco, b: raw.LSTMBlockCell(
         x=x, cs_prev=cs, h_prev=h, w=w, wci=wci, wcf=wcf, wco=wco, b=b, use_peephole=True),
     lstm_inputs(), dynamic={"x": [None, I], "cs": [None, H], "h": [None, H]}, opsets=ALL)


# ---------------------------------------------------------------- BlockLSTM / BlockLSTMV2
def block_lstm(op, seq_len, clip, peep, outputs=None):
    def fn(x, cs, h, w, wci, wcf, wco, b):
        kw = dict(seq_len_max=tf.constant(seq_len, tf.int64), x=x, cs_prev=cs, h_prev=h, w=w,
                  wci=wci, wcf=wcf, wco=wco, b=b, cell_clip=clip, use_peephole=peep)
        if op == "BlockLSTM":
            kw["forget_bias"] = 1.0
        out = getattr(raw, op)(**kw)
        return out if outputs is None else [out[k] for k in outputs]
    return fn


case("BlockLSTM_all_outputs", block_lstm("BlockLSTM", T, 3.0, True), lstm_inputs(steps=T),
     opsets=ALL)
case("BlockLSTM_noclip", block_lstm("BlockLSTM", T, -1.0, False), lstm_inputs(steps=T), opsets=ALL)
# Steps past seq_len_max: TF zeroes h and cs (the other outputs are left unwritten).
case("BlockLSTM_short_seq", block_lstm("BlockLSTM", 2, 0.0, False, outputs=(1, 6)),
     lstm_inputs(steps=T), opsets=ALL)
case("BlockLSTMV2_peephole", block_lstm("BlockLSTMV2", T, 0.0, True), lstm_inputs(steps=T),
     opsets=ALL)
case("BlockLSTMV2_clip", block_lstm("BlockLSTMV2", T, 0.3, False), lstm_inputs(steps=T),
     opsets=ALL)


# ---------------------------------------------------------------- GRUBlockCell
def gru_inputs(dtype=F32):
    return named(x=small(B, I, dtype=dtype), h=small(B, H, dtype=dtype),
                 w_ru=small(I + H, 2 * H, dtype=dtype), w_c=small(I + H, H, dtype=dtype),
                 b_ru=small(2 * H, dtype=dtype), b_c=small(H, dtype=dtype))


case("GRUBlockCell", lambda x, h, w_ru, w_c, b_ru, b_c: raw.GRUBlockCell(
    x=x, h_prev=h, w_ru=w_ru, w_c=w_c, b_ru=b_ru, b_c=b_c), gru_inputs(), opsets=ALL)
case("GRUBlockCell_dynamic_batch", lambda x, h, w_ru, w_c, b_ru, b_c: raw.GRUBlockCell(
    x=x, h_prev=h, w_ru=w_ru, w_c=w_c, b_ru=b_ru, b_c=b_c), gru_inputs(),
     dynamic={"x": [None, I], "h": [None, H]}, opsets=ALL)


# ---------------------------------------------------------------- TensorListResize (opset 14+)
def list_resize(size):
    def fn(x):
        handle = raw.TensorListFromTensor(tensor=x, element_shape=tf.shape(x)[1:])
        handle = raw.TensorListResize(input_handle=handle, size=size)
        return raw.TensorListStack(input_handle=handle, element_dtype=x.dtype,
                                   element_shape=tf.shape(x)[1:])
    return fn


case("TensorListResize_grow", list_resize(5), named(x=normal(3, 2)), opsets=(14, 17, 21))
case("TensorListResize_shrink_int", list_resize(1), lambda r: {"x": r.integers(0, 9, (3, 2, 2))
                                                              .astype(np.int32)},
     opsets=(14, 17, 21))
case("TensorListResize_same_dynamic", list_resize(3), named(x=normal(3, 4)),
     dynamic={"x": [None, None]}, opsets=(14, 17, 21))

# ---------------------------------------------------------------- DenseToDenseSetOperation
def small_ints(*shape, dtype=np.int32):
    return lambda r: r.integers(0, 5, shape).astype(dtype)


def set_op(op):
    return lambda a, b: tuple(raw.DenseToDenseSetOperation(set1=a, set2=b, set_operation=op))


for _op in ("intersection", "union", "a-b", "b-a"):
    case(f"DenseToDenseSetOperation_{_op}", set_op(_op),
         named(a=small_ints(3, 4), b=small_ints(3, 5)), opsets=ALL)
case("DenseToDenseSetOperation_rank3_int64", set_op("union"),
     named(a=small_ints(2, 2, 3, dtype=np.int64), b=small_ints(2, 2, 2, dtype=np.int64)), opsets=ALL)
case("DenseToDenseSetOperation_uint8_dynamic", set_op("a-b"),
     named(a=small_ints(2, 5, dtype=np.uint8), b=small_ints(2, 3, dtype=np.uint8)),
     dynamic={"a": [None, None], "b": [None, None]}, opsets=ALL)
case("DenseToDenseSetOperation_empty_b", set_op("intersection"),
     named(a=small_ints(2, 3), b=small_ints(2, 0)), opsets=ALL)

# ---------------------------------------------------------------- math past tf2onnx's table
def non_integers(*shape, lo=-3.5, hi=6.0, dtype=F32):
    """Away from Lgamma's poles at the non-positive integers."""
    return lambda r: (np.floor(r.uniform(lo, hi, shape)) + r.uniform(0.05, 0.95, shape)).astype(dtype)


case("Lgamma", lambda x: raw.Lgamma(x=x), named(x=non_integers(4, 5)), opsets=ALL)
case("Lgamma_f64_large", lambda x: raw.Lgamma(x=x),
     named(x=non_integers(3, 4, lo=0.0, hi=80.0, dtype=np.float64)), opsets=ALL, rtol=1e-10)
case("Lgamma_empty", lambda x: raw.Lgamma(x=x), named(x=normal(0, 3)), opsets=ALL)
case("Xlog1py", lambda x, y: tf.math.xlog1py(x, y),
     lambda r: {"x": (r.standard_normal((3, 4)) * r.integers(0, 2, (3, 4))).astype(F32),
                "y": r.uniform(-0.9, 3.0, (4,)).astype(F32)}, opsets=ALL)
case("Xlog1py_tiny_y_f64", lambda x, y: tf.math.xlog1py(x, y),
     named(x=normal(5, dtype=np.float64), y=lambda r: (r.standard_normal(5) * 1e-12)),
     opsets=ALL, atol=0, rtol=1e-9)

test_case_freezes_to_op, test_op = case_tests(CASES, prefix="gap")


# ---------------------------------------------------------------- PlaceholderV2
@pytest.mark.parametrize("opset", ALL)
def test_placeholder_v2(opset, convert_ok, tmp_path):
    """A TF1 graph whose input is the deprecated PlaceholderV2 converts like a Placeholder."""
    g = tf.Graph()
    with g.as_default():
        x = tf.compat.v1.placeholder(tf.float32, shape=[None, 3], name="x")
        y = tf.identity(x * 2.0 + 1.0, name="y")
    # TF no longer builds the op (GraphDef versions >= 23 fold it into Placeholder): an old
    # graph's node, same attributes.
    graph_def = g.as_graph_def()
    graph_def.versions.producer = 21
    next(n for n in graph_def.node if n.name == "x").op = "PlaceholderV2"
    pb = tmp_path / "m.pb"
    pb.write_bytes(graph_def.SerializeToString())
    out = tmp_path / "m.onnx"
    convert_ok(pb, out, "--opset", str(opset), "--outputs", "y:0")
    feed = np.arange(6, dtype=F32).reshape(2, 3)
    with tf.compat.v1.Session(graph=g) as sess:
        expected = sess.run(y, {x: feed})
    got = run_onnx(out, {"x:0": feed})
    np.testing.assert_allclose(got["y:0"], expected)


# ---------------------------------------------------------------- RandomShuffle
@pytest.mark.parametrize("opset", ALL)
@pytest.mark.parametrize("dtype", [np.float32, np.int64])
def test_random_shuffle(opset, dtype, convert_ok, tmp_path):
    """Rows come out permuted: same shape and dtype, each row of the input exactly once."""
    frozen = freeze(tf.function(lambda x: tf.random.shuffle(x)),
                    [tf.TensorSpec([None, 3], tf.as_dtype(dtype), name="x")], tmp_path / "m.pb")
    assert "RandomShuffle" in frozen.op_types
    out = tmp_path / "m.onnx"
    convert_ok(frozen.path, out, "--opset", str(opset))
    model = onnx.load(str(out))
    assert any(n.op_type.startswith("Random") for n in model.graph.node), "random op folded away"
    for rows in (0, 1, 50):
        x = np.arange(rows * 3, dtype=dtype).reshape(rows, 3)
        got = run_onnx(out, {frozen.inputs[0]: x})[frozen.outputs[0]]
        assert got.shape == x.shape and got.dtype == x.dtype
        assert sorted(map(tuple, got.tolist())) == sorted(map(tuple, x.tolist()))
    assert not np.array_equal(got, x), "50 rows came out in their order"


# ---------------------------------------------------------------- SampleDistortedBoundingBox(V2)
@pytest.mark.parametrize("opset", ALL)
@pytest.mark.parametrize("v2", [False, True])
def test_sample_distorted_bounding_box(opset, v2, convert_ok, tmp_path):
    """Random crops: begin/size/bboxes agree, the crop fits the image, its area and aspect ratio
    are within the ranges (or it is the whole image), and it covers min_object_covered of a box."""
    area_range, ratio_range, min_cov = (0.1, 0.6), (0.5, 2.0), 0.3

    def fn(size, boxes):
        kw = dict(image_size=size, bounding_boxes=boxes, aspect_ratio_range=ratio_range,
                  area_range=area_range, max_attempts=50)
        if v2:
            return tuple(raw.SampleDistortedBoundingBoxV2(min_object_covered=min_cov, **kw))
        return tuple(raw.SampleDistortedBoundingBox(min_object_covered=min_cov, **kw))

    frozen = freeze(tf.function(fn), [tf.TensorSpec([3], tf.int32, name="size"),
                                      tf.TensorSpec([1, None, 4], tf.float32, name="boxes")],
                    tmp_path / "m.pb")
    assert ("SampleDistortedBoundingBoxV2" if v2 else "SampleDistortedBoundingBox") in frozen.op_types
    out = tmp_path / "m.onnx"
    convert_ok(frozen.path, out, "--opset", str(opset))
    boxes = np.array([[[0.1, 0.2, 0.6, 0.7], [0.5, 0.5, 0.9, 0.8]]], np.float32)
    crops = set()
    for hw in [(40, 60), (64, 64), (30, 90)]:
        size = np.array([hw[0], hw[1], 3], np.int32)
        for _ in range(8):
            got = run_onnx(out, {frozen.inputs[0]: size, frozen.inputs[1]: boxes})
            begin, extent, bbox = (got[n] for n in frozen.outputs)
            assert begin.dtype == np.int32 and begin.shape == (3,) and extent.shape == (3,)
            assert bbox.shape == (1, 1, 4) and bbox.dtype == np.float32
            (y, x, z), (h, w, c) = begin, extent
            assert z == 0 and c == -1 and y >= 0 and x >= 0 and h > 0 and w > 0
            assert y + h <= hw[0] and x + w <= hw[1]
            np.testing.assert_allclose(bbox[0, 0], [y / hw[0], x / hw[1], (y + h) / hw[0],
                                                    (x + w) / hw[1]], rtol=1e-5)
            if (h, w) == hw:
                continue  # no candidate passed: the whole image
            frac = h * w / (hw[0] * hw[1])
            assert area_range[0] - 1e-6 <= frac <= area_range[1] + 1e-6
            assert ratio_range[0] * 0.8 <= w / h <= ratio_range[1] * 1.2
            cover = []
            for b in boxes[0] * [hw[0], hw[1], hw[0], hw[1]]:
                iy = max(0, min(y + h, b[2]) - max(y, b[0]))
                ix = max(0, min(x + w, b[3]) - max(x, b[1]))
                cover.append(iy * ix / ((b[2] - b[0]) * (b[3] - b[1])))
            assert max(cover) >= min_cov - 0.1, cover
            crops.add((y, x, h, w))
    assert len(crops) >= 2, "never a crop smaller than the image"
