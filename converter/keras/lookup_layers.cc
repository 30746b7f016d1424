// IntegerLookup and StringLookup (Keras' IndexLookup) with the vocabulary in
// the file: the config's `vocabulary` list, or (after adapt) the .keras asset
// vocabulary.txt, which .h5 files do not hold. Tokens map to indices through
// an ai.onnx.ml LabelEncoder (emit/label_encoder.h, shared with TF's lookup
// tables); mask and OOV indices follow Keras, then the output_mode encoding.
#include <algorithm>
#include <cstdint>
#include <numeric>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "converter/emit/label_encoder.h"
#include "converter/keras/categorical.h"
#include "converter/keras/layer_context.h"
#include "converter/keras/layer_registry.h"

namespace onnxsmith::converter::keras {
namespace {

using ir::DataType;

// A token of the config (mask_token, oov_token, vocabulary entries) as text.
std::optional<std::string> Token(const Json* v) {
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (v->is_string()) return v->get<std::string>();
  if (v->is_number_integer()) return absl::StrCat(v->get<int64_t>());
  return DumpJson(*v);
}

}  // namespace

// Declared in categorical.h (TextVectorization reads it too).
absl::StatusOr<std::vector<std::string>> SavedVocabulary(const LayerContext& ctx) {
  std::vector<std::string> vocab;
  if (const Json* v = ctx.cfg("vocabulary")) {
    if (v->is_string()) {
      return ctx.Unsupported(absl::StrCat("vocabulary read from the file '", v->get<std::string>(),
                                          "' at run time (not saved in the model)"));
    }
    if (!v->is_array()) return ctx.Error("vocabulary is neither a list nor a path");
    for (const Json& t : *v) vocab.push_back(*Token(&t));
    return vocab;
  }
  const std::string* text = ctx.Asset("vocabulary.txt");
  if (text == nullptr) {
    return ctx.Unsupported(
        "an adapted vocabulary that is not in this file: Keras saves it only in .keras archives "
        "(assets/.../vocabulary.txt), not in .h5; save the model as .keras, or construct the "
        "layer with vocabulary=[...]");
  }
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    vocab.emplace_back(line);
  }
  while (!vocab.empty() && vocab.back().empty()) vocab.pop_back();
  return vocab;
}

