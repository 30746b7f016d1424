// CLI argument parsing: the input is newline-separated fields, the values of
// `convert`'s --inputs, --outputs, --inputs-as-nchw and --optimize, then any
// further arguments one per line. They go through the real command-line
// parser (cli/command_line.h: CLI11, usage errors, did-you-mean hints) into
// ConvertOptions, and the parsed specs drive a conversion of a small built-in
// graph (x:0 float[?,4] -> Relu -> y, plus a second placeholder z:0 of
// unknown rank -> Identity), so shape overrides (huge, negative, wrong rank)
// reach the converter and the checker. No file is read: --graphdef names a
// file that is never opened.
#include "absl/strings/str_split.h"
#include "cli/command_line.h"
#include "cli/commands.h"
#include "converter/tf_converter.h"
#include "fuzz/fuzz_util.h"

namespace {

onnxsmith::tf::GraphDef SmallGraph() {
  using namespace onnxsmith;
  tf::GraphDef g;
  auto placeholder = [&](const char* name, bool known_rank) {
    tf::NodeDef* n = g.add_node();
    n->set_name(name);
    n->set_op("Placeholder");
    (*n->mutable_attr())["dtype"].set_type(tf::DT_FLOAT);
    auto* shape = (*n->mutable_attr())["shape"].mutable_shape();
    if (known_rank) {
      shape->add_dim()->set_size(-1);
      shape->add_dim()->set_size(4);
    } else {
      shape->set_unknown_rank(true);
    }
  };
  auto unary = [&](const char* name, const char* op, const char* input) {
    tf::NodeDef* n = g.add_node();
    n->set_name(name);
    n->set_op(op);
    n->add_input(input);
    (*n->mutable_attr())["T"].set_type(tf::DT_FLOAT);
  };
  placeholder("x", true);
  placeholder("z", false);
  unary("y", "Relu", "x");
  unary("w", "Identity", "z");
  return g;
}

// Stands in for RunConvert: the same option handling, on SmallGraph().
absl::Status ConvertSmallGraph(const onnxsmith::cli::ConvertOptions& flags) {
  using namespace onnxsmith;
  static const tf::GraphDef* graph = new tf::GraphDef(SmallGraph());
  auto options = cli::ToConverterOptions(flags);
  if (!options.ok()) return options.status();
  auto optimize = cli::ToOptimizeOptions(flags.pipeline);
  if (!optimize.ok()) return optimize.status();
  auto converted = converter::ConvertGraphDef(*graph, *options);
  if (!converted.ok()) return converted.status();
  fuzz::OptimizeAndExport(converted->model);
  return absl::OkStatus();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace onnxsmith;
  std::vector<std::string> fields =
      absl::StrSplit(absl::string_view(reinterpret_cast<const char*>(data), size), '\n');
  if (fields.size() < 4) fields.resize(4);
  std::vector<std::string> args = {"convert", "--graphdef", "fuzz.pb", "--output", "fuzz.onnx",
                                   "--inputs", fields[0], "--outputs", fields[1],
                                   "--inputs-as-nchw", fields[2], "--optimize", fields[3]};
  args.insert(args.end(), fields.begin() + 4, fields.end());
  cli::CommandLine command_line("onnxsmith", "usage", "version");
  command_line.AddCommand(cli::AddConvertCommand, ConvertSmallGraph, cli::CheckConvertUsage);
  cli::ParseResult parsed = command_line.Parse(args);
  if (parsed.run) (void)parsed.action();
  return 0;
}
