#include "optimizer/precision/float16.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "evaluator/array.h"
#include "optimizer/graph_editor.h"
#include "optimizer/passes.h"

namespace onnxsmith::optimizer::precision {
namespace {

using ir::DataType;

// A value visible to a subgraph from an enclosing scope: its original dtype
// and whether it is float16 now.
struct ScopeValue {
  DataType dtype = DataType::kUndefined;
  bool fp16 = false;
};
using Scope = absl::flat_hash_map<std::string, ScopeValue>;

}  // namespace

ir::Tensor Float32ToFloat16(const ir::Tensor& t) {
  const auto in = t.data<float>();
  std::string raw(in.size() * 2, '\0');
  auto* out = reinterpret_cast<uint16_t*>(raw.data());
  for (size_t i = 0; i < in.size(); ++i) {
    float v = in[i];
    if (std::isfinite(v)) v = std::clamp(v, -65504.0f, 65504.0f);
    out[i] = evaluator::FloatToHalf(v);
  }
  return *ir::Tensor::FromRaw(DataType::kFloat16, t.dims(), std::move(raw));
}

namespace {
ir::Tensor ToFloat16(const ir::Tensor& t) { return Float32ToFloat16(t); }

bool IsFloat32Tensor(const ir::Attribute* a) {
  return a != nullptr && a->kind == ir::Attribute::Kind::kTensor && a->t.dtype() == DataType::kFloat;
}

// Every name a node, value or graph uses anywhere in the model.
void CollectNames(const ir::Graph& g, absl::flat_hash_set<std::string>* names) {
  for (const auto& v : g.inputs) names->insert(v.name);
  for (const auto& v : g.outputs) names->insert(v.name);
  for (const auto& [name, t] : g.initializers) names->insert(name);
  for (const auto& [name, t] : g.value_types) names->insert(name);
  for (const auto& n : g.nodes) {
    names->insert(n->name);
    for (const auto& o : n->outputs) names->insert(o);
    for (const ir::Graph* sub : ir::Subgraphs(*n)) CollectNames(*sub, names);
  }
}

// Renames reads of `from` to `to` in `g`'s nodes, outputs and subgraphs.
void RenameReads(ir::Graph& g, const std::string& from, const std::string& to) {
  for (auto& n : g.nodes) {
    for (auto& in : n->inputs) {
      if (in == from) in = to;
    }
    for (auto& a : n->attributes) {
      if (a.kind == ir::Attribute::Kind::kGraph && a.g) RenameReads(*a.g, from, to);
    }
  }
  for (auto& o : g.outputs) {
    if (o.name == from) o.name = to;
  }
}

// Elements a summing reduction adds up (nullopt: unknown).
std::optional<int64_t> ReducedCount(const ir::Node& n, const ir::Graph& g, const ir::ValueType* in) {
  if (in == nullptr || !in->shape) return std::nullopt;
  const auto& dims = *in->shape;
  std::vector<int64_t> axes;
  if (n.op_type == "GlobalAveragePool" || n.op_type == "GlobalLpPool") {
    for (size_t d = 2; d < dims.size(); ++d) axes.push_back(static_cast<int64_t>(d));
  } else if (const ir::Attribute* a = n.FindAttr("axes")) {
    axes = a->ints;
  } else if (n.inputs.size() > 1 && !n.inputs[1].empty()) {
    const ir::Tensor* t = g.FindInitializer(n.inputs[1]);
    if (t == nullptr) return std::nullopt;
    auto v = t->ToInt64s();
    if (!v.ok()) return std::nullopt;
    axes = *v;
  }
  if (axes.empty()) {
    if (n.GetInt("noop_with_empty_axes", 0) != 0) return 1;
    for (size_t d = 0; d < dims.size(); ++d) axes.push_back(static_cast<int64_t>(d));
  }
  int64_t count = 1;
  for (int64_t axis : axes) {
    if (axis < 0) axis += static_cast<int64_t>(dims.size());
    if (axis < 0 || axis >= static_cast<int64_t>(dims.size()) || !dims[axis].known()) {
      return std::nullopt;
    }
    count *= dims[axis].size;
  }
  return count;
}

// Makes (or reuses) the Cast of a value of an enclosing graph, emitted in
// that graph before the node holding the subgraph: a value from outside a
// Loop body is loop-invariant, so its Cast runs once, not once per iteration.
using HoistCast = std::function<std::string(const std::string& value, bool to_fp16)>;

class Converter {
 public:
  Converter(int64_t opset, const Float16Options& options, Float16Report* report,
            absl::flat_hash_set<std::string> names)
      : opset_(opset), options_(options), report_(report), names_(std::move(names)) {}

