// Reductions over an axes input (Sum, Mean, Max, Min, Prod, EuclideanNorm,
// All, Any) and ArgMax/ArgMin. Registered through RegisterMathOps.
//
// ONNX moved reduction axes from an attribute to an input: ReduceSum at
// opset 13, the others at opset 18. Before that, the axes must be constant.
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"
#include "ir/graph.h"
#include "ir/tensor.h"

namespace onnxsmith::converter {

namespace {

using ir::Attribute;
using ir::DataType;

struct ReduceOp {
  const char* tf_op;
  const char* onnx_op;
  int axes_input_since;  // first opset where ONNX takes axes as an input
  bool is_logical;       // bool in and out; ONNX reduces numbers, so cast around it
};

// All is "every element true" = min over {0, 1}; Any is "the sum is not 0"
// (not the max: ONNX Runtime's max over nothing is -inf, which casts to true).
constexpr ReduceOp kReduceOps[] = {
    {"Sum", "ReduceSum", 13, false},     {"Mean", "ReduceMean", 18, false},
    {"Max", "ReduceMax", 18, false},     {"Min", "ReduceMin", 18, false},
    {"Prod", "ReduceProd", 18, false},   {"EuclideanNorm", "ReduceL2", 18, false},
    {"All", "ReduceMin", 18, true},      {"Any", "ReduceSum", 13, true},
};

const ReduceOp* FindReduceOp(const std::string& tf_op) {
  for (const ReduceOp& op : kReduceOps) {
    if (tf_op == op.tf_op) return &op;
  }
  return nullptr;
}

bool IsNarrowInt(DataType t) {
  return t == DataType::kInt8 || t == DataType::kUint8 || t == DataType::kInt16 ||
         t == DataType::kUint16;
}

// Run-time axes as the 1-D int64 tensor ONNX wants (TF allows int32 and a
// scalar).
std::string AxesAsInt64Vector(NodeContext& ctx, int i) {
  std::string axes = ctx.input(i);
  DataType index_type = ctx.input_dtype(i);
  if (ctx.has_attr("Tidx")) {
    auto t = ctx.attr_type("Tidx");
    if (t.ok()) index_type = *t;
  }
  if (index_type != DataType::kInt64) {
    axes = ctx.AddNode("Cast", {axes}, {Attribute::Int("to", static_cast<int64_t>(DataType::kInt64))});
  }
  if (ctx.input_rank(i) != 1) axes = ctx.AddNode("Reshape", {axes, ctx.ConstInt64s({-1}, "flat")});
  return axes;
}

// ONNX inference cannot see the output rank through run-time axes, but TF's
// rule gives it when the number of axes is static (TF rejects duplicates).
void RecordReducedRank(NodeContext& ctx, const std::string& value, DataType dtype,
                       bool keepdims) {
  std::optional<int> rank = ctx.input_rank(0);
  if (!rank || dtype == DataType::kUndefined) return;
  if (!keepdims) {
    std::optional<std::vector<int64_t>> axes_dims = ctx.input_dims(1);
    if (!axes_dims || axes_dims->size() > 1) return;
    const int64_t num_axes = axes_dims->empty() ? 1 : (*axes_dims)[0];
    // Zero axes reduce nothing; an unknown count leaves the rank unknown.
    if (num_axes < 0) return;
    rank = *rank - static_cast<int>(num_axes);
    if (*rank < 0) return;
  }
  ir::ValueType type;
  type.dtype = dtype;
  type.shape = std::vector<ir::Dim>(*rank);
  ctx.SetType(value, type);
}

// TF reduces over no axes as an elementwise identity; for the L2 norm that
// is |x|.
absl::Status ReduceNothing(NodeContext& ctx, const ReduceOp& op) {
  if (std::string(op.tf_op) == "EuclideanNorm") {
    ctx.SetOutput(0, ctx.AddNode("Abs", {ctx.input(0)}));
  } else {
    ctx.SetOutputAlias(0, ctx.input(0));
  }
  return absl::OkStatus();
}

// Whether one of `axes` is a dimension known to be 0.
bool ReducesEmptyAxis(const ir::ValueType& type, const std::vector<int64_t>& axes) {
  if (!type.shape) return false;
  const int64_t rank = static_cast<int64_t>(type.shape->size());
  for (int64_t axis : axes) {
    if (axis < 0) axis += rank;
    if (axis >= 0 && axis < rank && (*type.shape)[axis].size == 0) return true;
  }
  return false;
}

absl::Status EmitReduce(NodeContext& ctx, bool axes_as_input) {
  const ReduceOp* op = FindReduceOp(ctx.op_type());
  if (op == nullptr) return ctx.Error("registered as a reduction but missing from the table");
  std::string x = ctx.input(0);
  const bool keepdims = ctx.attr_bool("keep_dims", false);
  std::vector<Attribute> attrs = {Attribute::Int("keepdims", keepdims)};
  std::string axes_input;
  const bool runtime_axes = ctx.const_input(1) == nullptr;
  if (!runtime_axes) {
    ASSIGN_OR_RETURN(std::vector<int64_t> axes, ctx.const_ints(1));
    if (axes.empty()) return ReduceNothing(ctx, *op);
    if (axes_as_input) {
      axes_input = ctx.ConstInt64s(axes, "axes");
    } else {
      attrs.push_back(Attribute::Ints("axes", axes));
    }
  } else {
    // A scalar has no axes to reduce whatever they are (Keras RNNs take
    // the max of a scalar length over range(rank)).
    const std::optional<int> rank = ctx.input_type(0).rank();
    if (rank && *rank == 0) return ReduceNothing(ctx, *op);
    if (!axes_as_input) {
      return ctx.Unsupported(
          absl::StrCat("non-constant reduction axes before opset ", op->axes_input_since));
    }
    axes_input = AxesAsInt64Vector(ctx, 1);
    // Empty run-time axes must mean "reduce nothing", as in TF, which for
    // the L2 norm is |x| (and |x| leaves the norm itself unchanged).
    attrs.push_back(Attribute::Int("noop_with_empty_axes", 1));
    if (std::string(op->tf_op) == "EuclideanNorm") x = ctx.AddNode("Abs", {x});
  }
  // ONNX reductions have no 8/16-bit integer kernels (Max/Min only some);
  // int32 gives the same results, wrapping back as TF's do.
  const DataType tf_type = op->is_logical ? DataType::kBool : ctx.element_type();
  DataType compute_type = tf_type;
  if (op->is_logical) compute_type = DataType::kFloat;
  if (IsNarrowInt(tf_type)) compute_type = DataType::kInt32;
  if (compute_type != tf_type) x = ctx.Cast(x, compute_type);
  std::vector<std::string> inputs = {x};
  if (!axes_input.empty()) inputs.push_back(axes_input);
  std::string reduced = ctx.AddNode(op->onnx_op, std::move(inputs), std::move(attrs));
  if (!runtime_axes && std::string(op->tf_op) == "Mean" && ir::IsFloating(tf_type)) {
    ASSIGN_OR_RETURN(std::vector<int64_t> axes, ctx.const_ints(1));
    if (ReducesEmptyAxis(ctx.input_type(0), axes)) {
      // TF's mean over nothing is 0/0 = NaN; ONNX Runtime's is 0.
      reduced = ctx.AddNode("Mul", {reduced, ctx.ConstScalar(tf_type, NAN, "nan")});
    }
  }
  if (compute_type != tf_type) reduced = ctx.Cast(reduced, tf_type);
  if (runtime_axes) RecordReducedRank(ctx, reduced, tf_type, keepdims);
  ctx.SetOutput(0, reduced);
  return absl::OkStatus();
}

absl::Status ConvertReduceAxesAttr(NodeContext& ctx) { return EmitReduce(ctx, false); }
absl::Status ConvertReduceAxesInput(NodeContext& ctx) { return EmitReduce(ctx, true); }

// ArgMax / ArgMin: ONNX takes the axis as an attribute and always yields
// int64; TF's tie-break (first index) is ONNX's default.
absl::Status ConvertArgMinMax(NodeContext& ctx) {
  ASSIGN_OR_RETURN(std::vector<int64_t> axis, ctx.const_ints(1));
  if (axis.size() != 1) {
    return ctx.Error(absl::StrCat("axis must hold one value, got ", axis.size()));
  }
  std::string x = ctx.input(0);
  // ONNX ArgMax/ArgMin have no bool kernel.
  if (ctx.element_type() == DataType::kBool) x = ctx.Cast(x, DataType::kInt32);
  const char* onnx_op = ctx.op_type() == "ArgMax" ? "ArgMax" : "ArgMin";
  std::string index = ctx.AddNode(
      onnx_op, {x}, {Attribute::Int("axis", axis[0]), Attribute::Int("keepdims", 0)});
  DataType out_type = DataType::kInt64;
  if (ctx.has_attr("output_type")) {
    ASSIGN_OR_RETURN(out_type, ctx.attr_type("output_type"));
  }
  if (out_type != DataType::kInt64) index = ctx.Cast(index, out_type);
  ctx.SetOutput(0, index);
  return absl::OkStatus();
}

}  // namespace

void RegisterReduceOps(HandlerRegistry& r) {
  for (const ReduceOp& op : kReduceOps) {
    if (op.axes_input_since > kMinOpset) {
      r.Register({op.tf_op}, kMinOpset, Inputs(2), ConvertReduceAxesAttr);
    }
    r.Register({op.tf_op}, op.axes_input_since, Inputs(2), ConvertReduceAxesInput);
  }
  r.Register({"ArgMax", "ArgMin"}, kMinOpset, Inputs(2), ConvertArgMinMax);
}

}  // namespace onnxsmith::converter
