// GraphEditor: what every pass edits the IR through. It keeps the producer /
// consumer index of one graph in sync while a pass rewires nodes, so a sweep
// over the graph never rebuilds it, and it knows the two things that make a
// rewrite illegal even when the local pattern matches: a value that is a
// graph output (its name is the model's interface) and a value that a
// subgraph (If/Loop/Scan body) reads from the enclosing scope.
//
// Nodes are never freed during an edit: RemoveNode() only marks them, so
// Node pointers held by a pass stay valid until Commit(), which drops the
// removed nodes and restores topological order.
#ifndef ONNXSMITH_OPTIMIZER_GRAPH_EDITOR_H_
#define ONNXSMITH_OPTIMIZER_GRAPH_EDITOR_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "ir/graph.h"
#include "ir/tensor.h"

namespace onnxsmith::optimizer {

// ai.onnx (the default domain) under either spelling.
inline bool IsOnnxDomain(const ir::Node& n) { return n.domain.empty() || n.domain == "ai.onnx"; }

// Outputs that are not a function of the inputs and attributes: the random
// generators (RandomNormal[Like], RandomUniform[Like], Multinomial,
// Bernoulli), and Dropout that may run in training mode (a training_mode
// input, or is_test=0 before opset 7). Never folded, never merged.
bool IsNondeterministic(const ir::Node& n);

class GraphEditor {
 public:
  GraphEditor(ir::Graph& graph, int64_t opset);

  ir::Graph& graph() { return graph_; }
  int64_t opset() const { return opset_; }

  // ---- Queries -----------------------------------------------------------
  // Live producer of `value` in this graph (nullptr for graph inputs,
  // initializers and values of an enclosing scope).
  ir::Node* Producer(const std::string& value) const;
  // Live nodes reading `value` as an explicit input, one entry per slot.
  const std::vector<ir::Node*>& Consumers(const std::string& value) const;
  // A subgraph of some live node reads `value` from this scope.
  bool HasImplicitUses(const std::string& value) const;
  bool IsGraphOutput(const std::string& value) const { return outputs_.count(value) > 0; }
  bool IsGraphInput(const std::string& value) const { return inputs_.count(value) > 0; }
  // Explicit slots + subgraph reads + graph-output occurrences.
  size_t NumUses(const std::string& value) const;
  // Every use of `value` is an explicit input of `node` (at least one).
  bool OnlyUsedBy(const std::string& value, const ir::Node* node) const;

  // An initializer that no graph input can override.
  const ir::Tensor* Constant(const std::string& value) const;
  // A constant, or computed by deterministic standard ops from constants
  // only; the constant-folding pass will turn such values into initializers.
  // (This analysis lives in constant_expr.cc.)
  bool IsConstantExpr(const std::string& value);

  // Read-only phases run on TBB workers (RewritePass's matching): while
  // shared reads are on, queries write nothing shared. BeginSharedReads
  // first memoizes IsConstantExpr for the values of the nodes added since the
  // last call, so workers only look the memo up.
  void BeginSharedReads();
  void EndSharedReads() { shared_reads_ = false; }

  // Type knowledge: value_info, graph inputs/outputs, initializers.
  std::optional<ir::ValueType> TypeOf(const std::string& value) const;
  ir::DataType DataTypeOf(const std::string& value) const;
  std::optional<int> RankOf(const std::string& value) const;
  // Dims (-1 where unknown) when the rank is known.
  std::optional<std::vector<int64_t>> DimsOf(const std::string& value) const;
  // Dims when every one is known.
  std::optional<std::vector<int64_t>> StaticShapeOf(const std::string& value) const;

  // ---- Mutations ---------------------------------------------------------
  // Appends `node` (a unique name is made when it has none or a taken one).
  ir::Node* AddNode(ir::Node node);
  void RemoveNode(ir::Node* node);
  // Removes `node` when none of its outputs is used; returns whether it did.
  bool RemoveIfUnused(ir::Node* node);
  bool IsRemoved(const ir::Node* node) const { return removed_.count(node) > 0; }
  // Sets input `slot`, growing the input list (with omitted inputs) when it is shorter.
  void SetInput(ir::Node* node, size_t slot, const std::string& value);
  void AddInput(ir::Node* node, const std::string& value);
  void SetOutput(ir::Node* node, size_t slot, const std::string& value);
  // Removes `consumer` and gives its output 0 to `producer`'s output 0: what a
  // fusion does once `producer` computes what `consumer` did.
  void AbsorbConsumer(ir::Node* producer, ir::Node* consumer);
  // Points every reader of `from` (node inputs and subgraph reads; never
  // graph outputs) at `to`.
  void ReplaceAllUses(const std::string& from, const std::string& to);

