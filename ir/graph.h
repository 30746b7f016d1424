// The in-memory ONNX graph: nodes that read and write named values, typed
// graph inputs/outputs, and initializers whose buffers are shared. Subgraphs
// (If/Loop bodies) hang off graph-valued attributes.
#ifndef ONNXSMITH_IR_GRAPH_H_
#define ONNXSMITH_IR_GRAPH_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "ir/tensor.h"

namespace onnxsmith::ir {

class Graph;

// A dimension: a size >= 0, or unknown (-1) with an optional symbolic name.
struct Dim {
  int64_t size = -1;
  std::string param;
  bool known() const { return size >= 0; }
};

struct ValueType {
  DataType dtype = DataType::kUndefined;
  std::optional<std::vector<Dim>> shape;  // nullopt: rank unknown
  // A sequence of tensors (ONNX sequence(tensor)), each of dtype/shape; TF
  // TensorLists convert to sequences.
  bool sequence = false;
  std::optional<int> rank() const {
    return shape ? std::optional<int>(static_cast<int>(shape->size())) : std::nullopt;
  }
};

// A fully static type: `dtype` with known dims `dims`.
ValueType MakeType(DataType dtype, const std::vector<int64_t>& dims);

struct ValueInfo {
  std::string name;
  ValueType type;
};

struct Attribute {
  enum class Kind { kInt, kFloat, kString, kTensor, kGraph, kInts, kFloats, kStrings };
  std::string name;
  Kind kind = Kind::kInt;
  int64_t i = 0;
  float f = 0;
  std::string s;
  Tensor t;
  std::shared_ptr<Graph> g;
  std::vector<int64_t> ints;
  std::vector<float> floats;
  std::vector<std::string> strings;

  static Attribute Int(std::string name, int64_t v);
  static Attribute Float(std::string name, float v);
  static Attribute String(std::string name, std::string v);
  static Attribute Ints(std::string name, std::vector<int64_t> v);
  static Attribute Floats(std::string name, std::vector<float> v);
  static Attribute Strings(std::string name, std::vector<std::string> v);
  static Attribute TensorValue(std::string name, Tensor v);
  static Attribute GraphValue(std::string name, std::shared_ptr<Graph> v);
};

struct Node {
  std::string name;
  std::string op_type;
  std::string domain;  // "" is ai.onnx
  std::vector<std::string> inputs;   // "" marks an omitted optional input
  std::vector<std::string> outputs;
  std::vector<Attribute> attributes;

  const Attribute* FindAttr(const std::string& attr_name) const;
  int64_t GetInt(const std::string& attr_name, int64_t default_value) const;
};

// How error messages name node `index` of a graph: 'name' in quotes, or, for
// a node without a name, its index and op type: #12 (Add, unnamed).
std::string DescribeNode(const Node& node, size_t index);

// The subgraphs (If branches, Loop/Scan bodies) held by `node`'s attributes.
std::vector<const Graph*> Subgraphs(const Node& node);

class Graph {
 public:
  std::string name = "main";
  std::vector<ValueInfo> inputs;
  std::vector<ValueInfo> outputs;
  // Types known for intermediate values (exported as value_info).
  std::map<std::string, ValueType> value_types;
  // Ordered by name so that exported files are deterministic.
  std::map<std::string, Tensor> initializers;
  // Kept in topological order by whoever builds or rewrites the graph.
  std::vector<std::unique_ptr<Node>> nodes;

  Node* AddNode(Node node);
  bool IsInitializer(const std::string& value) const { return initializers.count(value) > 0; }
  const Tensor* FindInitializer(const std::string& value) const;
  bool IsGraphInput(const std::string& value) const;
  bool IsGraphOutput(const std::string& value) const;

  // Producer node and consumers of every value, built on demand by passes.
  struct Index {
    absl::flat_hash_map<std::string, Node*> producer;
    absl::flat_hash_map<std::string, std::vector<Node*>> consumers;
  };
  Index BuildIndex() const;

  // A deep copy: nodes and subgraphs are new objects (a copied Node would
  // share its subgraphs), tensor buffers are shared (they are immutable).
  Graph Clone() const;

  // Reorders nodes topologically (see SortTopologically); for a main graph,
  // which has no enclosing scope, a value nothing defines is an error too.
  absl::Status TopologicalSort();
  // Drops nodes no graph output depends on (subgraph reads count as uses),
  // initializers nothing reads (unless a graph input of the same name can
  // override them) and value_types of values that no longer exist. Returns
  // how many nodes and initializers went.
  int64_t RemoveDeadNodes();
};

// ---- Graph order and scope (graph_order.cc) ----------------------------------

// Values `graph`'s nodes (recursively, subgraphs included) and outputs read
// from outside it: for a subgraph, the implicit inputs of its owner.
absl::flat_hash_set<std::string> OuterScopeReads(const Graph& graph);
// The outer-scope reads of all of `node`'s subgraphs, sorted.
std::vector<std::string> ImplicitInputs(const Node& node);

// Orders ready nodes: the smallest key goes first.
using SortKey = std::pair<int64_t, int64_t>;
using SortKeyFn = std::function<SortKey(size_t node_index)>;
// Stable topological sort: among ready nodes the smallest key_of(index)
// comes first (default: the current index, so a sorted graph stays as it
// is). A node with subgraphs goes after the producers of the values they
// read; values nothing in `graph` defines are taken to come from an
// enclosing scope. Fails on a cycle, naming a node on it; the node order is
// then unspecified but every node is kept.
absl::Status SortTopologically(Graph& graph, const SortKeyFn& key_of = nullptr);

struct Model {
  int64_t ir_version = 8;
  std::string producer_name = "onnxsmith";
  std::string producer_version;
  std::map<std::string, int64_t> opset_imports;  // domain -> version ("" = ai.onnx)
  std::map<std::string, std::string> metadata;
  Graph graph;

  // A deep copy, as Graph::Clone (the graph holds its nodes by unique_ptr, so Model is move-only).
  Model Clone() const {
    Model c;
    c.ir_version = ir_version;
    c.producer_name = producer_name;
    c.producer_version = producer_version;
    c.opset_imports = opset_imports;
    c.metadata = metadata;
    c.graph = graph.Clone();
    return c;
  }

  int64_t opset() const {
    auto it = opset_imports.find("");
    return it == opset_imports.end() ? 0 : it->second;
  }
};

// ONNX IR version that goes with an ai.onnx opset.
int64_t IrVersionForOpset(int64_t opset);

}  // namespace onnxsmith::ir

#endif  // ONNXSMITH_IR_GRAPH_H_
