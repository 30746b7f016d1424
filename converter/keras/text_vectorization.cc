// TextVectorization: standardize, split, then a StringLookup. Standard ONNX
// expresses standardize=None or "lower" (StringNormalizer) and
// split="whitespace" (StringSplit, opset 20, at each ASCII whitespace
// character as tf.strings.split does) or None; the lookup is the StringLookup handler
// with the layer's vocabulary (config, or the .keras asset vocabulary.txt).
// StringSplit pads short rows with "", which is the mask token: index 0, as
// Keras pads. "lower_and_strip_punctuation" (the default) removes characters
// by a regular expression, which no ONNX operator does.
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "converter/keras/categorical.h"
#include "converter/keras/layer_context.h"
#include "converter/keras/layer_registry.h"

namespace onnxsmith::converter::keras {

namespace {

using ir::Attribute;
using ir::DataType;

// [batch] strings -> [batch, n] tokens split at every ASCII whitespace
// character, as tf.strings.split: ORT's StringSplit without a delimiter splits
// at spaces only, so each other whitespace character splits the pieces again
// (flattened into the row); the "" left between tokens are squeezed out
// after the lookup (CompactTokens).
std::string SplitOnWhitespace(LayerContext& ctx, const std::string& x) {
  std::string tokens = ctx.AddNodeMulti("StringSplit", {x}, 2, {})[0];
  for (const char* c : {"\t", "\n", "\r", "\v", "\f"}) {
    tokens = ctx.AddNodeMulti("StringSplit", {tokens}, 2, {Attribute::String("delimiter", c)})[0];
    tokens = ctx.Reshape(tokens, {0, -1});
  }
  return tokens;
}

// Moves each row's non-zero ids (tokens; 0 is an empty piece) to its front in
// order, then keeps as many columns as the longest row has tokens.
std::string CompactTokens(LayerContext& ctx, const std::string& ids) {
  const std::string zero = ctx.ConstInt64s({0}, "zero");
  const std::string width = ctx.AddNode(
      "Slice", {ctx.AddNode("Shape", {ids}), ctx.ConstInt64s({1}, "s"), ctx.ConstInt64s({2}, "e")});
  const std::string width_f = ctx.Cast(width, DataType::kFloat);
  const std::string pos = ctx.AddNode(
      "Range", {ctx.ConstScalar(DataType::kFloat, 0, "start"), ctx.Squeeze(width_f, {0}),
                ctx.ConstScalar(DataType::kFloat, 1, "delta")});
  const std::string empty = ctx.AddNode("Equal", {ids, zero});
  // Sort key: position, after every token when empty; ascending, stable by construction.
  const std::string key = ctx.AddNode(
      "Add", {ctx.AddNode("Mul", {ctx.Cast(empty, DataType::kFloat), width_f}), pos});
  const std::string order = ctx.AddNodeMulti(
      "TopK", {key, width}, 2,
      {Attribute::Int("axis", 1), Attribute::Int("largest", 0), Attribute::Int("sorted", 1)})[1];
  const std::string packed = ctx.AddNode("GatherElements", {ids, order}, {Attribute::Int("axis", 1)});
  const std::string longest = ctx.Reduce(
      "ReduceMax", ctx.Reduce("ReduceSum", ctx.Cast(ctx.AddNode("Not", {empty}), DataType::kInt64), {1}, false),
      {0}, true);
  return ctx.AddNode("Slice", {packed, zero, longest, ctx.ConstInt64s({1}, "axis")});
}

absl::Status ConvertTextVectorization(LayerContext& ctx) {
  const std::string standardize = ctx.String("standardize", "");
  if (!standardize.empty() && standardize != "lower") {
    return ctx.Unsupported(absl::StrCat(
        "standardize='", standardize,
        "' (None and 'lower' convert; stripping punctuation is a regular-expression replace, "
        "which no standard ONNX operator does: standardize outside the model)"));
  }
  const std::string split = ctx.String("split", "");
  if (!split.empty() && split != "whitespace") {
    return ctx.Unsupported(absl::StrCat("split='", split, "' (whitespace and None convert)"));
  }
  if (ctx.has("ngrams")) return ctx.Unsupported("ngrams");
  if (ctx.Bool("ragged", false)) return ctx.Unsupported("ragged=True");
  if (ctx.Bool("sparse", false)) return ctx.Unsupported("sparse=True");
  const std::string mode = ctx.String("output_mode", "int");
  if (mode != "int") {
    return ctx.Unsupported(absl::StrCat("output_mode '", mode, "' (int converts)"));
  }
  if (!split.empty() && ctx.opset() < 20) {
    return ctx.Unsupported(absl::StrCat("split='whitespace' at opset ", ctx.opset(),
                                        ": ONNX StringSplit needs opset 20 (pass --opset 20)"));
  }
  if (ctx.input_dtype(0) != DataType::kString) return ctx.Error("expects a string input");
  ASSIGN_OR_RETURN(int rank, ctx.InputRank(0));
  auto dims = ctx.input_dims(0);
  std::string x = ctx.input(0);
  if (split.empty() && rank == 1) {
    return ctx.Unsupported(
        "split=None on a rank-1 input (Keras then pads or truncates the batch axis to "
        "output_sequence_length; give the strings as [batch, 1])");
  }
  if (rank == 2 && dims && (*dims)[1] == 1) {
    x = ctx.Reshape(x, {-1});
  } else if (rank != 1) {
    return ctx.Unsupported(absl::StrCat("a rank-", rank, " input ([batch] or [batch, 1] converts)"));
  }
  if (standardize == "lower") {
    // Locale "C": ORT's default en_US.UTF-8 is often not installed; C lowercases ASCII only
    // (Keras lowercases all of Unicode).
    x = ctx.AddNode("StringNormalizer", {x}, {Attribute::String("case_change_action", "LOWER"),
                                              Attribute::String("locale", "C")});
  }
  std::string tokens = split.empty() ? ctx.Unsqueeze(x, {1}) : SplitOnWhitespace(ctx, x);
  ir::ValueType tt;
  tt.dtype = DataType::kString;
  tt.shape = std::vector<ir::Dim>{ir::Dim{-1, ""}, ir::Dim{-1, ""}};
  ctx.SetType(tokens, tt);

  ASSIGN_OR_RETURN(std::vector<std::string> tokens_list, SavedVocabulary(ctx));
  Json vocab = tokens_list;
  Json config = {{"name", "lookup"},         {"vocabulary", std::move(vocab)},
                 {"mask_token", ""},          {"oov_token", "[UNK]"},
                 {"num_oov_indices", 1},      {"output_mode", "int"}};
  KerasLayerSpec spec;
  spec.name = "lookup";
  spec.class_name = "StringLookup";
  spec.config = &config;
  const LayerHandler* lookup = LayerRegistry::Global().Find("StringLookup");
  if (lookup == nullptr) return ctx.Error("no StringLookup handler");
  static const std::vector<KerasWeight> kNoWeights;
  InboundNode node;
  LayerContext inner(spec, node, 0, ctx.name() + "/lookup", {tokens}, {std::nullopt}, {},
                     &kNoWeights, &ctx.env());
  RETURN_IF_ERROR(RunLayerHandler(*lookup, inner));
  std::string ids = inner.outputs().at(0);
  if (!split.empty()) ids = CompactTokens(ctx, ids);
  if (const int64_t length = ctx.Int("output_sequence_length", -1); length > 0) {
    // Pad with index 0 and keep the first `length` tokens.
    ids = ctx.AddNode("Pad", {ids, ctx.ConstInt64s({0, 0, 0, length}, "pads")});
    ids = ctx.AddNode("Slice", {ids, ctx.ConstInt64s({0}, "start"), ctx.ConstInt64s({length}, "end"),
                                ctx.ConstInt64s({1}, "axis")});
  }
  ir::ValueType it;
  it.dtype = DataType::kInt64;
  const int64_t length = ctx.Int("output_sequence_length", -1);
  it.shape = std::vector<ir::Dim>{ir::Dim{-1, ""}, ir::Dim{length > 0 ? length : -1, ""}};
  ctx.SetType(ids, it);
  ctx.SetOutput(0, ids);
  return absl::OkStatus();
}

}  // namespace

void RegisterTextLayers(LayerRegistry& r) {
  r.Register({"TextVectorization"}, Inputs(1), ConvertTextVectorization,
             "standardize None or 'lower' (ASCII letters), split 'whitespace' (opset >= 20: StringSplit) or None; "
             "output_mode int; output_sequence_length; vocabulary from the config or the .keras "
             "assets; no ngrams ('lower_and_strip_punctuation' is a regex replace ONNX lacks)");
}

}  // namespace onnxsmith::converter::keras