  // `hoist` is null for the main graph.
  absl::Status Convert(ir::Graph& g, const Scope& outer, bool is_main, const HoistCast* hoist = nullptr);

 private:
  std::string Fresh(const std::string& base) {
    std::string name = base;
    for (int i = 1; names_.count(name); ++i) name = absl::StrCat(base, "_", i);
    names_.insert(name);
    return name;
  }

  int64_t opset_;
  const Float16Options& options_;
  Float16Report* report_;
  absl::flat_hash_set<std::string> names_;
};

// The state of one graph while it is converted.
struct GraphState {
  ir::Graph& g;
  const Scope& outer;
  absl::flat_hash_map<std::string, DataType> dtype;  // original dtypes of local values
  absl::flat_hash_map<std::string, bool> fp16;       // local float32 values now float16
  absl::flat_hash_set<std::string> derived;          // shape arithmetic (from Shape/Size)

  DataType DType(const std::string& v) const {
    if (auto it = dtype.find(v); it != dtype.end()) return it->second;
    if (auto it = outer.find(v); it != outer.end()) return it->second.dtype;
    return DataType::kUndefined;
  }
  bool Fp16(const std::string& v) const {
    if (auto it = fp16.find(v); it != fp16.end()) return it->second;
    if (auto it = outer.find(v); it != outer.end()) return it->second.fp16;
    return false;
  }
  const ir::ValueType* Type(const std::string& v) const {
    if (auto it = g.value_types.find(v); it != g.value_types.end()) return &it->second;
    for (const auto& in : g.inputs) {
      if (in.name == v) return &in.type;
    }
    return nullptr;
  }
};

// Readers that take either precision as is: no Cast in front of them.
bool ReadsAnyFloat(const ir::Node& n) {
  return n.op_type == "Shape" || n.op_type == "Size" || n.op_type == "Cast";
}

void MarkShapeArithmetic(GraphState& s) {
  absl::flat_hash_set<std::string> constants;
  for (const auto& [name, t] : s.g.initializers) constants.insert(name);
  for (const auto& n : s.g.nodes) {
    if (n->op_type == "Shape" || n->op_type == "Size") {
      for (const auto& o : n->outputs) s.derived.insert(o);
      continue;
    }
    if (n->op_type == "Constant") {
      for (const auto& o : n->outputs) constants.insert(o);
      continue;
    }
    // Their outputs are data whatever sizes made them.
    if (!ir::Subgraphs(*n).empty() || n->op_type == "ConstantOfShape" || n->op_type == "Expand" ||
        n->op_type == "Tile") {
      continue;
    }
    bool any = false, all = true;
    for (const auto& in : n->inputs) {
      if (in.empty()) continue;
      if (s.derived.count(in)) {
        any = true;
      } else if (!constants.count(in)) {
        all = false;
      }
    }
    if (any && all) {
      for (const auto& o : n->outputs) s.derived.insert(o);
    }
  }
}


// A float32 weight (initializer or Constant) with a finite value past
// float16's range: the op reading it stays float32 rather than compute with
// a saturated weight.
bool OutOfFloat16Range(const ir::Tensor& t) {
  if (t.dtype() != DataType::kFloat) return false;
  for (float v : t.data<float>()) {
    if (std::isfinite(v) && std::fabs(v) > 65504.0f) return true;
  }
  return false;
}

}  // namespace

absl::Status Converter::Convert(ir::Graph& g, const Scope& outer, bool is_main, const HoistCast* hoist) {
  if (!is_main) InferMissingTypes(g, opset_);
  GraphState s{g, outer, {}, {}, {}};
  for (const auto& [name, type] : g.value_types) s.dtype[name] = type.dtype;
  for (const auto& v : g.outputs) {
    if (v.type.dtype != DataType::kUndefined) s.dtype[v.name] = v.type.dtype;
  }
  for (const auto& v : g.inputs) s.dtype[v.name] = v.type.dtype;
  for (const auto& [name, t] : g.initializers) {
    if (!g.IsGraphInput(name)) s.dtype[name] = t.dtype();
  }
  MarkShapeArithmetic(s);

  // ---- Which nodes compute in float16.
  const size_t num_nodes = g.nodes.size();
  std::vector<bool> to_fp16(num_nodes, false);
  absl::flat_hash_map<std::string, bool> out_of_range;  // initializer -> past float16's range
  for (size_t i = 0; i < num_nodes; ++i) {
    const ir::Node& n = *g.nodes[i];
    if (!ir::Subgraphs(n).empty() || !IsOnnxDomain(n) || n.op_type == "Shape" || n.op_type == "Size") {
      continue;
    }
    std::vector<DataType> ins, outs;
    bool touches = false, unknown = false, from_shapes = false;
    for (const auto& in : n.inputs) {
      ins.push_back(in.empty() ? DataType::kUndefined : s.DType(in));
      touches |= ins.back() == DataType::kFloat;
      unknown |= !in.empty() && ins.back() == DataType::kUndefined;
      from_shapes |= ins.back() == DataType::kFloat && s.derived.count(in) > 0;
    }
    for (const auto& o : n.outputs) {
      outs.push_back(o.empty() ? DataType::kUndefined : s.DType(o));
      touches |= outs.back() == DataType::kFloat;
      unknown |= !o.empty() && outs.back() == DataType::kUndefined;
    }
    if (n.op_type == "Constant" && IsFloat32Tensor(n.FindAttr("value"))) touches = true;
    if (!touches) continue;
    bool ok = !options_.keep_fp32_ops.count(n.op_type) && !unknown;
    if (n.op_type == "Cast") {
      ok = ok && !(outs[0] == DataType::kFloat && s.derived.count(n.outputs[0]));
    } else {
      ok = ok && !from_shapes && n.FindAttr("dtype") == nullptr;
      if (ok && IsSummingReduction(n.op_type)) {
        const auto count = ReducedCount(n, g, s.Type(n.inputs[0]));
        ok = count && *count <= options_.max_fp16_reduction;
      }
      if (ok && n.op_type == "Constant") ok = IsFloat32Tensor(n.FindAttr("value"));
      if (ok && n.op_type == "ConstantOfShape" && n.FindAttr("value")) {
        ok = IsFloat32Tensor(n.FindAttr("value"));
      }
      ok = ok && SchemaAllowsFloat16(n, opset_, ins, outs);
      if (ok && n.op_type == "Constant") ok = !OutOfFloat16Range(n.FindAttr("value")->t);
      for (const auto& in : n.inputs) {
        if (!ok || !g.IsInitializer(in)) continue;
        auto [it, fresh] = out_of_range.try_emplace(in, false);
        if (fresh) it->second = OutOfFloat16Range(*g.FindInitializer(in));
        ok = !it->second;
      }
    }
    to_fp16[i] = ok;
    if (ok) {
      ++report_->nodes_fp16;
    } else {
      ++report_->nodes_kept_fp32;
      ++report_->kept_by_op[n.op_type];
    }
  }
  // The precision a reader wants for input slot k (nullopt: either, or not
  // a float32 value).
  auto want_fp16 = [&](const ir::Node& n, size_t i, size_t k) -> std::optional<bool> {
    if (n.inputs[k].empty() || s.DType(n.inputs[k]) != DataType::kFloat) return std::nullopt;
    if (ReadsAnyFloat(n)) return std::nullopt;
    return static_cast<bool>(to_fp16[i]);
  };

  // ---- Values that become float16: node outputs and (fp16_io) inputs.
  for (auto& v : g.inputs) {
    if (v.type.dtype != DataType::kFloat || g.IsInitializer(v.name)) continue;
    s.fp16[v.name] = is_main && options_.fp16_io;
    if (s.fp16[v.name]) v.type.dtype = DataType::kFloat16;
  }
  for (size_t i = 0; i < num_nodes; ++i) {
    if (!to_fp16[i]) continue;
    ir::Node& n = *g.nodes[i];
    for (const auto& o : n.outputs) {
      if (o.empty() || s.DType(o) != DataType::kFloat) continue;
      const bool cast_to_float = n.op_type != "Cast" || n.GetInt("to", 0) == 1;
      s.fp16[o] = cast_to_float;
      if (cast_to_float) {
        if (auto it = g.value_types.find(o); it != g.value_types.end()) it->second.dtype = DataType::kFloat16;
      }
    }
  }

  // Casts made (or reserved), by (value, to float16): one per value and
  // precision, shared by every reader.
  struct CastValue {
    std::string name;
    bool emitted = false;
  };
  std::map<std::pair<std::string, bool>, CastValue> casts;
  std::vector<std::unique_ptr<ir::Node>> out_nodes;
  auto cast_of = [&](const std::string& v, bool to16) -> std::string {
    CastValue& c = casts[{v, to16}];
    if (c.emitted) return c.name;
    if (c.name.empty()) c.name = Fresh(absl::StrCat(v, to16 ? "_fp16" : "_fp32"));
    ir::Node cast;
    cast.name = Fresh(absl::StrCat(c.name, "_cast"));
    cast.op_type = "Cast";
    cast.inputs = {v};
    cast.outputs = {c.name};
    cast.attributes = {ir::Attribute::Int("to", static_cast<int64_t>(to16 ? DataType::kFloat16 : DataType::kFloat))};
    out_nodes.push_back(std::make_unique<ir::Node>(std::move(cast)));
    ir::ValueType type;
    if (const ir::ValueType* t = s.Type(v)) type = *t;
    type.dtype = to16 ? DataType::kFloat16 : DataType::kFloat;
    g.value_types[c.name] = type;
    c.emitted = true;
    ++report_->casts_inserted;
    return c.name;
  };

  // ---- Initializers: float16 in place when only float16 readers read them,
  // a float16 copy when both precisions do.
  absl::flat_hash_map<std::string, std::pair<bool, bool>> init_wants;  // (fp16, fp32)
  for (size_t i = 0; i < num_nodes; ++i) {
    const ir::Node& n = *g.nodes[i];
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      if (!g.IsInitializer(n.inputs[k])) continue;
      if (auto w = want_fp16(n, i, k)) (*w ? init_wants[n.inputs[k]].first : init_wants[n.inputs[k]].second) = true;
    }
    for (const std::string& v : ir::ImplicitInputs(n)) init_wants[v].second = true;
  }
  for (const auto& o : g.outputs) init_wants[o.name].second = true;
  for (auto& [name, wants] : init_wants) {
    auto it = g.initializers.find(name);
    if (it == g.initializers.end() || it->second.dtype() != DataType::kFloat || g.IsGraphInput(name) ||
        !wants.first) {
      continue;
    }
    report_->float_bytes_before += static_cast<int64_t>(it->second.raw().size());
    ir::Tensor half = ToFloat16(it->second);
    report_->float_bytes_after += static_cast<int64_t>(half.raw().size());
    if (!wants.second) {
      it->second = std::move(half);
      s.fp16[name] = true;
      ++report_->initializers_converted;
    } else {
      report_->float_bytes_after += static_cast<int64_t>(it->second.raw().size());
      CastValue& c = casts[{name, true}];
      c.name = Fresh(absl::StrCat(name, "_fp16"));
      c.emitted = true;
      g.initializers[c.name] = std::move(half);
      ++report_->initializers_duplicated;
    }
  }

