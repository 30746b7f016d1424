// fold_shape_computations: the shape operand of a Reshape computed at run
// time (Shape -> Gather/Slice -> Unsqueeze -> Concat chains) becomes a
// constant when every element is known, or is the same dim of the Reshape's
// own input (-> 0, "copy"), except at most one other (-> -1, "infer").
//
// constant_folding already folds such chains when every dim is known; this
// pass covers the dynamic case (typically the batch dim), which stays
// dynamic: `Reshape(x, Concat(Shape(x)[0:1], [-1]))` -> `Reshape(x, [0, -1])`.
#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "optimizer/passes.h"

namespace onnxsmith::optimizer {

namespace {

// One element of an int shape vector: a known number, or dim `dim` of value
// `src` (with its dim_param, if any).
struct Sym {
  bool known = false;
  int64_t value = 0;
  std::string src;
  int64_t dim = 0;
  std::string param;
};

struct SymVec {
  std::vector<Sym> e;
  bool scalar = false;
  // Shape of a value of unknown rank: length unknown, element k is dim k of
  // `open_src` (only Gather with non-negative indices can read it).
  std::string open_src;
};

class ShapeSymbols {
 public:
  explicit ShapeSymbols(GraphEditor& ed) : ed_(ed) {}

  std::optional<SymVec> Resolve(const std::string& value, int depth = 0) {
    if (value.empty() || depth > 32) return std::nullopt;
    auto it = memo_.find(value);
    if (it != memo_.end()) return it->second;
    std::optional<SymVec> r = Compute(value, depth);
    memo_[value] = r;
    return r;
  }

 private:
  std::optional<std::vector<int64_t>> Ints(const std::string& value) {
    const ir::Tensor* t = ed_.Constant(value);
    if (!t || t->rank() > 1) return std::nullopt;
    auto v = t->ToInt64s();
    if (!v.ok()) return std::nullopt;
    return *v;
  }

  std::optional<SymVec> Compute(const std::string& value, int depth) {
    if (const ir::Tensor* t = ed_.Constant(value)) {
      if (t->rank() > 1 || !ir::IsInteger(t->dtype())) return std::nullopt;
      auto v = t->ToInt64s();
      if (!v.ok()) return std::nullopt;
      SymVec s;
      s.scalar = t->rank() == 0;
      for (int64_t x : *v) s.e.push_back(Sym{true, x});
      return s;
    }
    ir::Node* p = ed_.Producer(value);
    if (!p || !IsOnnxDomain(*p) || p->outputs.size() != 1 || p->inputs.empty()) {
      return std::nullopt;
    }
    const std::string& op = p->op_type;
    if (op == "Shape") {
      auto type = ed_.TypeOf(p->inputs[0]);
      if (!type || !type->shape) {
        // Exporters often leave intermediate types out.
        if (p->GetInt("start", 0) != 0 || p->FindAttr("end")) return std::nullopt;
        SymVec s;
        s.open_src = p->inputs[0];
        return s;
      }
      const auto& dims = *type->shape;
      const int64_t r = static_cast<int64_t>(dims.size());
      int64_t start = p->GetInt("start", 0), end = p->GetInt("end", r);
      if (start < 0) start += r;
      if (end < 0) end += r;
      start = std::clamp<int64_t>(start, 0, r);
      end = std::clamp<int64_t>(end, 0, r);
      SymVec s;
      for (int64_t k = start; k < end; ++k) {
        if (dims[k].known()) {
          s.e.push_back(Sym{true, dims[k].size});
        } else {
          s.e.push_back(Sym{false, 0, p->inputs[0], k, dims[k].param});
        }
      }
      return s;
    }
    if (op == "Identity" || op == "Cast") {
      // (an open shape passes through unchanged too)
      // Casts between integer types keep dims (which are far below 2^31).
      if (op == "Cast" && !ir::IsInteger(ed_.DataTypeOf(value))) return std::nullopt;
      return Resolve(p->inputs[0], depth + 1);
    }
    if (op == "Gather") {
      if (p->GetInt("axis", 0) != 0 || p->inputs.size() != 2) return std::nullopt;
      auto data = Resolve(p->inputs[0], depth + 1);
      const ir::Tensor* it = ed_.Constant(p->inputs[1]);
      auto idx = Ints(p->inputs[1]);
      if (!data || data->scalar || !idx) return std::nullopt;
      SymVec s;
      s.scalar = it->rank() == 0;
      const int64_t n = static_cast<int64_t>(data->e.size());
      if (!data->open_src.empty()) {
        // An index past the rank would fail at run time, so dim i exists.
        for (int64_t i : *idx) {
          if (i < 0) return std::nullopt;
          s.e.push_back(Sym{false, 0, data->open_src, i, ""});
        }
        return s;
      }
      for (int64_t i : *idx) {
        if (i < 0) i += n;
        if (i < 0 || i >= n) return std::nullopt;
        s.e.push_back(data->e[i]);
      }
      return s;
    }
    if (op == "Slice") {
      auto data = Resolve(p->inputs[0], depth + 1);
      if (!data || data->scalar || !data->open_src.empty() || p->inputs.size() < 3) {
        return std::nullopt;
      }
      auto starts = Ints(p->inputs[1]);
      auto ends = Ints(p->inputs[2]);
      if (!starts || !ends || starts->size() != 1 || ends->size() != 1) return std::nullopt;
      if (p->inputs.size() > 3 && !p->inputs[3].empty()) {
        auto axes = Ints(p->inputs[3]);
        if (!axes || axes->size() != 1 || ((*axes)[0] != 0 && (*axes)[0] != -1)) {
          return std::nullopt;
        }
      }
      int64_t step = 1;
      if (p->inputs.size() > 4 && !p->inputs[4].empty()) {
        auto steps = Ints(p->inputs[4]);
        if (!steps || steps->size() != 1 || (*steps)[0] == 0) return std::nullopt;
        step = (*steps)[0];
      }
      const int64_t n = static_cast<int64_t>(data->e.size());
      int64_t b = (*starts)[0], e = (*ends)[0];
      if (b < 0) b += n;
      if (e < 0) e += n;
      SymVec s;
      if (step > 0) {
        b = std::clamp<int64_t>(b, 0, n);
        e = std::clamp<int64_t>(e, 0, n);
        for (int64_t k = b; k < e; k += step) s.e.push_back(data->e[k]);
      } else {
        b = std::clamp<int64_t>(b, 0, n - 1);
        e = std::clamp<int64_t>(e, -1, n - 1);
        for (int64_t k = b; k > e; k += step) s.e.push_back(data->e[k]);
      }
      return s;
    }
    if (op == "Unsqueeze" || op == "Squeeze") {
      auto data = Resolve(p->inputs[0], depth + 1);
      if (!data || !data->open_src.empty()) return std::nullopt;
      std::optional<std::vector<int64_t>> axes;
      if (const ir::Attribute* a = p->FindAttr("axes")) {
        axes = a->ints;
      } else if (p->inputs.size() > 1 && !p->inputs[1].empty()) {
        axes = Ints(p->inputs[1]);
      } else {
        axes = std::vector<int64_t>{};
      }
      if (!axes) return std::nullopt;
      const bool axis0 = axes->size() == 1 && ((*axes)[0] == 0 || (*axes)[0] == -1);
      if (op == "Unsqueeze" && data->scalar && axis0) return SymVec{data->e, false};
      if (op == "Squeeze" && !data->scalar && data->e.size() == 1 && (axis0 || axes->empty())) {
        return SymVec{data->e, true};
      }
      return std::nullopt;
    }
    if (op == "Concat") {
      if (p->GetInt("axis", 0) != 0 && p->GetInt("axis", 0) != -1) return std::nullopt;
      SymVec s;
      for (const std::string& in : p->inputs) {
        auto part = Resolve(in, depth + 1);
        if (!part || part->scalar || !part->open_src.empty()) return std::nullopt;
        s.e.insert(s.e.end(), part->e.begin(), part->e.end());
      }
      return s;
    }
    return std::nullopt;
  }

