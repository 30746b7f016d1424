// SavedModel directory -> frozen GraphDef ("freezing" in C++, no TensorFlow):
//
//   saved_model.pb (or .pbtxt)  -> the MetaGraph with the requested tag set
//                               -> the SignatureDef with the requested key
//   signature outputs           -> prune the graph to what they need
//   (Stateful)PartitionedCall   -> inline the function library, recursively
//   variables                   -> Const nodes holding the checkpoint values
//                                  (variables/variables.index + data shards)
//
// The result goes through ConvertGraphDef like any frozen graph, with
// `inputs`/`outputs` as its ConvertOptions. Training, saving and restoring
// subgraphs never reach it: only what the signature's outputs need is kept.
// While/If (and their Stateless forms) are kept as they are, with their
// functions in the library, so the converter names them as unsupported.
#ifndef ONNXSMITH_CONVERTER_SAVED_MODEL_SAVED_MODEL_LOADER_H_
#define ONNXSMITH_CONVERTER_SAVED_MODEL_SAVED_MODEL_LOADER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "converter/io_spec.h"
#include "converter/tf_converter.h"
#include "converter/tf/proto/graph.pb.h"
#include "converter/tf/proto/saved_model.pb.h"

namespace onnxsmith::converter {

struct SavedModelOptions {
  // The MetaGraph's tag set, comma-separated ("serve", "serve,gpu").
  std::string tag = "serve";
  // The SignatureDef key.
  std::string signature = "serving_default";
  // If set, a concrete function of the SavedObjectGraph (by name, index or
  // object path) is converted instead of a signature (concrete_function.h).
  std::string concrete_function;
};

struct SavedModelStats {
  std::string tensorflow_version;  // of the exporter, from meta_info_def
  int graph_nodes = 0;             // in the MetaGraph's GraphDef
  int library_functions = 0;
  int calls_inlined = 0;
  int variables_frozen = 0;
  int64_t variable_bytes = 0;
  int frozen_nodes = 0;            // in the result
  double load_ms = 0;
};

struct FrozenGraph {
  tf::GraphDef graph;
  // The frozen variables' values, viewing the mapped checkpoint shards (the
  // graph's Consts hold only dtype and shape): ConvertOptions::const_values.
  std::shared_ptr<ConstValues> const_values;
  // Signature tensors as converter specs (shape from the signature when its
  // rank is known), sorted by signature key.
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> outputs;
  // The signature keys, parallel to `inputs` / `outputs`.
  std::vector<std::string> input_names;
  std::vector<std::string> output_names;
  SavedModelStats stats;
};

absl::StatusOr<FrozenGraph> LoadSavedModel(const std::string& dir,
                                           const SavedModelOptions& options = {});

// Applies shape overrides (--inputs x:0[1,224,224,3]) to a loaded
// signature: each override names one of the signature's inputs by tensor name
// ("serving_default_x:0") or by key ("x") and replaces its shape. A name that
// is neither is an error listing the signature's inputs.
absl::Status ApplyInputOverrides(const std::vector<TensorSpec>& overrides, FrozenGraph* frozen);

// Deepest message nesting accepted in saved_model.pb / .pbtxt.
inline constexpr int kMaxSavedModelNesting = 256;

// Reads DIR/saved_model.pb (or DIR/saved_model.pbtxt), bounded, with errors
// that name the file.
absl::StatusOr<tf::SavedModel> ReadSavedModelProto(const std::string& dir);

}  // namespace onnxsmith::converter

#endif  // ONNXSMITH_CONVERTER_SAVED_MODEL_SAVED_MODEL_LOADER_H_