  // Whether `node`, whose output `out` equals its input `in`, can be dropped
  // without changing the graph's interface (see Bypass).
  bool CanBypass(const ir::Node* node, const std::string& in, const std::string& out) const;
  // Drops `node` and makes readers of `out` read `in`. When `out` is a graph
  // output, `in` is renamed to `out` instead (possible when `in` is made by
  // a node of this graph and is not itself part of the interface).
  bool Bypass(ir::Node* node, const std::string& in, const std::string& out);

  // A value / node name not used anywhere in the graph (subgraphs included).
  std::string NewValueName(const std::string& base);
  std::string NewNodeName(const std::string& base);
  // Adds an initializer under a fresh name derived from `base`.
  std::string AddInitializer(const std::string& base, ir::Tensor tensor);
  void SetType(const std::string& value, ir::ValueType type);

  // Drops removed nodes and re-sorts when anything changed.
  absl::Status Commit();
  bool modified() const { return modified_; }

 private:
  void IndexNode(ir::Node* node);
  void UnindexNode(ir::Node* node);
  static void EraseOne(std::vector<ir::Node*>& v, const ir::Node* n);
  // Some attribute holds a subgraph (If/Loop/Scan body).
  static bool HasSubgraph(const ir::Node& node);
  // Every value / node name of the graph, collected on first need.
  void EnsureNames();
  // In constant_expr.cc.
  bool ConstantExprWalk(const std::string& value,
                        absl::flat_hash_map<std::string, bool>& memo) const;
  void RenameInSubgraphs(ir::Node* node, const std::string& from, const std::string& to);

  ir::Graph& graph_;
  int64_t opset_;
  absl::flat_hash_map<std::string, ir::Node*> producer_;
  absl::flat_hash_map<std::string, std::vector<ir::Node*>> consumers_;
  absl::flat_hash_map<std::string, std::vector<ir::Node*>> implicit_;
  absl::flat_hash_set<std::string> outputs_;
  absl::flat_hash_map<std::string, int> output_count_;
  absl::flat_hash_set<std::string> inputs_;
  absl::flat_hash_set<const ir::Node*> removed_;
  bool names_collected_ = false;
  absl::flat_hash_set<std::string> names_;  // every value name seen
  absl::flat_hash_set<std::string> node_names_;
  absl::flat_hash_map<std::string, bool> const_memo_;
  bool shared_reads_ = false;
  size_t memoized_nodes_ = 0;  // graph_.nodes[0, memoized_nodes_) memoized
  absl::flat_hash_map<const ir::Node*, int64_t> original_index_;
  int64_t name_counter_ = 0;
  bool modified_ = false;
};

// ---- Small helpers shared by the passes ------------------------------------

// Transpose's permutation (the attribute, or reversed dims when the rank of
// the input is known).
std::optional<std::vector<int64_t>> TransposePerm(const GraphEditor& ed, const ir::Node& n);
bool IsIdentityPerm(const std::vector<int64_t>& perm);
std::vector<int64_t> InversePerm(const std::vector<int64_t>& perm);
// out[i] = in[perm[i]].
std::vector<int64_t> PermuteDims(const std::vector<int64_t>& in, const std::vector<int64_t>& perm);
std::optional<ir::ValueType> PermuteType(const std::optional<ir::ValueType>& t,
                                         const std::vector<int64_t>& perm);

// Integer list from an attribute or a constant (initializer) input;
// nullopt when it is neither, `present` tells whether either was given.
struct IntList {
  bool present = false;
  std::vector<int64_t> values;
};
std::optional<IntList> AxesOf(const GraphEditor& ed, const ir::Node& n, const std::string& attr,
                              size_t input_slot);

ir::Attribute* MutableAttr(ir::Node& n, const std::string& name);
void SetIntsAttr(ir::Node& n, const std::string& name, std::vector<int64_t> v);
void SetIntAttr(ir::Node& n, const std::string& name, int64_t v);

}  // namespace onnxsmith::optimizer

#endif  // ONNXSMITH_OPTIMIZER_GRAPH_EDITOR_H_
