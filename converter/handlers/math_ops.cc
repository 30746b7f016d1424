// Elementwise arithmetic, comparisons, logic, selection, casts and matrix
// products. Reductions and ArgMax/ArgMin are in reduce_ops.cc.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
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

absl::StatusOr<DataType> KnownElementType(const NodeContext& ctx) {
  DataType dtype = ctx.element_type();
  if (dtype == DataType::kUndefined) return ctx.Error("operand type is unknown (no 'T' attribute)");
  return dtype;
}

bool IsUnsigned(DataType t) {
  return t == DataType::kUint8 || t == DataType::kUint16 || t == DataType::kUint32 ||
         t == DataType::kUint64;
}

// The inputs of an arithmetic op, in the type the ONNX graph computes in.
// Add, Sub, Mul and Div take 8- and 16-bit integers only from opset 14, so
// below that those are computed in int32 and narrowed back at the end, which
// wraps around as TF does.
struct Operands {
  std::vector<std::string> values;
  DataType compute_type;
  DataType tf_type;
};

Operands ArithmeticOperands(NodeContext& ctx, DataType tf_type) {
  Operands operands{{}, tf_type, tf_type};
  const bool narrow_int = tf_type == DataType::kInt8 || tf_type == DataType::kUint8 ||
                          tf_type == DataType::kInt16 || tf_type == DataType::kUint16;
  if (ctx.opset() < 14 && narrow_int) operands.compute_type = DataType::kInt32;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    operands.values.push_back(operands.compute_type == tf_type
                                  ? ctx.input(i)
                                  : ctx.Cast(ctx.input(i), operands.compute_type));
  }
  return operands;
}

void SetArithmeticOutput(NodeContext& ctx, const Operands& operands, std::string value) {
  if (operands.compute_type != operands.tf_type) value = ctx.Cast(value, operands.tf_type);
  ctx.SetOutput(0, value);
}

// ---------------------------------------------------------------------------
// Ops that map one-to-one onto an ONNX op with the same inputs.

struct DirectOp {
  const char* tf_op;
  const char* onnx_op;
  int num_inputs;
};

constexpr DirectOp kDirectOps[] = {
    {"RealDiv", "Div", 2},
    {"Maximum", "Max", 2},
    {"Minimum", "Min", 2},
    {"Pow", "Pow", 2},
    {"Equal", "Equal", 2},
    {"Less", "Less", 2},
    {"LessEqual", "LessOrEqual", 2},
    {"Greater", "Greater", 2},
    {"GreaterEqual", "GreaterOrEqual", 2},
    {"LogicalAnd", "And", 2},
    {"LogicalOr", "Or", 2},
    {"SelectV2", "Where", 3},
    {"Sqrt", "Sqrt", 1},
    {"Exp", "Exp", 1},
    {"Log", "Log", 1},
    {"Neg", "Neg", 1},
    {"Abs", "Abs", 1},
    {"Floor", "Floor", 1},
    {"Ceil", "Ceil", 1},
    {"Sign", "Sign", 1},
    {"Sin", "Sin", 1},
    {"Cos", "Cos", 1},
    {"Tan", "Tan", 1},
    {"Asin", "Asin", 1},
    {"Acos", "Acos", 1},
    {"Atan", "Atan", 1},
    {"Sinh", "Sinh", 1},
    {"Cosh", "Cosh", 1},
    {"Asinh", "Asinh", 1},
    {"Acosh", "Acosh", 1},
    {"Atanh", "Atanh", 1},
    {"Erf", "Erf", 1},
    {"IsNan", "IsNaN", 1},
    // ONNX IsInf detects both signs by default, like TF.
    {"IsInf", "IsInf", 1},
    {"LogicalNot", "Not", 1},
    // Both round half to even.
    {"Rint", "Round", 1},
};

const DirectOp* FindDirectOp(const std::string& tf_op) {
  for (const DirectOp& op : kDirectOps) {
    if (tf_op == op.tf_op) return &op;
  }
  return nullptr;
}

// ONNX Equal compares strings from opset 19 on.
absl::Status CheckStringEqual(const NodeContext& ctx) {
  if (ctx.opset() < 19 && ctx.element_type() == DataType::kString) {
    return ctx.Unsupported("string comparison before opset 19 (use --opset 19 or later)");
  }
  return absl::OkStatus();
}

