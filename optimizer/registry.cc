#include "optimizer/registry.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "optimizer/constant_folding.h"
#include "optimizer/norm_fusion.h"
#include "optimizer/passes.h"

namespace onnxsmith::optimizer {

const char* OptLevelName(OptLevel level) {
  switch (level) {
    case OptLevel::kNone:
      return "none";
    case OptLevel::kBasic:
      return "basic";
    case OptLevel::kExtended:
      return "extended";
    case OptLevel::kAll:
      return "all";
  }
  return "?";
}

absl::StatusOr<OptLevel> ParseOptLevel(const std::string& text) {
  std::string t = absl::AsciiStrToLower(text);
  if (!t.empty() && t[0] == '-') t = t.substr(1);
  if (!t.empty() && t[0] == 'o') t = t.substr(1);
  if (t == "0" || t == "none") return OptLevel::kNone;
  if (t == "1" || t == "basic") return OptLevel::kBasic;
  if (t == "2" || t == "extended" || t == "default") return OptLevel::kExtended;
  if (t == "3" || t == "all") return OptLevel::kAll;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown optimization level '", text, "' (0-3, or none, basic, extended, all)"));
}

namespace {

void RegisterBuiltins(PassRegistry& r) {
  // Pipeline order: cleanups first, layout, fusions, then dead code last so
  // that every iteration ends with a clean graph.
  auto add = [&r](std::string name, OptLevel level, std::string description,
                  std::function<std::unique_ptr<Pass>()> factory) {
    (void)r.Register({std::move(name), std::move(description), level, std::move(factory)});
  };
  add("infer_shapes", OptLevel::kBasic,
      "Records inferred types and shapes for values the model does not describe (files "
      "without value_info) or that became known after folding, for the shape-dependent passes.",
      CreateInferShapesPass);
  add("constant_folding", OptLevel::kBasic,
      "Evaluates nodes whose inputs are all constants (and Shape/Size of known shapes) with the "
      "reference evaluator and stores the results as initializers; size-bounded, never folds "
      "random ops or DequantizeLinear.",
      CreateConstantFoldingPass);
  add("fold_shape_computations", OptLevel::kBasic,
      "Replaces a run-time shape computation (Shape -> Gather/Slice -> Unsqueeze -> Concat) "
      "feeding a Reshape by a constant shape: known dims as numbers, the same dim of the "
      "Reshape's input as 0 (copy), at most one other as -1; dynamic dims stay dynamic.",
      CreateShapeFoldingPass);
  add("deduplicate_initializers", OptLevel::kBasic,
      "Merges initializers with the same dtype, shape and bytes (hashed, then compared; large "
      "ones in parallel).",
      CreateInitializerDedupPass);
  add("eliminate_identity", OptLevel::kBasic,
      "Removes Identity, inference-mode Dropout, Cast to the same type, Reshape to the same "
      "shape and Transpose with the identity permutation.",
      CreateIdentityEliminationPass);
  add("simplify_algebra", OptLevel::kBasic,
      "Bypasses x*1, x/1, x^1, x+0, x-0 (constant 1 or 0, scalar or broadcast into dims x "
      "already has; never x*0) and Neg(Neg(x)).",
      CreateAlgebraicSimplificationPass);
  add("fuse_reshapes", OptLevel::kBasic,
      "Collapses Reshape over Reshape/Flatten/Squeeze/Unsqueeze into one Reshape and cancels "
      "Squeeze/Unsqueeze pairs over the same axes.",
      CreateReshapeFusionPass);
  add("fuse_reduce_keepdims", OptLevel::kBasic,
      "Turns Reduce*(keepdims=0) followed by a Reshape/Unsqueeze that restores the reduced "
      "dims into keepdims=1.",
      CreateReduceKeepDimsPass);
  add("eliminate_common_subexpressions", OptLevel::kBasic,
      "Merges nodes with the same op, inputs and attributes (deterministic ops without "
      "subgraphs) into the first one; graph output names are kept.",
      CreateCsePass);
  add("optimize_transposes", OptLevel::kExtended,
      "Merges consecutive Transposes (cancelling inverse pairs) and pushes Transposes down "
      "through elementwise ops, broadcasts with constants, Concat, reductions, Pad, Slice and "
      "Split until they cancel.",
      CreateTransposeOptimizationPass);
  add("transpose_to_reshape", OptLevel::kExtended,
      "Turns a Transpose that moves only size-1 dims into a Reshape (no data movement), "
      "which then merges with neighbouring reshapes.",
      CreateTransposeToReshapePass);
  add("fuse_pad", OptLevel::kExtended,
      "Folds a zero, constant-mode Pad of spatial dims into the pads of the Conv or "
      "AveragePool (count_include_pad=1) that alone reads it.",
      CreatePadFusionPass);
  add("fuse_batchnorm", OptLevel::kExtended,
      "Folds an inference BatchNormalization into the weight and bias of the Conv, "
      "ConvTranspose or Gemm whose output only it reads (a lone BatchNormalization is kept).",
      CreateBatchNormFusionPass);
  add("fuse_conv_scale_bias", OptLevel::kExtended,
      "Folds a per-output-channel Mul/Div/Add/Sub by a constant after Conv into the Conv's "
      "weight and bias (BatchNormalization lowered to Mul+Add included).",
      CreateConvScaleBiasFusionPass);
  add("fuse_matmul_add_into_gemm", OptLevel::kExtended,
      "Turns MatMul of rank-2 operands plus a constant bias into Gemm.", CreateMatMulAddToGemmPass);
  add("fuse_layer_normalization", OptLevel::kExtended,
      "Opset >= 17: collapses a decomposed layer normalization over trailing axes (mean, "
      "squared difference, mean, + eps, sqrt, divide or reciprocal, optional constant gamma/beta; "
      "TF, Keras and PyTorch-export forms) into LayerNormalization.",
      CreateLayerNormFusionPass);
  add("fuse_gelu", OptLevel::kExtended,
      "Opset >= 20: collapses 0.5*x*(1+erf(x/sqrt 2)) and the tanh approximation into Gelu.",
      CreateGeluFusionPass);
  add("eliminate_dead_code", OptLevel::kBasic,
      "Removes nodes no graph output depends on, unused initializers and stale value_info.",
      CreateDeadCodeEliminationPass);
}

}  // namespace

PassRegistry& PassRegistry::Global() {
  static PassRegistry* registry = [] {
    auto* r = new PassRegistry();
    RegisterBuiltins(*r);
    return r;
  }();
  return *registry;
}

absl::Status PassRegistry::Register(PassInfo info) {
  if (info.name.empty() || !info.factory) {
    return absl::InvalidArgumentError("a pass needs a name and a factory");
  }
  if (Find(info.name)) {
    return absl::AlreadyExistsError(absl::StrCat("pass '", info.name, "' is already registered"));
  }
  passes_.push_back(std::move(info));
  return absl::OkStatus();
}

const PassInfo* PassRegistry::Find(const std::string& name) const {
  for (const PassInfo& p : passes_) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::vector<std::string> PassRegistry::Names() const {
  std::vector<std::string> names;
  for (const PassInfo& p : passes_) names.push_back(p.name);
  return names;
}

absl::StatusOr<Pipeline> BuildPipeline(const OptimizeOptions& options,
                                       const PassRegistry& registry) {
  auto unknown = [&](const std::string& name) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown pass '", name, "'; known passes: ", absl::StrJoin(registry.Names(), ", ")));
  };
  for (const std::string& s : options.skip) {
    if (!registry.Find(s)) return unknown(s);
  }
  std::vector<const PassInfo*> selected;
  if (!options.passes.empty()) {
    for (const std::string& name : options.passes) {
      const PassInfo* p = registry.Find(name);
      if (!p) return unknown(name);
      selected.push_back(p);
    }
  } else {
    for (const PassInfo& p : registry.passes()) {
      if (static_cast<int>(p.level) <= static_cast<int>(options.level)) selected.push_back(&p);
    }
  }
  PipelineOptions popts;
  popts.max_iterations = options.max_iterations;
  Pipeline pipeline(popts);
  for (const PassInfo* p : selected) {
    if (std::find(options.skip.begin(), options.skip.end(), p->name) != options.skip.end()) {
      continue;
    }
    pipeline.Add(p->factory(), p->factory);
  }
  return pipeline;
}

absl::StatusOr<PipelineReport> Optimize(ir::Model& model, const OptimizeOptions& options) {
  auto pipeline = BuildPipeline(options);
  if (!pipeline.ok()) return pipeline.status();
  return pipeline->Run(model);
}

std::string PassTableMarkdown(const PassRegistry& registry) {
  std::string out = "| pass | level | what it does |\n|---|---|---|\n";
  for (const PassInfo& p : registry.passes()) {
    absl::StrAppend(&out, "| `", p.name, "` | -O", static_cast<int>(p.level), " (",
                    OptLevelName(p.level), ") | ", p.description, " |\n");
  }
  return out;
}

}  // namespace onnxsmith::optimizer
