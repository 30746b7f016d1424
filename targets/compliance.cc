#include "targets/compliance.h"

#include <cmath>
#include <deque>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "targets/layout.h"

namespace onnxsmith::targets {
namespace {

using ir::DataType;

enum class QKind { kActivation, kWeight, kBias };

// The parameters of a QuantizeLinear/DequantizeLinear node.
struct QParamsInfo {
  DataType type = DataType::kUint8;
  std::vector<double> scales, zero_points;
  std::string problem;  // "" when the parameters are constants
};

bool IsQ(const ir::Node& n) { return n.domain.empty() && n.op_type == "QuantizeLinear"; }
bool IsDQ(const ir::Node& n) { return n.domain.empty() && n.op_type == "DequantizeLinear"; }

std::string TypeName(DataType t) { return ir::DataTypeName(t); }

class Checker {
 public:
  Checker(const ir::Model& m, const Profile& p, const ComplianceOptions& o)
      : g_(m.graph), p_(p), o_(o), index_(m.graph.BuildIndex()) {}

  QParamsInfo Params(const ir::Node& n) const {
    QParamsInfo info;
    const ir::Tensor* s = n.inputs.size() > 1 ? g_.FindInitializer(n.inputs[1]) : nullptr;
    const ir::Tensor* z = n.inputs.size() > 2 && !n.inputs[2].empty() ? g_.FindInitializer(n.inputs[2]) : nullptr;
    if (s == nullptr || !s->ToDoubles().ok()) {
      info.problem = "scale is not a constant";
      return info;
    }
    info.scales = *s->ToDoubles();
    if (n.inputs.size() > 2 && !n.inputs[2].empty()) {
      if (z == nullptr || !z->ToDoubles().ok()) {
        info.problem = "zero point is not a constant";
        return info;
      }
      info.type = z->dtype();
      info.zero_points = *z->ToDoubles();
    } else {
      info.zero_points.assign(info.scales.size(), 0.0);
      if (IsDQ(n)) {
        if (const ir::Tensor* x = g_.FindInitializer(n.inputs[0])) info.type = x->dtype();
      } else if (n.FindAttr("output_dtype") != nullptr) {
        info.type = static_cast<DataType>(n.GetInt("output_dtype", 2));
      }
    }
    if (info.scales.empty() || (info.zero_points.size() != info.scales.size() && info.zero_points.size() != 1)) {
      info.problem = "scale and zero point sizes disagree";
    }
    return info;
  }

  QKind KindOf(const ir::Node& n) const {
    if (const ir::Tensor* x = g_.FindInitializer(n.inputs[0])) {
      return x->dtype() == DataType::kInt32 ? QKind::kBias : QKind::kWeight;
    }
    if (IsDQ(n)) {
      auto it = index_.producer.find(n.inputs[0]);
      if (it != index_.producer.end() && IsQ(*it->second)) return KindOf(*it->second);
    }
    return QKind::kActivation;
  }

  const ir::Node* Producer(const std::string& v) const {
    auto it = index_.producer.find(v);
    return it == index_.producer.end() ? nullptr : it->second;
  }
  std::vector<ir::Node*> Consumers(const std::string& v) const {
    auto it = index_.consumers.find(v);
    return it == index_.consumers.end() ? std::vector<ir::Node*>{} : it->second;
  }

