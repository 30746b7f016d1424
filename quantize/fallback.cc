#include "quantize/fallback.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <mutex>
#include <functional>
#include <limits>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "common/timing.h"
#include "evaluator/evaluator.h"
#include "quantize/quality.h"
#include "quantize/scheme.h"
#include "quantize/sensitivity.h"
#include "tbb/parallel_for.h"

namespace onnxsmith::quantize {
namespace {

bool Set(double v) { return !std::isnan(v); }

std::string GoalText(const QuantizeOptions& o) {
  std::vector<std::string> parts;
  if (Set(o.max_sqnr_drop)) parts.push_back(absl::StrFormat("SQNR drop <= %g dB", o.max_sqnr_drop));
  if (Set(o.min_sqnr)) parts.push_back(absl::StrFormat("SQNR >= %g dB", o.min_sqnr));
  if (Set(o.min_agreement)) parts.push_back(absl::StrFormat("top-1 agreement >= %g%%", o.min_agreement));
  return absl::StrJoin(parts, " and ");
}

// A trial: the model with the `float_nodes` first nodes of the ranking in
// float, and how it does on the held-out samples.
struct Trial {
  int float_nodes = 0;
  ir::Model model;
  std::vector<NodeDecision> nodes;
  std::vector<std::string> warnings;
  std::vector<OutputQuality> outputs;
  bool goal_met = false;
  double worst_sqnr = 0;  // over the outputs
};

class Search {
 public:
  Search(const ir::Model& fp32, const QuantizeOptions& options, const CalibrationResult& calib,
         const std::vector<NodeSensitivity>& ranking)
      : fp32_(fp32), options_(options), calib_(calib), ranking_(ranking) {}

  // Reads the held-out samples and computes their fp32 outputs once.
  absl::Status Prepare(CalibrationSource& data, int64_t holdout) {
    for (int64_t i = 0; i < holdout; ++i) {
      Sample s;
      ASSIGN_OR_RETURN(bool more, data.Next(&s));
      if (!more) break;
      held_.push_back(std::move(s));
    }
    if (held_.empty()) return absl::InvalidArgumentError("the accuracy fallback has no held-out samples");
    evaluator::EvaluatorOptions eo;
    eo.num_threads = 1;
    ASSIGN_OR_RETURN(evaluator::Evaluator ev, evaluator::Evaluator::Create(fp32_, eo));
    names_ = ev.output_names();
    refs_.resize(held_.size());
    RETURN_IF_ERROR(ForHeld([&](size_t i) -> absl::Status {
      ASSIGN_OR_RETURN(refs_[i], ev.Run(held_[i].feeds));
      return absl::OkStatus();
    }));
    // Each output rounded to 8 bits over its calibrated range: the best an
    // 8-bit representation of it does (the --max-sqnr-drop reference).
    for (size_t k = 0; k < names_.size(); ++k) {
      auto st = calib_.stats.find(names_[k]);
      double signal = 0, noise = 0;
      if (st != calib_.stats.end()) {
        const QParams p = ActivationParams(st->second.min(), st->second.max(), options_);
        for (const auto& r : refs_) {
          auto v = r[k].ToDoubles();
          if (!v.ok()) continue;
          for (double x : *v) {
            const double e = x - p.scale * (QuantizeValue(static_cast<float>(x), p) - p.zero_point);
            signal += x * x;
            noise += e * e;
          }
        }
      }
      // NaN: not a float output calibration saw (no drop goal for it).
      reference_.push_back(st == calib_.stats.end() ? std::numeric_limits<double>::quiet_NaN()
                           : noise > 0              ? 10 * std::log10(signal / noise)
                                                    : 999.0);
    }
    return absl::OkStatus();
  }

