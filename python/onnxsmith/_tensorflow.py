"""from_keras and from_function: TensorFlow/Keras serialize the in-memory object to a file, the
native core converts the file. TF and Keras are imported here only, and only when called."""

import os
import tempfile
from typing import Any, Dict, Optional, Tuple

from . import _core
from .errors import ConversionError


def _keras_format_limit(model) -> Optional[str]:
    """Why a .keras file cannot carry `model` to the native converter, or None.

    .keras stores a Lambda's function as Python bytecode and a custom layer as a class name the
    native reader has no code for; a subclassed model's call() is Python too.
    """
    import keras

    if not isinstance(model, (keras.Sequential, keras.Model)) or (
        type(model) not in (keras.Sequential, keras.Model)
        and not type(model).__module__.startswith("keras.")
    ):
        return f"subclassed model {type(model).__name__}"
    stack = list(model.layers)
    while stack:
        layer = stack.pop()
        if isinstance(layer, keras.layers.Lambda):
            return f"Lambda layer '{layer.name}'"
        if not type(layer).__module__.startswith("keras."):
            return f"custom layer '{layer.name}' ({type(layer).__name__})"
        stack.extend(getattr(layer, "layers", []) or [])
    return None


def _export_saved_model(model, path: str, input_signature) -> None:
    """The model as a SavedModel with a serving_default signature (Keras' own export)."""
    if hasattr(model, "export"):
        kwargs = {"input_signature": list(input_signature)} if input_signature else {}
        model.export(path, format="tf_saved_model", verbose=False, **kwargs)
        return
    import tensorflow as tf  # tf.keras 2 without Model.export

    fn = tf.function(lambda *args: model(args[0] if len(args) == 1 else list(args), training=False))
    concrete = (fn.get_concrete_function(*input_signature) if input_signature
                else fn.get_concrete_function(*[tf.TensorSpec(i.shape, i.dtype) for i in model.inputs]))
    tf.saved_model.save(model, path, signatures=concrete)


def from_keras(model, input_signature=None, opset=None, custom_ops=None, output_path=None,
               inputs_as_nchw=None, outputs_as_nchw=None, optimize=True, quantize=None,
               calibration=None, target=None, **kwargs) -> Tuple[Any, Dict[str, Any]]:
    """Convert an in-memory Keras model, as ``tf2onnx.convert.from_keras`` is called.

    The model is saved by Keras itself as ``.keras`` and converted by the native Keras reader.
    When that file cannot carry it (a Lambda or custom layer, a subclassed model, an
    ``input_signature``, or a layer the Keras reader does not convert), it is exported with
    ``model.export()`` and the SavedModel is converted instead; ``report["keras_path"]`` says
    which and why.

    input_signature: a list of tf.TensorSpec (the exported signature's inputs). opset: 13-21
    (default 17). inputs_as_nchw/outputs_as_nchw: tensor names exposed as NCHW. optimize:
    True/False or a level 0-3. quantize: None, "static" (with calibration: a .npz path or
    {input name: samples}), "dynamic", or a dict of onnxsmith.quantize's options. output_path:
    written atomically (nothing is left there on an error). target (with fix_shape, batch,
    allow_fallback): a target profile (docs/targets.md). precision="fp16" (with keep_fp32_ops,
    fp16_io, fp16_check_samples): float16 weights and compute (docs/fp16.md).

    Returns (model, report): an onnx.ModelProto (bytes without the onnx package) and the
    conversion report as a dict.
    """
    options = dict(opset=opset, custom_ops=custom_ops, output_path=output_path, target=target,
                   inputs_as_nchw=inputs_as_nchw, outputs_as_nchw=outputs_as_nchw,
                   optimize=optimize, quantize=quantize, calibration=calibration, **kwargs)
    with tempfile.TemporaryDirectory(prefix="onnxsmith-keras-") as scratch:
        reason = "input_signature given" if input_signature else _keras_format_limit(model)
        if reason is None:
            keras_file = os.path.join(scratch, "model.keras")
            try:
                model.save(keras_file)
            except Exception as e:  # what Keras cannot save, its SavedModel export may still carry
                reason = f"model.save failed: {type(e).__name__}: {e}"
        if reason is None:
            try:
                return _core.convert_file("keras", keras_file,
                                          report_extra={"keras_path": ".keras"}, **options)
            except ConversionError as e:
                if e.code != "UNIMPLEMENTED":
                    raise
                reason = f"the .keras reader: {e.message.splitlines()[0]}"
        saved_model = os.path.join(scratch, "saved_model")
        _export_saved_model(model, saved_model, input_signature)
        return _core.convert_file(
            "saved_model", saved_model,
            report_extra={"keras_path": f"model.export() SavedModel ({reason})"}, **options)


def from_function(tf_function, input_signature=None, opset=None, custom_ops=None,
                  output_path=None, inputs_as_nchw=None, outputs_as_nchw=None, optimize=True,
                  quantize=None, calibration=None, target=None,
                  **kwargs) -> Tuple[Any, Dict[str, Any]]:
    """Convert a tf.function, as ``tf2onnx.convert.from_function`` is called.

    The concrete function for ``input_signature`` (a list of tf.TensorSpec; may be omitted when
    the tf.function has its own) is frozen by TensorFlow (variables to constants, control flow
    kept functional: While/If stay loops and branches) and the GraphDef converted. ONNX inputs
    and outputs are named after the frozen graph's tensors ("x:0", "Identity:0"). Other
    arguments as from_keras. Returns (model, report).
    """
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )

    if input_signature is not None:
        concrete = tf_function.get_concrete_function(*input_signature)
    else:
        concrete = tf_function.get_concrete_function()
    frozen = convert_variables_to_constants_v2(concrete, lower_control_flow=False)
    graph_def = frozen.graph.as_graph_def()
    inputs = [t.name for t in frozen.inputs if t.dtype != tf.resource]
    outputs = [t.name for t in frozen.outputs]
    return _core.from_graph_def(
        graph_def, inputs, outputs, opset=opset, custom_ops=custom_ops, output_path=output_path,
        inputs_as_nchw=inputs_as_nchw, outputs_as_nchw=outputs_as_nchw, optimize=optimize,
        quantize=quantize, calibration=calibration, target=target, **kwargs)
