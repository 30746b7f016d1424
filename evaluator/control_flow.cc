// If, Loop and Scan: the kernels hand the body its formal inputs through the
// context's SubgraphRunner (which binds outer-scope reads) and assemble the
// outputs: loop-carried values pass from one iteration to the next, scan
// outputs are stacked along a new axis.
#include <algorithm>
#include <limits>

#include "common/status_macros.h"
#include "evaluator/kernel.h"

namespace onnxsmith::evaluator {
namespace {

absl::StatusOr<const ir::Graph*> GraphAttr(KernelContext& ctx, const std::string& name) {
  const ir::Attribute* a = ctx.attr(name);
  if (!a || a->kind != ir::Attribute::Kind::kGraph || !a->g) {
    return ctx.Error("graph attribute '", name, "' is required");
  }
  if (!ctx.subgraphs()) return absl::InternalError("no subgraph runner for a control-flow node");
  return a->g.get();
}

absl::StatusOr<bool> ScalarCondition(const Array& a, const char* what) {
  if (a.is_sequence() || a.size() != 1) {
    return KernelContext::Error(what, " must hold one value, has shape ", DimsToString(a.dims()));
  }
  ASSIGN_OR_RETURN(std::vector<int64_t> v, ToInt64Vector(a));
  return v[0] != 0;
}

// Output `out` = `elements` (the per-iteration values of one scan output,
// in order) stacked along a new axis `axis`. With no iteration the element
// shape comes from the body's declared output type when it is static.
absl::Status StackToOutput(KernelContext& ctx, int out, const std::vector<Array>& elements,
                           int64_t axis, const ir::ValueInfo& declared) {
  if (elements.empty()) {
    Dims dims;
    if (declared.type.shape) {
      for (const ir::Dim& d : *declared.type.shape) dims.push_back(d.known() ? d.size : 0);
    }
    ASSIGN_OR_RETURN(int ax, NormalizeAxis(axis, static_cast<int>(dims.size()) + 1));
    dims.insert(dims.begin() + ax, 0);
    const ir::DataType dtype = declared.type.dtype == ir::DataType::kUndefined
                                   ? ir::DataType::kFloat
                                   : declared.type.dtype;
    return ctx.Allocate(out, dtype, dims).status();
  }
  std::vector<Array> views;
  views.reserve(elements.size());
  for (const Array& e : elements) {
    if (e.is_sequence()) return ctx.Error("scan output '", declared.name, "' is a sequence");
    if (e.dims() != elements[0].dims()) {
      return ctx.Error("scan output '", declared.name, "' changes shape between iterations: ",
                       DimsToString(elements[0].dims()), " then ", DimsToString(e.dims()));
    }
    ASSIGN_OR_RETURN(int ax, NormalizeAxis(axis, e.rank() + 1, "scan output axis"));
    Dims dims = e.dims();
    dims.insert(dims.begin() + ax, 1);
    ASSIGN_OR_RETURN(Array v, e.Reshaped(dims));
    views.push_back(std::move(v));
  }
  std::vector<const Array*> ptrs;
  for (const Array& v : views) ptrs.push_back(&v);
  return ConcatToOutput(ctx, out, ptrs, axis);
}

absl::Status IfKernel(KernelContext& ctx) {
  RETURN_IF_ERROR(ctx.RequireInputs(1));
  ASSIGN_OR_RETURN(bool cond, ScalarCondition(ctx.input(0), "the condition"));
  ASSIGN_OR_RETURN(const ir::Graph* branch,
                   GraphAttr(ctx, cond ? "then_branch" : "else_branch"));
  ASSIGN_OR_RETURN(std::vector<Array> out, ctx.subgraphs()->Run(*branch, {}));
  if (static_cast<int>(out.size()) < ctx.num_outputs()) {
    return ctx.Error("branch '", branch->name, "' has ", out.size(), " outputs, the node ",
                     ctx.num_outputs());
  }
  for (int i = 0; i < ctx.num_outputs(); ++i) {
    if (ctx.has_output(i)) RETURN_IF_ERROR(ctx.SetOutput(i, std::move(out[i])));
  }
  return absl::OkStatus();
}

// Inputs (M, cond, v_initial...); body (i, cond_in, v...) -> (cond_out, v...,
// scan...). The loop runs while i < M (when given) and cond (when given).
absl::Status LoopKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const ir::Graph* body, GraphAttr(ctx, "body"));
  const int carried = ctx.num_inputs() - 2;
  if (carried < 0) return ctx.Error("needs the inputs M and cond (either may be empty)");
  if (static_cast<int>(body->inputs.size()) != carried + 2 ||
      static_cast<int>(body->outputs.size()) < carried + 1) {
    return ctx.Error("body has ", body->inputs.size(), " inputs and ", body->outputs.size(),
                     " outputs; ", carried, " loop-carried values need ", carried + 2,
                     " inputs and at least ", carried + 1, " outputs");
  }
  const int scans = static_cast<int>(body->outputs.size()) - 1 - carried;
  if (ctx.num_outputs() > carried + scans) {
    return ctx.Error("has ", ctx.num_outputs(), " outputs, the body makes ", carried + scans);
  }
  int64_t trip_limit = std::numeric_limits<int64_t>::max();
  if (ctx.has_input(0)) {
    ASSIGN_OR_RETURN(std::vector<int64_t> m, ctx.InputInts(0));
    if (m.size() != 1) return ctx.Error("trip count M must hold one value");
    trip_limit = m[0];
  }
  const bool use_cond = ctx.has_input(1);
  if (!use_cond && !ctx.has_input(0)) {
    return ctx.Error("neither a trip count M nor a condition is given (an endless loop)");
  }
  bool cond = true;
  if (use_cond) {
    ASSIGN_OR_RETURN(cond, ScalarCondition(ctx.input(1), "cond"));
  }
  std::vector<Array> state;
  for (int k = 0; k < carried; ++k) {
    if (!ctx.has_input(2 + k)) return ctx.Error("loop-carried input ", 2 + k, " is empty");
    state.push_back(ctx.input(2 + k));
  }
  std::vector<std::vector<Array>> scanned(scans);
  for (int64_t i = 0; i < trip_limit && cond; ++i) {
    std::vector<Array> in;
    ASSIGN_OR_RETURN(Array iter, ctx.Scratch(ir::DataType::kInt64, {}));
    *iter.mutable_data<int64_t>() = i;
    ASSIGN_OR_RETURN(Array cond_in, ctx.Scratch(ir::DataType::kBool, {}));
    *cond_in.mutable_data<bool>() = cond;
    in.push_back(std::move(iter));
    in.push_back(std::move(cond_in));
    for (Array& v : state) in.push_back(std::move(v));
    ASSIGN_OR_RETURN(std::vector<Array> out, ctx.subgraphs()->Run(*body, in));
    if (use_cond) {
      ASSIGN_OR_RETURN(cond, ScalarCondition(out[0], "the body's cond output"));
    }
    for (int k = 0; k < carried; ++k) state[k] = std::move(out[1 + k]);
    for (int k = 0; k < scans; ++k) scanned[k].push_back(std::move(out[1 + carried + k]));
  }
  for (int k = 0; k < carried && k < ctx.num_outputs(); ++k) {
    if (ctx.has_output(k)) RETURN_IF_ERROR(ctx.SetOutput(k, std::move(state[k])));
  }
  for (int k = 0; k < scans && carried + k < ctx.num_outputs(); ++k) {
    if (!ctx.has_output(carried + k)) continue;
    RETURN_IF_ERROR(StackToOutput(ctx, carried + k, scanned[k], 0, body->outputs[1 + carried + k]));
  }
  return absl::OkStatus();
}

