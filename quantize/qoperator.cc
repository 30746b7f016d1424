// ToQOperator: the QDQ graph rewritten with ONNX's standard integer
// operators, for runtimes that run QuantizeLinear/DequantizeLinear as
// written instead of fusing them:
//
//   DQ(x) -> Conv(DQ(w), DQ(b)) [-> Relu|Clip] -> Q   =>  QLinearConv(x_q, w_q, b_q)
//   DQ(x) -> MatMul(DQ(w)) -> Q                       =>  QLinearMatMul(x_q, w_q)
//   DQ(q) -> Reshape/Transpose/MaxPool/... -> Q(same) =>  the op on q itself
//
// QLinearAdd, QLinearAveragePool, QGemm and the like are com.microsoft
// operators, not ONNX: those ops keep their DQ -> float op -> Q form. A
// Relu/Clip is dropped only where the output quantizer saturates at the same
// bounds (Q(clip(y)) == Q(y) for every y), so the rewrite is exact.
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "quantize/scheme.h"

namespace onnxsmith::quantize {
namespace {

using ir::DataType;

// Ops whose output is a rearrangement (or max) of input elements: on
// quantized values with unchanged parameters they give the same integers.
const std::set<std::string>& IntegerPassThrough() {
  static const auto* ops = new std::set<std::string>{
      "Reshape", "Transpose", "Flatten", "Squeeze", "Unsqueeze", "MaxPool", "Slice", "Gather", "Identity"};
  return *ops;
}

class Rewriter {
 public:
  explicit Rewriter(ir::Model& model) : g_(model.graph), opset_(model.opset()) {}

  // The nodes rewritten (same objects, new contents), with what they became.
  std::map<const ir::Node*, std::string> Run() {
    // One rewrite at a time on a fresh index (a few hundred rewrites of
    // graphs of a few thousand nodes at most).
    bool changed = true;
    while (changed) {
      changed = false;
      index_ = g_.BuildIndex();
      for (auto& np : g_.nodes) {
        ir::Node& n = *np;
        if (!n.domain.empty()) continue;
        if (TryLinear(n) || TryPassThrough(n)) {
          changed = true;
          break;
        }
      }
      RemoveDead();
    }
    g_.RemoveDeadNodes();
    return done_;
  }

 private:
  // The DequantizeLinear producing `v`, with per-tensor constant parameters
  // when `scalar` is set.
  ir::Node* Dequantizer(const std::string& v, bool scalar) {
    auto it = index_.producer.find(v);
    if (it == index_.producer.end() || dead_.count(it->second)) return nullptr;
    ir::Node* dq = it->second;
    if (dq->op_type != "DequantizeLinear" || !dq->domain.empty() || dq->inputs.size() < 2) return nullptr;
    for (size_t i = 1; i < dq->inputs.size(); ++i) {
      const ir::Tensor* t = g_.FindInitializer(dq->inputs[i]);
      if (!t || (scalar && t->num_elements() != 1)) return nullptr;
    }
    return dq;
  }

  // The single reader of `v` (nullptr when v is a graph output or read by
  // more or fewer nodes).
  ir::Node* OnlyReader(const std::string& v) {
    if (g_.IsGraphOutput(v)) return nullptr;
    auto it = index_.consumers.find(v);
    if (it == index_.consumers.end() || it->second.size() != 1) return nullptr;
    return dead_.count(it->second[0]) ? nullptr : it->second[0];
  }

  // The QuantizeLinear (per tensor) reading `v`, through a Relu/Clip the
  // quantizer makes redundant (then set in *activation).
  ir::Node* Quantizer(const std::string& v, ir::Node** activation) {
    ir::Node* r = OnlyReader(v);
    *activation = nullptr;
    if (r && (r->op_type == "Relu" || r->op_type == "Clip") && r->inputs[0] == v) {
      *activation = r;
      r = OnlyReader(r->outputs[0]);
    }
    if (!r || r->op_type != "QuantizeLinear" || r->inputs.size() < 3) return nullptr;
    for (size_t i = 1; i < 3; ++i) {
      const ir::Tensor* t = g_.FindInitializer(r->inputs[i]);
      if (!t || t->num_elements() != 1) return nullptr;
    }
    if (*activation && !Redundant(**activation, *r)) return nullptr;
    return r;
  }

