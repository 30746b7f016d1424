// Shared pieces of the fuzz targets: a scratch directory for loaders that
// read files, the length-prefixed multi-file input format, and the final
// "writer" step every target ends with.
//
// Each target defines LLVMFuzzerTestOneInput. Built with --config=fuzz
// (clang, -fsanitize=fuzzer,...) libFuzzer supplies main(); otherwise
// fuzz_main.cc does, replaying files and directories given on the command
// line, so `bazel test //fuzz/...` runs each target over its seed corpus and
// the minimized reproducers under tests/bad_inputs/fuzz/.
#ifndef ONNXSMITH_FUZZ_FUZZ_UTIL_H_
#define ONNXSMITH_FUZZ_FUZZ_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "ir/graph.h"

namespace onnxsmith::fuzz {

// A directory made once per process (under $TMPDIR), removed at exit.
const std::string& ScratchDir();

// Writes `data` to ScratchDir()/name (creating subdirectories) and returns
// the full path. Aborts on I/O errors: they are the harness's, not the input's.
std::string WriteScratch(const std::string& name, absl::string_view data);

// Removes everything in ScratchDir() (so a file of the previous input never
// leaks into the next one).
void ClearScratch();

// Multi-file input: a sequence of (uint32 little-endian length, bytes). A
// length past the end takes what is left; missing parts are empty.
std::vector<absl::string_view> SplitParts(const uint8_t* data, size_t size, int parts);
std::string JoinParts(const std::vector<std::string>& parts);

// The writer step: ToModelProto, the ONNX checker, and serialization to
// memory (what WriteModelProto writes, without touching the disk).
void ExportModel(const ir::Model& model);

// What `convert` does after loading: the default optimizer pipeline, then
// ExportModel (skipped if the optimizer refuses the model).
void OptimizeAndExport(ir::Model& model);

}  // namespace onnxsmith::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

#endif  // ONNXSMITH_FUZZ_FUZZ_UTIL_H_