absl::Status ConvertDirect(NodeContext& ctx) {
  const DirectOp* op = FindDirectOp(ctx.op_type());
  if (op == nullptr) return ctx.Error("registered as a direct op but missing from the table");
  if (ctx.op_type() == "Equal") {
    RETURN_IF_ERROR(CheckStringEqual(ctx));
  }
  std::vector<std::string> inputs;
  for (int i = 0; i < op->num_inputs; ++i) inputs.push_back(ctx.input(i));
  ctx.SetOutput(0, ctx.AddNode(op->onnx_op, std::move(inputs)));
  return absl::OkStatus();
}

// Add, Sub, Mul, Div: direct but for narrow integers before opset 14.
struct ArithmeticOp {
  const char* tf_op;
  const char* onnx_op;
};

constexpr ArithmeticOp kArithmeticOps[] = {
    {"Add", "Add"}, {"AddV2", "Add"}, {"Sub", "Sub"}, {"Mul", "Mul"},
    // TF's Div truncates integers, as ONNX's Div does.
    {"Div", "Div"},
};

absl::Status ConvertArithmetic(NodeContext& ctx) {
  const ArithmeticOp* op = nullptr;
  for (const ArithmeticOp& candidate : kArithmeticOps) {
    if (ctx.op_type() == candidate.tf_op) op = &candidate;
  }
  if (op == nullptr) return ctx.Error("registered as arithmetic but missing from the table");
  Operands in = ArithmeticOperands(ctx, ctx.element_type());
  SetArithmeticOutput(ctx, in, ctx.AddNode(op->onnx_op, {in.values[0], in.values[1]}));
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Unary ops that need a small composition.

// TF rounds integers to themselves; ONNX Round takes only floats.
absl::Status ConvertRound(NodeContext& ctx) {
  if (ir::IsInteger(ctx.element_type())) {
    ctx.SetOutputAlias(0, ctx.input(0));
  } else {
    ctx.SetOutput(0, ctx.AddNode("Round", {ctx.input(0)}));
  }
  return absl::OkStatus();
}

absl::Status ConvertSquare(NodeContext& ctx) {
  Operands in = ArithmeticOperands(ctx, ctx.element_type());
  SetArithmeticOutput(ctx, in, ctx.AddNode("Mul", {in.values[0], in.values[0]}));
  return absl::OkStatus();
}

absl::Status ConvertRsqrt(NodeContext& ctx) {
  std::string root = ctx.AddNode("Sqrt", {ctx.input(0)});
  ctx.SetOutput(0, ctx.AddNode("Reciprocal", {root}));
  return absl::OkStatus();
}

// Reciprocal and Inv. ONNX Reciprocal takes only floats; TF also allows
// integers (1 / x, truncated), which Div computes.
absl::Status ConvertReciprocal(NodeContext& ctx) {
  ASSIGN_OR_RETURN(DataType dtype, KnownElementType(ctx));
  if (ir::IsInteger(dtype)) {
    Operands in = ArithmeticOperands(ctx, dtype);
    std::string one = ctx.ConstScalar(in.compute_type, 1, "one");
    SetArithmeticOutput(ctx, in, ctx.AddNode("Div", {one, in.values[0]}));
  } else {
    ctx.SetOutput(0, ctx.AddNode("Reciprocal", {ctx.input(0)}));
  }
  return absl::OkStatus();
}

absl::Status ConvertLog1p(NodeContext& ctx) {
  ASSIGN_OR_RETURN(DataType dtype, KnownElementType(ctx));
  std::string one = ctx.ConstScalar(dtype, 1, "one");
  std::string shifted = ctx.AddNode("Add", {ctx.input(0), one});
  ctx.SetOutput(0, ctx.AddNode("Log", {shifted}));
  return absl::OkStatus();
}

// Erfc(x) = 1 - Erf(x) (ONNX has no Erfc). Loses erfc's relative precision
// in the far tail (x >~ 4, where both are ~0 in absolute terms); TF 2.20's
// exact gelu, 0.5 x erfc(-x / sqrt 2), is where this appears.
absl::Status ConvertErfc(NodeContext& ctx) {
  ASSIGN_OR_RETURN(DataType dtype, KnownElementType(ctx));
  std::string one = ctx.ConstScalar(dtype, 1, "one");
  ctx.SetOutput(0, ctx.AddNode("Sub", {one, ctx.AddNode("Erf", {ctx.input(0)})}));
  return absl::OkStatus();
}

absl::Status ConvertExpm1(NodeContext& ctx) {
  ASSIGN_OR_RETURN(DataType dtype, KnownElementType(ctx));
  std::string exp = ctx.AddNode("Exp", {ctx.input(0)});
  std::string one = ctx.ConstScalar(dtype, 1, "one");
  ctx.SetOutput(0, ctx.AddNode("Sub", {exp, one}));
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Binary ops that need a small composition.

absl::Status ConvertSquaredDifference(NodeContext& ctx) {
  Operands in = ArithmeticOperands(ctx, ctx.element_type());
  std::string diff = ctx.AddNode("Sub", {in.values[0], in.values[1]});
  SetArithmeticOutput(ctx, in, ctx.AddNode("Mul", {diff, diff}));
  return absl::OkStatus();
}

absl::Status ConvertNotEqual(NodeContext& ctx) {
  RETURN_IF_ERROR(CheckStringEqual(ctx));
  std::string equal = ctx.AddNode("Equal", {ctx.input(0), ctx.input(1)});
  ctx.SetOutput(0, ctx.AddNode("Not", {equal}));
  return absl::OkStatus();
}

// True where the truncated remainder `r` is nonzero and its sign differs from
// the divisor's: exactly where floor and truncating division disagree.
std::string FloorDiffersFromTrunc(NodeContext& ctx, const std::string& r, const std::string& y,
                                  DataType dtype) {
  std::string zero = ctx.ConstScalar(dtype, 0, "zero");
  std::string r_is_zero = ctx.AddNode("Equal", {r, zero});
  std::string r_nonzero = ctx.AddNode("Not", {r_is_zero});
  std::string r_negative = ctx.AddNode("Less", {r, zero});
  std::string y_negative = ctx.AddNode("Less", {y, zero});
  std::string signs_differ = ctx.AddNode("Xor", {r_negative, y_negative});
  return ctx.AddNode("And", {r_nonzero, signs_differ});
}

// ONNX Div truncates integers, so signed integers step the quotient down
// where the remainder's sign disagrees with the divisor's.
absl::Status ConvertFloorDiv(NodeContext& ctx) {
  ASSIGN_OR_RETURN(DataType tf_type, KnownElementType(ctx));
  if (!ir::IsFloating(tf_type) && !ir::IsInteger(tf_type)) {
    return ctx.Unsupported(absl::StrCat("FloorDiv on ", ir::DataTypeName(tf_type)));
  }
  Operands in = ArithmeticOperands(ctx, tf_type);
  const std::string& x = in.values[0];
  const std::string& y = in.values[1];
  std::string quotient = ctx.AddNode("Div", {x, y});
  if (ir::IsFloating(tf_type)) {
    ctx.SetOutput(0, ctx.AddNode("Floor", {quotient}));
    return absl::OkStatus();
  }
  if (IsUnsigned(tf_type)) {
    SetArithmeticOutput(ctx, in, quotient);
    return absl::OkStatus();
  }
  std::string product = ctx.AddNode("Mul", {quotient, y});
  std::string remainder = ctx.AddNode("Sub", {x, product});
  std::string needs_step = FloorDiffersFromTrunc(ctx, remainder, y, in.compute_type);
  // Subtracting the step as a number, not through Where: ONNX Runtime has no
  // int16 Where kernel.
  std::string step = ctx.AddNode(
      "Cast", {needs_step}, {Attribute::Int("to", static_cast<int64_t>(in.compute_type))});
  SetArithmeticOutput(ctx, in, ctx.AddNode("Sub", {quotient, step}));
  return absl::OkStatus();
}

// Integers: ONNX Mod with fmod=0 already takes the divisor's sign. Floats
// must use fmod=1 (truncated), then add the divisor where signs disagree,
// which is how TF computes it (exact, unlike x - floor(x/y)*y).
absl::Status ConvertFloorMod(NodeContext& ctx) {
  ASSIGN_OR_RETURN(DataType dtype, KnownElementType(ctx));
  const std::string& x = ctx.input(0);
  const std::string& y = ctx.input(1);
  if (ir::IsInteger(dtype)) {
    ctx.SetOutput(0, ctx.AddNode("Mod", {x, y}, {Attribute::Int("fmod", 0)}));
    return absl::OkStatus();
  }
  std::string remainder = ctx.AddNode("Mod", {x, y}, {Attribute::Int("fmod", 1)});
  std::string needs_shift = FloorDiffersFromTrunc(ctx, remainder, y, dtype);
  std::string shifted = ctx.AddNode("Add", {remainder, y});
  ctx.SetOutput(0, ctx.AddNode("Where", {needs_shift, shifted, remainder}));
  return absl::OkStatus();
}

// TruncateDiv: integer Div already truncates; floats truncate the quotient.
absl::Status ConvertTruncateDiv(NodeContext& ctx) {
  ASSIGN_OR_RETURN(DataType dtype, KnownElementType(ctx));
  Operands in = ArithmeticOperands(ctx, dtype);
  std::string quotient = ctx.AddNode("Div", {in.values[0], in.values[1]});
  if (!ir::IsFloating(dtype)) {
    SetArithmeticOutput(ctx, in, quotient);
    return absl::OkStatus();
  }
  std::string zero = ctx.ConstScalar(dtype, 0, "zero");
  std::string negative = ctx.AddNode("Less", {quotient, zero});
  std::string up = ctx.AddNode("Ceil", {quotient});
  std::string down = ctx.AddNode("Floor", {quotient});
  ctx.SetOutput(0, ctx.AddNode("Where", {negative, up, down}));
  return absl::OkStatus();
}

// Mod and TruncateMod: the remainder takes the dividend's sign (C fmod / %).
absl::Status ConvertTruncateMod(NodeContext& ctx) {
  ctx.SetOutput(0, ctx.AddNode("Mod", {ctx.input(0), ctx.input(1)}, {Attribute::Int("fmod", 1)}));
  return absl::OkStatus();
}

// DivNoNan: 0 where y == 0. The divisor is made safe first because integer
// division by zero traps in runtimes.
absl::Status ConvertDivNoNan(NodeContext& ctx) {
  ASSIGN_OR_RETURN(DataType dtype, KnownElementType(ctx));
  Operands in = ArithmeticOperands(ctx, dtype);
  std::string zero = ctx.ConstScalar(in.compute_type, 0, "zero");
  std::string one = ctx.ConstScalar(in.compute_type, 1, "one");
  std::string y_is_zero = ctx.AddNode("Equal", {in.values[1], zero});
  std::string safe_y = ctx.AddNode("Where", {y_is_zero, one, in.values[1]});
  std::string quotient = ctx.AddNode("Div", {in.values[0], safe_y});
  SetArithmeticOutput(ctx, in, ctx.AddNode("Where", {y_is_zero, zero, quotient}));
  return absl::OkStatus();
}

// MulNoNan: 0 where y == 0, even if x is inf or NaN.
absl::Status ConvertMulNoNan(NodeContext& ctx) {
  ASSIGN_OR_RETURN(DataType dtype, KnownElementType(ctx));
  Operands in = ArithmeticOperands(ctx, dtype);
  std::string zero = ctx.ConstScalar(in.compute_type, 0, "zero");
  std::string y_is_zero = ctx.AddNode("Equal", {in.values[1], zero});
  std::string product = ctx.AddNode("Mul", {in.values[0], in.values[1]});
  SetArithmeticOutput(ctx, in, ctx.AddNode("Where", {y_is_zero, zero, product}));
  return absl::OkStatus();
}

// ONNX Sum takes only floating types; integers are added pairwise.
absl::Status ConvertAddN(NodeContext& ctx) {
  if (ctx.num_inputs() == 1) {
    ctx.SetOutputAlias(0, ctx.input(0));
    return absl::OkStatus();
  }
  Operands in = ArithmeticOperands(ctx, ctx.element_type());
  if (ir::IsFloating(in.compute_type)) {
    ctx.SetOutput(0, ctx.AddNode("Sum", in.values));
    return absl::OkStatus();
  }
  std::string total = in.values[0];
  for (size_t i = 1; i < in.values.size(); ++i) total = ctx.AddNode("Add", {total, in.values[i]});
  SetArithmeticOutput(ctx, in, total);
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Selection.

// Reshapes `cond` to shape(cond) + [1] * (rank(x) - rank(cond)) at run time,
// so that a rank-1 row selector lines up with x's first dimension while a
// scalar or full-shape condition is unchanged in effect.
std::string AlignConditionAtRuntime(NodeContext& ctx, const std::string& cond,
                                    const std::string& x) {
  std::string cond_shape = ctx.AddNode("Shape", {cond});
  std::string cond_rank = ctx.AddNode("Shape", {cond_shape});
  std::string x_shape = ctx.AddNode("Shape", {x});
  std::string x_rank = ctx.AddNode("Shape", {x_shape});
  std::string missing = ctx.AddNode("Sub", {x_rank, cond_rank});
  std::string ones = ctx.AddNode(
      "ConstantOfShape", {missing},
      {Attribute::TensorValue("value", ir::Tensor::Vector1D<int64_t>({1}))});
  std::string new_shape =
      ctx.AddNode("Concat", {cond_shape, ones}, {Attribute::Int("axis", 0)});
  return ctx.AddNode("Reshape", {cond, new_shape});
}

// TF1 Select: a rank-1 condition with a higher-rank x picks whole rows, which
// ONNX Where (right-aligned broadcasting) needs spelled out as trailing 1s.
absl::Status ConvertSelect(NodeContext& ctx) {
  std::string cond = ctx.input(0);
  std::optional<int> cond_rank = ctx.input_rank(0);
  std::optional<int> x_rank = ctx.input_rank(1);
  if (!x_rank) x_rank = ctx.input_rank(2);
  if (cond_rank && x_rank) {
    if (*cond_rank == 1 && *x_rank > 1) {
      std::vector<int64_t> axes;
      for (int a = 1; a < *x_rank; ++a) axes.push_back(a);
      cond = ctx.Unsqueeze(cond, axes);
    }
  } else if (!cond_rank || *cond_rank == 1) {
    cond = AlignConditionAtRuntime(ctx, cond, ctx.input(1));
  }
  ctx.SetOutput(0, ctx.AddNode("Where", {cond, ctx.input(1), ctx.input(2)}));
  return absl::OkStatus();
}

// Where with one input lists the coordinates of true (nonzero) elements as
// [num_true, rank] int64; ONNX NonZero gives them as [rank, num_true].
absl::Status ConvertWhere(NodeContext& ctx) {
  if (ctx.num_inputs() == 3) return ConvertSelect(ctx);
  if (ctx.num_inputs() != 1) return ctx.Error("expects 1 or 3 inputs");
  std::string coords = ctx.AddNode("NonZero", {ctx.input(0)});
  ctx.SetOutput(0, ctx.Transpose(coords, {1, 0}));
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Casts.

// Truncate is ignored: ONNX float-to-int casts truncate as TF's do.
absl::Status ConvertCast(NodeContext& ctx) {
  ASSIGN_OR_RETURN(DataType to, ctx.attr_type("DstT"));
  if (ctx.has_attr("SrcT")) {
    auto from = ctx.attr_type("SrcT");
    if (from.ok() && *from == to) {
      ctx.SetOutputAlias(0, ctx.input(0));
      return absl::OkStatus();
    }
  }
  ctx.SetOutput(0, ctx.Cast(ctx.input(0), to));
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Matrix products.

// Input `i` with its last two dimensions swapped. A constant is transposed
// now rather than in the graph; an input of unknown rank goes through Einsum,
// whose ellipsis covers any number of batch dimensions.
absl::StatusOr<std::string> SwapLastTwoDims(NodeContext& ctx, int i) {
  const ir::Tensor* constant = ctx.const_input(i);
  std::optional<int> rank = constant ? std::optional<int>(constant->rank()) : ctx.input_rank(i);
  if (!rank) {
    return ctx.AddNode("Einsum", {ctx.input(i)}, {Attribute::String("equation", "...ij->...ji")});
  }
  if (*rank < 2) return ctx.Error(absl::StrCat("input ", i, " has rank ", *rank, ", need >= 2"));
  std::vector<int64_t> perm;
  for (int d = 0; d < *rank; ++d) perm.push_back(d);
  std::swap(perm[*rank - 2], perm[*rank - 1]);
  if (constant == nullptr) return ctx.Transpose(ctx.input(i), perm);
  auto transposed = constant->Transposed(perm);
  if (!transposed.ok()) return ctx.Error(std::string(transposed.status().message()));
  return ctx.AddConst(*std::move(transposed), "transposed");
}

bool IsByteType(DataType t) { return t == DataType::kInt8 || t == DataType::kUint8; }

// BatchMatMulV3 may multiply 8-bit operands into a wider Tout: ONNX MatMul
// has no 8-bit kernels, MatMulInteger does (into int32). Other mixes are cast
// to Tout first.
absl::Status EmitMatMulV3(NodeContext& ctx, std::string a, std::string b) {
  ASSIGN_OR_RETURN(DataType a_type, ctx.attr_type("Ta"));
  ASSIGN_OR_RETURN(DataType b_type, ctx.attr_type("Tb"));
  ASSIGN_OR_RETURN(DataType out_type, ctx.attr_type("Tout"));
  if (IsByteType(a_type) && IsByteType(b_type)) {
    std::string product = ctx.AddNode("MatMulInteger", {a, b});
    if (out_type != DataType::kInt32) product = ctx.Cast(product, out_type);
    ctx.SetOutput(0, product);
    return absl::OkStatus();
  }
  if (a_type != out_type) a = ctx.Cast(a, out_type);
  if (b_type != out_type) b = ctx.Cast(b, out_type);
  ctx.SetOutput(0, ctx.AddNode("MatMul", {a, b}));
  return absl::OkStatus();
}

// MatMul (rank 2, transpose_a/b) and BatchMatMul/V2/V3 (adj_x/y; adjoint is
// the transpose for the real types ONNX has).
absl::Status ConvertMatMul(NodeContext& ctx) {
  const bool is_batch = ctx.op_type() != "MatMul";
  std::string a = ctx.input(0);
  std::string b = ctx.input(1);
  if (ctx.attr_bool(is_batch ? "adj_x" : "transpose_a", false)) {
    ASSIGN_OR_RETURN(a, SwapLastTwoDims(ctx, 0));
  }
  if (ctx.attr_bool(is_batch ? "adj_y" : "transpose_b", false)) {
    ASSIGN_OR_RETURN(b, SwapLastTwoDims(ctx, 1));
  }
  if (ctx.op_type() == "BatchMatMulV3") return EmitMatMulV3(ctx, a, b);
  ctx.SetOutput(0, ctx.AddNode("MatMul", {a, b}));
  return absl::OkStatus();
}

}  // namespace

void RegisterMathOps(HandlerRegistry& r) {
  for (const DirectOp& op : kDirectOps) {
    r.Register({op.tf_op}, kMinOpset, Inputs(op.num_inputs), ConvertDirect);
  }
  std::vector<std::string> arithmetic_ops;
  for (const ArithmeticOp& op : kArithmeticOps) arithmetic_ops.push_back(op.tf_op);
  r.Register(arithmetic_ops, kMinOpset, Inputs(2), ConvertArithmetic);

  r.Register({"Round"}, kMinOpset, Inputs(1), ConvertRound);
  r.Register({"Square"}, kMinOpset, Inputs(1), ConvertSquare);
  r.Register({"Rsqrt"}, kMinOpset, Inputs(1), ConvertRsqrt);
  r.Register({"Reciprocal", "Inv"}, kMinOpset, Inputs(1), ConvertReciprocal);
  r.Register({"Log1p"}, kMinOpset, Inputs(1), ConvertLog1p);
  r.Register({"Expm1"}, kMinOpset, Inputs(1), ConvertExpm1);
  r.Register({"Erfc"}, kMinOpset, Inputs(1), ConvertErfc);

  r.Register({"SquaredDifference"}, kMinOpset, Inputs(2), ConvertSquaredDifference);
  r.Register({"NotEqual"}, kMinOpset, Inputs(2), ConvertNotEqual);
  r.Register({"FloorDiv"}, kMinOpset, Inputs(2), ConvertFloorDiv);
  r.Register({"FloorMod"}, kMinOpset, Inputs(2), ConvertFloorMod);
  r.Register({"TruncateDiv"}, kMinOpset, Inputs(2), ConvertTruncateDiv);
  r.Register({"TruncateMod", "Mod"}, kMinOpset, Inputs(2), ConvertTruncateMod);
  r.Register({"DivNoNan"}, kMinOpset, Inputs(2), ConvertDivNoNan);
  r.Register({"MulNoNan"}, kMinOpset, Inputs(2), ConvertMulNoNan);
  r.Register({"AddN"}, kMinOpset, InputsAtLeast(1), ConvertAddN);

  r.Register({"Select"}, kMinOpset, Inputs(3), ConvertSelect);
  r.Register({"Where"}, kMinOpset, Inputs(1, 3), ConvertWhere);  // 3: TF1's Select form
  r.Register({"Cast"}, kMinOpset, Inputs(1), ConvertCast);
  r.Register({"MatMul", "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3"}, kMinOpset, Inputs(2),
             ConvertMatMul);
}

}  // namespace onnxsmith::converter