  // ---- Graph outputs keep their precision (float32, or float16 with
  // fp16_io): the main graph's producer takes another name and a Cast makes
  // the output; a body's output slot just names the Cast.
  for (auto& o : g.outputs) {
    if (s.DType(o.name) != DataType::kFloat || g.IsInitializer(o.name)) continue;
    const bool want = is_main && options_.fp16_io;
    o.type.dtype = want ? DataType::kFloat16 : DataType::kFloat;
    const bool cur = s.Fp16(o.name);
    if (cur == want) continue;
    if (!is_main) continue;  // after the rewrite, below
    bool produced_here = false;
    for (auto& n : g.nodes) {
      for (auto& out : n->outputs) {
        if (out == o.name) produced_here = true;
      }
    }
    if (!produced_here) continue;
    const std::string renamed = Fresh(absl::StrCat(o.name, cur ? "_fp16" : "_fp32"));
    for (auto& n : g.nodes) {
      for (auto& out : n->outputs) {
        if (out == o.name) out = renamed;
      }
    }
    const std::string kept = o.name;
    RenameReads(g, kept, renamed);
    o.name = kept;  // RenameReads renamed the output entry too
    if (auto it = g.value_types.find(kept); it != g.value_types.end()) {
      g.value_types[renamed] = it->second;
      g.value_types.erase(kept);
    }
    s.dtype[renamed] = DataType::kFloat;
    s.fp16[renamed] = cur;
    s.fp16[kept] = want;
    casts[{renamed, want}] = CastValue{kept, false};
  }

