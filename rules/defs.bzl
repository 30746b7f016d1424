"""Bazel rules that turn TensorFlow / Keras models into ONNX as build actions.

    load("@onnxsmith//rules:defs.bzl", "onnx_model", "onnx_model_test")

onnx_model runs the onnxsmith binary of this repository (built from source in
the exec configuration, or a prebuilt one named by the flag
--@onnxsmith//rules:onnxsmith=LABEL) as a hermetic action: every file of the
source model is a declared input, the outputs are <name>.onnx and <name>.report.txt, so results
are cached (locally, in --disk_cache, remotely) and the action can run on remote
execution. onnx_model_test runs a converted model with onnxsmith's reference
evaluator on stored inputs and compares with stored expected outputs.

See rules/README.md for the attribute tables and an example.
"""

OnnxModelInfo = provider(
    doc = "An ONNX model produced by onnx_model, for rules that chain on it " +
          "(quantization, packaging, tests).",
    fields = {
        "model": "File: the .onnx model",
        "report": "File: onnxsmith's conversion report (its stdout)",
        "opset": "int: the ai.onnx opset the model was emitted for",
        "inputs": "list of string: input tensor specs as requested (empty = the graph's placeholders)",
        "outputs": "list of string: output tensor names as requested (empty = the graph's sinks)",
        "format": "string: the source format, one of graphdef, saved_model, keras",
        "quantize": "string: \"int8\" when the model was quantized, else \"\"",
    },
)

# Kept in step with converter::kMinOpset / kMaxOpset (converter/handlers/registry.h).
MIN_OPSET = 13
MAX_OPSET = 21

_FORMATS = ["auto", "graphdef", "saved_model", "keras"]

_FORMAT_FLAG = {
    "graphdef": "--graphdef",
    "saved_model": "--saved-model",
    "keras": "--keras",
}

_GRAPHDEF_SUFFIXES = [".pb", ".pbtxt"]
_KERAS_SUFFIXES = [".h5", ".keras"]

def _has_suffix(path, suffixes):
    for s in suffixes:
        if path.endswith(s):
            return True
    return False

def _saved_model_dir(ctx, files):
    """The directory of the one saved_model.pb/.pbtxt among files."""
    roots = [f for f in files if f.basename in ("saved_model.pb", "saved_model.pbtxt")]
    if not roots:
        return None
    dirs = {f.dirname: True for f in roots}
    if len(dirs) > 1:
        fail("src %s holds several SavedModels (saved_model.pb in %s); give one filegroup per model" %
             (ctx.attr.src.label, ", ".join(sorted(dirs.keys()))), attr = "src")
    return roots[0].dirname

def _resolve_source(ctx):
    """Returns (format, path to pass to onnxsmith) for ctx.attr.src."""
    files = ctx.files.src
    fmt = ctx.attr.format
    label = ctx.attr.src.label
    if not files:
        fail("src %s provides no files" % label, attr = "src")
    if fmt not in _FORMATS:
        fail("unknown format '%s': expected one of %s" % (fmt, ", ".join(_FORMATS)), attr = "format")

    saved_model_dir = _saved_model_dir(ctx, files)
    if fmt == "auto":
        if saved_model_dir != None:
            fmt = "saved_model"
        elif len(files) == 1 and _has_suffix(files[0].basename, _GRAPHDEF_SUFFIXES):
            fmt = "graphdef"
        elif len(files) == 1 and _has_suffix(files[0].basename, _KERAS_SUFFIXES):
            fmt = "keras"
        elif len(files) == 1:
            fail(("cannot tell the format of %s from its name: expected .pb/.pbtxt (GraphDef), " +
                  ".h5/.keras (Keras) or a SavedModel filegroup containing saved_model.pb; " +
                  "set format = \"graphdef\", \"saved_model\" or \"keras\"") % files[0].short_path,
                 attr = "src")
        else:
            fail(("src %s has %d files but no saved_model.pb: a SavedModel is given as a " +
                  "filegroup of its directory (saved_model.pb, variables/*, assets/*); a " +
                  "GraphDef or Keras model as a single file") % (label, len(files)), attr = "src")

    if fmt == "saved_model":
        if saved_model_dir == None:
            fail("format = \"saved_model\" but src %s contains no saved_model.pb" % label, attr = "src")
        return fmt, saved_model_dir
    if len(files) != 1:
        fail("format = \"%s\" needs a single file, but src %s has %d files" % (fmt, label, len(files)),
             attr = "src")
    return fmt, files[0].path

