// keras_convert: a small driver for the Keras converter (tests and debugging;
// the product CLI is `onnxsmith convert --keras FILE`).
//   keras_convert MODEL.h5|MODEL.keras OUT.onnx [--opset=N] [--no-check]
// Exit code 0 on success; 1 with a message on stderr (and no output file).
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "converter/keras/keras_converter.h"
#include "ir/model_io.h"
#include "ir/onnx_proto.h"

int main(int argc, char** argv) {
  std::string in, out;
  int opset = 17;
  bool check = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (absl::StartsWith(a, "--opset=")) {
      if (!absl::SimpleAtoi(a.substr(8), &opset)) {
        std::fprintf(stderr, "bad %s\n", a.c_str());
        return 2;
      }
    } else if (a == "--no-check") {
      check = false;
    } else if (in.empty()) {
      in = a;
    } else if (out.empty()) {
      out = a;
    } else {
      std::fprintf(stderr, "unexpected argument %s\n", a.c_str());
      return 2;
    }
  }
  if (in.empty() || out.empty()) {
    std::fprintf(stderr, "usage: keras_convert MODEL OUT.onnx [--opset=N] [--no-check]\n");
    return 2;
  }
  onnxsmith::converter::ConvertOptions options;
  options.opset = opset;
  auto result = onnxsmith::converter::ConvertKeras(in, options);
  if (!result.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(result.status().message()).c_str());
    return 1;
  }
  onnx::ModelProto proto = onnxsmith::ir::ToModelProto(result->model);
  if (check) {
    auto report = onnxsmith::ir::ValidateModel(&proto);
    if (!report.ok()) {
      std::fprintf(stderr, "error: %s\n", std::string(report.status().message()).c_str());
      return 1;
    }
  }
  auto written = onnxsmith::ir::WriteModelProto(proto, out);
  if (!written.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(written.message()).c_str());
    return 1;
  }
  std::fprintf(stderr, "converted %s -> %s: %d layer calls, %zu ONNX nodes, %.1f ms\n", in.c_str(),
               out.c_str(), result->stats.tf_nodes_used, result->model.graph.nodes.size(),
               result->stats.convert_ms);
  return 0;
}