  NodeCompliance CheckQdq(const ir::Node& n, const std::string& name) const {
    NodeCompliance c{name, n.op_type, NodeStatus::kSupported, ""};
    const QParamsInfo q = Params(n);
    const QKind kind = KindOf(n);
    auto refuse = [&](const std::string& why) {
      c.status = NodeStatus::kUnsupported;
      c.detail = why;
      return c;
    };
    if (!q.problem.empty()) return refuse(q.problem);
    const QuantScheme& s = p_.quant;
    const bool per_axis = q.scales.size() > 1;
    if (kind == QKind::kBias) {
      if (s.bias == "float") return refuse("int32 bias; the target keeps biases float");
      c.detail = "int32 bias";
      return c;
    }
    bool all_zero = true;
    for (double z : q.zero_points) all_zero &= z == 0;
    if (kind == QKind::kWeight) {
      if (q.type != DataType::kInt8) return refuse(absl::StrCat(TypeName(q.type), " weights; the target wants int8"));
      if (!all_zero) return refuse("weights with a non-zero zero point; the target wants symmetric weights");
      if (per_axis && !s.per_channel) return refuse("per-channel weights; the target wants per-tensor weights");
      if (per_axis) {
        // The op reading the weights (through the DQ, and Q before it).
        const ir::Node* dq = &n;
        if (IsQ(n)) {
          auto cs = Consumers(n.outputs[0]);
          dq = cs.empty() ? nullptr : cs[0];
        }
        if (dq != nullptr) {
          for (const ir::Node* user : Consumers(dq->outputs[0])) {
            if (s.per_tensor_ops.count(user->op_type)) {
              return refuse(absl::StrCat("per-channel weights of ", user->op_type,
                                         "; the target quantizes them per tensor"));
            }
          }
        }
      }
      c.detail = absl::StrCat("int8 weights, symmetric, ", per_axis ? "per channel" : "per tensor",
                              g_.IsInitializer(n.inputs[0]) && IsQ(n) ? ", float weights behind Q/DQ" : "");
      return c;
    }
    const std::string want = s.activation_type;
    if (TypeName(q.type) != want) {
      return refuse(absl::StrCat(TypeName(q.type), " activation; the target wants ", want));
    }
    if (per_axis) return refuse("per-axis activation parameters; the target wants per tensor");
    if (s.symmetric_activations) {
      const bool is_signed = q.type == DataType::kInt8 || q.type == DataType::kInt16;
      const double mid = q.type == DataType::kUint16 ? 32768 : 128;
      if (q.zero_points[0] != (is_signed ? 0.0 : mid)) {
        return refuse(absl::StrCat("activation zero point ", q.zero_points[0],
                                   "; the target wants symmetric activations (zero point ",
                                   is_signed ? 0.0 : mid, ")"));
      }
    }
    c.detail = absl::StrCat(want, " activation, ", s.symmetric_activations || all_zero ? "zero point 0" : "asymmetric");
    return c;
  }

  // The activation parameters a tensor is read with (its DQ) or written
  // with (the Q reading it); false when it has none.
  bool ReadParams(const std::string& v, QParamsInfo* out) const {
    const ir::Node* dq = Producer(v);
    if (dq == nullptr || !IsDQ(*dq) || KindOf(*dq) != QKind::kActivation) return false;
    *out = Params(*dq);
    return out->problem.empty();
  }
  bool WriteParams(const std::string& v, QParamsInfo* out) const {
    for (const ir::Node* c : Consumers(v)) {
      if (IsQ(*c)) {
        *out = Params(*c);
        return out->problem.empty();
      }
    }
    return false;
  }

  NodeCompliance CheckOp(const ir::Node& n, const std::string& name, bool inside_region) const {
    NodeCompliance c{name, n.op_type, NodeStatus::kSupported, ""};
    auto refuse = [&](const std::string& why) {
      c.status = NodeStatus::kUnsupported;
      c.detail = why;
      return c;
    };
    if (!n.domain.empty() && n.domain != "ai.onnx") {
      return refuse(absl::StrCat("custom domain '", n.domain, "'"));
    }
    if (!p_.AllowsOp(n.op_type)) return refuse(absl::StrCat(n.op_type, " is not an op ", p_.name, " runs"));
    for (const AttributeRule& r : p_.attribute_rules) {
      if (r.op != n.op_type) continue;
      const ir::Attribute* a = n.FindAttr(r.attribute);
      if (a == nullptr) continue;
      const std::string v = a->kind == ir::Attribute::Kind::kString ? a->s : absl::StrCat(a->i);
      if (std::find(r.allowed.begin(), r.allowed.end(), v) == r.allowed.end()) {
        return refuse(absl::StrCat(r.attribute, "='", v, "' (allowed: ", absl::StrJoin(r.allowed, ", "),
                                   "; ", r.why, ")"));
      }
    }
    QParamsInfo in, out;
    bool reads_dq = false;
    for (const std::string& i : n.inputs) reads_dq |= !i.empty() && ReadParams(i, &in);
    bool writes_q = !n.outputs.empty() && WriteParams(n.outputs[0], &out);
    const bool to_output = !n.outputs.empty() && g_.IsGraphOutput(n.outputs[0]);
    if (reads_dq && (writes_q || to_output)) {
      c.status = NodeStatus::kRewritten;
      c.detail = writes_q ? "quantized: dequantized inputs, quantized output"
                          : "quantized inputs, float graph output";
    } else if (reads_dq && FoldedActivationAfter(n)) {
      c.status = NodeStatus::kRewritten;
      c.detail = "quantized inputs; output quantized after its Relu/Clip (fused)";
    } else if (is_quantized_) {
      c.status = NodeStatus::kFloat;
      auto it = o_.float_reasons.find(n.name);
      c.detail = it != o_.float_reasons.end() && !it->second.empty() ? it->second : "reads float inputs";
      if (inside_region && p_.quant.integer_only) {
        absl::StrAppend(&c.detail, "; float inside the integer region: the accelerator hands it to the CPU");
      }
      return c;
    } else {
      return c;
    }
    // Fixed output parameters (TFLite's LOGISTIC, SOFTMAX, TANH).
    auto fixed = p_.quant.fixed_outputs.find(n.op_type);
    if (fixed != p_.quant.fixed_outputs.end() && writes_q) {
      if (std::fabs(out.scales[0] - fixed->second.scale) > 1e-6 * fixed->second.scale ||
          out.zero_points[0] != fixed->second.zero_point) {
        return refuse(absl::StrCat("output scale ", out.scales[0], ", zero point ", out.zero_points[0],
                                   "; the target fixes ", fixed->second.scale, ", ", fixed->second.zero_point));
      }
      absl::StrAppend(&c.detail, ", fixed output parameters");
    }
    if (p_.quant.shared_scale_ops.count(n.op_type) && writes_q) {
      for (const std::string& i : n.inputs) {
        QParamsInfo ip;
        if (i.empty() || !ReadParams(i, &ip)) continue;
        if (std::fabs(ip.scales[0] - out.scales[0]) > 1e-6 * out.scales[0] ||
            ip.zero_points[0] != out.zero_points[0]) {
          return refuse(absl::StrCat("input '", i, "' (scale ", ip.scales[0], ", zero point ", ip.zero_points[0],
                                     ") and output (scale ", out.scales[0], ", zero point ", out.zero_points[0],
                                     ") must share one scale"));
        }
      }
      absl::StrAppend(&c.detail, ", inputs and output share one scale");
    }
    return c;
  }