def _check_names(attr_name, names):
    for n in names:
        if not n or n != n.strip():
            fail("%s: empty or space-padded tensor name '%s'" % (attr_name, n), attr = attr_name)

_QUANTIZE_MODES = ["static", "dynamic"]

def _check_quantize(ctx):
    """Analysis-time checks of quantize, quantize_mode and calibration."""
    q = ctx.attr.quantize
    mode = ctx.attr.quantize_mode
    if q not in ("", "int8"):
        fail("quantize = \"%s\": expected \"int8\" (or \"\" for none)" % q, attr = "quantize")
    if mode not in _QUANTIZE_MODES:
        fail("quantize_mode = \"%s\": expected one of %s" % (mode, ", ".join(_QUANTIZE_MODES)),
             attr = "quantize_mode")
    if not q:
        if ctx.file.calibration:
            fail("calibration is set but quantize is not: add quantize = \"int8\"", attr = "calibration")
        if mode != "static":
            fail("quantize_mode is set but quantize is not: add quantize = \"int8\"", attr = "quantize_mode")
        return
    if mode == "static" and not ctx.file.calibration:
        fail("quantize = \"int8\" (static) needs calibration = a .npz of samples keyed by input " +
             "name, or quantize_mode = \"dynamic\"", attr = "calibration")

def _onnx_model_impl(ctx):
    opset = ctx.attr.opset
    if opset < MIN_OPSET or opset > MAX_OPSET:
        fail("opset %d is out of range: onnxsmith emits ai.onnx opsets %d to %d" %
             (opset, MIN_OPSET, MAX_OPSET), attr = "opset")
    for a in ["inputs", "outputs", "inputs_as_nchw", "outputs_as_nchw", "custom_ops"]:
        _check_names(a, getattr(ctx.attr, a))
    for n in ctx.attr.custom_ops:
        if n.count(":") > 1 or n.startswith(":") or n.endswith(":"):
            fail("custom_ops: bad entry '%s', expected \"Op\" or \"Op:domain\"" % n, attr = "custom_ops")

    _check_quantize(ctx)
    fmt, src_path = _resolve_source(ctx)
    model = ctx.outputs.model
    report = ctx.outputs.report
    tool = ctx.attr._onnxsmith[DefaultInfo].files_to_run

    args = ctx.actions.args()
    args.add(report)
    args.add(ctx.executable._onnxsmith)
    args.add("convert")
    args.add(_FORMAT_FLAG[fmt], src_path)
    args.add("--output", model)
    args.add("--opset", str(opset))
    if ctx.attr.inputs:
        args.add_joined("--inputs", ctx.attr.inputs, join_with = ",")
    if ctx.attr.outputs:
        args.add_joined("--outputs", ctx.attr.outputs, join_with = ",")
    if ctx.attr.inputs_as_nchw:
        args.add_joined("--inputs-as-nchw", ctx.attr.inputs_as_nchw, join_with = ",")
    if ctx.attr.outputs_as_nchw:
        args.add_joined("--outputs-as-nchw", ctx.attr.outputs_as_nchw, join_with = ",")
    if ctx.attr.custom_ops:
        args.add_joined("--custom-ops", ctx.attr.custom_ops, join_with = ",")
    if not ctx.attr.optimize:
        # Accepted by a bool flag `optimize` (absl: 0 = false) and by an int
        # optimization level alike.
        args.add("--optimize=0")
    inputs = list(ctx.files.src)
    if ctx.attr.quantize:
        args.add("--quantize", ctx.attr.quantize)
        args.add("--mode", ctx.attr.quantize_mode)
        if ctx.file.calibration:
            args.add("--calibration", ctx.file.calibration)
            inputs.append(ctx.file.calibration)
        # Always explicit: onnxsmith's default follows the CPU it runs on,
        # and an action's output must not depend on the executor.
        args.add("--reduce-range" if ctx.attr.reduce_range else "--full-range")
    args.add_all(ctx.attr.extra_args)

    ctx.actions.run_shell(
        # onnxsmith prints its report on stdout; keep it as a build output.
        command = 'report="$1"; shift; "$@" > "$report"',
        arguments = [args],
        inputs = inputs,
        outputs = [model, report],
        tools = [tool],
        mnemonic = "OnnxsmithConvert",
        progress_message = "Converting %s to ONNX (opset %d%s) for %s" %
                           (ctx.attr.src.label, opset, ", INT8" if ctx.attr.quantize else "", ctx.label),
        use_default_shell_env = False,
    )

    return [
        DefaultInfo(files = depset([model]), runfiles = ctx.runfiles(files = [model])),
        OutputGroupInfo(report = depset([report])),
        OnnxModelInfo(
            model = model,
            report = report,
            opset = opset,
            inputs = list(ctx.attr.inputs),
            outputs = list(ctx.attr.outputs),
            format = fmt,
            quantize = ctx.attr.quantize,
        ),
    ]

