"""Issue 14, run-time-valued inputs (second part): convolutions whose filter is a graph input of
unknown kernel channel count or unknown dims (the general ONNX Conv: group from the channel counts
known, the kernel shape read from the weight at run time, SAME as auto_pad). Each case converts at
opsets 13, 17 and 21, is checked with the PyPI onnx checker, run in ONNX Runtime and compared with
TF.
"""

from oracle_lib import Case, case_tests, freeze, get_tf, named, normal

tf = get_tf()
raw = tf.raw_ops
CASES = []


def case(name, fn, inputs, ops, **kw):
    CASES.append(Case(f"rt2_{name}", fn, inputs, tuple(ops), opsets=(13, 17, 21), atol=1e-4, **kw))


def conv2d(strides=1, padding="SAME", dilations=1):
    return lambda x, f: tf.nn.conv2d(x, f, strides, padding, dilations=dilations)


_X = normal(2, 7, 6, 4)
# The filter's in-channels unknown, the input's known: group 1, as TF when they are equal.
case("Conv2D_filter_in_unknown", conv2d(), named(x=_X, f=normal(3, 3, 4, 5)), ["Conv2D"],
     dynamic={"f": (3, 3, None, 5)})
# Every filter dim unknown: kernel_shape from the weight, SAME as auto_pad (strided, dilated).
case("Conv2D_filter_all_unknown_stride2", conv2d(2), named(x=_X, f=normal(3, 2, 4, 5)),
     ["Conv2D"], dynamic={"f": (None, None, None, None)})
case("Conv2D_filter_all_unknown_dilated_valid", conv2d(1, "VALID", 2),
     named(x=_X, f=normal(2, 3, 4, 3)), ["Conv2D"], dynamic={"f": (None, None, None, None)})
# Input and filter both dynamic but for the filter's in-channels.
case("Conv2D_both_dynamic", conv2d(), named(x=_X, f=normal(1, 3, 4, 2)), ["Conv2D"],
     dynamic={"x": (None, None, None, 4), "f": (None, None, None, None)})
# A grouped conv (input depth a multiple of the filter's) with a run-time filter.
case("Conv2D_grouped_runtime_filter", conv2d(), named(x=_X, f=normal(3, 3, 2, 6)), ["Conv2D"],
     dynamic={"f": (None, None, 2, None)})
# Depthwise: group is the input's channel count when the filter's is unknown.
case("DepthwiseConv2dNative_filter_unknown",
     lambda x, f: tf.nn.depthwise_conv2d(x, f, [1, 1, 1, 1], "SAME"),
     named(x=_X, f=normal(3, 3, 4, 2)), ["DepthwiseConv2dNative"],
     dynamic={"f": (None, None, None, None)})
case("Conv3D_filter_all_unknown",
     lambda x, f: tf.nn.conv3d(x, f, [1, 1, 2, 1, 1], "SAME"),
     named(x=normal(1, 3, 5, 4, 2), f=normal(2, 3, 1, 2, 3)), ["Conv3D"],
     dynamic={"f": (None,) * 5})

test_case_freezes_to_op, test_op = case_tests(CASES, prefix="rt2")


def test_depthwise_unknown_channels_refused(frozen_cache, convert, tmp_path):
    """Neither the input's channels nor the filter's in-channels known: ONNX's group cannot be
    set; a clear error naming the node, no output."""

    specs = [tf.TensorSpec([1, 5, 5, None], tf.float32, name="x"),
             tf.TensorSpec([3, 3, None, 1], tf.float32, name="f")]
    frozen = frozen_cache.get("rt2_depthwise_undecidable", lambda path: freeze(
        tf.function(lambda x, f: tf.nn.depthwise_conv2d(x, f, [1, 1, 1, 1], "SAME")), specs, path))
    out = tmp_path / "m.onnx"
    proc = convert(frozen.path, out)
    assert proc.returncode != 0
    assert "DepthwiseConv2dNative" in proc.stderr and "group" in proc.stderr, proc.stderr
    assert not out.exists()