  GraphEditor& ed_;
  absl::flat_hash_map<std::string, std::optional<SymVec>> memo_;
};

// The constant shape equivalent to `shape` for Reshape `n`, if there is one.
std::optional<std::vector<int64_t>> FoldedShape(GraphEditor& ed, ShapeSymbols& symbols,
                                                const ir::Node& n) {
  if (n.inputs.size() != 2 || n.inputs[1].empty() || ed.Constant(n.inputs[1])) {
    return std::nullopt;
  }
  if (ed.opset() > 0 && ed.opset() < 5) return std::nullopt;
  auto s = symbols.Resolve(n.inputs[1]);
  if (!s || s->scalar || !s->open_src.empty()) return std::nullopt;
  const bool allow_zero = n.GetInt("allowzero", 0) != 0;
  auto data_type = ed.TypeOf(n.inputs[0]);
  std::vector<int64_t> out;
  int unknown = 0;
  bool has_infer = false;
  for (size_t i = 0; i < s->e.size(); ++i) {
    const Sym& e = s->e[i];
    if (e.known) {
      has_infer |= e.value == -1;
      out.push_back(e.value);
      continue;
    }
    // The same dim of the input at the same position: copy it (0).
    bool same = e.src == n.inputs[0] && e.dim == static_cast<int64_t>(i);
    if (!same && !e.param.empty() && data_type && data_type->shape &&
        i < data_type->shape->size()) {
      same = (*data_type->shape)[i].param == e.param;
    }
    if (same && !allow_zero) {
      out.push_back(0);
    } else {
      ++unknown;
      out.push_back(-1);
    }
  }
  if (unknown > 1 || (unknown == 1 && has_infer)) return std::nullopt;
  return out;
}

RewriteRule ReshapeShapeRule() {
  RewriteRule r;
  r.name = "fold_reshape_shape";
  r.op_types = {"Reshape"};
  r.condition = [](GraphEditor& ed, const ir::Node& n) {
    ShapeSymbols symbols(ed);
    return FoldedShape(ed, symbols, n).has_value();
  };
  r.action = [](GraphEditor& ed, ir::Node& n) -> absl::StatusOr<bool> {
    ShapeSymbols symbols(ed);
    auto shape = FoldedShape(ed, symbols, n);
    if (!shape) return false;
    const std::string name =
        ed.AddInitializer(absl::StrCat(n.name, "_shape"), ir::Tensor::Vector1D<int64_t>(*shape));
    ed.SetInput(&n, 1, name);
    return true;
  };
  return r;
}

}  // namespace

std::unique_ptr<Pass> CreateShapeFoldingPass() {
  return std::make_unique<RewritePass>("fold_shape_computations",
                                       std::vector<RewriteRule>{ReshapeShapeRule()});
}

}  // namespace onnxsmith::optimizer