  // A Relu/Clip consuming n's output whose output is quantized (the range
  // of the pair folded into one Q).
  bool FoldedActivationAfter(const ir::Node& n) const {
    if (n.outputs.empty()) return false;
    auto cs = Consumers(n.outputs[0]);
    if (cs.size() != 1 || (cs[0]->op_type != "Relu" && cs[0]->op_type != "Clip")) return false;
    QParamsInfo q;
    return WriteParams(cs[0]->outputs[0], &q);
  }
  // A Relu/Clip after a rewritten op whose range folded into the Q after it.
  bool ReadsRewritten(const ir::Node& n) const {
    auto p = n.inputs.empty() ? nullptr : Producer(n.inputs[0]);
    auto it = p == nullptr ? status_.end() : status_.find(p);
    return it != status_.end() && it->second == NodeStatus::kRewritten && FoldedActivationAfter(*p);
  }

  ComplianceReport Run(const ir::Model& m) {
    ComplianceReport r;
    r.target = p_.name;
    r.opset = m.opset();
    for (const auto& n : g_.nodes) is_quantized_ |= IsQ(*n) || IsDQ(*n);
    r.quantized = is_quantized_;
    if (r.opset < p_.opset_min || r.opset > p_.opset_max) {
      r.model_issues.push_back(absl::StrCat("opset ", r.opset, " is outside ", p_.name, "'s range [",
                                            p_.opset_min, ", ", p_.opset_max, "]"));
    }
    if (p_.static_shapes) {
      for (const ir::ValueInfo& v : g_.inputs) {
        if (g_.IsInitializer(v.name)) continue;
        bool known = v.type.shape.has_value();
        std::string dims;
        if (known) {
          for (const ir::Dim& d : *v.type.shape) {
            known &= d.known();
            absl::StrAppend(&dims, dims.empty() ? "" : "x", d.known() ? absl::StrCat(d.size) : d.param.empty() ? "?" : d.param);
          }
        }
        if (!known) {
          r.model_issues.push_back(absl::StrCat("input '", v.name, "' has a dynamic shape (", dims.empty() ? "rank unknown" : dims,
                                                "); ", p_.name, " needs static shapes: --fix-shape ", v.name,
                                                ":DIMS or --batch N"));
        }
      }
    }
    // The integer region: nodes after some QuantizeLinear and before some other.
    std::set<const ir::Node*> after_q, before_q;
    for (const auto& n : g_.nodes) {  // graph order is topological
      bool after = false;
      for (const std::string& i : n->inputs) {
        const ir::Node* p = i.empty() ? nullptr : Producer(i);
        after |= p != nullptr && (IsQ(*p) || after_q.count(p));
      }
      if (after) after_q.insert(n.get());
    }
    for (auto it = g_.nodes.rbegin(); it != g_.nodes.rend(); ++it) {
      const ir::Node* n = it->get();
      bool before = false;
      for (const std::string& o : n->outputs) {
        for (const ir::Node* c : Consumers(o)) before |= IsQ(*c) || before_q.count(c);
      }
      if (before) before_q.insert(n);
    }
    std::map<const ir::Node*, std::string> layout;
    if (p_.layout == "NCHW") layout = NchwLayoutViolations(g_);
    for (size_t i = 0; i < g_.nodes.size(); ++i) {
      const ir::Node& n = *g_.nodes[i];
      const std::string name = n.name.empty() ? ir::DescribeNode(n, i) : n.name;
      NodeCompliance c;
      if (auto it = layout.find(&n); it != layout.end()) {
        c = {name, n.op_type, NodeStatus::kUnsupported, it->second};
      } else if (IsQ(n) || IsDQ(n)) {
        c = CheckQdq(n, name);
      } else {
        c = CheckOp(n, name, after_q.count(&n) && before_q.count(&n));
        if (c.status == NodeStatus::kFloat && ReadsRewritten(n) && (n.op_type == "Relu" || n.op_type == "Clip")) {
          c.status = NodeStatus::kRewritten;
          c.detail = "fused into its producer's quantized output range";
        }
      }
      status_[&n] = c.status;
      r.counts[static_cast<int>(c.status)]++;
      r.nodes.push_back(std::move(c));
    }
    return r;
  }

