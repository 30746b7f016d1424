// Prints docs/support_status.md from the handler registry itself, so the
// table can never disagree with the code. A test diffs it with the file.
// The header compares the registry with tf2onnx 1.17's op list
// (tf2onnx_1_17_ops.txt) and gives the reasons for the ops we lack
// (tf2onnx_reasons.txt); both are compiled in by the :tf2onnx_data genrule.
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "converter/emit/runtime_kernel_gaps.h"
#include "converter/handlers/registry.h"
#include "ir/tensor.h"

namespace {

#include "tools/support_status/tf2onnx_data.inc"

using onnxsmith::converter::HandlerRegistry;
using onnxsmith::converter::kMaxOpset;
using onnxsmith::converter::kMinOpset;

// "13-21", or "13-17, 19" for gaps.
std::string Ranges(const std::vector<int>& opsets) {
  std::vector<std::string> parts;
  for (size_t i = 0; i < opsets.size();) {
    size_t j = i;
    while (j + 1 < opsets.size() && opsets[j + 1] == opsets[j] + 1) ++j;
    parts.push_back(i == j ? absl::StrCat(opsets[i]) : absl::StrCat(opsets[i], "-", opsets[j]));
    i = j + 1;
  }
  return parts.empty() ? "none" : absl::StrJoin(parts, ", ");
}

// The non-comment, non-blank lines of a data file, stripped.
std::vector<std::string> DataLines(absl::string_view text) {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!line.empty() && line[0] != '#') lines.emplace_back(line);
  }
  return lines;
}

}  // namespace

