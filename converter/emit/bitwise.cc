// Below opset 18 the operands are widened to uint64 (sign-extended for signed
// types, so the result's bits above the type's width are again its sign
// bit), split into 64 bits with BitShift (opset 11) and Mod, combined per bit
// and summed back with a uint64 MatMul against the powers of two (distinct
// powers: the sum is exact). ONNX Runtime implements Mul/Max/Mod/MatMul/Sub
// on uint64 (not on the narrow unsigned types), hence one wide path for all.
// Not is arithmetic: ~x = (2^w - 1) - x on the widened value.
#include "converter/emit/bitwise.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ir/graph.h"

namespace onnxsmith::converter {
namespace {

using ir::Attribute;
using ir::DataType;

bool IsSignedInt(DataType t) {
  return t == DataType::kInt8 || t == DataType::kInt16 || t == DataType::kInt32 ||
         t == DataType::kInt64;
}

DataType UnsignedOf(DataType t) {
  switch (t) {
    case DataType::kInt8: return DataType::kUint8;
    case DataType::kInt16: return DataType::kUint16;
    case DataType::kInt32: return DataType::kUint32;
    case DataType::kInt64: return DataType::kUint64;
    default: return t;
  }
}

int BitWidth(DataType t) {
  switch (t) {
    case DataType::kInt8: case DataType::kUint8: return 8;
    case DataType::kInt16: case DataType::kUint16: return 16;
    case DataType::kInt32: case DataType::kUint32: return 32;
    default: return 64;
  }
}

std::string ConstU64(OnnxEmitter& e, std::vector<int64_t> dims, const std::vector<uint64_t>& v,
                     const std::string& hint) {
  return e.AddConst(ir::Tensor::FromVector<uint64_t>(std::move(dims), v), hint);
}

// x as uint64: signed types sign-extend through int64, then wrap.
std::string Widen(OnnxEmitter& e, const std::string& x, DataType t) {
  if (t == DataType::kUint64) return x;
  if (IsSignedInt(t)) return e.Cast(t == DataType::kInt64 ? x : e.Cast(x, DataType::kInt64), DataType::kUint64);
  return e.Cast(x, DataType::kUint64);
}

std::string Narrow(OnnxEmitter& e, const std::string& x, DataType t) {
  if (t == DataType::kUint64) return x;
  if (!IsSignedInt(t)) return e.Cast(x, t);
  const std::string wide = e.Cast(x, DataType::kInt64);
  return t == DataType::kInt64 ? wide : e.Cast(wide, t);
}

// [..., 64] of 0/1: bit k of x at index k.
std::string Bits(OnnxEmitter& e, const std::string& x, const std::string& positions) {
  const std::string shifted = e.AddNode("BitShift", {e.Unsqueeze(x, {-1}), positions},
                                        {Attribute::String("direction", "RIGHT")});
  return e.AddNode("Mod", {shifted, ConstU64(e, {}, {2}, "two")});
}

}  // namespace

absl::StatusOr<std::string> EmitBitwise(OnnxEmitter& e, const std::string& op,
                                        const std::vector<std::string>& inputs, DataType type) {
  if (!ir::IsInteger(type)) {
    return absl::UnimplementedError(absl::StrCat(ir::DataTypeName(type), " operands"));
  }
  const bool unary = op == "BitwiseNot";
  if (!unary && op != "BitwiseAnd" && op != "BitwiseOr" && op != "BitwiseXor") {
    return absl::InternalError(absl::StrCat("EmitBitwise: unknown op ", op));
  }
  if (inputs.size() != (unary ? 1u : 2u)) {
    return absl::InvalidArgumentError(absl::StrCat(op, " takes ", unary ? 1 : 2, " operands"));
  }
  if (e.opset() >= 18) return e.AddNode(op, inputs);
  if (e.opset() < 11) return absl::UnimplementedError(absl::StrCat(op, " below opset 11"));
  const std::string a = Widen(e, inputs[0], type);
  if (unary) {
    const int w = IsSignedInt(type) ? 64 : BitWidth(type);
    const uint64_t ones = w == 64 ? ~uint64_t{0} : (uint64_t{1} << w) - 1;
    return Narrow(e, e.AddNode("Sub", {ConstU64(e, {}, {ones}, "ones"), a}), type);
  }
  std::vector<uint64_t> positions(64), powers(64);
  for (int k = 0; k < 64; ++k) {
    positions[k] = static_cast<uint64_t>(k);
    powers[k] = uint64_t{1} << k;
  }
  const std::string pos = ConstU64(e, {64}, positions, "bit_positions");
  const std::string ba = Bits(e, a, pos);
  const std::string bb = Bits(e, Widen(e, inputs[1], type), pos);
  std::string bits;
  if (op == "BitwiseAnd") {
    bits = e.AddNode("Mul", {ba, bb});
  } else if (op == "BitwiseOr") {
    bits = e.AddNode("Max", {ba, bb});
  } else {
    bits = e.AddNode("Sub", {e.AddNode("Max", {ba, bb}), e.AddNode("Mul", {ba, bb})});
  }
  const std::string sum = e.AddNode("MatMul", {bits, ConstU64(e, {64}, powers, "bit_values")});
  return Narrow(e, sum, type);
}

// Signed operands are shifted as their unsigned twins (two's complement casts
// wrap); a negative value shifts right arithmetically: ~((~x) >> y).
absl::StatusOr<std::string> EmitShift(OnnxEmitter& e, bool left, const std::string& x,
                                      const std::string& y, DataType type) {
  if (!ir::IsInteger(type)) {
    return absl::UnimplementedError(absl::StrCat(ir::DataTypeName(type), " operands"));
  }
  const std::vector<Attribute> dir = {Attribute::String("direction", left ? "LEFT" : "RIGHT")};
  if (!IsSignedInt(type)) return e.AddNode("BitShift", {x, e.Cast(y, type)}, dir);
  const DataType u = UnsignedOf(type);
  const std::string yu = e.Cast(y, u);
  const std::string logical = e.Cast(e.AddNode("BitShift", {e.Cast(x, u), yu}, dir), type);
  if (left) return logical;
  auto not_x = EmitBitwise(e, "BitwiseNot", {x}, type);
  if (!not_x.ok()) return not_x.status();
  const std::string complement = e.Cast(e.AddNode("BitShift", {e.Cast(*not_x, u), yu}, dir), type);
  auto shifted = EmitBitwise(e, "BitwiseNot", {complement}, type);
  if (!shifted.ok()) return shifted.status();
  const std::string negative = e.AddNode("Less", {x, e.ConstScalar(type, 0, "zero")});
  return e.AddNode("Where", {negative, *shifted, logical});
}

}  // namespace onnxsmith::converter
