"""Manual onnx_model / onnx_model_test targets for rule_analysis_test.sh.

They are only analyzed (aquery, --nobuild), never built by `bazel build //...`;
most read the placeholder testdata/fake.pbtxt.
"""

load("//rules:defs.bzl", "onnx_model", "onnx_model_test")

def manual_model(name, src = "testdata/fake.pbtxt", **kwargs):
    onnx_model(name = name, src = src, tags = ["manual"], **kwargs)

def manual_model_test(name, **kwargs):
    onnx_model_test(name = name, tags = ["manual"], **kwargs)