int main() {
  const HandlerRegistry& registry = HandlerRegistry::Global();
  const auto ops = registry.Ops();
  const std::set<std::string> ours(ops.begin(), ops.end());
  std::set<std::string> theirs;
  for (const std::string& op : DataLines(kTf2onnxOps)) theirs.insert(op);
  std::map<std::string, std::string> reasons;
  for (const std::string& line : DataLines(kTf2onnxReasons)) {
    std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits(':', 1));
    reasons[kv.first] = std::string(absl::StripAsciiWhitespace(kv.second));
  }
  std::vector<std::string> they_lack, we_lack;
  for (const std::string& op : ours) {
    if (!theirs.count(op)) they_lack.push_back(op);
  }
  size_t we_lack_with_reason = 0;
  for (const std::string& op : theirs) {
    if (ours.count(op)) continue;
    we_lack.push_back(op);
    we_lack_with_reason += reasons.count(op);
  }

  std::printf("# TensorFlow op support\n\n");
  std::printf("Generated from the handler registry by `bazel run //tools/support_status:gen`;\n"
              "do not edit by hand (`//tools/support_status:support_status_test` fails when\n"
              "this file and the code disagree).\n\n");
  std::printf("onnxsmith emits ai.onnx opsets %d to %d (default 17). %zu TF op types convert.\n\n",
              kMinOpset, kMaxOpset, ops.size());
  std::printf("Compared with tf2onnx 1.17 (%zu op types in its handler registry, listed in\n"
              "`tools/support_status/tf2onnx_1_17_ops.txt`): %zu of them convert here, %zu do not\n"
              "(%zu of those with a reason they cannot or need not, see [below](#tf2onnx-ops-not-converted)),\n"
              "and %zu op types converted here are not in tf2onnx's table.\n\n",
              theirs.size(), theirs.size() - we_lack.size(), we_lack.size(), we_lack_with_reason,
              they_lack.size());
  std::printf("| TF op | opsets | in tf2onnx 1.17 |\n|---|---|---|\n");
  for (const std::string& op : ops) {
    std::printf("| %s | %s | %s |\n", op.c_str(), Ranges(registry.SupportedOpsets(op)).c_str(),
                theirs.count(op) ? "yes" : "no");
  }
  std::printf("\nOps not listed can be passed through unconverted into a custom domain with\n"
              "`--custom-ops Op[:domain],...`.\n");
  std::printf(
      "\n## Complex values\n\n"
      "A TF complex64 (complex128) tensor is carried as a float (double) tensor with a\n"
      "trailing dimension of 2, (real, imaginary): the layout of ONNX DFT. Only the FFT ops,\n"
      "ComplexAbs, Real, Imag, Complex, Conj and Angle take such values; any other op with\n"
      "complex operands is refused, naming the node. A complex graph output is exposed as\n"
      "its `[..., 2]` real tensor; a complex graph input is refused (feed the real and\n"
      "imaginary parts as two inputs and join them with `tf.complex`).\n");
  std::printf(
      "\n## Limits\n\n"
      "These convert under conditions; otherwise the conversion stops with an error naming\n"
      "the node and the condition (and `--custom-ops` as the way out):\n\n"
      "- FFT, IFFT, RFFT, IRFFT and their 2-D/3-D forms need opset 17 (ONNX DFT).\n"
      "- Diag, DiagPart, the MatrixDiag/MatrixDiagPart/MatrixSetDiag family,\n"
      "  ExtractImagePatches and ResizeArea build index or weight tables from static matrix\n"
      "  or image dims; MatrixInverse and MatrixSolve (adjugate over ONNX Det) take static\n"
      "  n up to 16, Cholesky and MatrixTriangularSolve (unrolled, as TF's kernels) up to 32.\n"
      "- Cumprod (no ONNX CumProd: a scan of multiplications, exact with zeros) needs a\n"
      "  static length along its axis.\n"
      "- MatrixDeterminant and the inverse ops on float64 emit a valid ONNX Det, which ONNX\n"
      "  Runtime's CPU kernels do not implement (float32 only).\n"
      "- ResizeBicubic reproduces TF's tabulated cubic kernel at static sizes; with dynamic\n"
      "  sizes it is ONNX Resize's exact cubic, within about 1e-3 of TF.\n"
      "- CudnnRNN/V2/V3 (ONNX LSTM, GRU with linear_before_reset, RNN; one node per layer)\n"
      "  need static input features, layer count and units; num_proj and skip_input are\n"
      "  refused. A Conv whose input channel count is unknown is taken as ungrouped.\n");
  std::printf(
      "\n## Types computed in another type for ONNX Runtime\n\n"
      "ONNX Runtime's CPU kernels lack some (op, element type) pairs the ONNX schemas allow.\n"
      "Every emitted node of such a pair is computed between Casts in a type the runtime takes\n"
      "(`converter/emit/runtime_kernel_gaps.cc`), so the output loads in ONNX Runtime; other\n"
      "runtimes see the same cast nodes.\n\n"
      "| ONNX ops | input types | computed in | outputs cast back |\n|---|---|---|---|\n");
  for (const onnxsmith::converter::RuntimeKernelGap& gap :
       onnxsmith::converter::RuntimeKernelGaps()) {
    std::vector<std::string> types;
    for (onnxsmith::ir::DataType t : gap.lacking) types.push_back(onnxsmith::ir::DataTypeName(t));
    std::printf("| %s | %s | %s | %s |\n", absl::StrJoin(gap.ops, ", ").c_str(),
                absl::StrJoin(types, ", ").c_str(), onnxsmith::ir::DataTypeName(gap.compute),
                gap.restore ? "yes" : "no");
  }
  std::printf("\n## tf2onnx ops not converted\n\n"
              "Reasons come from `tools/support_status/tf2onnx_reasons.txt`.\n\n"
              "| tf2onnx op | reason |\n|---|---|\n");
  for (const std::string& op : we_lack) {
    auto it = reasons.find(op);
    std::printf("| %s | %s |\n", op.c_str(),
                it == reasons.end() ? "not converted yet" : it->second.c_str());
  }
  std::printf("\n## Converted here, not in tf2onnx 1.17\n\n%s\n",
              absl::StrJoin(they_lack, ", ").c_str());
  return 0;
}
