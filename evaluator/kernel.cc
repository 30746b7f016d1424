#include "evaluator/kernel.h"

#include <algorithm>
#include <cstring>

#include "tbb/blocked_range.h"
#include "tbb/parallel_for.h"

namespace onnxsmith::evaluator {

KernelContext::KernelContext(const ir::Node& node, int64_t opset,
                             std::vector<const Array*> inputs, BufferPool* pool,
                             int64_t max_output_elements, bool parallel)
    : node_(node),
      opset_(opset),
      inputs_(std::move(inputs)),
      outputs_(node.outputs.size()),
      pool_(pool),
      max_output_elements_(max_output_elements),
      parallel_(parallel) {}

absl::Status KernelContext::RequireInputs(int min_count) const {
  for (int i = 0; i < min_count; ++i) {
    if (!has_input(i)) {
      return Error("input ", i, " is required (", min_count, " inputs expected, ",
                   num_inputs(), " given)");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<int64_t>> KernelContext::InputInts(int i) const {
  if (!has_input(i)) return Error("input ", i, " is required");
  auto v = ToInt64Vector(input(i));
  if (!v.ok()) return Error("input ", i, ": ", v.status().message());
  return v;
}

absl::StatusOr<double> KernelContext::InputScalar(int i) const {
  if (!has_input(i)) return Error("input ", i, " is required");
  const Array& a = input(i);
  if (a.size() != 1) {
    return Error("input ", i, " must hold one value, has shape ", DimsToString(a.dims()));
  }
  auto v = ToDoubleVector(a);
  if (!v.ok()) return Error("input ", i, ": ", v.status().message());
  return (*v)[0];
}

absl::StatusOr<Array*> KernelContext::Allocate(int i, ir::DataType dtype, Dims dims) {
  if (i >= num_outputs()) return Error("kernel writes output ", i, " of ", num_outputs());
  auto n = CheckedNumElements(dims);
  if (!n.ok()) return n.status();
  if (max_output_elements_ >= 0 && *n > max_output_elements_) {
    return absl::ResourceExhaustedError(
        absl::StrCat("output ", i, " of shape ", DimsToString(dims), " has ", *n,
                     " elements, over the limit of ", max_output_elements_));
  }
  auto a = Array::Allocate(dtype, std::move(dims), pool_);
  if (!a.ok()) return a.status();
  outputs_[i] = *std::move(a);
  return &outputs_[i];
}

absl::Status KernelContext::SetOutput(int i, Array value) {
  if (i >= num_outputs()) return Error("kernel writes output ", i, " of ", num_outputs());
  if (max_output_elements_ >= 0 && value.size() > max_output_elements_) {
    return absl::ResourceExhaustedError(
        absl::StrCat("output ", i, " of shape ", DimsToString(value.dims()), " has ",
                     value.size(), " elements, over the limit of ", max_output_elements_));
  }
  outputs_[i] = std::move(value);
  return absl::OkStatus();
}

absl::StatusOr<Array> KernelContext::Scratch(ir::DataType dtype, Dims dims) const {
  return Array::Allocate(dtype, std::move(dims), pool_);
}

int64_t KernelContext::GetInt(const std::string& name, int64_t default_value) const {
  const ir::Attribute* a = attr(name);
  if (!a) return default_value;
  if (a->kind == ir::Attribute::Kind::kInt) return a->i;
  if (a->kind == ir::Attribute::Kind::kFloat) return static_cast<int64_t>(a->f);
  return default_value;
}

float KernelContext::GetFloat(const std::string& name, float default_value) const {
  const ir::Attribute* a = attr(name);
  if (!a) return default_value;
  if (a->kind == ir::Attribute::Kind::kFloat) return a->f;
  if (a->kind == ir::Attribute::Kind::kInt) return static_cast<float>(a->i);
  return default_value;
}

std::string KernelContext::GetString(const std::string& name,
                                     const std::string& default_value) const {
  const ir::Attribute* a = attr(name);
  if (!a || a->kind != ir::Attribute::Kind::kString) return default_value;
  return a->s;
}

std::vector<int64_t> KernelContext::GetInts(const std::string& name) const {
  const ir::Attribute* a = attr(name);
  if (!a) return {};
  if (a->kind == ir::Attribute::Kind::kInts) return a->ints;
  if (a->kind == ir::Attribute::Kind::kInt) return {a->i};
  return {};
}

std::vector<float> KernelContext::GetFloats(const std::string& name) const {
  const ir::Attribute* a = attr(name);
  if (!a) return {};
  if (a->kind == ir::Attribute::Kind::kFloats) return a->floats;
  if (a->kind == ir::Attribute::Kind::kFloat) return {a->f};
  return {};
}

// ---- Registry ---------------------------------------------------------------

const KernelRegistry& KernelRegistry::Global() {
  static const KernelRegistry* registry = [] {
    auto* r = new KernelRegistry();
    RegisterElementwiseKernels(*r);
    RegisterCastKernels(*r);
    RegisterShapeKernels(*r);
    RegisterSlicePadKernels(*r);
    RegisterGatherScatterKernels(*r);
    RegisterGenerateKernels(*r);
    RegisterReduceKernels(*r);
    RegisterMatMulKernels(*r);
    RegisterConvKernels(*r);
    RegisterConvTransposeKernels(*r);
    RegisterPoolKernels(*r);
    RegisterNormKernels(*r);
    RegisterResizeKernels(*r);
    RegisterQuantKernels(*r);
    RegisterRecurrentKernels(*r);
    RegisterControlFlowKernels(*r);
    RegisterSequenceKernels(*r);
    return r;
  }();
  return *registry;
}

void KernelRegistry::Register(const std::string& op_type, int since, int until, KernelFn fn) {
  kernels_[op_type].push_back({since, until, std::move(fn)});
}

const KernelFn* KernelRegistry::Find(const std::string& domain, const std::string& op_type,
                                     int64_t opset) const {
  if (!domain.empty() && domain != "ai.onnx") return nullptr;
  auto it = kernels_.find(op_type);
  if (it == kernels_.end()) return nullptr;
  for (const Entry& e : it->second) {
    if (opset >= e.since && opset <= e.until) return &e.fn;
  }
  return nullptr;
}

std::vector<std::string> KernelRegistry::OpTypes() const {
  std::vector<std::string> ops;
  for (const auto& [op, entries] : kernels_) ops.push_back(op);
  return ops;
}

// ---- Helpers ----------------------------------------------------------------

void ParallelFor(int64_t n, double cost_per_item, bool parallel,
                 const std::function<void(int64_t, int64_t)>& f) {
  if (n <= 0) return;
  constexpr double kMinWorkPerTask = 32768;  // ~ a few microseconds
  const double total = static_cast<double>(n) * std::max(cost_per_item, 1.0);
  if (!parallel || n == 1 || total < 2 * kMinWorkPerTask) {
    f(0, n);
    return;
  }
  const int64_t grain =
      std::max<int64_t>(1, static_cast<int64_t>(kMinWorkPerTask / std::max(cost_per_item, 1.0)));
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, n, grain),
                    [&](const tbb::blocked_range<int64_t>& r) { f(r.begin(), r.end()); });
}

absl::StatusOr<int> NormalizeAxis(int64_t axis, int rank, const char* what) {
  if (axis < -rank || axis >= rank) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " ", axis, " is out of range for rank ", rank));
  }
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

Dims Strides(const Dims& dims) {
  Dims s(dims.size(), 1);
  for (int i = static_cast<int>(dims.size()) - 2; i >= 0; --i) s[i] = s[i + 1] * dims[i + 1];
  return s;
}

void CopyElements(void* dst, const void* src, int64_t count, int element_size) {
  if (count > 0) std::memcpy(dst, src, static_cast<size_t>(count * element_size));
}

}  // namespace onnxsmith::evaluator
