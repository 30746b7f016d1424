"""SavedModel conversion, part 2: the corpus SavedModels against their documented values
(../shared/corpus/MANIFEST.tsv), and bad input (truncated saved_model.pb, a missing or corrupt
variables shard, a wrong signature or tag): exit 1, a clear message, no output file.
"""

import shutil

import numpy as np
import pytest

import oracle_lib
from oracle_lib import describe, get_tf
from saved_model_lib import (  # noqa: F401  (sm_convert, sm_convert_ok are fixtures)
    RESULTS, assert_clean_failure, compare, run_signature, sm_convert, sm_convert_ok)


# The corpus SavedModels against their documented values
# ------------------------------------------------------------------------------------------

# name -> (signature, {key: input}, {key: expected}, extra flags)
CORPUS = {
    "half_plus_two_cpu": (
        "serving_default",
        {"x": np.array([[1], [2], [5]], np.float32)},
        {"y": np.array([[2.5], [3], [4.5]], np.float32)},
        [],
    ),
    "half_plus_two_cpu:regress_x2_to_y3": (
        "regress_x2_to_y3",
        {"inputs": np.array([[1], [2], [5]], np.float32)},
        {"outputs": np.array([[3.5], [4], [5.5]], np.float32)},
        [],
    ),
    "half_plus_two_tf2_cpu": (
        "serving_default",
        {"x": np.array([5], np.float32)},
        {"y": np.array([4.5], np.float32)},
        [],
    ),
    "half_plus_two_tf2_cpu:regress_x2_to_y3": (
        "regress_x2_to_y3",
        {"inputs": np.array([1], np.float32)},
        {"outputs": np.array([3.5], np.float32)},
        [],
    ),
    "matrix_half_plus_two": (
        "serving_default",
        {"x": np.arange(18, dtype=np.float32).reshape(2, 3, 3)},
        {"y": np.arange(18, dtype=np.float32).reshape(2, 3, 3) * 0.5 + 2},
        [],
    ),
    # X has unknown rank in the graph: give it a dynamic 1-D shape, feed a ramp (as tf2onnx).
    "tf2onnx_regression": (
        "serving_default",
        {"X": np.arange(1, 6, dtype=np.float32)},
        {"pred": np.arange(1, 6, dtype=np.float32) * np.float32(0.21396178) + np.float32(1.0495254)},
        ["--inputs", "X:0[-1]"],
    ),
    "tfjs_int64_multiply": (
        "serving_default",
        {"x": np.array([3, 4], np.int64)},
        {"output_0": np.array([18, 24], np.int64)},
        [],
    ),
    # The signature declares scalars (tfjs-node feeds [1,2,3] without shape checks).
    "tfjs_model_multi_output": (
        "serving_default",
        {"x": np.array(3, np.int32), "y": np.array(7, np.int32)},
        {"output_0": np.array(6, np.int32), "output_1": np.array(7, np.int32)},
        [],
    ),
}


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_corpus_saved_model(case, corpus_dir, sm_convert_ok, tmp_path):
    name = case.split(":")[0]
    sm_dir = corpus_dir / "savedmodel" / name
    signature, feeds, expected, flags = CORPUS[case]
    out = tmp_path / f"{name}.onnx"
    model, seconds = sm_convert_ok(sm_dir, out, "--signature_def", signature, *flags)
    got = run_signature(out, model, sm_dir, feeds, signature)
    errs = compare(got, expected, case)
    RESULTS.append((f"corpus {case}", seconds, *errs))
    oracle_lib.CORPUS_RESULTS.append((case, f"savedmodel/{name}", *errs))


def test_corpus_parse_example_signature_is_refused(corpus_dir, sm_convert, tmp_path):
    """classify_x_to_y takes serialized tf.Example protos: ParseExample has no ONNX form, and the
    message says so by op type."""
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    proc = sm_convert(corpus_dir / "savedmodel/half_plus_two_cpu", out_dir / "m.onnx",
                      "--signature_def", "classify_x_to_y")
    assert_clean_failure(proc, out_dir, "ParseExample")


# ------------------------------------------------------------------------------------------
# Bad input
# ------------------------------------------------------------------------------------------