namespace {

struct Lookup {
  bool strings = false;
  std::string mode;
  int64_t num_oov = 1;
  std::optional<std::string> mask;
  std::string oov_token;
  int64_t oov_start = 0;    // index of the first OOV bucket
  int64_t token_start = 0;  // index of the first vocabulary token
  bool found_special = false;
  std::vector<std::string> tokens;
};

absl::StatusOr<ir::Tensor> TokenTensor(const LayerContext& ctx, const Lookup& l,
                                       const std::vector<std::string>& tokens) {
  if (l.strings) return ir::Tensor::FromStrings({static_cast<int64_t>(tokens.size())}, tokens);
  std::vector<int64_t> ints;
  for (const std::string& t : tokens) {
    int64_t v = 0;
    if (!absl::SimpleAtoi(t, &v)) return ctx.Error(absl::StrCat("vocabulary entry '", t, "' is not an integer"));
    ints.push_back(v);
  }
  return ir::Tensor::FromVector<int64_t>({static_cast<int64_t>(ints.size())}, ints);
}

absl::StatusOr<Lookup> ReadLookup(const LayerContext& ctx) {
  Lookup l;
  l.strings = ctx.class_name() == "StringLookup";
  l.mode = ctx.String("output_mode", "int");
  l.num_oov = ctx.Int("num_oov_indices", 1);
  if (l.num_oov < 0) return ctx.Error("num_oov_indices is negative");
  l.mask = Token(ctx.cfg("mask_token"));
  l.oov_token = Token(ctx.cfg("oov_token")).value_or(l.strings ? "[UNK]" : "-1");
  l.oov_start = l.mask && l.mode == "int" ? 1 : 0;
  l.token_start = l.oov_start + l.num_oov;
  ASSIGN_OR_RETURN(std::vector<std::string> vocab, SavedVocabulary(ctx));
  std::vector<std::string> special(l.oov_start, l.mask.value_or(""));
  special.insert(special.end(), l.num_oov, l.oov_token);
  l.found_special = vocab.size() >= special.size() &&
                    std::equal(special.begin(), special.end(), vocab.begin());
  l.tokens.assign(vocab.begin() + (l.found_special ? special.size() : 0), vocab.end());
  return l;
}

// A bool tensor: x == token (strings compare through a LabelEncoder, as
// Equal takes strings only from opset 19).
absl::StatusOr<std::string> EqualsToken(LayerContext& ctx, const Lookup& l, const std::string& x,
                                        const std::string& token) {
  ASSIGN_OR_RETURN(ir::Tensor key, TokenTensor(ctx, l, {token}));
  if (!l.strings) {
    ASSIGN_OR_RETURN(std::vector<int64_t> v, key.ToInt64s());
    return ctx.AddNode("Equal", {x, ctx.ConstInt64s(v, "mask_token")});
  }
  auto hit = EmitLabelEncoder(ctx, x, key, ir::Tensor::FromVector<int64_t>({1}, {1}),
                              ir::Tensor::Scalar<int64_t>(0));
  if (!hit.ok()) return ctx.Unsupported(std::string(hit.status().message()));
  return ctx.Cast(*hit, DataType::kBool);
}

// index -> token (invert=True).
absl::Status ConvertInverted(LayerContext& ctx, const Lookup& l) {
  if (l.mode != "int") return ctx.Error("invert=True with an output_mode other than int");
  std::vector<int64_t> indices(l.tokens.size());
  std::iota(indices.begin(), indices.end(), l.token_start);
  ASSIGN_OR_RETURN(ir::Tensor values, TokenTensor(ctx, l, l.tokens));
  ASSIGN_OR_RETURN(ir::Tensor oov, TokenTensor(ctx, l, {l.oov_token}));
  ASSIGN_OR_RETURN(oov, oov.Reshaped({}));
  const std::string x = ctx.Cast(ctx.input(0), DataType::kInt64);
  auto out = EmitLabelEncoder(ctx, x,
                              ir::Tensor::FromVector<int64_t>({static_cast<int64_t>(indices.size())}, indices),
                              values, oov);
  if (!out.ok()) return ctx.Unsupported(std::string(out.status().message()));
  std::string y = *out;
  if (l.mask) {
    ASSIGN_OR_RETURN(ir::Tensor m, TokenTensor(ctx, l, {*l.mask}));
    ASSIGN_OR_RETURN(m, m.Reshaped({}));
    y = ctx.AddNode("Where", {ctx.AddNode("Equal", {x, ctx.ConstInt64s({0}, "zero")}),
                              ctx.AddConst(std::move(m), "mask_token"), y});
  }
  ctx.SetOutput(0, y);
  return absl::OkStatus();
}

absl::StatusOr<ir::Tensor> IdfWeights(const LayerContext& ctx, const Lookup& l, int64_t depth) {
  if (const KerasWeight* w = ctx.FindWeight("idf_weights")) return w->value.CastTo(DataType::kFloat);
  const Json* cfg = ctx.cfg("idf_weights");
  if (cfg == nullptr || !cfg->is_array() || cfg->empty()) {
    return ctx.Error("output_mode tf_idf without idf_weights in the file");
  }
  std::vector<float> idf;
  for (const Json& v : *cfg) {
    if (!v.is_number()) return ctx.Error("idf_weights holds a non-number");
    idf.push_back(v.get<float>());
  }
  // Keras pads the front (OOV, mask) with the mean weight when the given
  // vocabulary lacks the special tokens, and the back with zeros up to max_tokens.
  if (!l.found_special) {
    const float mean = std::accumulate(idf.begin(), idf.end(), 0.0f) / idf.size();
    idf.insert(idf.begin(), l.token_start, mean);
  }
  if (static_cast<int64_t>(idf.size()) < depth) idf.resize(depth, 0.0f);
  return ir::Tensor::FromVector<float>({static_cast<int64_t>(idf.size())}, idf);
}

absl::Status ConvertLookup(LayerContext& ctx) {
  if (ctx.Bool("sparse", false)) return ctx.Unsupported("sparse=True");
  ASSIGN_OR_RETURN(const Lookup l, ReadLookup(ctx));
  if (ctx.Bool("invert", false)) return ConvertInverted(ctx, l);
  const int64_t vocab_size = l.token_start + static_cast<int64_t>(l.tokens.size());
  const int64_t depth = ctx.Bool("pad_to_max_tokens", false) && ctx.has("max_tokens")
                            ? ctx.Int("max_tokens", vocab_size)
                            : vocab_size;
  std::string x = ctx.input(0);
  if (!l.strings && ctx.input_dtype(0) != DataType::kInt64) x = ctx.Cast(x, DataType::kInt64);
  std::vector<int64_t> indices(l.tokens.size());
  std::iota(indices.begin(), indices.end(), l.token_start);
  ASSIGN_OR_RETURN(ir::Tensor keys, TokenTensor(ctx, l, l.tokens));
  // One OOV bucket is the table's default; none or several leave -1 to fill.
  auto found = EmitLabelEncoder(
      ctx, x, keys, ir::Tensor::FromVector<int64_t>({static_cast<int64_t>(indices.size())}, indices),
      ir::Tensor::Scalar<int64_t>(l.num_oov == 1 ? l.oov_start : -1));
  if (!found.ok()) return ctx.Unsupported(std::string(found.status().message()));
  std::string ids = *found;
  if (l.mask) {
    // Masked tokens are index 0 in int mode, dropped (out of range) otherwise.
    ASSIGN_OR_RETURN(std::string masked, EqualsToken(ctx, l, x, *l.mask));
    ids = ctx.AddNode("Where", {masked, ctx.ConstInt64s({l.mode == "int" ? 0 : depth}, "mask_index"), ids});
  }
  if (l.num_oov > 1) {
    if (l.strings || ctx.String("oov_method", "floormod") == "farmhash") {
      return ctx.Unsupported(
          "num_oov_indices > 1 with string tokens or oov_method='farmhash': Keras hashes OOV "
          "tokens into buckets with FarmHash64/SipHash of their bytes, which standard ONNX cannot "
          "compute (use num_oov_indices=1, --custom-ops, or convert a SavedModel)");
    }
    const std::string bucket = ctx.AddNode(
        "Add", {ctx.AddNode("Mod", {x, ctx.ConstInt64s({l.num_oov}, "num_oov")}),
                ctx.ConstInt64s({l.oov_start}, "oov_start")});
    ids = ctx.AddNode("Where", {ctx.AddNode("Equal", {ids, ctx.ConstInt64s({-1}, "missing")}),
                                bucket, ids});
  }
  ASSIGN_OR_RETURN(int rank, ctx.InputRank(0));
  if (l.mode == "int") {
    ctx.SetOutput(0, ids);
    return absl::OkStatus();
  }
  if (l.mode != "tf_idf") {
    ASSIGN_OR_RETURN(std::string y, EncodeCategorical(ctx, ids, rank, l.mode, depth, DataType::kInt64));
    ctx.SetOutput(0, y);
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(ir::Tensor idf, IdfWeights(ctx, l, depth));
  ASSIGN_OR_RETURN(std::string counts, EncodeCategorical(ctx, ids, rank, "count", depth, DataType::kFloat));
  ctx.SetOutput(0, ctx.AddNode("Mul", {counts, ctx.AddConst(std::move(idf), "idf_weights")}));
  return absl::OkStatus();
}

}  // namespace

void RegisterLookupLayers(LayerRegistry& r) {
  r.Register({"IntegerLookup", "StringLookup"}, Inputs(1), ConvertLookup,
             "vocabulary from the config or the .keras assets (an adapted vocabulary is not in "
             ".h5); output_mode int, one_hot, multi_hot, count, tf_idf; mask_token; invert; "
             "num_oov_indices > 1 only for integers with oov_method floormod (string OOV "
             "buckets are FarmHash64); no sparse output");
}

}  // namespace onnxsmith::converter::keras