onnx_model = rule(
    implementation = _onnx_model_impl,
    doc = "Converts a TensorFlow GraphDef, SavedModel or Keras model to <name>.onnx " +
          "(plus <name>.report.txt) with onnxsmith.",
    attrs = {
        "src": attr.label(
            mandatory = True,
            allow_files = True,
            doc = "A .pb/.pbtxt GraphDef, a .h5/.keras file, or a filegroup of a SavedModel " +
                  "directory (all its files; the directory is the one holding saved_model.pb).",
        ),
        "format": attr.string(
            default = "auto",
            doc = "auto, graphdef, saved_model or keras. auto: saved_model.pb present -> " +
                  "saved_model; .pb/.pbtxt -> graphdef; .h5/.keras -> keras.",
        ),
        "opset": attr.int(default = 17, doc = "ai.onnx opset, %d..%d." % (MIN_OPSET, MAX_OPSET)),
        "inputs": attr.string_list(doc = "Input tensors, e.g. [\"x:0\"] or [\"x:0[1,224,224,3]\"]."),
        "outputs": attr.string_list(doc = "Output tensors, e.g. [\"y:0\"]."),
        "inputs_as_nchw": attr.string_list(doc = "Inputs to expose as NCHW."),
        "outputs_as_nchw": attr.string_list(doc = "Outputs to expose as NCHW."),
        "custom_ops": attr.string_list(doc = "TF ops passed through unconverted: \"Op\" or \"Op:domain\"."),
        "optimize": attr.bool(default = True, doc = "Run the optimizer pipeline."),
        "extra_args": attr.string_list(doc = "Extra flags appended to `onnxsmith convert`."),
        "quantize": attr.string(
            default = "",
            doc = "\"int8\": quantize the converted model (`convert --quantize int8`); " +
                  "quantizer flags such as --method entropy go in extra_args.",
        ),
        "quantize_mode": attr.string(
            default = "static",
            doc = "static (QDQ with calibration ranges) or dynamic (no calibration needed).",
        ),
        "calibration": attr.label(
            allow_single_file = [".npz", ".npy"],
            doc = "Calibration samples for quantize = \"int8\": a .npz keyed by input name " +
                  "(samples on axis 0), or a .npy for a one-input model.",
        ),
        "reduce_range": attr.bool(
            default = True,
            doc = "7-bit weights, right on every x86 CPU; False for 8-bit weights when the " +
                  "deployment CPU has VNNI. Never taken from the build machine's CPU.",
        ),
        "_onnxsmith": attr.label(
            default = Label("//rules:onnxsmith"),
            executable = True,
            cfg = "exec",
        ),
    },
    outputs = {
        "model": "%{name}.onnx",
        "report": "%{name}.report.txt",
    },
)