  // Whether the quantizer q saturates inside act's bounds (up to half a
  // step, so that rounding lands on the same integer either way).
  bool Redundant(const ir::Node& act, const ir::Node& q) {
    double lo = act.op_type == "Relu" ? 0 : -std::numeric_limits<double>::infinity();
    double hi = std::numeric_limits<double>::infinity();
    if (act.op_type == "Clip") {
      if (opset_ < 11) {
        if (const ir::Attribute* a = act.FindAttr("min")) lo = a->f;
        if (const ir::Attribute* a = act.FindAttr("max")) hi = a->f;
      } else {
        for (size_t i = 1; i < act.inputs.size() && i < 3; ++i) {
          if (act.inputs[i].empty()) continue;
          const ir::Tensor* t = g_.FindInitializer(act.inputs[i]);
          if (!t) return false;
          auto v = t->ToDoubles();
          if (!v.ok() || v->size() != 1) return false;
          (i == 1 ? lo : hi) = (*v)[0];
        }
      }
    }
    auto s = g_.FindInitializer(q.inputs[1])->ToDoubles();
    auto z = g_.FindInitializer(q.inputs[2])->ToInt64s();
    if (!s.ok() || !z.ok()) return false;
    const bool u8 = g_.FindInitializer(q.inputs[2])->dtype() == DataType::kUint8;
    const double scale = (*s)[0], qmin = u8 ? 0 : -128, qmax = u8 ? 255 : 127;
    const double rep_lo = (qmin - (*z)[0]) * scale, rep_hi = (qmax - (*z)[0]) * scale;
    return rep_lo > lo - 0.49 * scale && rep_hi < hi + 0.49 * scale;
  }

  bool TryLinear(ir::Node& n) {
    const bool conv = n.op_type == "Conv";
    if (!conv && n.op_type != "MatMul") return false;
    if (n.inputs.size() < 2 || n.outputs.size() != 1) return false;
    ir::Node* x = Dequantizer(n.inputs[0], true);
    ir::Node* w = Dequantizer(n.inputs[1], false);
    if (!x || !w || !g_.IsInitializer(w->inputs[0]) || w->inputs.size() < 3) return false;
    const ir::Tensor& wq = *g_.FindInitializer(w->inputs[0]);
    const int64_t channels = g_.FindInitializer(w->inputs[1])->num_elements();
    if (channels > 1) {
      // QLinearConv: per output channel (axis 0); QLinearMatMul: per column
      // of a 2-D B.
      const int64_t axis = w->GetInt("axis", 1);
      if (conv ? axis != 0 : (wq.rank() != 2 || axis != 1)) return false;
    }
    std::string bias;
    if (conv && n.inputs.size() > 2 && !n.inputs[2].empty()) {
      ir::Node* b = Dequantizer(n.inputs[2], false);
      if (!b || !g_.IsInitializer(b->inputs[0]) ||
          g_.FindInitializer(b->inputs[0])->dtype() != DataType::kInt32) {
        return false;
      }
      bias = b->inputs[0];
    }
    ir::Node* act = nullptr;
    ir::Node* q = Quantizer(n.outputs[0], &act);
    if (!q) return false;
    ir::Node out;
    out.name = n.name;
    out.op_type = conv ? "QLinearConv" : "QLinearMatMul";
    out.inputs = {x->inputs[0], x->inputs[1], XZeroPoint(*x), w->inputs[0], w->inputs[1], w->inputs[2],
                  q->inputs[1], q->inputs[2]};
    if (!bias.empty()) out.inputs.push_back(bias);
    out.outputs = {q->outputs[0]};
    if (conv) out.attributes = n.attributes;
    done_[&n] = absl::StrCat(out.op_type, act ? absl::StrCat(" (", act->op_type, " folded)") : "");
    Replace(n, std::move(out), {act, q});
    return true;
  }

