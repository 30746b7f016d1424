#include "quantize/quantize.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include <algorithm>
#include <chrono>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/timing.h"
#include "evaluator/evaluator.h"
#include "quantize/calibrate.h"
#include "quantize/fallback.h"
#include "quantize/quality.h"
#include "quantize/scheme.h"

namespace onnxsmith::quantize {
namespace {

int64_t InitializerBytes(const ir::Graph& g) {
  int64_t n = 0;
  for (const auto& [name, t] : g.initializers) n += static_cast<int64_t>(t.raw().size());
  return n;
}

std::pair<float, float> RangeOf(const TensorStats& s, const QuantizeOptions& o) {
  switch (o.method) {
    case Method::kPercentile:
      return s.PercentileRange(o.percentile);
    case Method::kEntropy:
      return s.EntropyRange();
    case Method::kMinMax:
      break;
  }
  return {s.min(), s.max()};
}

// Union-find over tensor names: members of a set share parameters.
class Groups {
 public:
  std::string Find(const std::string& t) {
    auto it = parent_.find(t);
    if (it == parent_.end() || it->second == t) return t;
    const std::string root = Find(it->second);
    parent_[t] = root;
    return root;
  }
  void Union(const std::string& a, const std::string& b) {
    const std::string ra = Find(a), rb = Find(b);
    if (ra != rb) parent_[rb] = ra;
    parent_.emplace(ra, ra);
  }

 private:
  std::map<std::string, std::string> parent_;
};

}  // namespace

std::map<std::string, QParams> ComputeParams(const StaticPlan& plan, const CalibrationResult& calib,
                                             const QuantizeOptions& options,
                                             std::vector<std::string>* warnings) {
  std::map<std::string, std::pair<float, float>> range;
  for (const std::string& t : plan.activations) {
    auto it = calib.stats.find(t);
    if (it == calib.stats.end()) {
      warnings->push_back(absl::StrCat("tensor '", t, "' was not observed as float32 in calibration; left float"));
      continue;
    }
    range[t] = RangeOf(it->second, options);
  }
  Groups groups;
  for (const auto& [in, out] : plan.same_params) {
    if (range.count(in) && range.count(out)) groups.Union(in, out);
  }
  for (const auto& [in, out] : plan.shared_params) {
    if (range.count(in) && range.count(out)) groups.Union(in, out);
  }
  // Concat inputs join the output's group when their ranges are within 2x
  // of each other: one scale then serves the whole Concat (no requantization)
  // at a small loss of resolution. Targets with shared-scale Concat (TFLite's
  // CONCATENATION) always join them.
  const bool shared_concat = options.shared_scale_op_types.count("Concat") > 0;
  for (const ir::Node* c : plan.concats) {
    const std::string& out = c->outputs[0];
    if (!range.count(out)) continue;
    const float width = range[out].second - range[out].first;
    bool close = width > 0 || shared_concat;
    for (const std::string& in : c->inputs) {
      if (!range.count(in)) {
        close = false;
        break;
      }
      close &= shared_concat || range[in].second - range[in].first >= width / 2;
    }
    if (close) {
      for (const std::string& in : c->inputs) groups.Union(out, in);
    }
  }
  std::map<std::string, std::pair<float, float>> group_range;
  for (const auto& [t, r] : range) {
    auto [it, fresh] = group_range.emplace(groups.Find(t), r);
    if (!fresh) {
      it->second.first = std::min(it->second.first, r.first);
      it->second.second = std::max(it->second.second, r.second);
    }
  }
  std::map<std::string, QParams> params;
  for (const auto& [t, r] : range) {
    const auto& gr = group_range[groups.Find(t)];
    params[t] = ActivationParams(gr.first, gr.second, options);
  }
  // Fixed output parameters win over calibration, for their whole group
  // (e.g. a Reshape after a Softmax).
  for (const auto& [t, op] : plan.fixed_outputs) {
    if (!range.count(t)) continue;
    const auto& fixed = options.fixed_output_params.at(op);
    QParams p;
    p.type = ActivationType(options);
    p.scale = fixed.first;
    p.zero_point = fixed.second;
    const std::string root = groups.Find(t);
    for (auto& [other, q] : params) {
      if (groups.Find(other) == root) q = p;
    }
  }
  return params;
}

namespace {

absl::StatusOr<std::vector<OutputQuality>> Evaluate(evaluator::Evaluator& fp32, const ir::Model& int8,
                                                     CalibrationSource& source, int64_t count,
                                                     int in_flight) {
  evaluator::EvaluatorOptions eopts;
  eopts.num_threads = 1;
  ASSIGN_OR_RETURN(evaluator::Evaluator q, evaluator::Evaluator::Create(int8, eopts));
  QualityAccumulator acc;
  auto run = [&](const Sample& s) -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<ir::Tensor> ref, fp32.Run(s.feeds));
    auto got = q.Run(s.feeds);
    if (!got.ok()) {
      return absl::Status(got.status().code(), absl::StrCat("running the quantized model on sample ",
                                                            s.index, ": ", got.status().message()));
    }
    acc.Add(ref, *got);
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(ForEachSample(source, count, in_flight, run).status());
  return acc.Result(fp32.output_names());
}

}  // namespace

