// String ops: StringLower/StringUpper (StringNormalizer), StringToNumber and
// AsString of integers (Cast), and from opset 20 StringJoin (StringConcat)
// and RegexFullMatch/StaticRegexFullMatch.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "converter/handlers/array_util.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"
#include "ir/graph.h"
#include "ir/tensor.h"

namespace onnxsmith::converter {
namespace {

using ir::Attribute;
using ir::DataType;

// StringNormalizer takes [C] or [1, C] only: any shape goes through 1-D.
// TF's default encoding "" changes ASCII letters only, as the "C" locale
// does; "utf-8" changes every letter, as a UTF-8 locale does (the runtime
// must have en_US.UTF-8 installed).
absl::Status ConvertStringCase(NodeContext& ctx) {
  const std::string encoding = ctx.attr_string("encoding", "");
  if (!encoding.empty() && encoding != "utf-8") {
    return ctx.Unsupported(absl::StrCat("encoding '", encoding, "'"));
  }
  const std::string x = ctx.input(0);
  const std::string flat = ctx.AddNode("Reshape", {x, ctx.ConstInt64s({-1}, "flat")});
  const std::string changed = ctx.AddNode(
      "StringNormalizer", {flat},
      {Attribute::String("case_change_action",
                         ctx.op_type() == "StringLower" ? "LOWER" : "UPPER"),
       Attribute::String("locale", encoding.empty() ? "C" : "en_US.UTF-8")});
  ctx.SetOutput(0, ctx.AddNode("Reshape", {changed, ctx.AddNode("Shape", {x})}));
  return absl::OkStatus();
}

// ONNX Cast parses decimal and scientific notation, as TF does.
absl::Status ConvertStringToNumber(NodeContext& ctx) {
  ASSIGN_OR_RETURN(const DataType to, ctx.attr_type("out_type"));
  ctx.SetOutput(0, ctx.AddNode("Cast", {ctx.input(0)}, {Attribute::Int("to", static_cast<int>(to))}));
  return absl::OkStatus();
}

// Integers print the same in TF and ONNX Cast; TF's float formats (fixed
// precision, width, fill) and bools ("true") do not.
absl::Status ConvertAsString(NodeContext& ctx) {
  ASSIGN_OR_RETURN(const DataType t, ctx.attr_type("T"));
  const bool integer = t == DataType::kInt8 || t == DataType::kInt16 || t == DataType::kInt32 ||
                       t == DataType::kInt64 || t == DataType::kUint8 || t == DataType::kUint16 ||
                       t == DataType::kUint32 || t == DataType::kUint64;
  if (!integer) {
    return ctx.Unsupported(absl::StrCat("AsString of ", ir::DataTypeName(t),
                                        " (TF's formatting differs from ONNX Cast's; pass the op "
                                        "through with --custom-ops AsString)"));
  }
  if (ctx.attr_int("width", -1) > 0) return ctx.Unsupported("a field width");
  ctx.SetOutput(0, ctx.AddNode("Cast", {ctx.input(0)},
                               {Attribute::Int("to", static_cast<int>(DataType::kString))}));
  return absl::OkStatus();
}

// StringJoin(inputs; separator): StringConcat broadcasts like TF.
absl::Status ConvertStringJoin(NodeContext& ctx) {
  const std::string sep = ctx.attr_string("separator", "");
  std::string acc = ctx.input(0);
  for (int k = 1; k < ctx.num_inputs(); ++k) {
    if (!sep.empty()) {
      acc = ctx.AddNode("StringConcat",
                        {acc, ctx.AddConst(ir::Tensor::FromStrings({}, {sep}), "separator")});
    }
    acc = ctx.AddNode("StringConcat", {acc, ctx.input(k)});
  }
  // libonnx (opsets <= 17) infers nothing for StringConcat: the broadcast rank.
  int rank = 0;
  for (int k = 0; k < ctx.num_inputs(); ++k) {
    std::optional<int> r = ctx.input_rank(k);
    if (!r) return ctx.Unsupported("inputs of unknown rank");
    rank = std::max(rank, *r);
  }
  EnsureType(ctx, acc, DataType::kString, std::vector<int64_t>(rank, -1));
  ctx.SetOutput(0, acc);
  return absl::OkStatus();
}

// RegexFullMatch(input, pattern) with a constant pattern, and
// StaticRegexFullMatch(input; pattern): both RE2 syntax, as ONNX's.
absl::Status ConvertRegexFullMatch(NodeContext& ctx) {
  std::string pattern;
  if (ctx.op_type() == "StaticRegexFullMatch") {
    pattern = ctx.attr_string("pattern", "");
  } else {
    const ir::Tensor* t = ctx.const_input(1);
    if (t == nullptr || t->dtype() != DataType::kString || t->num_elements() != 1) {
      return ctx.Unsupported("a pattern that is not one constant string");
    }
    pattern = t->strings()[0];
  }
  const std::string out =
      ctx.AddNode("RegexFullMatch", {ctx.input(0)}, {Attribute::String("pattern", pattern)});
  EnsureType(ctx, out, DataType::kBool, ctx.input_dims(0));
  ctx.SetOutput(0, out);
  return absl::OkStatus();
}

}  // namespace

void RegisterStringOps(HandlerRegistry& r) {
  r.Register({"StringLower", "StringUpper"}, kMinOpset, Inputs(1), ConvertStringCase);
  r.Register({"StringToNumber"}, kMinOpset, Inputs(1), ConvertStringToNumber);
  r.Register({"AsString"}, kMinOpset, Inputs(1), ConvertAsString);
  r.Register({"StringJoin"}, 20, InputsAtLeast(1), ConvertStringJoin);
  r.Register({"RegexFullMatch"}, 20, Inputs(2), ConvertRegexFullMatch);
  r.Register({"StaticRegexFullMatch"}, 20, Inputs(1), ConvertRegexFullMatch);
}

}  // namespace onnxsmith::converter
