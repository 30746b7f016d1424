// Einsum. ONNX has Einsum (opset 12), but many runtimes and NPUs run MatMul
// far better, so a plain two-operand contraction (what Keras's
// MultiHeadAttention and EinsumDense emit: "abc,cde->abde", "abcd,cde->abe",
// "aecd,abcd->acbe", "acbe,aecd->abcd") is lowered to
// Transpose/Reshape/MatMul; anything else (diagonals, labels summed out of one
// operand, ellipsis, unknown ranks, more than one unknown dim in a merged
// group) is emitted as ONNX Einsum with the same equation.
#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"
#include "ir/graph.h"

namespace onnxsmith::converter {
namespace {

using ir::Attribute;

struct Equation {
  std::vector<std::string> inputs;  // one label string per operand ("..." kept)
  std::string output;
  bool has_ellipsis = false;
};

bool IsLabel(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Parses and checks `text` for `num_inputs` operands. The implicit form (no
// "->") gets numpy's output: the labels used once, in alphabetical order.
absl::StatusOr<Equation> ParseEquation(const NodeContext& ctx, std::string text, int num_inputs) {
  text.erase(std::remove(text.begin(), text.end(), ' '), text.end());
  Equation eq;
  std::string lhs = text;
  std::optional<std::string> rhs;
  if (size_t arrow = text.find("->"); arrow != std::string::npos) {
    lhs = text.substr(0, arrow);
    rhs = text.substr(arrow + 2);
    if (rhs->find("->") != std::string::npos) {
      return ctx.Error(absl::StrCat("einsum equation '", text, "' has more than one '->'"));
    }
  }
  eq.inputs = absl::StrSplit(lhs, ',');
  if (static_cast<int>(eq.inputs.size()) != num_inputs) {
    return ctx.Error(absl::StrCat("einsum equation '", text, "' has ", eq.inputs.size(),
                                  " operand terms for ", num_inputs, " inputs"));
  }
  // Each term: labels, with at most one "..." anywhere in it.
  auto check_term = [&](const std::string& term) -> absl::Status {
    size_t dots = term.find("...");
    if (dots != std::string::npos) {
      eq.has_ellipsis = true;
      if (term.find("...", dots + 3) != std::string::npos) {
        return ctx.Error(absl::StrCat("einsum term '", term, "' has more than one ellipsis"));
      }
    }
    for (size_t i = 0; i < term.size(); ++i) {
      if (dots != std::string::npos && i >= dots && i < dots + 3) continue;
      if (!IsLabel(term[i])) {
        return ctx.Error(absl::StrCat("einsum equation '", text, "': bad character '",
                                      std::string(1, term[i]), "'"));
      }
    }
    return absl::OkStatus();
  };
  std::map<char, int> uses;
  for (const std::string& term : eq.inputs) {
    RETURN_IF_ERROR(check_term(term));
    for (char c : term) {
      if (IsLabel(c)) ++uses[c];
    }
  }
  if (rhs) {
    RETURN_IF_ERROR(check_term(*rhs));
    for (char c : *rhs) {
      if (!IsLabel(c)) continue;
      if (uses.count(c) == 0) {
        return ctx.Error(absl::StrCat("einsum equation '", text, "': output label '",
                                      std::string(1, c), "' is in no input"));
      }
      if (std::count(rhs->begin(), rhs->end(), c) > 1) {
        return ctx.Error(absl::StrCat("einsum equation '", text, "': output label '",
                                      std::string(1, c), "' repeats"));
      }
    }
    eq.output = *rhs;
  } else {
    if (eq.has_ellipsis) eq.output = "...";
    for (const auto& [c, n] : uses) {
      if (n == 1) eq.output += c;
    }
  }
  return eq;
}

std::string EquationText(const Equation& eq) {
  return absl::StrCat(absl::StrJoin(eq.inputs, ","), "->", eq.output);
}

bool Contains(const std::string& s, char c) { return s.find(c) != std::string::npos; }

std::vector<int64_t> PermTo(const std::string& from, const std::string& to) {
  std::vector<int64_t> perm;
  for (char c : to) perm.push_back(static_cast<int64_t>(from.find(c)));
  return perm;
}

std::string TransposeTo(NodeContext& ctx, const std::string& x, const std::string& from,
                        const std::string& to) {
  std::vector<int64_t> perm = PermTo(from, to);
  return ctx.Transpose(x, perm);  // x itself for an identity perm
}

// Static dims of input i (-1 unknown), or nullopt if its rank is unknown.
std::optional<std::vector<int64_t>> StaticDims(const NodeContext& ctx, int i) {
  if (const ir::Tensor* c = ctx.const_input(i)) return c->dims();
  return ctx.input_dims(i);
}

// The product of the sizes of `labels`, or -1 if one is unknown.
int64_t GroupSize(const std::string& labels, const std::map<char, int64_t>& size) {
  int64_t n = 1;
  for (char c : labels) {
    int64_t d = size.at(c);
    if (d < 0) return -1;
    n *= d;
  }
  return n;
}

// A Reshape target with at most one -1, or nullopt.
std::optional<std::vector<int64_t>> OneUnknown(std::vector<int64_t> target) {
  if (std::count(target.begin(), target.end(), -1) > 1) return std::nullopt;
  return target;
}

// The MatMul lowering of a two-operand contraction, or false (emitting
// nothing) when the equation is not a plain batched contraction.
//
// Labels split into batch (both operands and the output), contracted (both
// operands, not the output), and each operand's free labels. A becomes
// [batch, freeA..., k] and B [batch, 1 x (|freeA|-1), k, n]: MatMul then
// broadcasts B over A's leading free dims, so those may be dynamic; only the
// contracted dims and B's free dims are merged (at most one unknown each).
absl::StatusOr<bool> TryLowerToMatMul(NodeContext& ctx, const Equation& eq) {
  if (eq.inputs.size() != 2 || eq.has_ellipsis) return false;
  std::string a_terms = eq.inputs[0], b_terms = eq.inputs[1];
  auto a_dims = StaticDims(ctx, 0), b_dims = StaticDims(ctx, 1);
  if (!a_dims || !b_dims) return false;
  if (a_dims->size() != a_terms.size() || b_dims->size() != b_terms.size()) {
    return ctx.Error(absl::StrCat("einsum equation '", EquationText(eq), "' does not match ranks ",
                                  a_dims->size(), " and ", b_dims->size()));
  }
  auto has_repeats = [](const std::string& s) {
    for (char c : s) {
      if (std::count(s.begin(), s.end(), c) > 1) return true;
    }
    return false;
  };
  if (has_repeats(a_terms) || has_repeats(b_terms)) return false;
  std::map<char, int64_t> size;
  auto record = [&](const std::string& terms, const std::vector<int64_t>& dims) {
    for (size_t i = 0; i < terms.size(); ++i) {
      if (dims[i] >= 0 || size.count(terms[i]) == 0) size[terms[i]] = dims[i];
    }
  };
  record(a_terms, *a_dims);
  record(b_terms, *b_dims);

  std::string batch, free_a, free_b, contracted;
  for (char c : eq.output) {
    bool in_a = Contains(a_terms, c), in_b = Contains(b_terms, c);
    (in_a && in_b ? batch : in_a ? free_a : free_b) += c;
  }
  for (char c : a_terms) {
    if (Contains(eq.output, c)) continue;
    if (!Contains(b_terms, c)) return false;  // summed out of A alone
    contracted += c;
  }
  for (char c : b_terms) {
    if (!Contains(eq.output, c) && !Contains(a_terms, c)) return false;  // summed out of B alone
  }
  // The operand whose free labels come first in the output goes on the left,
  // so the product needs no final transpose in the usual layouts.
  std::string a = ctx.input(0), b = ctx.input(1);
  if (!free_a.empty() && !free_b.empty() && eq.output.find(free_b[0]) < eq.output.find(free_a[0])) {
    std::swap(a, b);
    std::swap(a_terms, b_terms);
    std::swap(free_a, free_b);
  }
  const int64_t k = GroupSize(contracted, size), n = GroupSize(free_b, size);
  const size_t nb = batch.size(), nm = free_a.size();

  // Left: [batch, free_a..., k] (a unit row when free_a is empty).
  std::vector<int64_t> left_target(nb + nm, 0);
  left_target.push_back(k);
  if (nm == 0) left_target.insert(left_target.end() - 1, 1);
  const bool left_reshape = contracted.size() != 1 || nm == 0;
  // Right: [batch, 1 x (|free_a|-1), k, n].
  std::vector<int64_t> right_target(nb, 0);
  if (nb > 0 && nm > 1) right_target.insert(right_target.end(), nm - 1, 1);
  right_target.push_back(k);
  right_target.push_back(n);
  const bool right_reshape =
      contracted.size() != 1 || free_b.size() != 1 || (nb > 0 && nm > 1);
  // Result [batch, free_a..., n] back to [batch, free_a..., free_b...].
  std::vector<int64_t> out_target(nb + nm, 0);
  for (char c : free_b) out_target.push_back(size.at(c));
  const bool out_reshape = free_b.size() != 1 || nm == 0;

  std::optional<std::vector<int64_t>> lt = OneUnknown(left_target), rt = OneUnknown(right_target),
                                      ot = OneUnknown(out_target);
  if ((left_reshape && !lt) || (right_reshape && !rt) || (out_reshape && !ot)) return false;

  std::string left = TransposeTo(ctx, a, a_terms, batch + free_a + contracted);
  if (left_reshape) left = ctx.AddNode("Reshape", {left, ctx.ConstInt64s(*lt, "shape")});
  std::string right = TransposeTo(ctx, b, b_terms, batch + contracted + free_b);
  if (right_reshape) right = ctx.AddNode("Reshape", {right, ctx.ConstInt64s(*rt, "shape")});
  std::string y = ctx.AddNode("MatMul", {left, right});
  if (out_reshape) y = ctx.AddNode("Reshape", {y, ctx.ConstInt64s(*ot, "shape")});
  ctx.SetOutput(0, TransposeTo(ctx, y, batch + free_a + free_b, eq.output));
  return true;
}

absl::Status ConvertEinsum(NodeContext& ctx) {
  ASSIGN_OR_RETURN(Equation eq,
                   ParseEquation(ctx, ctx.attr_string("equation", ""), ctx.num_inputs()));
  // One operand that is a pure permutation: a Transpose.
  if (eq.inputs.size() == 1 && !eq.has_ellipsis && eq.inputs[0].size() == eq.output.size()) {
    std::string sorted_in = eq.inputs[0], sorted_out = eq.output;
    std::sort(sorted_in.begin(), sorted_in.end());
    std::sort(sorted_out.begin(), sorted_out.end());
    if (sorted_in == sorted_out) {
      ctx.SetOutput(0, TransposeTo(ctx, ctx.input(0), eq.inputs[0], eq.output));
      return absl::OkStatus();
    }
  }
  ASSIGN_OR_RETURN(bool lowered, TryLowerToMatMul(ctx, eq));
  if (lowered) return absl::OkStatus();
  std::vector<std::string> inputs;
  for (int i = 0; i < ctx.num_inputs(); ++i) inputs.push_back(ctx.input(i));
  ctx.SetOutput(0, ctx.AddNode("Einsum", inputs, {Attribute::String("equation", EquationText(eq))}));
  return absl::OkStatus();
}

}  // namespace

void RegisterEinsumOps(HandlerRegistry& r) { r.Register({"Einsum"}, kMinOpset, InputsAtLeast(1), ConvertEinsum); }

}  // namespace onnxsmith::converter
