"""The command line itself (cli/command_line.h): every documented flag spelling is accepted by its
command, wrong ones are usage errors, and the version is stamped into what onnxsmith writes.

- Each flag of README.md's "Use" section, rules/defs.bzl, the tests and the benchmarks, in both
  spellings (--saved-model and --saved_model, ...), is accepted: the run exits 0, or 1 for a runtime
  error (a missing file) but never 2 with "unknown flag".
- A flag of another command, an unknown flag, a bad value, a missing or extra argument: exit 2 and
  `onnxsmith CMD: error: ...`, with "(did you mean --xyz?)" for a near miss.
- `onnxsmith --version` / `onnxsmith version`: "onnxsmith X.Y.Z (commit C, MODE build)"; converted
  and optimized models carry producer_name onnxsmith and that producer_version.

Uses examples/small_cnn (image:0 [?,28,28,3] -> Identity:0 [?,10]).
"""

import re

import numpy as np
import pytest

from oracle_lib import REPO_ROOT, describe, run_cli

CNN = REPO_ROOT / "examples" / "small_cnn"
VERSION_RE = re.compile(r"^onnxsmith (\d+\.\d+\.\d+) \(commit (unknown|[0-9a-f]{40}(-dirty)?), "
                        r"(opt|dbg|fastbuild) build\)$")


def _accepted(proc, ok_codes=(0,)):
    assert proc.returncode in ok_codes, describe(proc)
    assert "unknown flag" not in proc.stderr, describe(proc)


def _usage_error(proc, command, *mentions):
    assert proc.returncode == 2, "expected exit code 2\n" + describe(proc)
    prefix = f"onnxsmith {command}: error: " if command else "onnxsmith: error: "
    assert prefix in proc.stderr, f"stderr should hold {prefix!r}\n" + describe(proc)
    for text in mentions:
        assert text in proc.stderr, f"stderr should mention {text!r}\n" + describe(proc)


@pytest.fixture(scope="module")
def cnn_onnx(onnxsmith_bin, tmp_path_factory):
    out = tmp_path_factory.mktemp("cnn") / "cnn.onnx"
    proc = run_cli(onnxsmith_bin, ["convert", "--graphdef", CNN / "model.pb", "--output", out])
    assert proc.returncode == 0, describe(proc)
    return out


# convert flags that succeed on the small CNN, each spelling.
CONVERT_OK = [
    ["--opset", "13"], ["--opset=15"],
    ["--inputs", "image:0[1,28,28,3]"], ["--inputs=image:0[2,28,28,3]"],
    ["--outputs", "Identity:0"],
    ["--inputs-as-nchw", "image:0"], ["--inputs_as_nchw", "image:0"],
    ["--custom-ops", "NoSuchOp"], ["--custom_ops", "NoSuchOp:com.example"],
    ["--no-optimize"], ["--no_optimize"], ["--optimize", "0"], ["--optimize=3"], ["--optimize", "basic"],
    ["--passes", "constant_folding,fold_shape_computations"],
    ["--passes", "constant_folding", "--passes", "fold_shape_computations"],
    ["--skip", "constant_folding"], ["--threads", "1"], ["--threads=2"],
    ["--check"], ["--check=false"], ["--nocheck"], ["--quiet"], ["--verify"], ["--optimize", "3", "--verify"],
    ["--output", "{out2}"],  # given twice: the last one wins
]


@pytest.mark.parametrize("flags", CONVERT_OK, ids=lambda f: " ".join(f))
def test_convert_flag_accepted(flags, onnxsmith_bin, tmp_path):
    out, out2 = tmp_path / "m.onnx", tmp_path / "m2.onnx"
    flags = [f.format(out2=out2) for f in flags]
    proc = run_cli(onnxsmith_bin, ["convert", "--graphdef", CNN / "model.pb", "--output", out, *flags])
    _accepted(proc)
    assert (out2 if str(out2) in flags else out).is_file(), describe(proc)


# Flags for other sources: accepted, then a runtime error on the missing file (exit 1).
@pytest.mark.parametrize("flags", [
    ["--saved-model", "{missing}"], ["--saved_model", "{missing}"],
    ["--saved-model", "{missing}", "--tag", "serve", "--signature_def", "serving_default"],
    ["--saved-model", "{missing}", "--signature-def", "serving_default"],
    ["--saved-model", "{missing}", "--concrete_function", "0"],
    ["--saved-model", "{missing}", "--concrete-function", "f"],
    ["--saved-model", "{missing}", "--outputs-as-nchw", "y:0"],
    ["--saved-model", "{missing}", "--outputs_as_nchw", "y:0"],
    ["--keras", "{missing}.keras"],
    ["--graphdef", "{missing}.pb"],
], ids=lambda f: " ".join(f).replace("{missing}", "X"))
def test_convert_source_flag_accepted(flags, onnxsmith_bin, tmp_path):
    flags = [f.format(missing=tmp_path / "missing") for f in flags]
    proc = run_cli(onnxsmith_bin, ["convert", *flags, "--output", tmp_path / "m.onnx"])
    _accepted(proc, ok_codes=(1,))
    assert "onnxsmith convert: error: " in proc.stderr, describe(proc)


