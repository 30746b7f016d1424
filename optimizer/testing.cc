#include "optimizer/testing.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "evaluator/evaluator.h"
#include "ir/model_io.h"
#include "ir/onnx_proto.h"
#include "optimizer/registry.h"

namespace onnxsmith::optimizer::testing {

namespace {

int64_t Numel(const std::vector<int64_t>& d) {
  int64_t n = 1;
  for (int64_t x : d) n *= x;
  return n;
}

// A tensor of `dtype` from doubles in [-2, 2): floats as they are, integers
// rounded (-2..2), bools by sign.
ir::Tensor RandomTensor(ir::DataType dtype, const std::vector<int64_t>& dims, uint32_t seed) {
  Array a = Random(dims, seed);
  if (ir::IsFloating(dtype) || dtype == ir::DataType::kUndefined) {
    auto t = ir::Tensor::FromVector<double>(dims, a.v).CastTo(dtype);
    return t.ok() ? *t : FloatTensor(a);  // float32 also for undefined (and 16-bit) types
  }
  if (dtype == ir::DataType::kBool) {
    std::vector<bool> b;
    for (double v : a.v) b.push_back(v >= 0);
    return ir::Tensor::FromVector<bool>(dims, b);
  }
  std::vector<int64_t> i;
  for (double v : a.v) i.push_back(static_cast<int64_t>(std::lround(v)));
  auto t = ir::Tensor::FromVector<int64_t>(dims, i).CastTo(dtype);
  return t.ok() ? *t : ir::Tensor::FromVector<int64_t>(dims, i);
}

absl::StatusOr<std::vector<ir::Tensor>> Evaluate(const ir::Graph& g,
                                                 const std::map<std::string, ir::Tensor>& feeds,
                                                 int64_t opset) {
  evaluator::EvaluatorOptions opts;
  opts.opset = opset;
  auto ev = evaluator::Evaluator::Create(g, opts);
  if (!ev.ok()) return ev.status();
  return ev->Run(feeds);
}

}  // namespace

int64_t Array::size() const { return Numel(dims); }

Array Random(const std::vector<int64_t>& dims, uint32_t seed) {
  Array a;
  a.dims = dims;
  a.v.resize(Numel(dims));
  uint32_t s = seed * 2654435761u + 12345u;
  for (double& v : a.v) {
    s = s * 1664525u + 1013904223u;
    v = (static_cast<double>(s >> 8) / static_cast<double>(1u << 24)) * 4.0 - 2.0;
  }
  return a;
}

ir::Tensor FloatTensor(const Array& a) {
  std::vector<float> f(a.v.begin(), a.v.end());
  return ir::Tensor::FromVector<float>(a.dims, f);
}

ir::Tensor RandomFloatTensor(const std::vector<int64_t>& dims, uint32_t seed) {
  return FloatTensor(Random(dims, seed));
}

GraphBuilder& GraphBuilder::Input(const std::string& name, std::vector<int64_t> dims,
                                  ir::DataType dtype) {
  g_.inputs.push_back({name, ir::MakeType(dtype, dims)});
  return *this;
}

GraphBuilder& GraphBuilder::Output(const std::string& name) {
  ir::ValueInfo v;
  v.name = name;
  v.type.dtype = ir::DataType::kFloat;
  g_.outputs.push_back(v);
  return *this;
}

GraphBuilder& GraphBuilder::Init(const std::string& name, ir::Tensor t) {
  g_.initializers[name] = std::move(t);
  return *this;
}

GraphBuilder& GraphBuilder::Type(const std::string& name, std::vector<int64_t> dims,
                                 ir::DataType dtype) {
  g_.value_types[name] = ir::MakeType(dtype, dims);
  return *this;
}

ir::Node* GraphBuilder::Add(const std::string& op, std::vector<std::string> inputs,
                            std::vector<std::string> outputs, std::vector<ir::Attribute> attrs) {
  ir::Node n;
  n.name = absl::StrCat(op, "_", g_.nodes.size());
  n.op_type = op;
  n.inputs = std::move(inputs);
  n.outputs = std::move(outputs);
  n.attributes = std::move(attrs);
  return g_.AddNode(std::move(n));
}

int CountOp(const ir::Graph& g, const std::string& op_type) {
  int n = 0;
  for (const auto& node : g.nodes) n += node->op_type == op_type;
  return n;
}

const ir::Node* FindOp(const ir::Graph& g, const std::string& op_type) {
  for (const auto& n : g.nodes) {
    if (n->op_type == op_type) return n.get();
  }
  return nullptr;
}

absl::StatusOr<double> NumericDiff(const ir::Graph& a, const ir::Graph& b,
                                   const DiffOptions& options) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  std::map<std::string, ir::Tensor> feeds;
  uint32_t seed = options.seed;
  for (const ir::ValueInfo& v : a.inputs) {
    if (a.IsInitializer(v.name)) continue;
    std::vector<int64_t> dims;
    if (auto it = options.dims.find(v.name); it != options.dims.end()) {
      dims = it->second;
    } else if (v.type.shape) {
      for (const ir::Dim& d : *v.type.shape) dims.push_back(d.known() ? d.size : 2);
    }
    feeds[v.name] = RandomTensor(v.type.dtype, dims, seed++);
  }
  auto ra = Evaluate(a, feeds, options.opset);
  if (!ra.ok()) return ra.status();
  auto rb = Evaluate(b, feeds, options.opset);
  if (!rb.ok()) return rb.status();
  if (ra->size() != rb->size() || a.outputs.size() != b.outputs.size()) return kInf;
  double worst = 0;
  for (size_t k = 0; k < ra->size(); ++k) {
    if (a.outputs[k].name != b.outputs[k].name || (*ra)[k].dims() != (*rb)[k].dims()) return kInf;
    auto x = (*ra)[k].ToDoubles();
    auto y = (*rb)[k].ToDoubles();
    if (!x.ok() || !y.ok()) return kInf;
    double scale = 1;
    for (double v : *x) scale = std::max(scale, std::fabs(v));
    for (size_t i = 0; i < x->size(); ++i) {
      const double d = std::fabs((*x)[i] - (*y)[i]);
      if (std::isnan((*x)[i]) != std::isnan((*y)[i])) return kInf;
      if (!std::isnan(d)) worst = std::max(worst, d / scale);
    }
  }
  return worst;
}