# onnx_model_test's criterion for a quantized onnx_model when min_sqnr_db is
# not given: INT8 models typically reach 30-40 dB against fp32; a broken
# scale or a wrong zero point falls far below 20.
_DEFAULT_INT8_MIN_SQNR_DB = "20"

def _shell_quote(s):
    return "'" + s.replace("'", "'\\''") + "'"

def _is_number(s):
    # Starlark has no float parsing in Bazel 4: accept [+-]digits[.digits][e[+-]digits].
    t = s.lower()
    if t.startswith("+") or t.startswith("-"):
        t = t[1:]
    mantissa, _, exponent = t.partition("e")
    if exponent.startswith("+") or exponent.startswith("-"):
        exponent = exponent[1:]
    whole, _, frac = mantissa.partition(".")
    if not (whole + frac) or not (whole + frac).isdigit():
        return False
    if "e" in t and not exponent.isdigit():
        return False
    return True

def _tensor_files(ctx, attr_name):
    """[(tensor name, File)] from a label_keyed_string_dict {npy: "name[,name...]"}."""
    pairs = []
    seen = {}
    for target, names in getattr(ctx.attr, attr_name).items():
        files = target.files.to_list()
        if len(files) != 1:
            fail("%s: %s must be exactly one .npy file, got %d files" %
                 (attr_name, target.label, len(files)), attr = attr_name)
        for name in names.split(","):
            if not name:
                fail("%s: empty tensor name for %s" % (attr_name, target.label), attr = attr_name)
            if name in seen:
                fail("%s: tensor %s is given twice" % (attr_name, name), attr = attr_name)
            seen[name] = True
            pairs.append((name, files[0]))
    return pairs

def _onnx_model_test_impl(ctx):
    if OnnxModelInfo in ctx.attr.model:
        model = ctx.attr.model[OnnxModelInfo].model
    else:
        model = ctx.file.model
    for a in ["rtol", "atol"]:
        v = getattr(ctx.attr, a)
        if not _is_number(v) or v.startswith("-"):
            fail("%s = '%s' is not a non-negative number" % (a, v), attr = a)
    min_sqnr = ctx.attr.min_sqnr_db
    if min_sqnr and (not _is_number(min_sqnr) or min_sqnr.startswith("-")):
        fail("min_sqnr_db = '%s' is not a non-negative number" % min_sqnr, attr = "min_sqnr_db")
    quantized = OnnxModelInfo in ctx.attr.model and ctx.attr.model[OnnxModelInfo].quantize
    if quantized and not min_sqnr:
        # INT8 rounding exceeds any element-wise rtol/atol that would still
        # catch a broken model; the output's SQNR is scale-free.
        min_sqnr = _DEFAULT_INT8_MIN_SQNR_DB
    inputs = _tensor_files(ctx, "inputs")
    expected = _tensor_files(ctx, "expected")
    if not expected:
        fail("expected is empty: give at least one output tensor and its .npy file", attr = "expected")

    tool = ctx.executable._onnxsmith
    tool_path = tool.short_path  # "../onnxsmith/onnxsmith" from another workspace
    if not tool_path.startswith("../"):
        tool_path = "./" + tool_path  # "onnxsmith" in onnxsmith's own: not a PATH lookup
    cmd = [_shell_quote(tool_path), "run", _shell_quote(model.short_path)]
    for name, f in inputs:
        cmd += ["--input", _shell_quote("%s=%s" % (name, f.short_path))]
    for name, f in expected:
        cmd += ["--expect", _shell_quote("%s=%s" % (name, f.short_path))]
    cmd += ["--rtol", ctx.attr.rtol, "--atol", ctx.attr.atol]
    if min_sqnr:
        cmd += ["--min-sqnr", min_sqnr]
    # The output .npy files go to the test's scratch directory, never into
    # the runfiles tree.
    cmd += ['--output_dir "${TEST_TMPDIR:-.}"']

    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.write(
        output = script,
        content = "\n".join([
            "#!/usr/bin/env bash",
            "# Generated by onnx_model_test (@onnxsmith//rules:defs.bzl) for %s." % ctx.label,
            "# Runs from the runfiles root of the test's workspace; exits 1 with the",
            "# largest error and its tensor name when outputs drift beyond rtol/atol.",
            "set -euo pipefail",
            "exec " + " ".join(cmd) + ' "$@"',
            "",
        ]),
        is_executable = True,
    )
    runfiles = ctx.runfiles(files = [model] + [f for _, f in inputs + expected])
    # The binary itself too: a prebuilt one (a source file, see
    # //rules:onnxsmith) has no runfiles of its own.
    runfiles = runfiles.merge(ctx.runfiles(files = [tool]))
    runfiles = runfiles.merge(ctx.attr._onnxsmith[DefaultInfo].default_runfiles)
    return [
        DefaultInfo(executable = script, runfiles = runfiles),
        # `bazel build --output_groups=script` writes the script alone (to read it).
        OutputGroupInfo(script = depset([script])),
    ]

