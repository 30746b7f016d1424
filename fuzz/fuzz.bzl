"""onnxsmith_fuzzer: a fuzz target that is also a seed-replay regression test."""

load("@rules_cc//cc:defs.bzl", "cc_test")

def onnxsmith_fuzzer(name, deps, src = None, local_defines = [], size = "small"):
    """cc_test NAME from SRC (default NAME.cc), replaying fuzz/seeds/SHORT and
    tests/bad_inputs/fuzz/SHORT (SHORT = NAME without "_fuzzer")."""
    short = name[:-len("_fuzzer")] if name.endswith("_fuzzer") else name
    cc_test(
        name = name,
        size = size,
        srcs = [src or name + ".cc"],
        local_defines = local_defines,
        # One self-contained binary: a fuzzer keeps running while the tree's
        # shared objects are rebuilt.
        linkstatic = True,
        deps = deps + [":fuzz_util"],
        # --config=fuzz: libFuzzer's main() (fuzz_main.cc is compiled out).
        linkopts = select({
            "//fuzz:libfuzzer": ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
        data = native.glob(["seeds/" + short + "/**"]) + [
            "//tests/bad_inputs:fuzz_" + short,
        ],
        # -runs=0: libFuzzer builds only replay too (the plain build ignores flags).
        args = [
            "-runs=0",
            "fuzz/seeds/" + short,
            "tests/bad_inputs/fuzz/" + short,
        ],
    )
