// TF GraphDef -> ONNX model: choose inputs and outputs, prune to what the
// outputs need, check every op has a handler, run the handlers in
// topological order, and name the ONNX inputs/outputs after the TF tensors.
#ifndef ONNXSMITH_CONVERTER_TF_CONVERTER_H_
#define ONNXSMITH_CONVERTER_TF_CONVERTER_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "converter/io_spec.h"
#include "converter/tf/proto/graph.pb.h"
#include "ir/graph.h"

namespace onnxsmith::converter {

// Values of Const nodes kept beside the GraphDef rather than in its
// TensorProtos (which then hold only dtype and shape, and the node the
// attribute kConstValueAttr): a SavedModel's frozen variables, as tensors
// viewing the mapped checkpoint shards, so no weight is copied into the
// GraphDef and out again. Keyed by node name.
using ConstValues = absl::flat_hash_map<std::string, ir::Tensor>;
inline constexpr char kConstValueAttr[] = "_onnxsmith_value_in_side_table";

struct ConvertOptions {
  int opset = 17;
  // Empty: Placeholders the outputs need / the graph's sinks.
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> outputs;
  // Tensor names ("x:0") whose ONNX side is NCHW while TF's is NHWC.
  // Either name may be used in these lists.
  std::vector<std::string> inputs_as_nchw;
  std::vector<std::string> outputs_as_nchw;
  // ONNX names of graph inputs/outputs by TF tensor name (a SavedModel's
  // signature keys); a tensor not listed keeps its own name.
  std::map<std::string, std::string> onnx_names;
  // TF op type -> ONNX domain for ops passed through unconverted.
  std::map<std::string, std::string> custom_ops;
  std::string source;  // the model's path, for errors and metadata
  // Values of the graph's Consts marked kConstValueAttr (null: none). The
  // converted model shares their buffers; drop this after conversion so a
  // weight the optimizer rewrites releases its source.
  std::shared_ptr<const ConstValues> const_values;
};

struct ConversionStats {
  int tf_nodes = 0;       // in the GraphDef
  int tf_nodes_used = 0;  // after pruning to the outputs
  std::map<std::string, int> tf_ops;    // op type -> count, used nodes
  std::vector<std::string> custom_ops;  // TF ops passed through
  double prune_ms = 0;
  double convert_ms = 0;
};

struct ConversionResult {
  ir::Model model;
  ConversionStats stats;
};

absl::StatusOr<ConversionResult> ConvertGraphDef(const tf::GraphDef& graph,
                                                 const ConvertOptions& options);

// InvalidArgument unless onnxsmith emits `opset` ([kMinOpset, kMaxOpset]).
absl::Status CheckOpset(int opset);

// Default custom-op domain when --custom-ops names none.
inline constexpr char kDefaultCustomDomain[] = "ai.onnx.converters.tensorflow";

}  // namespace onnxsmith::converter

#endif  // ONNXSMITH_CONVERTER_TF_CONVERTER_H_