@pytest.mark.parametrize("flags", [
    [], ["--optimize", "1"], ["--no-optimize"], ["--passes", "constant_folding"], ["--skip", "constant_folding"],
    ["--threads", "1"], ["--quiet"], ["--verify"], ["--optimize", "3", "--verify"],
    ["--check"], ["--check", "--check_dims", "2"], ["--check", "--check-dims", "2", "--check-seed", "3"],
    ["--check", "--check_seed", "3", "--check_rtol", "1e-3", "--check_atol", "1e-5"],
    ["--check", "--check-rtol", "1e-3", "--check-atol", "1e-5"], ["--nocheck"],
], ids=lambda f: " ".join(f) or "plain")
def test_optimize_flag_accepted(flags, onnxsmith_bin, cnn_onnx, tmp_path):
    out = tmp_path / "o.onnx"
    proc = run_cli(onnxsmith_bin, ["optimize", cnn_onnx, out, *flags])
    _accepted(proc)
    assert out.is_file()
    if "--check" in flags:
        assert "--check: outputs match" in proc.stdout, describe(proc)


@pytest.mark.parametrize("spelling", ["--list-passes", "--list_passes"])
def test_list_passes(spelling, onnxsmith_bin):
    proc = run_cli(onnxsmith_bin, ["optimize", spelling])
    _accepted(proc)
    assert "constant_folding" in proc.stdout


@pytest.mark.parametrize("flags", [
    ["--output_dir", "{d}"], ["--output-dir", "{d}"], ["--output-dir={d}", "--run_threads", "1"],
    ["--output_dir", "{d}", "--run-threads", "1", "--run_repeat", "2", "--run-profile"],
    ["--output_dir", "{d}", "--threads", "1", "--run-repeat", "2", "--run_profile"],
    ["--output_dir", "{d}", "--expect", "Identity:0={expected}", "--rtol", "1e-3", "--atol", "1e-4"],
], ids=lambda f: " ".join(f).replace("{d}", "D"))
def test_run_flag_accepted(flags, onnxsmith_bin, cnn_onnx, tmp_path):
    flags = [f.format(d=tmp_path / "outs", expected=CNN / "expected.npy") for f in flags]
    proc = run_cli(onnxsmith_bin, ["run", cnn_onnx, "--input", f"image:0={CNN / 'input.npy'}", *flags])
    _accepted(proc)
    assert (tmp_path / "outs" / "Identity_0.npy").is_file(), describe(proc)


def test_run_repeated_input_flags(onnxsmith_bin, tmp_path):
    """--input given twice, and as one comma list of name=file pairs."""
    from onnx import TensorProto, helper, save

    graph = helper.make_graph([helper.make_node("Add", ["a", "b"], ["y"])], "g",
                              [helper.make_tensor_value_info(n, TensorProto.FLOAT, [2]) for n in "ab"],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    save(model, str(tmp_path / "add.onnx"))
    np.save(tmp_path / "a.npy", np.array([1, 2], np.float32))
    np.save(tmp_path / "b.npy", np.array([10, 20], np.float32))
    a, b = f"a={tmp_path / 'a.npy'}", f"b={tmp_path / 'b.npy'}"
    for inputs in (["--input", a, "--input", b], ["--input", f"{a},{b}"]):
        proc = run_cli(onnxsmith_bin, ["run", tmp_path / "add.onnx", *inputs, "--output_dir", tmp_path])
        _accepted(proc)
        np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), [11, 22])


@pytest.mark.parametrize("flags", [[], ["--max-items", "5"], ["--max_items=3"], ["--json"], ["--quiet"]],
                         ids=lambda f: " ".join(f) or "plain")
def test_inspect_flag_accepted(flags, onnxsmith_bin, cnn_onnx):
    proc = run_cli(onnxsmith_bin, ["inspect", cnn_onnx, *flags])
    _accepted(proc)


