// Prints docs/support_status.md from the handler registry itself, so the
// table can never disagree with the code. A test diffs it with the file.
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "converter/handlers/registry.h"

namespace {

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

}  // namespace

int main() {
  const HandlerRegistry& registry = HandlerRegistry::Global();
  const auto ops = registry.Ops();
  std::printf("# TensorFlow op support\n\n");
  std::printf("Generated from the handler registry by `bazel run //tools/support_status:gen`;\n"
              "do not edit by hand (`//tools/support_status:support_status_test` fails when\n"
              "this file and the code disagree).\n\n");
  std::printf("onnxsmith emits ai.onnx opsets %d to %d (default 17). %zu TF op types convert.\n\n",
              kMinOpset, kMaxOpset, ops.size());
  std::printf("| TF op | opsets |\n|---|---|\n");
  for (const std::string& op : ops) {
    std::printf("| %s | %s |\n", op.c_str(), Ranges(registry.SupportedOpsets(op)).c_str());
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
      "  sizes it is ONNX Resize's exact cubic, within about 1e-3 of TF.\n");
  return 0;
}
