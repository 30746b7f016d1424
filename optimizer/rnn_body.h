// The view fuse_rnn_loops takes of a Loop body: its carried values by role
// and a producer index with the small pattern queries the cell matchers use.
#ifndef ONNXSMITH_OPTIMIZER_RNN_BODY_H_
#define ONNXSMITH_OPTIMIZER_RNN_BODY_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "optimizer/graph_editor.h"

namespace onnxsmith::optimizer {

// A gate: columns [part, part + 1) * n / parts of the pre-activation `pre`.
struct Gate {
  std::string pre;
  int64_t part = 0, parts = 1;
};

struct Carried {
  // kMaskedOutput: Keras's previous output, Where(mask_t, h', in or fill).
  enum Kind { kCounter, kState, kScanOut, kPassThrough, kMaskedOutput } kind = kState;
  std::string in, out, init, final;
  std::string written, index;  // kScanOut: SequenceInsert's value and position
  bool every_step = false;       // kScanOut: written at the counter, not only the last
  std::string masked_out;        // masked: the Where's output (`out` is its new value)
  std::string fill;              // kMaskedOutput: the value at masked steps, if not `in`
  int source = -1;               // kScanOut of a masked loop: the kMaskedOutput written
};

class BodyView {
 public:
  BodyView(const ir::Graph& body, const GraphEditor& ed) : body_(body), ed_(ed) {
    for (const auto& n : body.nodes) {
      for (const std::string& o : n->outputs) producer_[o] = n.get();
    }
  }
  const ir::Node* Producer(const std::string& v) const {
    auto it = producer_.find(v);
    return it == producer_.end() ? nullptr : it->second;
  }
  const ir::Node* Op(const std::string& v, const char* op) const {
    const ir::Node* n = Producer(v);
    return n != nullptr && n->op_type == op && IsOnnxDomain(*n) ? n : nullptr;
  }
  const ir::Tensor* Constant(const std::string& v) const {
    if (const ir::Tensor* t = body_.FindInitializer(v)) return t;
    return Producer(v) == nullptr ? ed_.Constant(v) : nullptr;
  }
  std::optional<double> Scalar(const std::string& v) const {
    const ir::Tensor* t = Constant(v);
    if (t == nullptr || t->num_elements() != 1) return std::nullopt;
    auto d = t->ToDoubles();
    if (!d.ok()) return std::nullopt;
    return (*d)[0];
  }
  // The input of `n` (two-input op) other than `v`, or "".
  static std::string Other(const ir::Node* n, const std::string& v) {
    if (n == nullptr || n->inputs.size() != 2) return "";
    if (n->inputs[0] == v) return n->inputs[1];
    if (n->inputs[1] == v) return n->inputs[0];
    return "";
  }
  // `v` as activation `op` of a pre-activation: op(pre) itself, or an
  // equal part of it along the last axis (TF1 GRUCell applies the sigmoid
  // before splitting r and u).
  std::optional<Gate> Activation(const std::string& v, const char* op) const {
    if (const ir::Node* n = Op(v, op)) return Gate{n->inputs[0], 0, 1};
    const ir::Node* split = Op(v, "Split");
    if (split == nullptr || split->inputs.size() != 1) return std::nullopt;
    const int64_t axis = split->GetInt("axis", 0);
    const ir::Node* act = Op(split->inputs[0], op);
    if (act == nullptr || (axis != 1 && axis != -1)) return std::nullopt;
    for (size_t k = 0; k < split->outputs.size(); ++k) {
      if (split->outputs[k] == v) {
        return Gate{act->inputs[0], static_cast<int64_t>(k),
                    static_cast<int64_t>(split->outputs.size())};
      }
    }
    return std::nullopt;
  }
  // Operands of Mul `n` as (the one that is activation `op`, the other).
  std::optional<std::pair<std::string, std::string>> Split(const ir::Node* n, const char* op) const {
    if (n == nullptr || n->inputs.size() != 2) return std::nullopt;
    for (int k = 0; k < 2; ++k) {
      if (Activation(n->inputs[k], op)) return std::make_pair(n->inputs[k], n->inputs[1 - k]);
    }
    return std::nullopt;
  }

 private:
  const ir::Graph& body_;
  const GraphEditor& ed_;
  absl::flat_hash_map<std::string, const ir::Node*> producer_;
};

// Keras masking: every state is Where(mask_t, new, in), the output one
// (read by nothing else, same new value as a state) Where(mask_t, new, in
// or a loop invariant). States get `out` = new; the output leaves
// `states`. `mask` must be [T, B, 1] and mask_t reach the Where as is or
// tiled along the units.
bool MatchStepMask(const GraphEditor& ed, const BodyView& bv, const ir::Graph& body,
                   const std::string& mask_t, const std::string& mask, std::vector<Carried>& vars,
                   std::vector<int>& states);

}  // namespace onnxsmith::optimizer

#endif  // ONNXSMITH_OPTIMIZER_RNN_BODY_H_
