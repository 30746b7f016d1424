#include "quantize/quantize.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include <algorithm>
#include <chrono>
#include <cmath>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/timing.h"
#include "evaluator/evaluator.h"
#include "quantize/calibrate.h"
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

// Accumulates the INT8 model's error against the fp32 model's per output.
struct QualityAccumulator {
  std::mutex mu;
  struct Sums {
    double signal = 0, noise = 0, max_err = 0;
    int64_t rows = 0, agree = 0, samples = 0;
    bool classify = false;
  };
  std::vector<Sums> sums;

  void Add(const std::vector<ir::Tensor>& ref, const std::vector<ir::Tensor>& got) {
    std::vector<Sums> local(ref.size());
    for (size_t k = 0; k < ref.size() && k < got.size(); ++k) {
      auto r = ref[k].ToDoubles();
      auto q = got[k].ToDoubles();
      if (!r.ok() || !q.ok() || r->size() != q->size()) continue;
      Sums& s = local[k];
      s.samples = 1;
      for (size_t i = 0; i < r->size(); ++i) {
        const double e = (*r)[i] - (*q)[i];
        s.signal += (*r)[i] * (*r)[i];
        s.noise += e * e;
        s.max_err = std::max(s.max_err, std::fabs(e));
      }
      const int64_t last = ref[k].rank() > 0 ? ref[k].dims().back() : 1;
      if (last > 1) {
        s.classify = true;
        for (size_t row = 0; row + last <= r->size(); row += last) {
          auto rb = r->begin() + row, qb = q->begin() + row;
          s.agree += std::max_element(rb, rb + last) - rb == std::max_element(qb, qb + last) - qb;
          ++s.rows;
        }
      }
    }
    std::lock_guard<std::mutex> lock(mu);
    if (sums.empty()) sums.resize(ref.size());
    for (size_t k = 0; k < local.size(); ++k) {
      Sums& s = sums[k];
      s.signal += local[k].signal;
      s.noise += local[k].noise;
      s.max_err = std::max(s.max_err, local[k].max_err);
      s.rows += local[k].rows;
      s.agree += local[k].agree;
      s.samples += local[k].samples;
      s.classify |= local[k].classify;
    }
  }
};

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
  std::vector<OutputQuality> out;
  for (size_t k = 0; k < acc.sums.size(); ++k) {
    const auto& s = acc.sums[k];
    OutputQuality o;
    o.name = fp32.output_names()[k];
    o.sqnr_db = s.noise > 0 ? 10.0 * std::log10(s.signal / s.noise) : 999.0;
    o.max_abs_error = s.max_err;
    o.top1_agreement = s.classify && s.rows > 0 ? static_cast<double>(s.agree) / s.rows : -1;
    o.samples = s.samples;
    out.push_back(o);
  }
  return out;
}

}  // namespace

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

  auto start = std::chrono::steady_clock::now();
  if (options.mode == Mode::kStatic) {
    StaticPlan plan = PlanStatic(model.graph, options);
    std::vector<const ir::Node*> decided;  // plan.decisions[i] is about decided[i]
    for (const auto& n : model.graph.nodes) decided.push_back(n.get());
    CalibrationOptions copts;
    copts.histograms = options.method != Method::kMinMax;
    copts.in_flight = options.in_flight;
    ASSIGN_OR_RETURN(CalibrationResult calib,
                     Calibrate(model, plan.activations, *data, total - holdout, copts));
    report.calibration_samples = calib.samples;
    report.calibration_seconds = MsSince(start) / 1000;
    start = std::chrono::steady_clock::now();
    const std::map<std::string, QParams> params = ComputeParams(plan, calib, options, &report.warnings);
    RETURN_IF_ERROR(ApplyQdq(model, plan, params, options, &report.warnings));
    report.nodes = std::move(plan.decisions);
    if (options.format == Format::kQOperator) RETURN_IF_ERROR(ToQOperator(model, decided, &report.nodes));
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
