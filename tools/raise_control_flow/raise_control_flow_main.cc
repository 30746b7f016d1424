// raise_control_flow IN.pb|IN.pbtxt OUT.pb: rewrites a GraphDef's TF1 control
// flow (while frames, Switch/Merge conditionals, TensorArrays) to functional
// While/If/TensorList form and writes it as a binary GraphDef, so tests can
// run the rewrite in TensorFlow itself. Prints what it rebuilt.
#include <cstdio>
#include <string>

#include "common/file_util.h"
#include "converter/control_flow/raise_control_flow.h"
#include "converter/tf/graphdef_reader.h"

int main(int argc, char** argv) {
  using namespace onnxsmith;
  if (argc != 3) {
    std::fprintf(stderr, "usage: raise_control_flow IN.pb OUT.pb\n");
    return 2;
  }
  auto graph = converter::ReadGraphDef(argv[1]);
  if (!graph.ok()) {
    std::fprintf(stderr, "raise_control_flow: error: %s\n", std::string(graph.status().message()).c_str());
    return 1;
  }
  converter::control_flow::RaiseStats stats;
  absl::Status status = converter::control_flow::RaiseV1ControlFlow(&*graph, &stats);
  if (!status.ok()) {
    std::fprintf(stderr, "raise_control_flow: error: %s: %s\n", argv[1],
                 std::string(status.message()).c_str());
    return 1;
  }
  status = WriteFileAtomically(argv[2], graph->SerializeAsString());
  if (!status.ok()) {
    std::fprintf(stderr, "raise_control_flow: error: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  std::printf("loops %d conds %d tensor_arrays %d\n", stats.loops, stats.conds,
              stats.tensor_arrays_rewritten);
  return 0;
}
