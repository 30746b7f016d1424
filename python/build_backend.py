"""PEP 517 build backend of the onnxsmith Python package: Bazel builds the extension
(//python:_native.so, from the same targets as the CLI) and this file packs the wheel.

It needs nothing but the standard library and Bazel, so `pip install ./python` (or the repo
root) works offline, with or without build isolation, in any venv: there are no build
requirements to download. Environment:
  BAZEL                  the bazel command (default: bazel)
  ONNXSMITH_BAZEL_FLAGS  extra flags for `bazel build` (default: --jobs=2)
  ONNXSMITH_NATIVE       a prebuilt _native.so to pack instead of running Bazel
"""

import base64
import hashlib
import os
import pathlib
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import zipfile

NAME = "onnxsmith"
PACKAGE_DIR = pathlib.Path(__file__).resolve().parent / "onnxsmith"
REPO = PACKAGE_DIR.parent.parent
SUMMARY = "TensorFlow/Keras to ONNX conversion, optimization and INT8 quantization (native core)"


def _version() -> str:
    text = (REPO / "common" / "version.cc").read_text()
    return text.split('kVersion[] = "', 1)[1].split('"', 1)[0]


def _python_headers_check() -> None:
    """The extension is compiled against Debian's python3-dev headers (third_party/python.BUILD)."""
    have = sorted(p.name for p in pathlib.Path("/usr/include").glob("python3.*") if (p / "Python.h").exists())
    want = f"python{sys.version_info.major}.{sys.version_info.minor}"
    if have and have[-1] != want:
        raise RuntimeError(f"onnxsmith's extension builds against /usr/include/{have[-1]} "
                           f"(python3-dev), but this is {want}: install with that Python")


def _bazel_env() -> dict:
    """The caller's environment without pip's build-isolation directories on PATH: Bazel
    passes PATH into every action's key, so a changed PATH would rebuild the whole core."""
    env = dict(os.environ)
    path = [p for p in env.get("PATH", "").split(os.pathsep) if "pip-build-env-" not in p]
    env["PATH"] = os.pathsep.join(path)
    return env


def build_native() -> pathlib.Path:
    """bazel build //python:_native.so (a cache hit when nothing changed)."""
    if os.environ.get("ONNXSMITH_NATIVE"):
        return pathlib.Path(os.environ["ONNXSMITH_NATIVE"])
    _python_headers_check()
    bazel = os.environ.get("BAZEL", "bazel")
    flags = shlex.split(os.environ.get("ONNXSMITH_BAZEL_FLAGS", "--jobs=2"))
    env = _bazel_env()
    subprocess.run([bazel, "build", *flags, "//python:_native.so"], cwd=REPO, check=True,
                   stdout=sys.stderr, env=env)
    bin_dir = subprocess.run([bazel, "info", *flags, "bazel-bin"], cwd=REPO, check=True,
                             capture_output=True, text=True, env=env).stdout.strip()
    return pathlib.Path(bin_dir) / "python" / "_native.so"


def stage_package(dest: pathlib.Path, native: pathlib.Path) -> pathlib.Path:
    """dest/onnxsmith: the package's .py files plus the extension; returns that directory."""
    pkg = dest / NAME
    pkg.mkdir(parents=True, exist_ok=True)
    for py in PACKAGE_DIR.glob("*.py"):
        shutil.copy2(py, pkg / py.name)
    shutil.copy2(native, pkg / ("_native" + sysconfig.get_config_var("EXT_SUFFIX")))
    return pkg


def _tag() -> str:
    impl = f"cp{sys.version_info.major}{sys.version_info.minor}"
    plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return f"{impl}-{impl}-{plat}"


def _metadata() -> str:
    return (f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {_version()}\nSummary: {SUMMARY}\n"
            "Requires-Python: >=3.9\n")


def _dist_info(dest: pathlib.Path) -> str:
    info = dest / f"{NAME}-{_version()}.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(_metadata())
    (info / "WHEEL").write_text(
        f"Wheel-Version: 1.0\nGenerator: onnxsmith build_backend\nRoot-Is-Purelib: false\n"
        f"Tag: {_tag()}\n")
    return info.name


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


# --- PEP 517 hooks ------------------------------------------------------------------------


def get_requires_for_build_wheel(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    return _dist_info(pathlib.Path(metadata_directory))


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    native = build_native()
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        stage_package(root, native)
        info = _dist_info(root)
        name = f"{NAME}-{_version()}-{_tag()}.whl"
        files = sorted(p for p in root.rglob("*") if p.is_file())
        record = []
        with zipfile.ZipFile(pathlib.Path(wheel_directory) / name, "w", zipfile.ZIP_DEFLATED) as whl:
            for path in files:
                arc = path.relative_to(root).as_posix()
                data = path.read_bytes()
                whl.writestr(arc, data)
                record.append(_record_line(arc, data))
            record.append(f"{info}/RECORD,,")
            whl.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return name
