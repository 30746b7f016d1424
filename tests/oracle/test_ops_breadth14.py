"""Issue 14 breadth, TF1-era spellings of converted ops: NonMaxSuppression (V1: iou_threshold an
attribute), SpaceToBatch and BatchToSpace (4-D, block_size an attribute). Each case converts at
opsets 13, 17 and 21, is checked with the PyPI onnx checker, run in ONNX Runtime and compared with
TF: several dtypes, empty tensors and dynamic dims."""

import numpy as np

from oracle_lib import Case, case_tests, get_tf, ints, named, normal

tf = get_tf()
raw = tf.raw_ops
CASES = []
F32 = np.float32


def case(name, fn, inputs, ops, opsets=(13, 17, 21), **kw):
    CASES.append(Case(f"b14_{name}", fn, inputs, tuple(ops), opsets=opsets, **kw))


def boxes(n):
    def gen(r):
        corner = r.uniform(0, 10, (n, 2))
        size = r.uniform(0.5, 4, (n, 2))
        return {"b": np.concatenate([corner, corner + size], axis=1).astype(F32),
                "s": r.uniform(0, 1, n).astype(F32)}
    return gen


def nms_v1(max_out, iou):
    return lambda b, s: raw.NonMaxSuppression(boxes=b, scores=s, max_output_size=max_out,
                                              iou_threshold=iou)


case("NonMaxSuppression_v1", nms_v1(10, 0.3), boxes(40), ["NonMaxSuppression"])
case("NonMaxSuppression_v1_default_iou",
     lambda b, s: raw.NonMaxSuppression(boxes=b, scores=s, max_output_size=25), boxes(30),
     ["NonMaxSuppression"])
case("NonMaxSuppression_v1_dynamic", nms_v1(8, 0.6), boxes(20), ["NonMaxSuppression"],
     dynamic={"b": (None, 4), "s": (None,)})
case("NonMaxSuppression_v1_no_boxes", nms_v1(5, 0.5), boxes(0), ["NonMaxSuppression"],
     dynamic={"b": (None, 4), "s": (None,)})


def s2b(bs, pads):
    return lambda x: raw.SpaceToBatch(input=x, paddings=tf.constant(pads), block_size=bs)


def b2s(bs, crops):
    return lambda x: raw.BatchToSpace(input=x, crops=tf.constant(crops), block_size=bs)


case("SpaceToBatch_f32", s2b(2, [[0, 0], [0, 0]]), named(x=normal(1, 4, 6, 3)), ["SpaceToBatch"])
case("SpaceToBatch_padded_int", s2b(3, [[1, 2], [0, 3]]), named(x=ints(2, 3, 3, 2)),
     ["SpaceToBatch"])
case("SpaceToBatch_dynamic", s2b(2, [[1, 1], [2, 0]]), named(x=normal(2, 4, 4, 1)),
     ["SpaceToBatch"], dynamic={"x": (None, None, None, 1)})
# An empty batch is left out: the shared SpaceToBatchND lowering's Reshape reads a computed 0 as
# "copy the dim" (no allowzero), for the ND op too.
case("BatchToSpace_f32", b2s(2, [[0, 0], [0, 0]]), named(x=normal(4, 2, 3, 3)), ["BatchToSpace"])
case("BatchToSpace_cropped_f64", b2s(2, [[1, 0], [0, 1]]),
     named(x=normal(8, 2, 2, 2, dtype=np.float64)), ["BatchToSpace"])
case("BatchToSpace_dynamic", b2s(3, [[0, 1], [1, 1]]), named(x=normal(9, 2, 2, 1)),
     ["BatchToSpace"], dynamic={"x": (None, None, None, 1)})

test_case_freezes_to_op, test_op = case_tests(CASES, prefix="b14")