absl::StatusOr<std::vector<NodeDecision>> ApplyStatic(ir::Model& model, const QuantizeOptions& options,
                                                      const CalibrationResult& calib,
                                                      std::vector<std::string>* warnings) {
  StaticPlan plan = PlanStatic(model.graph, options);
  std::vector<const ir::Node*> decided;  // plan.decisions[i] is about decided[i]
  for (const auto& n : model.graph.nodes) decided.push_back(n.get());
  const std::map<std::string, QParams> params = ComputeParams(plan, calib, options, warnings);
  RETURN_IF_ERROR(ApplyQdq(model, plan, params, options, warnings));
  std::vector<NodeDecision> nodes = std::move(plan.decisions);
  if (options.format == Format::kQOperator) RETURN_IF_ERROR(ToQOperator(model, decided, &nodes));
  return nodes;
}

absl::StatusOr<Mode> ParseMode(const std::string& s) {
  if (s == "static") return Mode::kStatic;
  if (s == "dynamic") return Mode::kDynamic;
  return absl::InvalidArgumentError(absl::StrCat("--mode: '", s, "' is not static or dynamic"));
}

absl::StatusOr<Method> ParseMethod(const std::string& s) {
  if (s == "minmax") return Method::kMinMax;
  if (s == "percentile") return Method::kPercentile;
  if (s == "entropy") return Method::kEntropy;
  return absl::InvalidArgumentError(absl::StrCat("--method: '", s, "' is not minmax, percentile or entropy"));
}

absl::StatusOr<Format> ParseFormat(const std::string& s) {
  if (s == "qdq") return Format::kQdq;
  if (s == "qoperator") return Format::kQOperator;
  return absl::InvalidArgumentError(absl::StrCat("--format: '", s, "' is not qdq or qoperator"));
}

const char* MethodName(Method m) {
  switch (m) {
    case Method::kPercentile:
      return "percentile";
    case Method::kEntropy:
      return "entropy";
    case Method::kMinMax:
      break;
  }
  return "minmax";
}

bool CpuHasVnni() {
#if defined(__x86_64__) || defined(__i386__)
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid_max(0, nullptr) < 7) return false;
  __cpuid_count(7, 0, a, b, c, d);
  if (c & (1u << 11)) return true;  // AVX512_VNNI
  __cpuid_count(7, 1, a, b, c, d);
  return (a & (1u << 4)) != 0;      // AVX_VNNI
#else
  return true;
#endif
}