absl::StatusOr<PipelineReport> RunPasses(ir::Graph& g, const std::vector<std::string>& passes,
                                         int64_t opset) {
  OptimizeOptions options;
  options.passes = passes;
  options.verify_each_pass = true;
  auto pipeline = BuildPipeline(options);
  if (!pipeline.ok()) return pipeline.status();
  return pipeline->Run(g, opset);
}

absl::Status CheckWithOnnx(const ir::Graph& g, int64_t opset) {
  ir::Model model;
  model.opset_imports[""] = opset;
  model.ir_version = ir::IrVersionForOpset(opset);
  model.graph = g.Clone();
  onnx::ModelProto proto = ir::ToModelProto(model);
  auto report = ir::ValidateModel(&proto);
  if (!report.ok()) return report.status();
  return absl::OkStatus();
}

absl::Status OptimizeAndCheck(ir::Graph& g, const std::vector<std::string>& passes,
                              int64_t opset, double tol,
                              const std::map<std::string, std::vector<int64_t>>& dims) {
  ir::Graph before = g.Clone();
  auto report = RunPasses(g, passes, opset);
  if (!report.ok()) return report.status();
  if (!report->converged) return absl::InternalError("the pipeline did not converge");
  DiffOptions options;
  options.opset = opset;
  options.dims = dims;
  auto d = NumericDiff(before, g, options);
  if (!d.ok()) return d.status();
  if (!(*d <= tol)) {
    return absl::InternalError(absl::StrCat("outputs moved by ", *d, " (tolerance ", tol, ")"));
  }
  return CheckWithOnnx(g, opset);
}

}  // namespace onnxsmith::optimizer::testing