  absl::StatusOr<Trial> Run(int float_nodes) {
    Trial t;
    t.float_nodes = float_nodes;
    t.model = fp32_.Clone();
    QuantizeOptions o = options_;
    for (int i = 0; i < float_nodes; ++i) o.exclude_nodes.insert(ranking_[i].node);
    ASSIGN_OR_RETURN(t.nodes, ApplyStatic(t.model, o, calib_, &t.warnings));
    evaluator::EvaluatorOptions eo;
    eo.num_threads = 1;
    ASSIGN_OR_RETURN(evaluator::Evaluator ev, evaluator::Evaluator::Create(t.model, eo));
    QualityAccumulator acc;
    RETURN_IF_ERROR(ForHeld([&](size_t i) -> absl::Status {
      auto got = ev.Run(held_[i].feeds);
      if (!got.ok()) {
        return absl::Status(got.status().code(), absl::StrCat("running the quantized model on held-out sample ",
                                                              held_[i].index, ": ", got.status().message()));
      }
      acc.Add(refs_[i], *got);
      return absl::OkStatus();
    }));
    t.outputs = acc.Result(names_);
    t.goal_met = true;
    t.worst_sqnr = 999.0;
    bool classified = false;
    for (size_t k = 0; k < t.outputs.size(); ++k) {
      const OutputQuality& q = t.outputs[k];
      t.worst_sqnr = std::min(t.worst_sqnr, q.sqnr_db);
      if (Set(options_.min_sqnr)) t.goal_met &= q.sqnr_db >= options_.min_sqnr;
      if (Set(options_.max_sqnr_drop) && Set(reference_[k])) {
        t.goal_met &= reference_[k] - q.sqnr_db <= options_.max_sqnr_drop;
      }
      if (q.top1_agreement >= 0) {
        classified = true;
        if (Set(options_.min_agreement)) t.goal_met &= 100 * q.top1_agreement >= options_.min_agreement;
      }
    }
    if (Set(options_.min_agreement) && !classified) {
      return absl::InvalidArgumentError(
          "--min-agreement: no model output holds scores to compare by top-1 (its last axis must be > 1)");
    }
    return t;
  }

  const std::vector<double>& reference() const { return reference_; }

 private:
  absl::Status ForHeld(const std::function<absl::Status(size_t)>& fn) {
    std::mutex mu;
    absl::Status status;
    tbb::parallel_for(size_t{0}, held_.size(), [&](size_t i) {
      absl::Status s = fn(i);
      if (s.ok()) return;
      std::lock_guard<std::mutex> lock(mu);
      if (status.ok()) status = std::move(s);
    });
    return status;
  }

  const ir::Model& fp32_;
  const QuantizeOptions& options_;
  const CalibrationResult& calib_;
  const std::vector<NodeSensitivity>& ranking_;
  std::vector<Sample> held_;
  std::vector<std::vector<ir::Tensor>> refs_;
  std::vector<std::string> names_;
  std::vector<double> reference_;
};

}  // namespace

bool FallbackRequested(const QuantizeOptions& o) {
  return Set(o.max_sqnr_drop) || Set(o.min_sqnr) || Set(o.min_agreement);
}

absl::Status CheckFallbackOptions(const QuantizeOptions& o) {
  if (o.mode != Mode::kStatic) {
    return absl::InvalidArgumentError("--max-sqnr-drop, --min-sqnr and --min-agreement need static mode");
  }
  if (Set(o.max_sqnr_drop) && !(o.max_sqnr_drop >= 0 && std::isfinite(o.max_sqnr_drop))) {
    return absl::InvalidArgumentError(absl::StrCat("--max-sqnr-drop must be a finite number of dB >= 0, got ",
                                                   o.max_sqnr_drop));
  }
  if (Set(o.min_sqnr) && !std::isfinite(o.min_sqnr)) {
    return absl::InvalidArgumentError(absl::StrCat("--min-sqnr must be a finite number of dB, got ", o.min_sqnr));
  }
  if (Set(o.min_agreement) && !(o.min_agreement > 0 && o.min_agreement <= 100)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--min-agreement is a percentage in (0, 100], got ", o.min_agreement));
  }
  if (o.max_float_nodes < -1) {
    return absl::InvalidArgumentError(absl::StrCat("--max-float-nodes must be >= 0, got ", o.max_float_nodes));
  }
  if (o.sensitivity_samples < 1) {
    return absl::InvalidArgumentError("the accuracy fallback needs at least one sensitivity sample");
  }
  return absl::OkStatus();
}

void NameUnnamedNodes(ir::Graph& g) {
  NameMaker names(g);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (g.nodes[i]->name.empty()) g.nodes[i]->name = names.Make(absl::StrCat(g.nodes[i]->op_type, "_", i));
  }
}

absl::StatusOr<bool> KeepingSource::Next(Sample* sample) {
  ASSIGN_OR_RETURN(bool more, source_.Next(sample));
  if (more && kept_.size() < keep_) kept_.push_back(*sample);
  return more;
}

