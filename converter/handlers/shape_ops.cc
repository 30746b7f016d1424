// Shape ops: Shape/ShapeN/Size/Rank, Reshape, Squeeze, ExpandDims, Transpose.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "converter/handlers/array_util.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"

namespace onnxsmith::converter {
namespace {

using ir::Attribute;
using ir::DataType;

// ---------------------------------------------------------------------------
// Shape queries

// Casts ONNX's int64 shape results to the TF out_type (int32 by default).
std::string ToOutType(NodeContext& ctx, const std::string& value) {
  auto out_type = ctx.attr_type("out_type");
  return ctx.Cast(value, out_type.ok() ? *out_type : DataType::kInt32);
}

absl::Status ConvertShape(NodeContext& ctx) {
  for (int k = 0; k < ctx.num_inputs(); ++k) {  // ShapeN has N inputs and outputs
    ctx.SetOutput(k, ToOutType(ctx, ctx.AddNode("Shape", {ctx.input(k)})));
  }
  return absl::OkStatus();
}

absl::Status ConvertSize(NodeContext& ctx) {
  ctx.SetOutput(0, ToOutType(ctx, ctx.AddNode("Size", {ctx.input(0)})));
  return absl::OkStatus();
}

absl::Status ConvertRank(NodeContext& ctx) {
  if (std::optional<int> rank = ctx.input_rank(0)) {
    ctx.SetOutput(0, ctx.AddConst(ir::Tensor::Scalar<int32_t>(*rank), "rank"));
    return absl::OkStatus();
  }
  std::string rank = ctx.AddNode("Size", {ctx.AddNode("Shape", {ctx.input(0)})});
  ctx.SetOutput(0, ctx.Cast(rank, DataType::kInt32));
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Reshape

// ONNX Reshape reads 0 as "copy the input dim" unless allowzero=1 (opset 14);
// TF reads it as a zero-size dim. Only constant shapes are checked: a 0 in
// a shape computed at run time is rare and allowzero is not universally
// supported by runtimes.
absl::Status ConvertReshapeImpl(NodeContext& ctx, bool has_allowzero) {
  const ir::Tensor* shape_const = ctx.const_input(1);
  if (shape_const == nullptr) {
    ctx.SetOutput(0, ctx.AddNode("Reshape", {ctx.input(0), Int64Input(ctx, 1)}));
    return absl::OkStatus();
  }
  auto shape = shape_const->ToInt64s();
  if (!shape.ok()) return ctx.Error(std::string(shape.status().message()));
  bool has_zero = false, has_infer = false;
  for (int64_t d : *shape) {
    if (d < -1) return ctx.Error(absl::StrCat("invalid dim ", d, " in the target shape"));
    has_zero |= d == 0;
    has_infer |= d == -1;
  }
  if (!has_zero) {
    ctx.SetOutput(0, ctx.AddNode("Reshape", {ctx.input(0), ctx.ConstInt64s(*shape, "shape")}));
    return absl::OkStatus();
  }
  if (has_infer) {
    return ctx.Error("a target shape with both 0 and -1 cannot infer the -1 dim");
  }
  if (has_allowzero) {
    ctx.SetOutput(0, ctx.AddNode("Reshape", {ctx.input(0), ctx.ConstInt64s(*shape, "shape")},
                                 {Attribute::Int("allowzero", 1)}));
    return absl::OkStatus();
  }
  // Opset 13 has no allowzero; the result has no elements, so an empty
  // tensor of the target shape is the same value.
  const DataType dtype = InputDType(ctx, 0);
  if (!ConstantOfShapeSupports(dtype, ctx.opset())) {
    return ctx.Unsupported(absl::StrCat("reshape of ", ir::DataTypeName(dtype),
                                        " to a zero-size shape before opset 14"));
  }
  auto zero = ZeroOrOneTensor(dtype, false);
  if (!zero.ok()) return ctx.Error(std::string(zero.status().message()));
  ctx.SetOutput(0, ctx.AddNode("ConstantOfShape", {ctx.ConstInt64s(*shape, "shape")},
                               {Attribute::TensorValue("value", *std::move(zero))}));
  return absl::OkStatus();
}

absl::Status ConvertReshape13(NodeContext& ctx) { return ConvertReshapeImpl(ctx, false); }
absl::Status ConvertReshape14(NodeContext& ctx) { return ConvertReshapeImpl(ctx, true); }

// ---------------------------------------------------------------------------
// Squeeze, ExpandDims, Transpose

absl::Status ConvertSqueeze(NodeContext& ctx) {
  std::vector<int64_t> axes = ctx.attr_ints("squeeze_dims");
  if (axes.empty()) {
    // Squeeze all size-1 dims: name them when the shape is static, else let
    // ONNX Squeeze without axes find them at run time (same meaning).
    auto dims = ctx.input_dims(0);
    bool all_known = dims.has_value();
    if (dims) {
      for (size_t i = 0; i < dims->size(); ++i) {
        if ((*dims)[i] < 0) all_known = false;
        if ((*dims)[i] == 1) axes.push_back(static_cast<int64_t>(i));
      }
    }
    if (all_known && axes.empty()) {
      ctx.SetOutputAlias(0, ctx.input(0));
      return absl::OkStatus();
    }
    if (!all_known) axes.clear();
  }
  ctx.SetOutput(0, ctx.Squeeze(ctx.input(0), axes));
  return absl::OkStatus();
}

absl::Status ConvertExpandDims(NodeContext& ctx) {
  if (ctx.const_input(1) == nullptr) {
    // Unsqueeze reads a negative axis against the output rank, as TF does.
    std::string axes = ctx.AddNode("Reshape", {Int64Input(ctx, 1), ctx.ConstInt64s({1}, "one")});
    std::string out = ctx.AddNode("Unsqueeze", {ctx.input(0), axes});
    std::optional<std::vector<int64_t>> dims;
    if (auto in = ctx.input_dims(0)) dims = std::vector<int64_t>(in->size() + 1, -1);
    EnsureType(ctx, out, InputDType(ctx, 0), dims);
    ctx.SetOutput(0, out);
    return absl::OkStatus();
  }
  auto axis = ConstScalarInt(ctx, 1, "axis");
  if (!axis.ok()) return axis.status();
  ctx.SetOutput(0, ctx.Unsqueeze(ctx.input(0), {*axis}));
  return absl::OkStatus();
}

// Transpose by a permutation computed at run time (ONNX's perm is an
// attribute): a gather from the flattened input, at the flat index
// sum_j iota_j * in_stride[perm[j]], iota_j counting along output axis j.
// Needs the rank.
absl::Status TransposeRuntimePerm(NodeContext& ctx) {
  std::optional<int> rank = ctx.input_rank(0);
  if (!rank) {
    if (auto pd = ctx.input_dims(1); pd && pd->size() == 1 && (*pd)[0] >= 0) {
      rank = static_cast<int>((*pd)[0]);
    }
  }
  if (!rank) return ctx.Unsupported("a permutation computed at run time of an input of unknown rank");
  if (*rank <= 1) {
    ctx.SetOutputAlias(0, ctx.input(0));
    return absl::OkStatus();
  }
  const std::string x = ctx.input(0);
  const std::string shape = ctx.AddNode("Shape", {x});
  const std::string perm = Int64Input(ctx, 1);
  const std::string in_strides = RowMajorStrides(ctx, shape, *rank);
  const std::string out_strides =
      ctx.AddNode("Gather", {in_strides, perm}, {Attribute::Int("axis", 0)});
  const std::string out_shape = ctx.AddNode("Gather", {shape, perm}, {Attribute::Int("axis", 0)});
  const std::string zero = ctx.AddConst(ir::Tensor::Scalar<int64_t>(0), "zero");
  const std::string one = ctx.AddConst(ir::Tensor::Scalar<int64_t>(1), "one");
  std::string index;
  for (int j = 0; j < *rank; ++j) {
    std::vector<int64_t> along(*rank, 1);
    along[j] = -1;
    std::string iota = ctx.AddNode("Range", {zero, ElementAt(ctx, out_shape, j), one});
    iota = ctx.AddNode("Mul", {ctx.AddNode("Reshape", {iota, ctx.ConstInt64s(along, "along")}),
                               ElementAt(ctx, out_strides, j)});
    index = index.empty() ? iota : ctx.AddNode("Add", {index, iota});
  }
  const std::string flat = ctx.AddNode("Reshape", {x, ctx.ConstInt64s({-1}, "flat")});
  std::string out = ctx.AddNode("Gather", {flat, index}, {Attribute::Int("axis", 0)});
  EnsureType(ctx, out, InputDType(ctx, 0), std::vector<int64_t>(*rank, -1));
  ctx.SetOutput(0, out);
  return absl::OkStatus();
}

absl::Status ConvertTranspose(NodeContext& ctx) {
  if (ctx.const_input(1) == nullptr) return TransposeRuntimePerm(ctx);
  auto perm = ctx.const_ints(1);
  if (!perm.ok()) return perm.status();
  // Not ctx.Transpose, which drops an identity permutation: the op is kept as written.
  ctx.SetOutput(0, ctx.AddNode("Transpose", {ctx.input(0)}, {Attribute::Ints("perm", *perm)}));
  return absl::OkStatus();
}

}  // namespace

void RegisterShapeOps(HandlerRegistry& r) {
  r.Register({"Shape"}, kMinOpset, Inputs(1), ConvertShape);
  r.Register({"ShapeN"}, kMinOpset, InputsAtLeast(1), ConvertShape);
  r.Register({"Size"}, kMinOpset, Inputs(1), ConvertSize);
  r.Register({"Rank"}, kMinOpset, Inputs(1), ConvertRank);
  r.Register({"Reshape"}, 13, Inputs(2), ConvertReshape13);
  r.Register({"Reshape"}, 14, Inputs(2), ConvertReshape14);  // allowzero

  r.Register({"Squeeze"}, kMinOpset, Inputs(1), ConvertSqueeze);
  r.Register({"ExpandDims"}, kMinOpset, Inputs(2), ConvertExpandDims);
  r.Register({"Transpose"}, kMinOpset, Inputs(2), ConvertTranspose);
}

}  // namespace onnxsmith::converter
