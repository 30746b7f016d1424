"""The file-based API over the native core: conversion of model files, optimize, quantize, run.

No TensorFlow here (from_keras/from_function in _tensorflow.py serialize TF objects to files and
call in). Every native call releases the GIL; its errors raise ConversionError with the CLI's
message. Outputs are written by the native core atomically (temporary file, then rename), so on an
error nothing is left at ``output_path``.
"""

import contextlib
import io
import json
import os
import tempfile
from typing import Any, Dict, Iterable, Iterator, Optional, Sequence, Tuple, Union

from ._load import _native
from .errors import ConversionError

DEFAULT_OPSET = 17  # the CLI's --opset default (converter::kDefaultOpset)

PathLike = Union[str, "os.PathLike[str]"]


def _edge(target=None, fix_shape=None, batch: int = 0, allow_fallback: bool = False):
    """target= (a profile name or a profile .json path; docs/targets.md) and its companions:
    fix_shape ("name:1x224x224x3" or a list), batch (dim 0 of every input), allow_fallback
    (nodes the target does not support do not raise). The compliance report is the report's
    "target" entry."""
    return _native.Edge("" if target is None else os.fspath(target), _names(fix_shape), int(batch),
                        bool(allow_fallback))


def _precision_args(precision: str = "fp32", keep_fp32_ops=None, fp16_io: bool = False,
                    fp16_check_samples: int = 4) -> tuple:
    """precision="fp16" (docs/fp16.md): keep_fp32_ops (op types added to the defaults, "-Op"
    removes one, "none" clears them), fp16_io, fp16_check_samples. The conversion and its numeric
    check are the report's "precision" entry."""
    return str(precision), _names(keep_fp32_ops), bool(fp16_io), int(fp16_check_samples)


def _names(value) -> list:
    """None, a name, or a list of names/specs -> a list of str."""
    if value is None:
        return []
    if isinstance(value, (str, bytes, os.PathLike)):
        value = [value]
    return [os.fspath(v) if isinstance(v, os.PathLike) else str(v) for v in value]


def _optimize_level(optimize) -> str:
    """optimize=True/False or a level 0-3 / name ("none", "basic", "extended", "all")."""
    if optimize is True:
        return "2"
    if optimize is False or optimize is None:
        return "0"
    return str(optimize)


@contextlib.contextmanager
def _scratch() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="onnxsmith-") as tmp:
        yield tmp


def _load_model(path: str):
    """An onnx.ModelProto when the onnx package is importable, else the file's bytes."""
    try:
        import onnx
    except ImportError:
        with open(path, "rb") as f:
            return f.read()
    return onnx.load(path)


def _model_file(model_or_path, scratch: str, name: str) -> str:
    """A path for an ONNX model given as a path, bytes or an onnx.ModelProto."""
    if isinstance(model_or_path, (str, os.PathLike)):
        return os.fspath(model_or_path)
    if isinstance(model_or_path, (bytes, bytearray, memoryview)):
        data = bytes(model_or_path)
    elif hasattr(model_or_path, "SerializeToString"):
        data = model_or_path.SerializeToString()
    else:
        raise TypeError(
            f"expected a path, bytes or an onnx.ModelProto, got {type(model_or_path).__name__}")
    path = os.path.join(scratch, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def _npy_bytes(array) -> bytes:
    import numpy as np

    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(array), allow_pickle=False)
    return buf.getvalue()


def _calibration_file(calibration, scratch: str) -> str:
    """calibration: a .npz/.npy path or directory, or {input name: samples on axis 0}."""
    if calibration is None:
        return ""
    if isinstance(calibration, (str, os.PathLike)):
        return os.fspath(calibration)
    if isinstance(calibration, dict):
        import numpy as np

        path = os.path.join(scratch, "calibration.npz")
        np.savez(path, **{k: np.asarray(v) for k, v in calibration.items()})
        return path
    raise TypeError("calibration: give a .npz/.npy path, a directory, or a dict of arrays")


def _quantize_file(src: str, dst: str, scratch: str, calibration=None, mode=None,
                   method: str = "minmax", percentile: float = 99.999, per_tensor: bool = False,
                   activations: Optional[str] = None, symmetric_activations: bool = False,
                   reduce_range: Optional[bool] = None, exclude_nodes=None,
                   exclude_op_types=None, eval_samples: int = -1, threads: int = 0,
                   edge=None) -> dict:
    if mode is None:
        mode = "static" if calibration is not None else "dynamic"
    report = _native.quantize(
        src, dst, _calibration_file(calibration, scratch), mode, method, percentile, per_tensor,
        activations or "", symmetric_activations, reduce_range is True, reduce_range is False,
        _names(exclude_nodes), _names(exclude_op_types), eval_samples, threads,
        _edge() if edge is None else edge)
    return json.loads(report)


