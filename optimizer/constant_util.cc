// Constant helpers shared by the passes (declared in optimizer/passes.h).
#include "absl/strings/str_cat.h"
#include "optimizer/passes.h"

namespace onnxsmith::optimizer {

std::optional<std::vector<int64_t>> ConstantDims(GraphEditor& ed, const std::string& value) {
  if (const ir::Tensor* t = ed.Constant(value)) return t->dims();
  if (!ed.IsConstantExpr(value)) return std::nullopt;
  return ed.StaticShapeOf(value);
}

std::string ReshapedConstant(GraphEditor& ed, const std::string& value,
                             const std::vector<int64_t>& dims, const std::string& base) {
  if (const ir::Tensor* t = ed.Constant(value)) {
    if (t->dims() == dims) return value;
    if (t->dtype() == ir::DataType::kString) return "";
    auto r = t->Reshaped(dims);
    if (!r.ok()) return "";
    return ed.AddInitializer(base, *std::move(r));
  }
  if (!ed.IsConstantExpr(value)) return "";
  // Reshape takes its shape as an input from opset 5 on.
  if (ed.opset() > 0 && ed.opset() < 5) return "";
  auto shape = ed.StaticShapeOf(value);
  if (!shape) return "";
  if (*shape == dims) return value;
  int64_t a = 1, b = 1;
  for (int64_t d : *shape) a *= d;
  for (int64_t d : dims) b *= d;
  if (a != b) return "";
  std::string shape_name =
      ed.AddInitializer(absl::StrCat(base, "_shape"), ir::Tensor::Vector1D<int64_t>(dims));
  ir::Node n;
  n.name = ed.NewNodeName(absl::StrCat(base, "_reshape"));
  n.op_type = "Reshape";
  n.inputs = {value, shape_name};
  std::string out = ed.NewValueName(base);
  n.outputs = {out};
  ed.AddNode(std::move(n));
  ed.SetType(out, ir::MakeType(ed.DataTypeOf(value), dims));
  return out;
}

std::string TransposedConstant(GraphEditor& ed, const std::string& value,
                               const std::vector<int64_t>& perm, const std::string& base) {
  if (IsIdentityPerm(perm)) return value;
  if (const ir::Tensor* t = ed.Constant(value)) {
    if (t->rank() != static_cast<int>(perm.size())) return "";
    // When the dims that move are all 1, the bytes do not move: reshape.
    std::vector<int64_t> out_dims = PermuteDims(t->dims(), perm);
    std::vector<int64_t> order_in, order_out;
    for (size_t i = 0; i < perm.size(); ++i) {
      if (t->dims()[i] != 1) order_in.push_back(static_cast<int64_t>(i));
      if (out_dims[i] != 1) order_out.push_back(perm[i]);
    }
    if (order_in == order_out) return ReshapedConstant(ed, value, out_dims, base);
    if (t->dtype() == ir::DataType::kString) return "";
    auto r = t->Transposed(perm);
    if (!r.ok()) return "";
    return ed.AddInitializer(base, *std::move(r));
  }
  if (!ed.IsConstantExpr(value)) return "";
  auto shape = ed.StaticShapeOf(value);
  if (!shape || shape->size() != perm.size()) return "";
  ir::Node n;
  n.name = ed.NewNodeName(absl::StrCat(base, "_transpose"));
  n.op_type = "Transpose";
  n.inputs = {value};
  n.attributes.push_back(ir::Attribute::Ints("perm", perm));
  std::string out = ed.NewValueName(base);
  n.outputs = {out};
  ed.AddNode(std::move(n));
  ed.SetType(out, ir::MakeType(ed.DataTypeOf(value), PermuteDims(*shape, perm)));
  return out;
}

}  // namespace onnxsmith::optimizer
