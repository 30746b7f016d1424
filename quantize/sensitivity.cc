// Per-node sensitivity for the accuracy fallback (fallback.h): the output
// SQNR of the model with one node alone quantized, from the node's forward
// cone fed with fp32 activations.
#include "quantize/sensitivity.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <optional>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "evaluator/evaluator.h"
#include "quantize/scheme.h"
#include "tbb/parallel_for.h"

namespace onnxsmith::quantize {
namespace {

// The model with only `node` and what depends on it: its cone's inputs are
// the values computed before it.
struct Cone {
  std::string node;
  ir::Model model;
  std::vector<int> outputs;  // graph output index of each cone output
  std::optional<evaluator::Evaluator> ev;
};

ir::ValueType TypeOf(const ir::Graph& g, const std::string& name) {
  auto it = g.value_types.find(name);
  if (it != g.value_types.end()) return it->second;
  for (const ir::ValueInfo& v : g.inputs) {
    if (v.name == name) return v.type;
  }
  return {};
}

Cone BuildCone(const ir::Model& model, const ir::Graph::Index& index, const ir::Node* start) {
  const ir::Graph& g = model.graph;
  absl::flat_hash_set<const ir::Node*> in_cone{start};
  std::vector<const ir::Node*> todo{start};
  while (!todo.empty()) {
    const ir::Node* n = todo.back();
    todo.pop_back();
    for (const std::string& out : n->outputs) {
      auto it = index.consumers.find(out);
      if (it == index.consumers.end()) continue;
      for (const ir::Node* c : it->second) {
        if (in_cone.insert(c).second) todo.push_back(c);
      }
    }
  }
  Cone cone;
  cone.node = start->name;
  cone.model.ir_version = model.ir_version;
  cone.model.opset_imports = model.opset_imports;
  ir::Graph& sub = cone.model.graph;
  sub.value_types = g.value_types;
  std::set<std::string> produced, reads;
  for (const auto& n : g.nodes) {
    if (!in_cone.count(n.get())) continue;
    sub.AddNode(*n);
    for (const std::string& o : n->outputs) produced.insert(o);
    for (const std::string& i : n->inputs) {
      if (!i.empty()) reads.insert(i);
    }
    for (const std::string& i : ir::ImplicitInputs(*n)) reads.insert(i);
  }
  for (const std::string& r : reads) {
    if (produced.count(r)) continue;
    if (const ir::Tensor* t = g.FindInitializer(r)) {
      sub.initializers[r] = *t;
    } else {
      sub.inputs.push_back({r, TypeOf(g, r)});
    }
  }
  for (size_t k = 0; k < g.outputs.size(); ++k) {
    if (produced.count(g.outputs[k].name)) {
      sub.outputs.push_back(g.outputs[k]);
      cone.outputs.push_back(static_cast<int>(k));
    }
  }
  return cone;
}

double SumSquares(const ir::Tensor& t) {
  auto v = t.ToDoubles();
  double s = 0;
  if (v.ok()) {
    for (double x : *v) s += x * x;
  }
  return s;
}

double SumSquaredError(const ir::Tensor& a, const ir::Tensor& b) {
  auto x = a.ToDoubles();
  auto y = b.ToDoubles();
  if (!x.ok() || !y.ok() || x->size() != y->size()) return 0;
  double s = 0;
  for (size_t i = 0; i < x->size(); ++i) s += ((*x)[i] - (*y)[i]) * ((*x)[i] - (*y)[i]);
  return s;
}

}  // namespace

absl::StatusOr<std::vector<NodeSensitivity>> MeasureSensitivity(
    const ir::Model& model, const std::vector<std::string>& candidates, const QuantizeOptions& options,
    const CalibrationResult& calib, const std::vector<Sample>& samples) {
  const ir::Graph& g = model.graph;
  const ir::Graph::Index index = g.BuildIndex();
  absl::flat_hash_map<std::string, const ir::Node*> by_name;
  for (const auto& n : g.nodes) by_name.emplace(n->name, n.get());
  // One quantized node per cone: every other candidate is excluded.
  QuantizeOptions single = options;
  single.format = Format::kQdq;
  for (const std::string& c : candidates) single.exclude_nodes.insert(c);
  std::vector<Cone> cones(candidates.size());
  std::mutex mu;
  absl::Status status;
  auto fail = [&](absl::Status s) {
    std::lock_guard<std::mutex> lock(mu);
    if (status.ok()) status = std::move(s);
  };
  tbb::parallel_for(size_t{0}, candidates.size(), [&](size_t i) {
    auto it = by_name.find(candidates[i]);
    if (it == by_name.end()) return fail(absl::InternalError(absl::StrCat("no node '", candidates[i], "'")));
    cones[i] = BuildCone(model, index, it->second);
    if (cones[i].outputs.empty()) return;  // reaches no graph output
    QuantizeOptions o = single;
    o.exclude_nodes.erase(candidates[i]);
    std::vector<std::string> ignored;  // tensors of other nodes' plans
    auto applied = ApplyStatic(cones[i].model, o, calib, &ignored);
    if (!applied.ok()) return fail(applied.status());
    evaluator::EvaluatorOptions eo;
    eo.num_threads = 1;
    auto ev = evaluator::Evaluator::Create(cones[i].model, eo);
    if (!ev.ok()) return fail(ev.status());
    cones[i].ev.emplace(*std::move(ev));
  });
  RETURN_IF_ERROR(status);

  // The fp32 values the cones read, and the graph outputs, from one run per
  // sample (kernels in parallel).
  std::set<std::string> graph_inputs;
  for (const ir::ValueInfo& v : g.inputs) graph_inputs.insert(v.name);
  std::vector<std::string> wanted;
  {
    std::set<std::string> seen;
    for (const Cone& c : cones) {
      if (!c.ev) continue;
      for (const ir::ValueInfo& v : c.model.graph.inputs) {
        if (!graph_inputs.count(v.name) && seen.insert(v.name).second) wanted.push_back(v.name);
      }
    }
  }
  const size_t first_output = wanted.size();
  for (const ir::ValueInfo& v : g.outputs) wanted.push_back(v.name);
  evaluator::EvaluatorOptions eo;
  eo.outputs = wanted;
  ASSIGN_OR_RETURN(evaluator::Evaluator fp32, evaluator::Evaluator::Create(model, eo));

  std::vector<double> signal(g.outputs.size(), 0);
  std::vector<std::vector<double>> noise(cones.size(), std::vector<double>(g.outputs.size(), 0));
  for (const Sample& s : samples) {
    ASSIGN_OR_RETURN(std::vector<ir::Tensor> values, fp32.Run(s.feeds));
    std::map<std::string, const ir::Tensor*> by_value;
    for (size_t k = 0; k < wanted.size(); ++k) by_value[wanted[k]] = &values[k];
    for (const auto& [name, t] : s.feeds) by_value[name] = &t;
    for (size_t k = 0; k < g.outputs.size(); ++k) signal[k] += SumSquares(values[first_output + k]);
    tbb::parallel_for(size_t{0}, cones.size(), [&](size_t i) {
      Cone& c = cones[i];
      if (!c.ev) return;
      std::map<std::string, ir::Tensor> feeds;
      for (const ir::ValueInfo& v : c.model.graph.inputs) {
        auto it = by_value.find(v.name);
        if (it != by_value.end()) feeds[v.name] = *it->second;
      }
      auto got = c.ev->Run(feeds);
      if (!got.ok()) {
        return fail(absl::Status(got.status().code(), absl::StrCat("sensitivity of node '", c.node,
                                                                   "': ", got.status().message())));
      }
      for (size_t j = 0; j < c.outputs.size() && j < got->size(); ++j) {
        noise[i][c.outputs[j]] += SumSquaredError(values[first_output + c.outputs[j]], (*got)[j]);
      }
    });
    RETURN_IF_ERROR(status);
  }
  std::vector<NodeSensitivity> result;
  for (size_t i = 0; i < cones.size(); ++i) {
    double worst = 999.0;  // the lowest SQNR over the outputs
    for (size_t k = 0; k < signal.size(); ++k) {
      if (noise[i][k] > 0 && signal[k] > 0) worst = std::min(worst, 10.0 * std::log10(signal[k] / noise[i][k]));
    }
    result.push_back({candidates[i], worst});
  }
  std::stable_sort(result.begin(), result.end(),
                   [](const NodeSensitivity& a, const NodeSensitivity& b) { return a.sqnr_db < b.sqnr_db; });
  return result;
}

}  // namespace onnxsmith::quantize