def convert_file(kind: str, source: PathLike, *, opset=None, inputs=None, outputs=None,
                 inputs_as_nchw=None, outputs_as_nchw=None, custom_ops=None, tag: str = "serve",
                 signature_def: str = "serving_default", concrete_function: str = "",
                 optimize=True, passes=None, skip=None, threads: int = 0, verify: bool = False,
                 quantize=None, calibration=None, target=None, fix_shape=None, batch: int = 0,
                 allow_fallback: bool = False, precision: str = "fp32", keep_fp32_ops=None,
                 fp16_io: bool = False, fp16_check_samples: int = 4, output_path=None,
                 report_extra: Optional[dict] = None) -> Tuple[Any, Dict[str, Any]]:
    """The shared body of the from_* functions: `kind` is graphdef, saved_model or keras."""
    edge = _edge(target, fix_shape, batch, allow_fallback)
    if quantize and precision != "fp32":
        raise ConversionError("precision='fp16' and quantize exclude each other", "INVALID_ARGUMENT")
    with _scratch() as scratch:
        final = os.fspath(output_path) if output_path is not None else None
        # With quantize, the float model is an intermediate: only the quantized one is written.
        converted = final if (final and not quantize) else os.path.join(scratch, "model.onnx")
        report = json.loads(_native.convert(
            kind, os.fspath(source), converted, 0 if opset is None else int(opset),
            _names(inputs), _names(outputs), _names(inputs_as_nchw), _names(outputs_as_nchw),
            _names(custom_ops), tag, signature_def, concrete_function, _optimize_level(optimize),
            _names(passes), _names(skip), threads, verify, edge,
            *_precision_args(precision, keep_fp32_ops, fp16_io, fp16_check_samples)))
        if report_extra:
            report.update(report_extra)
        path = converted
        if quantize:
            path = final or os.path.join(scratch, "quantized.onnx")
            options = dict(quantize) if isinstance(quantize, dict) else {}
            if isinstance(quantize, str):
                options["mode"] = quantize
            report["quantize"] = _quantize_file(converted, path, scratch, calibration=calibration,
                                                threads=threads, edge=edge, **options)
        report["output_path"] = final
        return _load_model(path), report


def optimize(model_or_path, output_path=None, *, level=2, passes=None, skip=None,
             threads: int = 0, verify: bool = False, check: bool = False, check_dims: str = "",
             check_seed: int = 0, check_rtol: float = 1e-4, check_atol: float = 1e-6,
             target=None, fix_shape=None, batch: int = 0, allow_fallback: bool = False,
             precision: str = "fp32", keep_fp32_ops=None, fp16_io: bool = False,
             fp16_check_samples: int = 4, calibration=None) -> Tuple[Any, Dict[str, Any]]:
    """Run the optimizer's passes on an ONNX model (``onnxsmith optimize``).

    model_or_path: a path, bytes or an onnx.ModelProto. ``level`` 0-3 (or none/basic/extended/
    all), ``passes`` exactly these passes in order, ``skip`` passes left out; ``check=True``
    compares the model before and after on random inputs on the reference evaluator. ``target``
    (with fix_shape, batch, allow_fallback) checks the result against a target profile (the
    report's "target"); ``precision="fp16"`` (with keep_fp32_ops, fp16_io, fp16_check_samples
    and calibration samples for its check) converts it to float16 (the report's "precision").
    Returns (model, report); the model is also written atomically to ``output_path`` when given.
    """
    with _scratch() as scratch:
        src = _model_file(model_or_path, scratch, "input.onnx")
        dst = os.fspath(output_path) if output_path is not None else os.path.join(scratch, "out.onnx")
        report = json.loads(_native.optimize(
            src, dst, _optimize_level(level), _names(passes), _names(skip), threads, verify, check,
            check_dims, check_seed, check_rtol, check_atol, _edge(target, fix_shape, batch, allow_fallback),
            *_precision_args(precision, keep_fp32_ops, fp16_io, fp16_check_samples),
            "" if calibration is None else _calibration_file(calibration, scratch)))
        report["output_path"] = None if output_path is None else dst
        return _load_model(dst), report


