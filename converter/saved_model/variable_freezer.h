// Freezing a SavedModel's variables: find each variable's checkpoint key,
// read its value from the TensorBundle, and put a Const in its place.
//
// Keys are found, in this order:
//  1. the SavedObjectGraph (TF2): a signature call's captured inputs are the
//     concrete function's bound_inputs, object-graph node ids whose entries in
//     the checkpoint's own object graph (_CHECKPOINTABLE_OBJECT_GRAPH) name the
//     key, e.g. "_layers/1/_kernel/.ATTRIBUTES/VARIABLE_VALUE". This is the
//     only way for Keras 3 exports, whose restore function assigns copies of
//     the variables rather than the handles the signatures read.
//  2. the restore op (saver_def.restore_op_name; TF1 graphs and TF2 restore
//     functions): RestoreV2's tensor_names, output k, assigned by Assign /
//     AssignVariableOp to a variable.
//  3. the variable's own name (TF1 VariableV2: key == node name) or its
//     VarHandleOp shared_name, when the checkpoint holds that key.
#ifndef ONNXSMITH_CONVERTER_SAVED_MODEL_VARIABLE_FREEZER_H_
#define ONNXSMITH_CONVERTER_SAVED_MODEL_VARIABLE_FREEZER_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "converter/checkpoint/tensor_bundle.h"
#include "converter/tf/graph_util.h"
#include "converter/tf/proto/graph.pb.h"
#include "converter/tf/proto/meta_graph.pb.h"
#include "converter/tf_converter.h"

namespace onnxsmith::converter::saved_model {

// Ops that hold a variable (TF1 ref variables, TF2 resource handles).
bool IsVariableOp(const std::string& op);

struct VariableKeys {
  absl::flat_hash_map<std::string, std::string> key;  // variable node -> checkpoint key
  absl::flat_hash_map<std::string, std::string> how;  // variable node -> which method found it
  std::vector<std::string> notes;                     // why a method found nothing
};

// Method 1. Adds nothing (and a note) when the MetaGraph or the checkpoint
// has no object graph.
void AddObjectGraphKeys(const tf::MetaGraphDef& meta_graph,
                        const checkpoint::TensorBundleReader& reader, VariableKeys* keys);

// Method 2. Keys already found are kept.
void AddRestoreOpKeys(const tf::MetaGraphDef& meta_graph, const OpCatalog& catalog,
                      VariableKeys* keys);

// (checkpoint key, the variable's name in the SavedObjectGraph, e.g.
// "conv1/kernel") in object-graph order, the order the model made them;
// empty without an object graph (TF1, whose keys are the names already).
std::vector<std::pair<std::string, std::string>> VariableNames(
    const tf::MetaGraphDef& meta_graph, const checkpoint::TensorBundleReader& reader);

struct FreezeStats {
  int variables = 0;
  int64_t bytes = 0;
};

// Replaces every variable node of `graph` by a Const of its checkpoint value
// (method 3 for those `keys` lacks), and the reads of resource variables by
// what TF computes from the value: ReadVariableOp -> Identity,
// ResourceGather -> GatherV2, ResourceGatherNd -> GatherNd,
// VariableShape -> Shape. `reader` is null when the SavedModel has no
// variables/; `where` names the SavedModel in errors. With `values`, large
// numeric variables (64 KiB and up) go there, viewing the checkpoint's mapped
// shards (no copy), and their Consts hold only dtype and shape
// (tf_converter.h's ConstValues); without, every value is copied into its Const.
absl::Status FreezeVariables(tf::GraphDef* graph, const VariableKeys& keys,
                             const checkpoint::TensorBundleReader* reader,
                             const std::string& where, FreezeStats* stats = nullptr,
                             ConstValues* values = nullptr);

}  // namespace onnxsmith::converter::saved_model

#endif  // ONNXSMITH_CONVERTER_SAVED_MODEL_VARIABLE_FREEZER_H_
