// Which ops may run in float16: the ONNX schemas' type constraints (the
// system libonnx knows opsets up to 17; later opsets are looked up at 17,
// and ops it does not know stay float32) and the defaults kept in float32.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "evaluator/evaluator.h"
#include "onnx/defs/schema.h"
#include "optimizer/precision/float16.h"

namespace onnxsmith::optimizer::precision {
namespace {

constexpr int64_t kMaxSchemaOpset = 17;

// Ops newer than the system libonnx's schemas that --keep-fp32-ops may name.
const std::set<std::string>& NewerOps() {
  static const auto* ops = new std::set<std::string>{
      "Gelu", "GroupNormalization", "Col2Im", "Mish", "CenterCropPad", "AffineGrid",
      "ImageDecoder", "RegexFullMatch", "StringConcat", "StringSplit", "DeformConv"};
  return *ops;
}

// The allowed types of one formal parameter of `schema`.
bool FormalAllowsFloat16(const onnx::OpSchema& schema, const std::string& type_str) {
  if (type_str == "tensor(float16)") return true;
  for (const auto& c : schema.typeConstraintParams()) {
    if (c.type_param_str != type_str) continue;
    return std::find(c.allowed_type_strs.begin(), c.allowed_type_strs.end(), "tensor(float16)") !=
           c.allowed_type_strs.end();
  }
  return false;
}

bool SlotsAllowFloat16(const onnx::OpSchema& schema,
                       const std::vector<onnx::OpSchema::FormalParameter>& formals,
                       const std::vector<ir::DataType>& types) {
  for (size_t i = 0; i < types.size(); ++i) {
    if (types[i] != ir::DataType::kFloat) continue;
    if (formals.empty()) return false;
    size_t f = i;
    if (f >= formals.size()) {
      if (formals.back().GetOption() != onnx::OpSchema::Variadic) return false;
      f = formals.size() - 1;
    }
    if (!FormalAllowsFloat16(schema, formals[f].GetTypeStr())) return false;
  }
  return true;
}

}  // namespace

const std::set<std::string>& DefaultKeepFp32Ops() {
  static const auto* ops = new std::set<std::string>{
      // exp overflows float16 past x = 11; Softmax's sum of exps loses the
      // small probabilities.
      "Softmax", "LogSoftmax", "Exp", "ReduceLogSumExp", "Pow",
      // sums of squares overflow at |x| > 256 (and products, anywhere)
      "ReduceL2", "ReduceSumSquare", "ReduceProd", "LpNormalization", "CumSum",
      // normalization statistics (mean and variance over many elements)
      "LayerNormalization", "InstanceNormalization", "GroupNormalization",
      "MeanVarianceNormalization",
      // coordinates, sizes and scales
      "Range", "Resize", "Upsample", "RoiAlign", "GridSample", "NonMaxSuppression"};
  return *ops;
}

bool IsKnownOpType(const std::string& op_type) {
  if (NewerOps().count(op_type)) return true;
  if (onnx::OpSchemaRegistry::Schema(op_type, kMaxSchemaOpset, onnx::ONNX_DOMAIN) != nullptr) {
    return true;
  }
  const auto known = evaluator::SupportedOps();
  return std::find(known.begin(), known.end(), op_type) != known.end();
}

absl::StatusOr<std::set<std::string>> ParseKeepFp32Ops(const std::vector<std::string>& items) {
  std::set<std::string> ops = DefaultKeepFp32Ops();
  std::vector<std::string> unknown;
  for (const std::string& item : items) {
    if (item == "none") {
      ops.clear();
      continue;
    }
    const bool remove = !item.empty() && item[0] == '-';
    const std::string op = remove ? item.substr(1) : item;
    if (!IsKnownOpType(op)) {
      unknown.push_back(op);
      continue;
    }
    if (remove) {
      ops.erase(op);
    } else {
      ops.insert(op);
    }
  }
  if (!unknown.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--keep-fp32-ops: unknown ONNX op type", unknown.size() > 1 ? "s " : " ",
        absl::StrJoin(unknown, ", "),
        " (give op types such as Softmax,Exp; -Op removes a default, none clears them)"));
  }
  return ops;
}

bool SchemaAllowsFloat16(const ir::Node& node, int64_t opset,
                         const std::vector<ir::DataType>& input_types,
                         const std::vector<ir::DataType>& output_types) {
  const int schema_opset = static_cast<int>(std::min(opset <= 0 ? kMaxSchemaOpset : opset, kMaxSchemaOpset));
  const onnx::OpSchema* schema =
      onnx::OpSchemaRegistry::Schema(node.op_type, schema_opset, onnx::ONNX_DOMAIN);
  if (schema == nullptr) return false;
  return SlotsAllowFloat16(*schema, schema->inputs(), input_types) &&
         SlotsAllowFloat16(*schema, schema->outputs(), output_types);
}

bool IsSummingReduction(const std::string& op_type) {
  static const auto* ops = new std::set<std::string>{
      "ReduceSum", "ReduceMean", "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSum",
      "ReduceLogSumExp", "GlobalAveragePool", "GlobalLpPool"};
  return ops->count(op_type) > 0;
}

}  // namespace onnxsmith::optimizer::precision
