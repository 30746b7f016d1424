#include "optimizer/registry.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "optimizer/constant_folding.h"
#include "optimizer/control_flow_passes.h"
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
      "Records types and shapes inferred per node (ONNX schemas, `infer_types.cc`) for values "
      "the model leaves undescribed (tf2onnx files have no value_info) or that became known "
      "after folding; existing types are only refined, never contradicted. `onnxsmith "
      "optimize` also runs it once on load.",
      CreateInferShapesPass);
  add("constant_folding", OptLevel::kBasic,
      "Evaluates nodes whose inputs are all constants (and Shape/Size of known shapes) with the "
      "reference evaluator and stores the results as initializers; size-bounded; never folds "
      "random ops or DequantizeLinear. If and Loop (constant trip count up to 1024) fold when "
      "their subgraphs read only constants.",
      CreateConstantFoldingPass);
  add("fold_constant_if", OptLevel::kBasic,
      "Replaces an If whose condition is a constant by the nodes of the branch it takes "
      "(their values renamed to stay unique; the If's outputs become Identities of the "
      "branch outputs, which eliminate_identity then removes).",
      CreateFoldConstantIfPass);
  add("if_to_where", OptLevel::kBasic,
      "Replaces an If whose branches are cheap and cannot fail whatever the condition (at most "
      "8 elementwise ops each, operands that broadcast by their static shapes, no integer "
      "division, no subgraphs) and whose outputs have the same static shape in both branches "
      "by both branches inlined and a Where per output (a TF1 tf.cond on small tensors).",
      CreateIfToWherePass);
  add("fold_shape_computations", OptLevel::kBasic,
      "Replaces the shape input of a Reshape computed at run time (Shape -> Gather/Slice -> "
      "(Un)Squeeze -> Concat, through Cast/Identity) by a constant: known dims as numbers, the "
      "same dim of the Reshape's input as 0 (copy), at most one other unknown as -1; the "
      "dynamic batch stays dynamic.",
      CreateShapeFoldingPass);
  add("deduplicate_initializers", OptLevel::kBasic,
      "Merges initializers with equal dtype, shape and bytes (hashed, then compared; tensors of "
      "1 MiB or more in parallel chunks); initializers a graph input can override and graph "
      "outputs are kept.",
      CreateInitializerDedupPass);
  add("eliminate_identity", OptLevel::kBasic,
      "Removes Identity, inference-mode Dropout (mask unused, no training_mode), Cast to the "
      "type its input already has, Reshape to the shape its input already has and Transpose "
      "with the identity permutation.",
      CreateIdentityEliminationPass);
  add("simplify_algebra", OptLevel::kBasic,
      "Bypasses x*1, 1*x, x/1, x^1, x+0, 0+x, x-0 (a scalar, or a constant of the same dtype "
      "broadcasting only into dims x already has) and Neg(Neg(x)); never x*0, 1/x, 0-x.",
      CreateAlgebraicSimplificationPass);
  add("fuse_reshapes", OptLevel::kBasic,
      "Collapses Reshape over Reshape/Flatten/Squeeze/Unsqueeze into one Reshape and cancels "
      "Squeeze/Unsqueeze pairs over the same axes.",
      CreateReshapeFusionPass);
  add("fuse_reduce_keepdims", OptLevel::kBasic,
      "Turns Reduce*(keepdims=0) followed by a Reshape (static) or Unsqueeze that restores the "
      "reduced axes into keepdims=1 (TF squeeze-excite). ReduceMean over H,W stays a "
      "ReduceMean, not a GlobalAveragePool: it is the faster of the two in ONNX Runtime's CPU "
      "provider.",
      CreateReduceKeepDimsPass);
  add("eliminate_common_subexpressions", OptLevel::kBasic,
      "Merges nodes with the same op, inputs and attributes (deterministic ai.onnx ops without "
      "subgraphs; no random ops or Dropout) into the first one; a duplicate that is a graph "
      "output gives its name to the kept node; two graph outputs are not merged.",
      CreateCsePass);
  add("hoist_loop_invariants", OptLevel::kBasic,
      "Moves the nodes of a Loop or Scan body whose inputs are all values of the enclosing "
      "scope (or small body constants, copied out) before the node: deterministic ai.onnx ops "
      "without subgraphs, repeatedly, so chains of invariants move together. The body reads "
      "the hoisted values under fresh names.",
      CreateHoistLoopInvariantsPass);
  add("fuse_rnn_loops", OptLevel::kBasic,
      "Replaces a Loop that runs an LSTM, GRU or simple RNN cell over a sequence (Keras "
      "SavedModels and frozen graphs, TF1 dynamic_rnn: x_t read by SequenceAt, states carried, "
      "h written to a sequence that is stacked after the loop) by one ONNX LSTM/GRU/RNN. The "
      "cell is matched by its gating structure (sigmoid/tanh activations) and its weights are "
      "read by evaluating the gate pre-activations at probe points, so gate order, forget_bias "
      "and kernel layout need no per-exporter patterns. Keras masking (Where(mask_t, new, old) "
      "on the states) becomes a per-row compaction of the unmasked steps with sequence_lens, "
      "exact for any mask. TF1 sequence_length (Where(t >= L, old, new)) becomes sequence_lens "
      "= L; an LSTMCell projection P runs as recurrence P R on the unprojected h, then MatMul P "
      "(zero initial h). Zero initial states are left to ONNX's default. Peepholes become the "
      "LSTM's P.",
      CreateRnnLoopFusionPass);
  add("gather_to_transpose", OptLevel::kBasic,
      "Turns Gather(Reshape(x, [-1]), index) whose constant index reads x in a permuted order "
      "(the converter's Transpose by a run-time permutation, e.g. TF1 dynamic_rnn's batch/time "
      "swap, once folded) into Transpose(x, perm).",
      CreateGatherToTransposePass);
  add("optimize_transposes", OptLevel::kExtended,
      "Merges consecutive Transposes (cancelling inverse pairs) and pushes Transposes down "
      "through unary ops, broadcasting ops (constants re-laid out, or the same Transpose on "
      "every operand), Concat, reductions, Pad, Slice and Split (a Transpose on each output) "
      "until they cancel; splits a shared Transpose when every reader can absorb it.",
      CreateTransposeOptimizationPass);
  add("transpose_to_reshape", OptLevel::kExtended,
      "Turns a Transpose that moves only size-1 dims (the others keep their order) into a "
      "Reshape (no data movement), which then merges with neighbouring reshapes.",
      CreateTransposeToReshapePass);
  add("fuse_pad", OptLevel::kExtended,
      "Folds a zero, constant-mode Pad of spatial dims only (constant pads; opset < 11 "
      "attributes and opset 18 `axes` too) into the pads of the Conv, AveragePool "
      "(count_include_pad=1, ceil_mode=0) or MaxPool (no auto_pad) that alone reads it, directly or through "
      "a Transpose (TF's NHWC ZeroPadding2D before an NCHW Conv). MaxPool only when its input "
      "is never negative (Relu, Clip with min >= 0), dilations are 1, ceil_mode=0, there is "
      "no Indices output and every window keeps a real element (pads below the kernel size).",
      CreatePadFusionPass);
  add("fuse_batchnorm", OptLevel::kExtended,
      "Folds an inference BatchNormalization into the weight and bias of the Conv, "
      "ConvTranspose (grouped too) or Gemm (either transB; alpha/beta kept exact) whose output "
      "only it reads; constants only. A lone BatchNormalization is kept: one node beats "
      "Mul+Add, and nothing would absorb them.",
      CreateBatchNormFusionPass);
  add("fuse_conv_scale_bias", OptLevel::kExtended,
      "Folds a per-output-channel Mul/Div/Add/Sub by a constant after a Conv into the Conv's "
      "weight and bias (BatchNormalization lowered to Mul+Add included): numerically on "
      "initializers, on the constant path for constant expressions.",
      CreateConvScaleBiasFusionPass);
  add("fuse_matmul_add_into_gemm", OptLevel::kExtended,
      "Turns MatMul of rank-2 operands followed by Add of a constant bias that broadcasts to "
      "the product into Gemm.",
      CreateMatMulAddToGemmPass);
  add("fuse_layer_normalization", OptLevel::kExtended,
      "Opset >= 17: collapses a decomposed layer normalization over trailing axes (ReduceMean, "
      "Sub, Mul/Pow 2, ReduceMean, + eps, Sqrt, Div or Reciprocal, optional constant "
      "gamma/beta; PyTorch, Keras-decomposed and TF/Keras 3 folded `x*g + (beta - mean*g)` "
      "forms) into LayerNormalization.",
      CreateLayerNormFusionPass);
  add("fuse_gelu", OptLevel::kExtended,
      "Opset >= 20: collapses `0.5*x*(1+erf(x/sqrt2))` (also `1-erf(-x/sqrt2)`, TF's erfc "
      "form) and the tanh approximation, products in any association, into Gelu.",
      CreateGeluFusionPass);
  add("eliminate_dead_code", OptLevel::kBasic,
      "Removes nodes no graph output depends on (values read by If/Loop/Scan bodies count as "
      "uses), initializers nothing reads (unless a graph input of the same name can override "
      "them) and value_info of values that no longer exist.",
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
  popts.verify_each_pass = options.verify_each_pass;
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
    absl::StrAppend(&out, "| `", p.name, "` | ", static_cast<int>(p.level), " (",
                    OptLevelName(p.level), ") | ", absl::StrReplaceAll(p.description, {{"|", "\\|"}}),
                    " |\n");
  }
  return out;
}

}  // namespace onnxsmith::optimizer