# ---------------------------------------------------------------------------------------------
# Usage errors: exit 2, `onnxsmith CMD: error: ...`
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("args,command,mentions", [
    (["convert", "--frobnicate"], "convert", ["unknown flag --frobnicate"]),
    (["convert", "--ouptut", "x.onnx"], "convert", ["unknown flag --ouptut", "(did you mean --output?)"]),
    (["convert", "--saved_modle=d"], "convert", ["unknown flag --saved_modle", "did you mean --saved-model?"]),
    (["convert", "--list-passes"], "convert", ["unknown flag --list-passes", "optimize"]),
    (["optimize", "a.onnx", "b.onnx", "--saved-model", "d"], "optimize", ["unknown flag --saved-model"]),
    (["optimize", "a.onnx", "b.onnx", "--check-dim", "2"], "optimize", ["did you mean --check-dims?"]),
    (["run", "m.onnx", "--inputs", "x=x.npy"], "run", ["unknown flag --inputs", "did you mean --input?"]),
    (["inspect", "m.onnx", "--output", "x"], "inspect", ["unknown flag --output"]),
    (["convert", "--graphdef", "m.pb", "--output", "o.onnx", "--opset", "abc"], "convert", ["--opset", "abc"]),
    (["convert", "--graphdef", "m.pb", "--output", "o.onnx", "--threads"], "convert", ["--threads"]),
    (["convert", "--output", "o.onnx"], "convert", ["give exactly one of --graphdef, --saved-model, --keras"]),
    (["convert", "--graphdef", "a.pb", "--keras", "b.keras", "--output", "o.onnx"], "convert", ["exactly one"]),
    (["convert", "--graphdef", "m.pb"], "convert", ["--output is required"]),
    (["convert", "--graphdef", "m.pb", "--output", "o.onnx", "extra"], "convert", ["unexpected argument 'extra'"]),
    (["optimize", "in.onnx"], "optimize", ["IN.onnx OUT.onnx"]),
    (["run"], "run", ["model"]),
    (["inspect"], "inspect", ["path"]),
    (["frobnicate"], "", ["unknown command 'frobnicate'"]),
    (["conver"], "", ["unknown command 'conver'", "did you mean 'convert'?"]),
    (["--opset", "13", "convert"], "", ["unknown flag --opset"]),
])
def test_usage_error(args, command, mentions, onnxsmith_bin, tmp_path):
    proc = run_cli(onnxsmith_bin, args)
    _usage_error(proc, command, *mentions)
    assert proc.stdout == "", describe(proc)


def test_no_command_prints_usage(onnxsmith_bin):
    proc = run_cli(onnxsmith_bin, [])
    assert proc.returncode == 2, describe(proc)
    assert "commands:" in proc.stderr and "convert" in proc.stderr, describe(proc)


@pytest.mark.parametrize("args", [["--help"], ["-h"]])
def test_help(args, onnxsmith_bin):
    proc = run_cli(onnxsmith_bin, args)
    assert proc.returncode == 0, describe(proc)
    for command in ("convert", "optimize", "run", "inspect", "version"):
        assert command in proc.stdout, describe(proc)


@pytest.mark.parametrize("command,flag", [("convert", "--saved-model"), ("optimize", "--list-passes"),
                                          ("run", "--output-dir"), ("inspect", "--max-items")])
def test_command_help(command, flag, onnxsmith_bin):
    proc = run_cli(onnxsmith_bin, [command, "--help"])
    assert proc.returncode == 0, describe(proc)
    assert flag in proc.stdout and "--quiet" in proc.stdout, describe(proc)


# ---------------------------------------------------------------------------------------------
# Version
# ---------------------------------------------------------------------------------------------


def _version(onnxsmith_bin, args):
    proc = run_cli(onnxsmith_bin, args)
    assert proc.returncode == 0, describe(proc)
    lines = proc.stdout.splitlines()
    assert len(lines) == 1 and VERSION_RE.match(lines[0]), describe(proc)
    return VERSION_RE.match(lines[0])


def test_version(onnxsmith_bin):
    a = _version(onnxsmith_bin, ["--version"])
    b = _version(onnxsmith_bin, ["version"])
    assert a.group(0) == b.group(0)


def test_producer_version(onnxsmith_bin, cnn_onnx, tmp_path):
    """Converted and optimized models say onnxsmith wrote them, with its release number."""
    import onnx

    release = _version(onnxsmith_bin, ["version"]).group(1)
    model = onnx.load(str(cnn_onnx))
    assert (model.producer_name, model.producer_version) == ("onnxsmith", release)
    # An input from another producer is re-labelled by optimize.
    model.producer_name, model.producer_version = "elsewhere", "9.9"
    other = tmp_path / "other.onnx"
    onnx.save(model, str(other))
    proc = run_cli(onnxsmith_bin, ["optimize", other, tmp_path / "o.onnx"])
    assert proc.returncode == 0, describe(proc)
    out = onnx.load(str(tmp_path / "o.onnx"))
    assert (out.producer_name, out.producer_version) == ("onnxsmith", release)