  // DQ(q) -> op -> Q with the same parameters: the op runs on q.
  bool TryPassThrough(ir::Node& n) {
    if (!IntegerPassThrough().count(n.op_type) || n.inputs.empty() || n.outputs.size() != 1) return false;
    if (n.op_type == "MaxPool" && opset_ < 12) return false;  // 8-bit MaxPool since opset 12
    ir::Node* dq = Dequantizer(n.inputs[0], true);
    ir::Node* act = nullptr;
    ir::Node* q = dq ? Quantizer(n.outputs[0], &act) : nullptr;
    if (!q || act || !SameValue(dq->inputs[1], q->inputs[1]) || !SameValue(XZeroPoint(*dq), q->inputs[2])) {
      return false;
    }
    ir::Node out = n;
    out.inputs[0] = dq->inputs[0];
    out.outputs = {q->outputs[0]};
    done_[&n] = absl::StrCat(n.op_type, " on the quantized values");
    Replace(n, std::move(out), {q});
    return true;
  }

  // The zero point input of a DequantizeLinear (made explicit: uint8 0 when
  // omitted, as ONNX defines).
  std::string XZeroPoint(const ir::Node& dq) {
    if (dq.inputs.size() > 2 && !dq.inputs[2].empty()) return dq.inputs[2];
    const std::string name = absl::StrCat(dq.inputs[0], "_zero_point");
    if (!g_.IsInitializer(name)) g_.initializers[name] = ir::Tensor::Scalar<uint8_t>(0);
    return name;
  }

  bool SameValue(const std::string& a, const std::string& b) {
    if (a == b) return true;
    const ir::Tensor* ta = g_.FindInitializer(a);
    const ir::Tensor* tb = g_.FindInitializer(b);
    return ta && tb && ta->dtype() == tb->dtype() && ta->dims() == tb->dims() && ta->raw() == tb->raw();
  }

  // n becomes `out` in place (graph order kept); `gone` are removed.
  void Replace(ir::Node& n, ir::Node out, std::vector<ir::Node*> gone) {
    for (const std::string& o : n.outputs) g_.value_types.erase(o);
    for (ir::Node* d : gone) {
      if (!d) continue;
      for (const std::string& o : d->outputs) {
        if (o != out.outputs[0]) g_.value_types.erase(o);
      }
      dead_.insert(d);
    }
    n = std::move(out);
  }

  void RemoveDead() {
    std::vector<std::unique_ptr<ir::Node>> kept;
    for (auto& np : g_.nodes) {
      if (!dead_.count(np.get())) kept.push_back(std::move(np));
    }
    g_.nodes = std::move(kept);
    dead_.clear();
  }

  ir::Graph& g_;
  int64_t opset_;
  ir::Graph::Index index_;
  std::set<const ir::Node*> dead_;
  std::map<const ir::Node*, std::string> done_;
};

}  // namespace

absl::Status ToQOperator(ir::Model& model, const std::vector<const ir::Node*>& decided,
                         std::vector<NodeDecision>* decisions) {
  if (model.opset() < 10) {
    return absl::FailedPreconditionError(
        absl::StrCat("QLinearConv/QLinearMatMul need ai.onnx opset 10 or later; the model has opset ",
                     model.opset()));
  }
  const std::map<const ir::Node*, std::string> done = Rewriter(model).Run();
  for (size_t i = 0; i < decided.size() && i < decisions->size(); ++i) {
    auto it = done.find(decided[i]);
    NodeDecision& d = (*decisions)[i];
    if (it != done.end() && d.quantized) d.reason = absl::StrCat(it->second, "; ", d.reason);
  }
  return model.graph.TopologicalSort();
}

}  // namespace onnxsmith::quantize
