"""Shared fixtures for the onnxsmith oracle tests.

The oracle tests build models with TensorFlow, freeze them to a GraphDef,
convert them with the `onnxsmith` CLI, check the result with the PyPI onnx
checker, run it in ONNX Runtime and compare with TensorFlow's own outputs.

Environment:
  ONNXSMITH_BIN      path of the onnxsmith binary
                     (default: <repo>/bazel-bin/onnxsmith, the //:onnxsmith target,
                     then <repo>/bazel-bin/cli/onnxsmith)
  ONNXSMITH_CORPUS   path of the shared model corpus (default: <repo>/../shared/corpus)

Every fixture that needs the binary skips (with the reason) when it is absent.
Generated files go to pytest's tmp_path_factory, never into the repository.
"""

import importlib.util
import os
import pathlib
import shutil
import sys
from typing import Callable, Dict

import pytest

import oracle_lib
from oracle_lib import (  # noqa: F401  (re-exported helpers)
    FIRST_HANDLER_SET,
    REPO_ROOT,
    Frozen,
    assert_close,
    check_onnx,
    describe,
    freeze,
    get_tf,
    run_cli,
    run_onnx,
    seed_everything,
)

# --------------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def tf():
    return get_tf()


@pytest.fixture(scope="session")
def onnxsmith_bin(tmp_path_factory) -> pathlib.Path:
    """The binary, copied once per session: a rebuild during the run must not swap it."""
    binary = oracle_lib.binary_or_skip()
    snapshot = tmp_path_factory.mktemp("bin") / "onnxsmith"
    shutil.copy2(binary, snapshot)
    snapshot.chmod(0o755)
    return snapshot


@pytest.fixture
def tmp_dir(tmp_path) -> pathlib.Path:
    return tmp_path


@pytest.fixture(scope="session")
def convert(onnxsmith_bin):
    """convert(graphdef_path, out, *flags) -> CompletedProcess of `onnxsmith convert`."""

    def _convert(graphdef_path, out, *flags, timeout: float = 180):
        args = ["convert", "--graphdef", str(graphdef_path), "--output", str(out), *map(str, flags)]
        return run_cli(onnxsmith_bin, args, timeout=timeout)

    return _convert


@pytest.fixture(scope="session")
def inspect_cli(onnxsmith_bin):
    def _inspect(path, timeout: float = 120):
        return run_cli(onnxsmith_bin, ["inspect", str(path)], timeout=timeout)

    return _inspect


@pytest.fixture(scope="session")
def convert_ok(convert):
    """Convert and assert success, an output file and a PyPI-checker-clean model.
    Returns the loaded ModelProto."""

    def _convert_ok(graphdef_path, out, *flags):
        proc = convert(graphdef_path, out, *flags)
        assert proc.returncode == 0, "conversion failed\n" + describe(proc)
        assert pathlib.Path(out).is_file(), "exit 0 but no output file\n" + describe(proc)
        return check_onnx(out)

    return _convert_ok


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory) -> pathlib.Path:
    return tmp_path_factory.mktemp("frozen_models")


class FrozenCache:
    """Builds and freezes each TF model once per session."""

    def __init__(self, directory: pathlib.Path):
        self.directory = directory
        self._items: Dict[str, Frozen] = {}
        self._extra: Dict[str, object] = {}

    def get(self, key: str, build: Callable[[pathlib.Path], Frozen]) -> Frozen:
        if key not in self._items:
            get_tf()
            seed_everything()
            self._items[key] = build(self.directory / f"{key}.pb")
        return self._items[key]

    def memo(self, key: str, build: Callable[[], object]):
        if key not in self._extra:
            get_tf()
            seed_everything()
            self._extra[key] = build()
        return self._extra[key]


@pytest.fixture(scope="session")
def frozen_cache(models_dir) -> FrozenCache:
    return FrozenCache(models_dir)


@pytest.fixture(scope="session")
def corpus_dir() -> pathlib.Path:
    env = os.environ.get("ONNXSMITH_CORPUS")
    path = pathlib.Path(env) if env else (REPO_ROOT.parent / "shared" / "corpus")
    if not (path / "graphdef").is_dir():
        pytest.skip(f"model corpus not found at {path} (set ONNXSMITH_CORPUS)")
    return path


# The plain helpers, also as fixtures (so a test can ask for them by name).
@pytest.fixture(name="run_onnx", scope="session")
def _run_onnx_fixture():
    return oracle_lib.run_onnx


@pytest.fixture(name="check_onnx", scope="session")
def _check_onnx_fixture():
    return oracle_lib.check_onnx


@pytest.fixture(name="freeze", scope="session")
def _freeze_fixture():
    get_tf()
    return oracle_lib.freeze


@pytest.fixture(name="assert_close", scope="session")
def _assert_close_fixture():
    return oracle_lib.assert_close


@pytest.fixture(autouse=True)
def _seeded():
    """Every test starts from the same seeds, whatever ran before it."""
    seed_everything()



def pytest_terminal_summary(terminalreporter):
    if oracle_lib.CORPUS_RESULTS:
        terminalreporter.section("corpus models that converted and matched")
        for name, file, abs_err, rel_err in oracle_lib.CORPUS_RESULTS:
            terminalreporter.write_line(f"{name:45s} {file:28s} max abs err {abs_err:.3g}  max rel err {rel_err:.3g}")


# The Python package (test_python_*.py): one staging per session, since `import onnxsmith` is
# cached in sys.modules.
def _load_build_backend():
    spec = importlib.util.spec_from_file_location(
        "onnxsmith_build_backend", oracle_lib.REPO_ROOT / "python" / "build_backend.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _native_path() -> pathlib.Path:
    return pathlib.Path(os.environ.get("ONNXSMITH_NATIVE")
                        or oracle_lib.REPO_ROOT / "bazel-bin" / "python" / "_native.so")


@pytest.fixture(scope="session")
def onnxsmith(tmp_path_factory):
    """The package, staged with the built extension (a copy: a rebuild must not swap it)."""
    native = _native_path()
    if not native.exists():
        pytest.skip(f"extension not built: {native} (bazel build //python:_native.so)")
    stage = tmp_path_factory.mktemp("pkg")
    _load_build_backend().stage_package(stage, native)
    sys.path.insert(0, str(stage))
    try:
        import onnxsmith as module
    finally:
        sys.path.remove(str(stage))
    assert pathlib.Path(module.__file__).parent == stage / "onnxsmith", module.__file__
    return module
