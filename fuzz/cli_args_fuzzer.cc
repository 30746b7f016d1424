// CLI argument parsing: the input is newline-separated fields --inputs,
// --outputs, --inputs-as-nchw, --optimize. The parsed specs then drive a
// conversion of a small built-in graph (x:0 float[?,4] -> Relu -> y, plus a
// second placeholder z:0 of unknown rank -> Identity), so shape overrides
// (huge, negative, wrong rank) reach the converter and the checker.
#include "absl/strings/str_split.h"
#include "converter/io_spec.h"
#include "converter/tf_converter.h"
#include "fuzz/fuzz_util.h"
#include "optimizer/registry.h"

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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace onnxsmith;
  static const tf::GraphDef* graph = new tf::GraphDef(SmallGraph());
  std::vector<std::string> fields =
      absl::StrSplit(absl::string_view(reinterpret_cast<const char*>(data), size), '\n');
  fields.resize(4);
  converter::ConvertOptions options;
  auto inputs = converter::ParseTensorSpecList(fields[0]);
  auto outputs = converter::ParseTensorSpecList(fields[1]);
  options.inputs_as_nchw = converter::SplitTopLevel(fields[2]);
  (void)optimizer::ParseOptLevel(fields[3]);
  if (!inputs.ok() || !outputs.ok()) return 0;
  options.inputs = *inputs;
  options.outputs = *outputs;
  auto converted = converter::ConvertGraphDef(*graph, options);
  if (!converted.ok()) return 0;
  fuzz::OptimizeAndExport(converted->model);
  return 0;
}