_onnx_model_test = rule(
    implementation = _onnx_model_test_impl,
    test = True,
    attrs = {
        "model": attr.label(mandatory = True, allow_single_file = [".onnx"]),
        "inputs": attr.label_keyed_string_dict(allow_files = [".npy"]),
        "expected": attr.label_keyed_string_dict(allow_files = [".npy"]),
        "rtol": attr.string(default = "1e-4"),
        "atol": attr.string(default = "1e-5"),
        "min_sqnr_db": attr.string(default = ""),
        # The evaluator is the same onnxsmith binary onnx_model uses as a tool,
        # built once in the exec configuration rather than a second time in the
        # target one (it runs where the test runs: locally or on the executor).
        "_onnxsmith": attr.label(
            default = Label("//rules:onnxsmith"),
            executable = True,
            cfg = "exec",
        ),
    },
)

def _invert(attr_name, tensors):
    """{"x:0": "x.npy"} -> {"x.npy": "x:0"} (names sharing a file joined by ',')."""
    if type(tensors) != type({}):
        fail("%s must be a dict {tensor name: .npy label}, got %s" % (attr_name, type(tensors)))
    by_file = {}
    for name, npy in tensors.items():
        if type(name) != type("") or not name or "," in name or "=" in name:
            fail("%s: bad tensor name %r (no ',' or '=')" % (attr_name, name))
        if npy in by_file:
            by_file[npy] = by_file[npy] + "," + name
        else:
            by_file[npy] = name
    return by_file

def _tolerance(attr_name, value):
    s = str(value) if type(value) != type("") else value
    if not _is_number(s):
        fail("%s must be a number, got %r" % (attr_name, value))
    return s

def onnx_model_test(name, model, inputs = {}, expected = {}, rtol = 1e-4, atol = 1e-5, min_sqnr_db = None,
                    **kwargs):
    """Runs `model` with onnxsmith's reference evaluator and compares with stored outputs.

    Args:
      name: test name.
      model: an onnx_model target (or any single .onnx file).
      inputs: {tensor name: .npy label} fed to the model, e.g. {"x:0": "x.npy"}.
      expected: {tensor name: .npy label} of reference outputs (from the model's
        own framework), e.g. {"y:0": "y.npy"}.
      rtol: relative tolerance; an element fails when
        |got - want| > atol + rtol * |want|.
      atol: absolute tolerance.
      min_sqnr_db: judge each output by its SQNR against the expected one
        (10 log10(sum want^2 / sum (got - want)^2) >= min_sqnr_db) instead of
        rtol/atol. Default: 20 for a model from onnx_model(quantize = "int8"),
        else rtol/atol.
      **kwargs: size, tags, timeout, flaky, visibility... as for any test.
    """
    _onnx_model_test(
        name = name,
        model = model,
        inputs = _invert("inputs", inputs),
        expected = _invert("expected", expected),
        rtol = _tolerance("rtol", rtol),
        atol = _tolerance("atol", atol),
        min_sqnr_db = "" if min_sqnr_db == None else _tolerance("min_sqnr_db", min_sqnr_db),
        size = kwargs.pop("size", "small"),
        **kwargs
    )
