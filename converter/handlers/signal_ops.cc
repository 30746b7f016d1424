// The FFT family on ONNX DFT (opset 17; its axis became an input at 20) and
// the complex-part ops, on complex values carried as [..., 2] (signal_ops.h).
#include "converter/handlers/signal_ops.h"

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "converter/handlers/array_util.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"
#include "ir/graph.h"
#include "ir/tensor.h"

namespace onnxsmith::converter {

bool HandlesComplex(const std::string& op) {
  static const std::set<std::string> kOps = {
      "FFT",  "IFFT",  "FFT2D",  "IFFT2D",  "FFT3D",  "IFFT3D",  "RFFT",  "IRFFT",
      "RFFT2D", "IRFFT2D", "RFFT3D", "IRFFT3D", "ComplexAbs", "Real", "Imag", "Complex",
      "Conj", "Angle", "Identity", "StopGradient", "Snapshot"};
  return kOps.count(op) > 0;
}

namespace {

using ir::Attribute;
using ir::DataType;

// One DFT along axis `axis` of the [..., 2] (or [..., 1]) value `x` of rank
// `rank`, `length` points (-1: the axis' own). ONNX DFT wants [batch, signal,
// 1 or 2]: the axis is swapped next to the pair axis and the rest flattened
// into the batch. Axis 1 also keeps DFT-20 within what inference knows
// (DFT-17, whose axis attribute defaults to 1).
std::string Dft(NodeContext& ctx, std::string x, int rank, int64_t axis, int64_t length,
                bool inverse, bool onesided) {
  std::vector<int64_t> perm;
  for (int64_t k = 0; k < rank; ++k) perm.push_back(k);
  std::swap(perm[static_cast<size_t>(axis)], perm[static_cast<size_t>(rank - 2)]);
  x = ctx.Transpose(x, perm);
  const std::string shape = ctx.AddNode("Shape", {x});
  auto dims = [&](const std::string& of, int64_t begin, int64_t end) {
    return ctx.AddNode("Slice", {of, ctx.ConstInt64s({begin}, "begin"), ctx.ConstInt64s({end}, "end")});
  };
  const std::string flat = ctx.AddNode(
      "Reshape", {x, ctx.AddNode("Concat", {ctx.ConstInt64s({-1}, "batch"), dims(shape, rank - 2, rank)},
                                 {Attribute::Int("axis", 0)})});
  const std::string len = length >= 0 ? ctx.ConstScalar(DataType::kInt64, length, "length") : "";
  std::vector<Attribute> attrs = {Attribute::Int("inverse", inverse ? 1 : 0),
                                  Attribute::Int("onesided", onesided ? 1 : 0)};
  std::string y;
  if (ctx.opset() >= 20) {
    y = ctx.AddNode("DFT", {flat, len, ctx.ConstScalar(DataType::kInt64, 1, "axis")}, std::move(attrs));
  } else {
    attrs.push_back(Attribute::Int("axis", 1));
    std::vector<std::string> inputs = {flat};
    if (!len.empty()) inputs.push_back(len);
    y = ctx.AddNode("DFT", std::move(inputs), std::move(attrs));
  }
  y = ctx.AddNode(
      "Reshape", {y, ctx.AddNode("Concat", {dims(shape, 0, rank - 2), dims(ctx.AddNode("Shape", {y}), 1, 3)},
                                 {Attribute::Int("axis", 0)})});
  return ctx.Transpose(y, perm);  // a swap is its own inverse
}

// The op's dimensionality: FFT/RFFT 1, *2D 2, *3D 3.
int SignalDims(const std::string& op) {
  if (op.back() == 'D') return op[op.size() - 2] - '0';
  return 1;
}

// The real type of the complex values (Tcomplex or T: complex128 -> double).
DataType RealPartType(const NodeContext& ctx, const char* attr) {
  auto t = ctx.attr_type(attr);
  return t.ok() && *t == DataType::kComplex128 ? DataType::kDouble : DataType::kFloat;
}

// Records the [..., 2] result's type where ONNX inference stops (opset > 17).
void Record(NodeContext& ctx, const std::string& value, DataType dtype, int rank) {
  RecordType(ctx, value, dtype, std::vector<int64_t>(static_cast<size_t>(rank), -1));
}

// The TF rank of input 0: its rank, less the pair axis when complex.
absl::StatusOr<int> TfRank(const NodeContext& ctx, bool complex, int dims) {
  const std::optional<int> rank = ctx.input_rank(0);
  if (!rank) return ctx.Unsupported("an input of unknown rank");
  const int r = *rank - (complex ? 1 : 0);
  if (r < dims) return ctx.Error(absl::StrCat("the input must have rank at least ", dims));
  return r;
}

absl::StatusOr<std::vector<int64_t>> FftLengths(const NodeContext& ctx, int dims) {
  auto lengths = ctx.const_ints(1);
  if (!lengths.ok()) return lengths.status();
  if (static_cast<int>(lengths->size()) != dims) {
    return ctx.Error(absl::StrCat("fft_length must hold ", dims, " values"));
  }
  for (int64_t n : *lengths) {
    if (n < 1) return ctx.Unsupported("an fft_length below 1");
  }
  return *lengths;
}

// FFT, IFFT and their 2-D/3-D forms: complex to complex over the last dims.
absl::Status ConvertFft(NodeContext& ctx) {
  const int dims = SignalDims(ctx.op_type());
  const bool inverse = ctx.op_type()[0] == 'I';
  auto r = TfRank(ctx, true, dims);
  if (!r.ok()) return r.status();
  std::string y = ctx.input(0);
  for (int k = 1; k <= dims; ++k) y = Dft(ctx, y, *r + 1, *r - k, -1, inverse, false);
  Record(ctx, y, RealPartType(ctx, "Tcomplex"), *r + 1);
  ctx.SetOutput(0, y);
  return absl::OkStatus();
}

// RFFT*: a one-sided DFT of the last dim, then full DFTs of the others, each
// cropped or zero-padded to its fft_length.
absl::Status ConvertRfft(NodeContext& ctx) {
  const int dims = SignalDims(ctx.op_type());
  auto r = TfRank(ctx, false, dims);
  if (!r.ok()) return r.status();
  auto lengths = FftLengths(ctx, dims);
  if (!lengths.ok()) return lengths.status();
  const DataType real = RealPartType(ctx, "Tcomplex");
  std::string y = ctx.Unsqueeze(ctx.Cast(ctx.input(0), real), {*r});
  y = Dft(ctx, y, *r + 1, *r - 1, lengths->back(), false, true);
  for (int k = 1; k < dims; ++k) {
    y = Dft(ctx, y, *r + 1, *r - 1 - k, (*lengths)[dims - 1 - k], false, false);
  }
  Record(ctx, y, real, *r + 1);
  ctx.SetOutput(0, y);
  return absl::OkStatus();
}

// IRFFT*: inverse DFTs of the leading signal dims, then the last dim's
// Hermitian spectrum completed, X[n - k] = conj(X[k]), and inverted in full;
// the real part is the result (TF likewise ignores the imaginary parts of
// the DC and Nyquist terms, which only reach the imaginary part).
absl::Status ConvertIrfft(NodeContext& ctx) {
  const int dims = SignalDims(ctx.op_type());
  auto r = TfRank(ctx, true, dims);
  if (!r.ok()) return r.status();
  auto lengths = FftLengths(ctx, dims);
  if (!lengths.ok()) return lengths.status();
  const DataType real = RealPartType(ctx, "Tcomplex");
  std::string y = ctx.input(0);  // [..., k, 2], rank r + 1
  for (int k = 1; k < dims; ++k) {
    y = Dft(ctx, y, *r + 1, *r - 1 - k, (*lengths)[dims - 1 - k], true, false);
  }
  const int64_t n = lengths->back();
  const int64_t half = n / 2 + 1;
  // Zeros past the given terms, as TF pads a short input.
  std::vector<int64_t> pads(static_cast<size_t>(2 * (*r + 1)), 0);
  pads[static_cast<size_t>(*r + 1 + *r - 1)] = half;
  auto zero = ZeroOrOneTensor(real, false);
  if (!zero.ok()) return zero.status();
  auto zero_scalar = zero->Reshaped({});
  if (!zero_scalar.ok()) return zero_scalar.status();
  y = ctx.AddNode("Pad", {y, ctx.ConstInt64s(pads, "pads"), ctx.AddConst(*std::move(zero_scalar), "zero")});
  std::vector<int64_t> order;
  std::vector<double> signs;
  for (int64_t k = 0; k < n; ++k) {
    order.push_back(k < half ? k : n - k);
    signs.push_back(1.0);
    signs.push_back(k < half ? 1.0 : -1.0);
  }
  y = ctx.AddNode("Gather", {y, ctx.ConstInt64s(order, "order")}, {Attribute::Int("axis", *r - 1)});
  auto sign_t = ir::Tensor::FromVector<double>({n, 2}, signs).CastTo(real);
  if (!sign_t.ok()) return sign_t.status();
  y = ctx.AddNode("Mul", {y, ctx.AddConst(*std::move(sign_t), "conj")});
  y = Dft(ctx, y, *r + 1, *r - 1, -1, true, false);
  y = ctx.AddNode("Gather", {y, ctx.ConstScalar(DataType::kInt64, 0, "re")},
                  {Attribute::Int("axis", -1)});
  RecordType(ctx, y, real, std::vector<int64_t>(static_cast<size_t>(*r), -1));
  auto out_type = ctx.attr_type("Treal");
  ctx.SetOutput(0, out_type.ok() ? ctx.Cast(y, *out_type) : y);
  return absl::OkStatus();
}

std::string Part(NodeContext& ctx, int k) {
  return ctx.AddNode("Gather", {ctx.input(0), ctx.ConstScalar(DataType::kInt64, k, "part")},
                     {Attribute::Int("axis", -1)});
}

absl::Status ConvertReal(NodeContext& ctx) {
  ctx.SetOutput(0, Part(ctx, 0));
  return absl::OkStatus();
}

absl::Status ConvertImag(NodeContext& ctx) {
  ctx.SetOutput(0, Part(ctx, 1));
  return absl::OkStatus();
}

// |z| = sqrt(re^2 + im^2), an L2 norm over the pair.
absl::Status ConvertComplexAbs(NodeContext& ctx) {
  ctx.SetOutput(0, ctx.Reduce("ReduceL2", ctx.input(0), {-1}, false));
  return absl::OkStatus();
}

absl::Status ConvertConj(NodeContext& ctx) {
  auto sign = ir::Tensor::FromVector<double>({2}, {1.0, -1.0}).CastTo(RealPartType(ctx, "T"));
  if (!sign.ok()) return sign.status();
  ctx.SetOutput(0, ctx.AddNode("Mul", {ctx.input(0), ctx.AddConst(*std::move(sign), "conj")}));
  return absl::OkStatus();
}

absl::Status ConvertAngle(NodeContext& ctx) {
  ctx.SetOutput(0, EmitAtan2(ctx, Part(ctx, 1), Part(ctx, 0), RealPartType(ctx, "T")));
  return absl::OkStatus();
}

// Complex(real, imag) broadcasts its operands, then pairs them.
absl::Status ConvertComplex(NodeContext& ctx) {
  const std::string shape =
      ctx.AddNode("Shape", {ctx.AddNode("Add", {ctx.input(0), ctx.input(1)})});
  auto part = [&](int i) {
    return ctx.Unsqueeze(ctx.AddNode("Expand", {ctx.input(i), shape}), {-1});
  };
  ctx.SetOutput(0, ctx.AddNode("Concat", {part(0), part(1)}, {Attribute::Int("axis", -1)}));
  return absl::OkStatus();
}

}  // namespace

void RegisterSignalOps(HandlerRegistry& r) {
  r.Register({"FFT", "IFFT", "FFT2D", "IFFT2D", "FFT3D", "IFFT3D"}, 17, Inputs(1), ConvertFft);
  r.Register({"RFFT", "RFFT2D", "RFFT3D"}, 17, Inputs(2), ConvertRfft);
  r.Register({"IRFFT", "IRFFT2D", "IRFFT3D"}, 17, Inputs(2), ConvertIrfft);
  r.Register({"Real"}, kMinOpset, Inputs(1), ConvertReal);
  r.Register({"Imag"}, kMinOpset, Inputs(1), ConvertImag);
  r.Register({"ComplexAbs"}, kMinOpset, Inputs(1), ConvertComplexAbs);
  r.Register({"Conj"}, kMinOpset, Inputs(1), ConvertConj);
  r.Register({"Complex"}, kMinOpset, Inputs(2), ConvertComplex);
  r.Register({"Angle"}, kMinOpset, Inputs(1), ConvertAngle);
}

}  // namespace onnxsmith::converter
