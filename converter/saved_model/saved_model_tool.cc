// Developer tool for the SavedModel loader (the product CLI is `onnxsmith convert
// --saved-model DIR`; `freeze` shows the frozen GraphDef the converter sees):
//   saved_model_tool convert --saved-model DIR --output FILE.onnx
//                    [--tag serve] [--signature_def serving_default] [--opset N]
//   saved_model_tool freeze DIR OUT.pbtxt [--tag T] [--signature_def S]
// Errors go to stderr with exit code 1; no output file is left behind.
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/file_util.h"
#include "common/status_macros.h"
#include "converter/io_spec.h"
#include "converter/saved_model/saved_model_loader.h"
#include "converter/tf_converter.h"
#include "google/protobuf/text_format.h"
#include "ir/model_io.h"
#include "ir/onnx_proto.h"

namespace onnxsmith {
namespace {

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> flags;
};

absl::StatusOr<Args> ParseArgs(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0) {
      args.positional.push_back(a);
      continue;
    }
    std::string name = a.substr(2);
    std::string value;
    const size_t eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else {
      if (i + 1 >= argc) return absl::InvalidArgumentError(absl::StrCat(a, " needs a value"));
      value = argv[++i];
    }
    for (char& c : name) {
      if (c == '-') c = '_';
    }
    args.flags[name] = value;
  }
  return args;
}

std::string Flag(const Args& args, const std::string& name, const std::string& fallback) {
  auto it = args.flags.find(name);
  return it == args.flags.end() ? fallback : it->second;
}

absl::Status Convert(const Args& args) {
  const std::string dir = Flag(args, "saved_model", "");
  const std::string output = Flag(args, "output", "");
  if (dir.empty() || output.empty()) {
    return absl::InvalidArgumentError("convert needs --saved-model DIR and --output FILE");
  }
  converter::SavedModelOptions sm;
  sm.tag = Flag(args, "tag", sm.tag);
  sm.signature = Flag(args, "signature_def", sm.signature);
  converter::ConvertOptions options;
  if (!absl::SimpleAtoi(Flag(args, "opset", "17"), &options.opset)) {
    return absl::InvalidArgumentError("--opset needs a number");
  }
  ASSIGN_OR_RETURN(converter::FrozenGraph frozen, converter::LoadSavedModel(dir, sm));
  ASSIGN_OR_RETURN(std::vector<converter::TensorSpec> overrides,
                   converter::ParseTensorSpecList(Flag(args, "inputs", "")));
  RETURN_IF_ERROR(converter::ApplyInputOverrides(overrides, &frozen));
  options.inputs = frozen.inputs;
  options.outputs = frozen.outputs;
  options.source = dir;
  auto converted = converter::ConvertGraphDef(frozen.graph, options);
  if (!converted.ok()) {
    return absl::Status(converted.status().code(),
                        absl::StrCat(dir, ": ", converted.status().message()));
  }
  onnx::ModelProto proto = ir::ToModelProto(converted->model);
  ASSIGN_OR_RETURN(ir::ValidationReport validation, ir::ValidateModel(&proto));
  RETURN_IF_ERROR(ir::WriteModelProto(proto, output));
  const auto& s = frozen.stats;
  std::printf("%s -> %s\n", dir.c_str(), output.c_str());
  std::printf("  saved by TF %s; %d graph nodes, %d functions; %d calls inlined; %d variables "
              "frozen (%lld bytes); frozen graph %d nodes; load %.1f ms\n",
              s.tensorflow_version.c_str(), s.graph_nodes, s.library_functions, s.calls_inlined,
              s.variables_frozen, static_cast<long long>(s.variable_bytes), s.frozen_nodes,
              s.load_ms);
  for (size_t i = 0; i < frozen.inputs.size(); ++i) {
    std::printf("  input  %s = %s\n", frozen.input_names[i].c_str(),
                frozen.inputs[i].tensor_name().c_str());
  }
  for (size_t i = 0; i < frozen.outputs.size(); ++i) {
    std::printf("  output %s = %s\n", frozen.output_names[i].c_str(),
                frozen.outputs[i].tensor_name().c_str());
  }
  std::printf("  onnx checker: %s\n",
              validation.checked ? "passed" : validation.skipped_reason.c_str());
  return absl::OkStatus();
}

absl::Status Freeze(const Args& args) {
  if (args.positional.size() != 3) {
    return absl::InvalidArgumentError("freeze needs DIR and OUT.pbtxt");
  }
  converter::SavedModelOptions sm;
  sm.tag = Flag(args, "tag", sm.tag);
  sm.signature = Flag(args, "signature_def", sm.signature);
  ASSIGN_OR_RETURN(converter::FrozenGraph frozen,
                   converter::LoadSavedModel(args.positional[1], sm));
  std::string text;
  google::protobuf::TextFormat::PrintToString(frozen.graph, &text);
  return WriteFileAtomically(args.positional[2], text);
}

}  // namespace
}  // namespace onnxsmith

int main(int argc, char** argv) {
  auto args = onnxsmith::ParseArgs(argc, argv);
  absl::Status status;
  if (!args.ok()) {
    status = args.status();
  } else if (!args->positional.empty() && args->positional[0] == "convert") {
    status = onnxsmith::Convert(*args);
  } else if (!args->positional.empty() && args->positional[0] == "freeze") {
    status = onnxsmith::Freeze(*args);
  } else {
    std::fprintf(stderr,
                 "usage: saved_model_tool convert --saved-model DIR --output FILE [--tag T] "
                 "[--signature_def S] [--opset N] [--inputs x:0[1,10]]\n"
                 "       saved_model_tool freeze DIR OUT.pbtxt [--tag T] [--signature_def S]\n");
    return 2;
  }
  if (!status.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}