@pytest.fixture
def out_dir(tmp_path):
    d = tmp_path / "out"
    d.mkdir()
    return d


@pytest.fixture
def tf2_copy(corpus_dir, tmp_path):
    """A writable copy of half_plus_two_tf2_cpu."""
    dst = tmp_path / "half_plus_two_tf2"
    shutil.copytree(corpus_dir / "savedmodel/half_plus_two_tf2_cpu", dst)
    for p in dst.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    return dst


def _saved_model_parses(data: bytes) -> bool:
    get_tf()
    from tensorflow.core.protobuf import saved_model_pb2

    try:
        saved_model_pb2.SavedModel().ParseFromString(data)
        return True
    except Exception:
        return False


def test_truncated_saved_model_pb(tf2_copy, sm_convert, tmp_path):
    pb = tf2_copy / "saved_model.pb"
    data = pb.read_bytes()
    tried = 0
    for frac in (0.05, 0.3, 0.6, 0.95):
        off = int(len(data) * frac)
        while off < len(data) and _saved_model_parses(data[:off]):
            off += 1
        pb.write_bytes(data[:off])
        out_dir = tmp_path / f"out_{off}"
        out_dir.mkdir()
        proc = sm_convert(tf2_copy, out_dir / "m.onnx")
        assert_clean_failure(proc, out_dir, "saved_model.pb")
        tried += 1
    assert tried == 4


def test_empty_saved_model_pb(tf2_copy, sm_convert, out_dir):
    (tf2_copy / "saved_model.pb").write_bytes(b"")
    assert_clean_failure(sm_convert(tf2_copy, out_dir / "m.onnx"), out_dir, "saved_model.pb")


def test_missing_variables_shard(tf2_copy, sm_convert, out_dir):
    shard = tf2_copy / "variables/variables.data-00000-of-00001"
    shard.unlink()
    assert_clean_failure(sm_convert(tf2_copy, out_dir / "m.onnx"), out_dir, shard.name)


def test_corrupt_variables_shard(tf2_copy, sm_convert, out_dir):
    """Flipping every byte of the shard breaks the checksum of every variable."""
    shard = tf2_copy / "variables/variables.data-00000-of-00001"
    shard.write_bytes(bytes(b ^ 0x5A for b in shard.read_bytes()))
    proc = sm_convert(tf2_copy, out_dir / "m.onnx")
    assert_clean_failure(proc, out_dir, "variable")
    assert "ATTRIBUTES/VARIABLE_VALUE" in proc.stderr or "'a'" in proc.stderr or "'b'" in proc.stderr, describe(proc)


def test_truncated_variables_shard(tf2_copy, sm_convert, out_dir):
    shard = tf2_copy / "variables/variables.data-00000-of-00001"
    shard.write_bytes(shard.read_bytes()[:5])
    assert_clean_failure(sm_convert(tf2_copy, out_dir / "m.onnx"), out_dir, shard.name)


def test_missing_variables_dir_when_needed(tf2_copy, sm_convert, out_dir):
    shutil.rmtree(tf2_copy / "variables")
    assert_clean_failure(sm_convert(tf2_copy, out_dir / "m.onnx"), out_dir, "variables")


def test_wrong_signature_lists_available(corpus_dir, sm_convert, out_dir):
    proc = sm_convert(corpus_dir / "savedmodel/half_plus_two_cpu", out_dir / "m.onnx",
                      "--signature_def", "no_such_signature")
    assert_clean_failure(proc, out_dir, "no_such_signature", "serving_default", "regress_x_to_y",
                         "classify_x_to_y")


def test_wrong_tag_lists_available(corpus_dir, sm_convert, out_dir):
    proc = sm_convert(corpus_dir / "savedmodel/half_plus_two_tf2_cpu", out_dir / "m.onnx",
                      "--tag", "train")
    assert_clean_failure(proc, out_dir, "train", "[serve]")


def test_not_a_saved_model_directory(tmp_path, sm_convert, out_dir):
    d = tmp_path / "empty_dir"
    d.mkdir()
    assert_clean_failure(sm_convert(d, out_dir / "m.onnx"), out_dir, "saved_model.pb")
