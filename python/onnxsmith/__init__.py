"""onnxsmith: TensorFlow/Keras to ONNX conversion, optimization and INT8 quantization on a
native core, called as tf2onnx is::

    import onnxsmith
    model_proto, report = onnxsmith.from_keras(model, opset=13, output_path="m.onnx")

Conversions return (model, report): an onnx.ModelProto (bytes when the onnx package is not
installed) and the conversion report as a dict. Errors raise ConversionError with the message
the ``onnxsmith`` CLI prints. The native work runs with the GIL released. TensorFlow is imported
only by from_keras and from_function (to serialize the model); ``import onnxsmith`` and the
ONNX-file functions (optimize, quantize, run) work without it.
"""

from ._core import from_graph_def, from_saved_model, optimize, quantize, run, version
from ._tensorflow import from_function, from_keras
from .errors import ConversionError

__version__ = version().split()[1]

__all__ = [
    "ConversionError",
    "from_function",
    "from_graph_def",
    "from_keras",
    "from_saved_model",
    "optimize",
    "quantize",
    "run",
    "version",
]
