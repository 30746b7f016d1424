// Small GraphDef helpers the SavedModel loader shares between its stages:
// output-arg layouts of ops (to turn a function body's "node:arg:index"
// references into flat "node:k" ones), pruning to what outputs need, and
// following Identity chains.
#ifndef ONNXSMITH_CONVERTER_TF_GRAPH_UTIL_H_
#define ONNXSMITH_CONVERTER_TF_GRAPH_UTIL_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "converter/tf/proto/function.pb.h"
#include "converter/tf/proto/graph.pb.h"
#include "converter/tf/proto/op_def.pb.h"

namespace onnxsmith::converter {

// "node" / "node:k" of a GraphDef input; control inputs ("^node") give false.
bool ParseGraphInput(const std::string& input, std::string* node, int* output);

// The ops a MetaGraph uses (its stripped_op_list) plus the functions of its
// library, answering what a node's outputs look like.
class OpCatalog {
 public:
  OpCatalog(const tf::OpList* ops, const tf::FunctionDefLibrary* library);

  // The OpDef of `op` from the MetaGraph's op list, or nullptr.
  const tf::OpDef* FindOp(const std::string& op) const;
  // Whether `op`'s output-arg layout is known: its OpDef, or the built-in
  // table of multi-output ops a frozen GraphDef may hold without OpDefs.
  bool KnowsOutputArgs(const std::string& op) const;
  // The function `name` names; where the library holds several
  // implementations of its API (`api_implements`), the portable one (its
  // `api_preferred_device` is CPU or unset).
  const tf::FunctionDef* FindFunction(const std::string& name) const;

  // The function `node` calls when it is to be inlined: the `f` attribute of
  // (Stateful)PartitionedCall, or the op itself when it names a library
  // function. nullptr for every other node (While/If keep their functions).
  const tf::FunctionDef* CalledFunction(const tf::NodeDef& node) const;
  // The function name `node` refers to as a call, even when the library does
  // not hold it ("" when `node` is not a call).
  static std::string CallTarget(const tf::NodeDef& node);

  // Flat output index of `node`'s output arg `arg`, element `index`
  // (function bodies write "node:arg:index"; GraphDefs "node:flat").
  absl::StatusOr<int> FlatOutputIndex(const tf::NodeDef& node, const std::string& arg,
                                      int index) const;

 private:
  absl::flat_hash_map<std::string, const tf::OpDef*> ops_;
  absl::flat_hash_map<std::string, const tf::FunctionDef*> functions_;
  absl::flat_hash_map<std::string, const tf::FunctionDef*> portable_;  // by api_implements
};

// A string attribute of a function ("" when absent).
std::string FunctionAttr(const tf::FunctionDef& f, const std::string& name);

// Nodes of `graph` that `outputs` (node names) need through data edges, not
// following the inputs of `leaves` (which are kept). The result keeps the
// GraphDef order and versions, has no library and no control inputs except
// those on TF1 control-flow pivots (which place nodes in a branch or loop
// frame; they are followed too); a needed
// node that reads a missing node is an error naming both.
absl::StatusOr<tf::GraphDef> PruneToOutputs(const tf::GraphDef& graph,
                                            const std::vector<std::string>& outputs,
                                            const absl::flat_hash_set<std::string>& leaves);
// The same, consuming `graph`: large Const values move into the result
// instead of being copied (frozen weights are most of a graph's bytes).
absl::StatusOr<tf::GraphDef> PruneToOutputs(tf::GraphDef&& graph,
                                            const std::vector<std::string>& outputs,
                                            const absl::flat_hash_set<std::string>& leaves);

// Follows Identity-like nodes (Identity, Snapshot, StopGradient) from
// `input` to the producing node; nullptr when a node is missing.
const tf::NodeDef* TraceThroughIdentity(
    const absl::flat_hash_map<std::string, const tf::NodeDef*>& by_name, const std::string& input,
    int* output = nullptr);

absl::flat_hash_map<std::string, const tf::NodeDef*> IndexByName(const tf::GraphDef& graph);

}  // namespace onnxsmith::converter

#endif  // ONNXSMITH_CONVERTER_TF_GRAPH_UTIL_H_
