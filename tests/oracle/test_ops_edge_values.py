"""Issue 14, ops at the edges of their domains: TensorListResize on empty lists and lists of
unknown length (grown, shrunk, to a size computed at run time), and Lgamma at its poles (0 and the
negative integers: TF gives +inf), at +-inf and NaN, and where float32 overflows;
TensorListScatterIntoExistingList (tf.TensorArray.scatter). Each case
converts at opsets 13 (Lgamma) or 14 (TensorLists: ONNX sequences), 17 and 21, is run in ONNX
Runtime and compared with TF."""

import numpy as np

from oracle_lib import Case, case_tests, fixed, get_tf, named, normal

tf = get_tf()
raw = tf.raw_ops
CASES = []


def case(name, fn, inputs, ops, opsets=(13, 17, 21), **kw):
    CASES.append(Case(f"edge_{name}", fn, inputs, tuple(ops), opsets=opsets, **kw))


# ---------------------------------------------------------------- Lgamma
_SPECIAL = [0.0, -0.0, -1.0, -2.0, -7.0, -50.0, np.inf, -np.inf, np.nan, 1.0, 2.0, 0.5, -2.5,
            -3.25, 1e-3, 3e38, 2.5e36]
case("Lgamma_poles_f32", lambda x: raw.Lgamma(x=x), named(x=fixed(_SPECIAL, np.float32)), ["Lgamma"])
case("Lgamma_poles_f64", lambda x: raw.Lgamma(x=x), named(x=fixed(_SPECIAL, np.float64)), ["Lgamma"],
     rtol=1e-9)
case("Lgamma_poles_dynamic_2d", lambda x: raw.Lgamma(x=x),
     named(x=fixed(np.reshape(_SPECIAL[:16], (4, 4)), np.float32)), ["Lgamma"],
     dynamic={"x": (None, None)})


# ---------------------------------------------------------------- TensorListResize
LIST_OPSETS = (14, 17, 21)


def resize_stack(elem):
    """A list from x (its length unknown when x's dim 0 is dynamic) resized to `n`, stacked."""
    def fn(x, n):
        h = raw.TensorListFromTensor(tensor=x, element_shape=tf.constant(elem, tf.int32))
        h = raw.TensorListResize(input_handle=h, size=n)
        return raw.TensorListStack(input_handle=h, element_dtype=x.dtype,
                                   element_shape=tf.constant(elem, tf.int32))
    return fn


for _rows, _n in ((3, 5), (3, 1), (0, 4), (2, 2)):
    case(f"TensorListResize_unknown_length_{_rows}to{_n}", resize_stack([2]),
         named(x=normal(_rows, 2), n=fixed(_n)), ["TensorListResize"], opsets=LIST_OPSETS,
         dynamic={"x": (None, 2)})
case("TensorListResize_int_3d_empty_grow", resize_stack([2, 3]),
     lambda r: {"x": np.zeros((0, 2, 3), np.int32), "n": np.array(2, np.int32)},
     ["TensorListResize"], opsets=LIST_OPSETS, dynamic={"x": (None, 2, 3)})


def empty_known_shape(x, n):
    """EmptyTensorList of a declared element shape grown to n, then element 1 set."""
    h = raw.EmptyTensorList(element_shape=tf.constant([3], tf.int32), max_num_elements=-1,
                            element_dtype=tf.float32)
    h = raw.TensorListResize(input_handle=h, size=n)
    h = raw.TensorListSetItem(input_handle=h, index=1, item=x)
    return raw.TensorListStack(input_handle=h, element_dtype=tf.float32,
                               element_shape=tf.constant([3], tf.int32))


case("TensorListResize_empty_list_known_shape", empty_known_shape,
     named(x=normal(3), n=fixed(3)), ["TensorListResize", "EmptyTensorList"], opsets=LIST_OPSETS)


