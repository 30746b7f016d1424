"""The offline external repositories onnxsmith builds with, as one macro.

Both onnxsmith's own WORKSPACE and any workspace that uses onnxsmith (for
example a model repository loading @onnxsmith//rules:defs.bzl) call it:

    local_repository(name = "onnxsmith", path = "...")
    load("@onnxsmith//third_party:deps.bzl", "onnxsmith_dependencies")
    onnxsmith_dependencies()

Everything is local: Starlark rule sets and C++ libraries come from Debian
packages (tools/setup.sh installs them); nothing is ever downloaded. See
third_party/BUILD for the conventions of the system-library wrappers and
shared/BAZEL_NOTES.md for why each piece is needed.

Every repository is declared through `maybe`, so a workspace that wants its own
version of one of them declares it before calling onnxsmith_dependencies().
Build files are given as "@onnxsmith//third_party:X.BUILD": the main workspace
is named "onnxsmith", so the label means the same repository from both sides.
"""

load("@bazel_tools//tools/build_defs/repo:utils.bzl", "maybe")
load("//third_party:debian_rules_cc.bzl", "debian_rules_cc")

_COVERAGE_BUILD = """\
package(default_visibility = ["//visibility:public"])

# Stubs: only needed to satisfy analysis. `bazel coverage` is not supported offline.
sh_binary(
    name = "coverage_report_generator",
    srcs = ["unsupported.sh"],
)

sh_binary(
    name = "lcov_merger",
    srcs = ["unsupported.sh"],
)
"""

_COVERAGE_SCRIPT = """\
#!/bin/sh
echo "remote_coverage_tools is stubbed out for offline builds; bazel coverage is unsupported" >&2
exit 1
"""

def _remote_coverage_tools_stub_impl(rctx):
    rctx.file("WORKSPACE", 'workspace(name = "%s")\n' % rctx.name, executable = False)
    rctx.file("BUILD", _COVERAGE_BUILD, executable = False)
    rctx.file("unsupported.sh", _COVERAGE_SCRIPT, executable = True)

# Offline stand-in for Bazel 4.2.3's built-in
#   http_archive(name = "remote_coverage_tools", urls = [".../coverage_output_generator-v2.5.zip"])
# Every cc_test/sh_test has an implicit dependency on
# @bazel_tools//tools/test:coverage_report_generator ->
# @remote_coverage_tools//:coverage_report_generator, so without it `bazel test`
# tries to download the zip from mirror.bazel.build. Written by a repository
# rule (rather than a local_repository of a checked-in folder) so that no path
# relative to onnxsmith's checkout is needed by other workspaces.
remote_coverage_tools_stub = repository_rule(
    implementation = _remote_coverage_tools_stub_impl,
    local = True,
)

# C++ libraries installed by Debian under /usr, wrapped by
# third_party/<file>. New system libraries are added here (not in WORKSPACE).
_SYSTEM_LIBRARIES = {
    # Named com_google_protobuf on purpose: proto_library/cc_proto_library
    # default to @com_google_protobuf//:protoc and :cc_toolchain.
    "com_google_protobuf": "protobuf.BUILD",
    "system_absl": "absl.BUILD",
    "system_onnx": "onnx.BUILD",
    "system_tbb": "tbb.BUILD",
    "system_gtest": "gtest.BUILD",
    "system_eigen": "eigen.BUILD",
    # Keras loaders (converter/keras): HDF5 (serial C library), libzip and nlohmann/json from Debian.
    "system_hdf5": "hdf5.BUILD",
    "system_zip": "zip.BUILD",
    "system_json": "json.BUILD",
    # The command-line parser of the onnxsmith binary (cli/).
    "system_cli11": "cli11.BUILD",
    # The Python package's extension module (python/): pybind11-dev, python3-dev.
    "system_pybind11": "pybind11.BUILD",
    "system_python": "python.BUILD",
}

def onnxsmith_dependencies():
    """Declares every external repository onnxsmith needs, all offline."""

    # Debian's rules_cc 0.0.4 needs a two-line fix to load under Bazel 4.2.3.
    # It must be declared: @bazel_tools loads @rules_cc, and otherwise Bazel's
    # WORKSPACE suffix would try to fetch it from github.com.
    maybe(debian_rules_cc, name = "rules_cc")

    # Loaded by @bazel_tools//tools/jdk during toolchain resolution of every target.
    maybe(
        native.local_repository,
        name = "rules_java",
        path = "/usr/share/bazel/rules/java",
    )
    maybe(
        native.local_repository,
        name = "rules_proto",
        path = "/usr/share/bazel/rules/proto",
    )
    maybe(
        native.local_repository,
        name = "bazel_skylib",
        path = "/usr/share/bazel/tools/skylib",
    )
    maybe(
        native.local_repository,
        name = "platforms",
        path = "/usr/share/bazel/tools/platforms",
    )

    # cc_test/sh_test depend on it implicitly; the real one is a download.
    maybe(remote_coverage_tools_stub, name = "remote_coverage_tools")

    for name, build_file in _SYSTEM_LIBRARIES.items():
        maybe(
            native.new_local_repository,
            name = name,
            build_file = "@onnxsmith//third_party:" + build_file,
            path = "/usr",
        )