absl::Status RunFallback(ir::Model& model, const QuantizeOptions& options, const CalibrationResult& calib,
                         const std::vector<Sample>& samples, CalibrationSource& data, int64_t holdout,
                         QuantizeReport* report) {
  FallbackReport& fb = report->fallback;
  fb.requested = true;
  fb.goal = GoalText(options);
  auto start = std::chrono::steady_clock::now();
  // The candidates: what the plan quantizes and computes (pass-through ops
  // and folded activations follow their producer).
  std::vector<std::string> candidates;
  {
    const StaticPlan plan = PlanStatic(model.graph, options);
    for (const auto& n : model.graph.nodes) {
      const OpRole role = RoleOf(n->op_type);
      if (plan.int8_nodes.count(n.get()) && (role == OpRole::kWeighted || role == OpRole::kElementwise)) {
        candidates.push_back(n->name);
      }
    }
  }
  fb.candidates = static_cast<int>(candidates.size());
  fb.max_float_nodes = options.max_float_nodes >= 0
                           ? std::min(options.max_float_nodes, fb.candidates)
                           : std::max(std::min(1, fb.candidates), (fb.candidates + 3) / 4);
  ASSIGN_OR_RETURN(std::vector<NodeSensitivity> ranking,
                   MeasureSensitivity(model, candidates, options, calib, samples));
  for (const NodeSensitivity& s : ranking) fb.sensitivity.emplace_back(s.node, s.sqnr_db);
  fb.sensitivity_seconds = MsSince(start) / 1000;
  start = std::chrono::steady_clock::now();

  Search search(model, options, calib, ranking);
  RETURN_IF_ERROR(search.Prepare(data, holdout));
  fb.reference_sqnr_db = search.reference();
  std::optional<Trial> chosen, best;  // the smallest trial meeting the goal; the best SQNR
  auto trial = [&](int m) -> absl::StatusOr<bool> {
    ASSIGN_OR_RETURN(Trial t, search.Run(m));
    fb.steps.push_back({m, t.outputs, t.goal_met});
    const bool met = t.goal_met;
    const int step = static_cast<int>(fb.steps.size()) - 1;
    if (met && (!chosen || m < chosen->float_nodes)) {
      fb.chosen_step = step;
      chosen = std::move(t);
    } else if (!chosen && (!best || t.worst_sqnr > best->worst_sqnr)) {
      fb.chosen_step = step;
      best = std::move(t);
    }
    return met;
  };
  // Grow the float prefix until the goal holds, then bisect between the
  // last failing and the first passing size.
  ASSIGN_OR_RETURN(bool met, trial(0));
  int lo = 0, hi = -1;
  for (int m = 0; !met && m < fb.max_float_nodes;) {
    m = std::min(fb.max_float_nodes, std::max(m + 1, m * 3 / 2));
    ASSIGN_OR_RETURN(met, trial(m));
    (met ? hi : lo) = m;
  }
  while (hi > 0 && hi - lo > 1) {
    const int mid = (lo + hi) / 2;
    ASSIGN_OR_RETURN(bool ok, trial(mid));
    (ok ? hi : lo) = mid;
  }
  fb.goal_met = chosen.has_value();
  Trial& result = chosen ? *chosen : *best;
  if (!fb.goal_met) {
    fb.message = absl::StrFormat(
        "the accuracy goal (%s) cannot be met with at most %d of the %d quantized compute nodes in float "
        "(--max-float-nodes); kept the best trial: %d nodes float, lowest output SQNR %.2f dB",
        fb.goal, fb.max_float_nodes, fb.candidates, result.float_nodes, result.worst_sqnr);
  }
  std::map<std::string, double> moved;
  for (int i = 0; i < result.float_nodes; ++i) moved[ranking[i].node] = ranking[i].sqnr_db;
  for (NodeDecision& d : result.nodes) {
    auto it = moved.find(d.node);
    if (it == moved.end()) continue;
    d.quantized = false;
    d.reason = absl::StrFormat("moved to float by the accuracy fallback (alone quantized: SQNR %.1f dB)",
                               it->second);
  }
  model = std::move(result.model);
  report->nodes = std::move(result.nodes);
  report->outputs = std::move(result.outputs);
  for (std::string& w : result.warnings) report->warnings.push_back(std::move(w));
  fb.search_seconds = MsSince(start) / 1000;
  return absl::OkStatus();
}

}  // namespace onnxsmith::quantize