def empty_unknown_shape(x, y):
    """EmptyTensorList of unknown element shape grown to 2, both elements then written."""
    h = raw.EmptyTensorList(element_shape=tf.constant(-1, tf.int32), max_num_elements=-1,
                            element_dtype=tf.float32)
    h = raw.TensorListResize(input_handle=h, size=2)
    h = raw.TensorListSetItem(input_handle=h, index=0, item=x)
    h = raw.TensorListSetItem(input_handle=h, index=1, item=y)
    stacked = raw.TensorListStack(input_handle=h, element_dtype=tf.float32,
                                  element_shape=tf.constant([-1, 2], tf.int32))
    # The list's element shape is unknown to the converter too: a reshape gives the rank.
    return tf.reshape(stacked, tf.shape(tf.stack([x, y])))


case("TensorListResize_empty_list_unknown_shape", empty_unknown_shape,
     named(x=normal(2, 2), y=normal(2, 2)), ["TensorListResize", "EmptyTensorList"],
     opsets=LIST_OPSETS, dynamic={"x": (None, None), "y": (None, None)})


def resize_length(x, n):
    """Shrunk to a run-time size, possibly 0: the length."""
    h = raw.TensorListFromTensor(tensor=x, element_shape=tf.constant([2], tf.int32))
    return raw.TensorListLength(input_handle=raw.TensorListResize(input_handle=h, size=n))


for _n in (0, 6):
    case(f"TensorListResize_length_to{_n}", resize_length, named(x=normal(3, 2), n=fixed(_n)),
         ["TensorListResize"], opsets=LIST_OPSETS, dynamic={"x": (None, 2)})



# ---------------------------------------------------------------- TensorListScatterIntoExistingList
def array_scatter(x, idx):
    """tf.TensorArray.scatter into a fresh array (TensorListReserve of unknown element shape)."""
    ta = tf.TensorArray(tf.float32, size=tf.shape(x)[0])
    return ta.scatter(idx, x).stack()


def list_scatter(y, x, idx):
    """Scattered into a list made of y: rows of y not named in idx stay."""
    h = raw.TensorListFromTensor(tensor=y, element_shape=tf.constant([2], tf.int32))
    h = raw.TensorListScatterIntoExistingList(input_handle=h, tensor=x, indices=idx)
    return raw.TensorListStack(input_handle=h, element_dtype=y.dtype,
                               element_shape=tf.constant([2], tf.int32))


# A TensorArray of unknown element shape: Reserve's scalar placeholders give the stacked value a
# rank ONNX's opset-21 inference contradicts (the known issue-13 limit, see
# test_control_flow_tf2.py's xfail), so opsets 14 and 17 here.
case("TensorListScatterIntoExistingList_array", array_scatter,
     named(x=normal(3, 2), idx=fixed([2, 0, 1])), ["TensorListScatterIntoExistingList"],
     opsets=(14, 17))
case("TensorListScatterIntoExistingList_dynamic", array_scatter,
     named(x=normal(4, 2), idx=fixed([3, 1, 0, 2])), ["TensorListScatterIntoExistingList"],
     opsets=(14, 17), dynamic={"x": (None, 2), "idx": (None,)})
case("TensorListScatterIntoExistingList_partial_int", list_scatter,
     lambda r: {"y": r.integers(0, 9, (5, 2)).astype(np.int32),
                "x": r.integers(0, 9, (2, 2)).astype(np.int32), "idx": np.array([4, 1], np.int32)},
     ["TensorListScatterIntoExistingList"], opsets=LIST_OPSETS)
case("TensorListScatterIntoExistingList_no_indices", list_scatter,
     named(y=normal(3, 2), x=normal(0, 2), idx=lambda r: np.zeros(0, np.int32)),
     ["TensorListScatterIntoExistingList"], opsets=LIST_OPSETS,
     dynamic={"x": (None, 2), "idx": (None,)})

test_case_freezes_to_op, test_op = case_tests(CASES, prefix="edge")
