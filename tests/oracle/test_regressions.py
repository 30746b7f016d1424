"""Regressions found by using the tool, each with the situation that showed it.

- A .keras file converted from a directory that holds a file named
  model.weights.h5 (e.g. after unzipping the archive there): the in-memory
  HDF5 image was opened under that name and libhdf5 refused ("file already
  exists").
- `optimize` on an IR-3 model from the ONNX model zoo (initializers must also
  be graph inputs in IR < 4): folded constants were written as initializers
  that are not inputs, an invalid IR-3 model.
"""
import pathlib
import shutil
import subprocess
import zipfile

import numpy as np
import pytest

from oracle_lib import assert_close, check_onnx, describe, run_onnx

REPO = pathlib.Path(__file__).resolve().parents[2]
TINY_MLP = REPO / "examples" / "model_repo" / "models" / "tiny_mlp"


def test_keras_archive_next_to_its_unzipped_weights(onnxsmith_bin, tmp_path):
    shutil.copy(TINY_MLP / "model.keras", tmp_path / "model.keras")
    with zipfile.ZipFile(tmp_path / "model.keras") as z:
        z.extract("model.weights.h5", tmp_path)
    proc = subprocess.run([str(onnxsmith_bin), "convert", "--keras", "model.keras", "--output", "m.onnx"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, describe(proc)
    check_onnx(tmp_path / "m.onnx")
    got = run_onnx(tmp_path / "m.onnx", {"features": np.load(TINY_MLP / "input.npy")})
    assert_close(got["scores"], np.load(TINY_MLP / "expected.npy"), what="scores")


def test_optimize_ir3_model_zoo_resnet(onnxsmith_bin, tmp_path):
    onnx = pytest.importorskip("onnx")
    src = pathlib.Path(onnx.__file__).parent / "backend" / "test" / "data" / "light" / "light_resnet50.onnx"
    if not src.exists():
        pytest.skip(f"{src} not shipped by this onnx package")
    assert onnx.load(str(src)).ir_version == 3
    out = tmp_path / "r50.onnx"
    proc = subprocess.run([str(onnxsmith_bin), "optimize", str(src), str(out), "--check"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, describe(proc)
    check_onnx(out)
    x = np.random.default_rng(0).random((1, 3, 224, 224), dtype=np.float32)
    name = onnx.load(str(src)).graph.input[0].name
    want = run_onnx(src, {name: x})
    got = run_onnx(out, {name: x})
    for k in want:
        assert_close(got[k], want[k], what=k)