def quantize(model_or_path, calibration=None, output_path=None, *, mode=None,
             method: str = "minmax", percentile: float = 99.999, per_tensor: bool = False,
             activations: Optional[str] = None, symmetric_activations: bool = False,
             reduce_range: Optional[bool] = None, exclude_nodes=None, exclude_op_types=None,
             eval_samples: int = -1, threads: int = 0, target=None, fix_shape=None, batch: int = 0,
             allow_fallback: bool = False) -> Tuple[Any, Dict[str, Any]]:
    """INT8 quantization (QDQ) of an ONNX model (``onnxsmith quantize``).

    calibration: a .npz keyed by input name (samples on axis 0), a .npy, a directory of them, or
    a dict {input name: array}. ``mode`` is "static" (needs calibration; the default when it is
    given) or "dynamic" (the default without). ``reduce_range`` None fits this CPU (7-bit weights
    without VNNI), True/False forces it. Returns (model, report with SQNR per output).
    ``target`` (with fix_shape, batch, allow_fallback) takes the quantization scheme from a target
    profile and checks the result against it (the report's "target").
    """
    edge = _edge(target, fix_shape, batch, allow_fallback)
    with _scratch() as scratch:
        src = _model_file(model_or_path, scratch, "input.onnx")
        dst = os.fspath(output_path) if output_path is not None else os.path.join(scratch, "out.onnx")
        report = _quantize_file(src, dst, scratch, calibration=calibration, mode=mode,
                                method=method, percentile=percentile, per_tensor=per_tensor,
                                activations=activations,
                                symmetric_activations=symmetric_activations,
                                reduce_range=reduce_range, exclude_nodes=exclude_nodes,
                                exclude_op_types=exclude_op_types, eval_samples=eval_samples,
                                threads=threads, edge=edge)
        report["output_path"] = None if output_path is None else dst
        return _load_model(dst), report


def run(model_or_path, feeds: Dict[str, Any], *, threads: int = 0) -> Dict[str, Any]:
    """Run an ONNX model on onnxsmith's reference evaluator (``onnxsmith run``).

    feeds: {input name: array-like}. Returns {output name: numpy array} in graph output order.
    """
    import numpy as np

    with _scratch() as scratch:
        src = _model_file(model_or_path, scratch, "model.onnx")
        encoded = {str(k): _npy_bytes(v) for k, v in feeds.items()}
        outputs = _native.run(src, encoded, threads)
    return {name: np.load(io.BytesIO(npy), allow_pickle=False) for name, npy in outputs}


def from_saved_model(path: PathLike, *, tag: str = "serve",
                     signature_def: str = "serving_default", concrete_function: str = "",
                     **kwargs) -> Tuple[Any, Dict[str, Any]]:
    """Convert a TF SavedModel directory (``onnxsmith convert --saved-model``).

    ``signature_def`` picks the signature, ``concrete_function`` a function of the object graph
    instead; the other keyword arguments are from_graph_def's.
    """
    return convert_file("saved_model", path, tag=tag, signature_def=signature_def,
                        concrete_function=concrete_function, **kwargs)


def from_graph_def(graph_def_or_path, inputs=None, outputs=None, **kwargs) -> Tuple[Any, Dict[str, Any]]:
    """Convert a frozen TF GraphDef (``onnxsmith convert --graphdef``).

    graph_def_or_path: a .pb/.pbtxt path, serialized bytes, or a tf.compat.v1.GraphDef.
    inputs/outputs: tensor names ("x:0", optionally with a shape "x:0[1,224,224,3]"); default
    the placeholders the outputs need and the graph's sinks. Keyword arguments: opset (13-21,
    default 17), inputs_as_nchw, outputs_as_nchw, custom_ops, optimize (True/False or a level),
    passes, skip, threads, quantize (None, "static", "dynamic" or a dict of quantize()'s
    options) with calibration, output_path (written atomically), target with fix_shape, batch,
    allow_fallback (a target profile: docs/targets.md), precision="fp16" with keep_fp32_ops,
    fp16_io, fp16_check_samples (docs/fp16.md). Returns (model, report).
    """
    inputs = kwargs.pop("input_names", inputs)  # tf2onnx's spelling
    outputs = kwargs.pop("output_names", outputs)
    if isinstance(graph_def_or_path, (str, os.PathLike)):
        return convert_file("graphdef", graph_def_or_path, inputs=inputs, outputs=outputs, **kwargs)
    data = (bytes(graph_def_or_path) if isinstance(graph_def_or_path, (bytes, bytearray))
            else graph_def_or_path.SerializeToString())
    with _scratch() as scratch:
        path = os.path.join(scratch, "graph.pb")
        with open(path, "wb") as f:
            f.write(data)
        return convert_file("graphdef", path, inputs=inputs, outputs=outputs, **kwargs)


def version() -> str:
    """The native core's version line, as ``onnxsmith version`` prints it."""
    return _native.version()