 private:
  const ir::Graph& g_;
  const Profile& p_;
  const ComplianceOptions& o_;
  ir::Graph::Index index_;
  bool is_quantized_ = false;
  std::map<const ir::Node*, NodeStatus> status_;
};

}  // namespace

const char* NodeStatusName(NodeStatus s) {
  switch (s) {
    case NodeStatus::kSupported: return "supported";
    case NodeStatus::kRewritten: return "rewritten";
    case NodeStatus::kFloat: return "left float";
    case NodeStatus::kUnsupported: return "unsupported";
  }
  return "?";
}

ComplianceReport CheckCompliance(const ir::Model& model, const Profile& profile, const ComplianceOptions& options) {
  Checker checker(model, profile, options);
  return checker.Run(model);
}

std::string FormatCompliance(const ComplianceReport& r, int max_items) {
  std::string out = absl::StrCat("target ", r.target, " (opset ", r.opset, "): ",
                                 r.count(NodeStatus::kSupported), " supported, ",
                                 r.count(NodeStatus::kRewritten), " rewritten, ",
                                 r.count(NodeStatus::kFloat), " left float, ",
                                 r.count(NodeStatus::kUnsupported), " unsupported -> ",
                                 r.ok() ? "compliant" : "NOT compliant", "\n");
  for (const std::string& n : r.notes) absl::StrAppend(&out, "  note: ", n, "\n");
  for (const std::string& i : r.model_issues) absl::StrAppend(&out, "  model: ", i, "\n");
  for (NodeStatus s : {NodeStatus::kUnsupported, NodeStatus::kFloat, NodeStatus::kRewritten}) {
    int shown = 0;
    for (const NodeCompliance& c : r.nodes) {
      if (c.status != s) continue;
      if (max_items > 0 && shown == max_items) {
        absl::StrAppend(&out, "  ", NodeStatusName(s), ": ... ", r.count(s) - shown, " more (--report FILE.json lists all)\n");
        break;
      }
      absl::StrAppend(&out, "  ", NodeStatusName(s), ": ", c.node, " (", c.op_type, "): ", c.detail, "\n");
      ++shown;
    }
  }
  return out;
}

nlohmann::ordered_json ComplianceJson(const ComplianceReport& r) {
  nlohmann::ordered_json j;
  j["target"] = r.target;
  j["opset"] = r.opset;
  j["compliant"] = r.ok();
  j["quantized"] = r.quantized;
  j["counts"] = {{"supported", r.count(NodeStatus::kSupported)},
                 {"rewritten", r.count(NodeStatus::kRewritten)},
                 {"left_float", r.count(NodeStatus::kFloat)},
                 {"unsupported", r.count(NodeStatus::kUnsupported)}};
  j["model_issues"] = r.model_issues;
  j["notes"] = r.notes;
  nlohmann::ordered_json nodes = nlohmann::ordered_json::array();
  for (const NodeCompliance& c : r.nodes) {
    nodes.push_back({{"node", c.node}, {"op_type", c.op_type}, {"status", NodeStatusName(c.status)},
                     {"detail", c.detail}});
  }
  j["nodes"] = std::move(nodes);
  return j;
}

absl::Status ComplianceStatus(const ComplianceReport& r, bool allow_fallback) {
  std::vector<std::string> problems = r.model_issues;
  if (!allow_fallback) {
    for (const NodeCompliance& c : r.nodes) {
      if (c.status == NodeStatus::kUnsupported && problems.size() < 5) {
        problems.push_back(absl::StrCat("node ", c.node, " (", c.op_type, "): ", c.detail));
      }
    }
  }
  if (problems.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "the model does not satisfy target ", r.target, " (", r.count(NodeStatus::kUnsupported),
      " unsupported nodes, ", r.model_issues.size(), " model issues): ", absl::StrJoin(problems, "; "),
      r.model_issues.empty() ? " (--allow-fallback accepts unsupported nodes)" : ""));
}

}  // namespace onnxsmith::targets