absl::StatusOr<QuantizeReport> Quantize(ir::Model& model, const QuantizeOptions& options,
                                        CalibrationSource* data) {
  QuantizeReport report;
  report.per_channel = options.per_channel;
  report.reduce_range = options.reduce_range;
  report.mode = options.mode == Mode::kStatic ? "static" : "dynamic";
  report.method = options.mode == Mode::kStatic ? MethodName(options.method) : "none";
  report.format = options.format == Format::kQdq ? "qdq" : "qoperator";
  report.weight_bytes_before = InitializerBytes(model.graph);
  if (options.percentile <= 50 || options.percentile > 100) {
    return absl::InvalidArgumentError(absl::StrCat("--percentile must be in (50, 100], got ", options.percentile));
  }
  if (options.mode == Mode::kStatic && data == nullptr) {
    return absl::InvalidArgumentError("static quantization needs calibration data (--calibration FILE.npz)");
  }
  // The fp32 model, kept for measuring the result (the evaluator holds its
  // own copy of the nodes and shares the weight buffers).
  evaluator::EvaluatorOptions eopts;
  eopts.num_threads = 1;
  ASSIGN_OR_RETURN(evaluator::Evaluator fp32, evaluator::Evaluator::Create(model, eopts));
  const int64_t total = data ? data->size() : 0;
  int64_t holdout = options.eval_samples;
  if (holdout < 0 && options.mode == Mode::kDynamic) holdout = std::min<int64_t>(256, total);
  if (holdout < 0) holdout = total < 2 ? 0 : std::min<int64_t>(256, std::max<int64_t>(1, total / 5));
  if (options.mode == Mode::kStatic) holdout = std::min(holdout, total - 1);
  holdout = std::max<int64_t>(holdout, 0);

  const bool fallback = FallbackRequested(options);
  if (fallback) {
    RETURN_IF_ERROR(CheckFallbackOptions(options));
    if (holdout < 1) {
      return absl::InvalidArgumentError(
          "the accuracy fallback (--max-sqnr-drop, --min-sqnr, --min-agreement) measures its goal on held-out "
          "samples: give --eval-samples N >= 1 and calibration data with more than N samples");
    }
    NameUnnamedNodes(model.graph);
  }
  auto start = std::chrono::steady_clock::now();
  if (options.mode == Mode::kStatic) {
    const StaticPlan plan = PlanStatic(model.graph, options);
    std::vector<std::string> observed = plan.activations;
    // The fallback's goal is measured against the outputs' own 8-bit
    // rounding, which needs their ranges.
    if (fallback) {
      for (const ir::ValueInfo& v : model.graph.outputs) observed.push_back(v.name);
    }
    CalibrationOptions copts;
    copts.histograms = options.method != Method::kMinMax;
    copts.in_flight = options.in_flight;
    KeepingSource kept(*data, fallback ? options.sensitivity_samples : 0);
    ASSIGN_OR_RETURN(CalibrationResult calib, Calibrate(model, observed, kept, total - holdout, copts));
    report.calibration_samples = calib.samples;
    report.calibration_seconds = MsSince(start) / 1000;
    start = std::chrono::steady_clock::now();
    if (fallback) {
      RETURN_IF_ERROR(RunFallback(model, options, calib, kept.kept(), *data, holdout, &report));
      report.eval_samples = report.outputs.empty() ? 0 : report.outputs[0].samples;
      holdout = 0;  // measured by the fallback
    } else {
      ASSIGN_OR_RETURN(report.nodes, ApplyStatic(model, options, calib, &report.warnings));
    }
  } else {
    ASSIGN_OR_RETURN(report.nodes, ApplyDynamic(model, options));
  }
  report.quantize_seconds = MsSince(start) / 1000;
  for (const NodeDecision& d : report.nodes) (d.quantized ? report.nodes_quantized : report.nodes_float)++;
  report.weight_bytes_after = InitializerBytes(model.graph);
  if (data && holdout > 0) {
    start = std::chrono::steady_clock::now();
    ASSIGN_OR_RETURN(report.outputs, Evaluate(fp32, model, *data, holdout, options.in_flight));
    report.eval_samples = report.outputs.empty() ? 0 : report.outputs[0].samples;
    report.eval_seconds = MsSince(start) / 1000;
  }
  return report;
}

}  // namespace onnxsmith::quantize