  // ---- Rewrite in order: Casts before their first reader; a value of an
  // enclosing graph is cast there (hoisted out of the loop).
  absl::flat_hash_set<std::string> local(g.initializers.size() + g.inputs.size());
  for (const auto& v : g.inputs) local.insert(v.name);
  for (const auto& [name, t] : g.initializers) local.insert(name);
  for (const auto& n : g.nodes) local.insert(n->outputs.begin(), n->outputs.end());
  const HoistCast cast_here = [&](const std::string& v, bool to16) {
    return !local.count(v) && hoist != nullptr ? (*hoist)(v, to16) : cast_of(v, to16);
  };
  std::vector<std::unique_ptr<ir::Node>> nodes = std::move(g.nodes);
  for (size_t i = 0; i < num_nodes; ++i) {
    ir::Node& n = *nodes[i];
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      const auto w = want_fp16(n, i, k);
      if (!w || s.Fp16(n.inputs[k]) == *w) continue;
      n.inputs[k] = cast_here(n.inputs[k], *w);
    }
    if (to_fp16[i]) {
      for (auto& a : n.attributes) {
        if (a.name == "to" && n.op_type == "Cast" && a.i == static_cast<int64_t>(DataType::kFloat)) {
          a.i = static_cast<int64_t>(DataType::kFloat16);
        }
        if (a.name == "value" && IsFloat32Tensor(&a)) a.t = ToFloat16(a.t);
      }
      if (n.op_type == "ConstantOfShape" && n.FindAttr("value") == nullptr) {
        n.attributes.push_back(ir::Attribute::TensorValue(
            "value", ToFloat16(ir::Tensor::FromVector<float>({1}, {0.0f}))));
      }
    }
    if (!ir::Subgraphs(n).empty()) {
      Scope inner = outer;
      for (const auto& [name, dt] : s.dtype) inner[name] = ScopeValue{dt, s.Fp16(name)};
      for (const auto& [name, half] : s.fp16) inner[name] = ScopeValue{DataType::kFloat, half};
      for (auto& a : n.attributes) {
        if (a.kind == ir::Attribute::Kind::kGraph && a.g) RETURN_IF_ERROR(Convert(*a.g, inner, false, &cast_here));
      }
    }
    out_nodes.push_back(std::move(nodes[i]));
  }
  for (auto& o : g.outputs) {
    if (s.DType(o.name) != DataType::kFloat || g.IsInitializer(o.name)) continue;
    const bool want = o.type.dtype == DataType::kFloat16;
    if (is_main) {
      for (auto& [key, c] : casts) {
        if (c.name == o.name && !c.emitted) cast_of(key.first, key.second);
      }
    } else if (s.Fp16(o.name) != want) {
      o.name = cast_of(o.name, want);
    }
  }
  g.nodes = std::move(out_nodes);
  return absl::OkStatus();
}

absl::StatusOr<Float16Report> ConvertToFloat16(ir::Model& model, const Float16Options& options) {
  InferMissingTypes(model.graph, model.opset());
  Float16Report report;
  absl::flat_hash_set<std::string> names;
  CollectNames(model.graph, &names);
  Converter converter(model.opset(), options, &report, std::move(names));
  RETURN_IF_ERROR(converter.Convert(model.graph, Scope{}, /*is_main=*/true));
  return report;
}

std::string FormatFloat16Report(const Float16Report& r) {
  std::string kept;
  for (const auto& [op, count] : r.kept_by_op) {
    absl::StrAppend(&kept, kept.empty() ? "" : ", ", op, " ", count);
  }
  return absl::StrFormat(
      "FP16: %d nodes float16, %d kept float32%s, %d Casts inserted; %d initializers float16 "
      "(%d also kept float32), weights %.2f MB -> %.2f MB\n",
      r.nodes_fp16, r.nodes_kept_fp32, kept.empty() ? "" : " (" + kept + ")", r.casts_inserted,
      r.initializers_converted + r.initializers_duplicated, r.initializers_duplicated,
      r.float_bytes_before / 1e6, r.float_bytes_after / 1e6);
}

}  // namespace onnxsmith::optimizer::precision