// Opset 9+: inputs (state..., scan_input...); body (state..., slice...) ->
// (state..., scan_element...).
absl::Status ScanKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const ir::Graph* body, GraphAttr(ctx, "body"));
  const int m = static_cast<int>(ctx.GetInt("num_scan_inputs", -1));
  const int n = ctx.num_inputs() - m;
  if (m < 1 || n < 0) return ctx.Error("attribute 'num_scan_inputs' must be in [1, inputs]");
  const int k_out = static_cast<int>(body->outputs.size()) - n;
  if (static_cast<int>(body->inputs.size()) != n + m || k_out < 0) {
    return ctx.Error("body has ", body->inputs.size(), " inputs and ", body->outputs.size(),
                     " outputs, expected ", n + m, " inputs and at least ", n, " outputs");
  }
  auto list = [&](const char* name, int count) {
    std::vector<int64_t> v = ctx.GetInts(name);
    v.resize(count, 0);
    return v;
  };
  const std::vector<int64_t> in_axes = list("scan_input_axes", m);
  const std::vector<int64_t> in_dirs = list("scan_input_directions", m);
  const std::vector<int64_t> out_axes = list("scan_output_axes", k_out);
  const std::vector<int64_t> out_dirs = list("scan_output_directions", k_out);
  std::vector<int> axes(m);
  int64_t length = -1;
  for (int j = 0; j < m; ++j) {
    RETURN_IF_ERROR(ctx.RequireInputs(n + j + 1));
    const Array& x = ctx.input(n + j);
    if (x.is_sequence()) return ctx.Error("scan input ", j, " is a sequence");
    ASSIGN_OR_RETURN(axes[j], NormalizeAxis(in_axes[j], x.rank(), "scan_input_axes"));
    if (length >= 0 && x.dim(axes[j]) != length) {
      return ctx.Error("scan inputs have different lengths: ", length, " and ", x.dim(axes[j]));
    }
    length = x.dim(axes[j]);
  }
  std::vector<Array> state;
  for (int k = 0; k < n; ++k) state.push_back(ctx.input(k));
  std::vector<std::vector<Array>> scanned(k_out);
  for (int64_t t = 0; t < length; ++t) {
    std::vector<Array> in = std::move(state);
    for (int j = 0; j < m; ++j) {
      const Array& x = ctx.input(n + j);
      const int64_t at = in_dirs[j] != 0 ? length - 1 - t : t;
      ASSIGN_OR_RETURN(Array slice, SliceAlongAxis(x, axes[j], at, 1, ctx));
      Dims dims = x.dims();
      dims.erase(dims.begin() + axes[j]);
      ASSIGN_OR_RETURN(slice, slice.Reshaped(dims));
      in.push_back(std::move(slice));
    }
    ASSIGN_OR_RETURN(std::vector<Array> out, ctx.subgraphs()->Run(*body, in));
    state.assign(out.begin(), out.begin() + n);
    for (int k = 0; k < k_out; ++k) scanned[k].push_back(std::move(out[n + k]));
  }
  for (int k = 0; k < n && k < ctx.num_outputs(); ++k) {
    if (ctx.has_output(k)) RETURN_IF_ERROR(ctx.SetOutput(k, std::move(state[k])));
  }
  for (int k = 0; k < k_out && n + k < ctx.num_outputs(); ++k) {
    if (!ctx.has_output(n + k)) continue;
    if (out_dirs[k] != 0) std::reverse(scanned[k].begin(), scanned[k].end());
    RETURN_IF_ERROR(StackToOutput(ctx, n + k, scanned[k], out_axes[k], body->outputs[n + k]));
  }
  return absl::OkStatus();
}

}  // namespace

void RegisterControlFlowKernels(KernelRegistry& r) {
  r.Register("If", IfKernel);
  r.Register("Loop", LoopKernel);
  r.Register("Scan", 9, std::numeric_limits<int>::max(), ScanKernel);
}

}  // namespace onnxsmith::evaluator
