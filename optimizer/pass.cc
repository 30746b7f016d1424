#include "optimizer/pass.h"

#include <chrono>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/progress.h"
#include "common/status_macros.h"
#include "ir/verifier.h"
#include "tbb/parallel_for.h"

namespace onnxsmith::optimizer {

namespace {

int64_t CountInitializers(const ir::Graph& graph) {
  int64_t n = static_cast<int64_t>(graph.initializers.size());
  for (const auto& node : graph.nodes) {
    for (const auto& a : node->attributes) {
      if (a.kind == ir::Attribute::Kind::kGraph && a.g) n += CountInitializers(*a.g);
    }
  }
  return n;
}

}  // namespace

int64_t CountNodes(const ir::Graph& graph) {
  int64_t n = static_cast<int64_t>(graph.nodes.size());
  for (const auto& node : graph.nodes) {
    for (const auto& a : node->attributes) {
      if (a.kind == ir::Attribute::Kind::kGraph && a.g) n += CountNodes(*a.g);
    }
  }
  return n;
}

int64_t CountNodes(const ir::Graph& graph, const std::string& op_type) {
  int64_t n = 0;
  for (const auto& node : graph.nodes) {
    if (node->op_type == op_type) ++n;
    for (const auto& a : node->attributes) {
      if (a.kind == ir::Attribute::Kind::kGraph && a.g) n += CountNodes(*a.g, op_type);
    }
  }
  return n;
}

std::vector<std::string> Pipeline::PassNames() const {
  std::vector<std::string> names;
  for (const auto& p : passes_) names.push_back(p->name());
  return names;
}

absl::StatusOr<bool> Pipeline::RunOnTree(Pass& pass, const PassFactory& factory,
                                         ir::Graph& graph, PassReport& report) {
  auto start = std::chrono::steady_clock::now();
  pass.reset_changes();
  absl::StatusOr<bool> changed = pass.Run(graph);
  report.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ++report.runs;
  if (!changed.ok()) {
    return absl::Status(changed.status().code(),
                        absl::StrCat("pass ", pass.name(), " on graph '", graph.name,
                                     "': ", changed.status().message()));
  }
  bool any = *changed;
  if (*changed) {
    ++report.changed_runs;
    report.changes += pass.changes() > 0 ? pass.changes() : 1;
  }
  if (!options_.recurse_into_subgraphs) return any;
  // Subgraphs are collected first: the pass above may have replaced nodes.
  std::vector<std::shared_ptr<ir::Graph>> subgraphs;
  absl::flat_hash_set<const ir::Graph*> seen;  // a graph shared by two attributes runs once
  for (const auto& node : graph.nodes) {
    for (const auto& a : node->attributes) {
      if (a.kind == ir::Attribute::Kind::kGraph && a.g && seen.insert(a.g.get()).second) {
        subgraphs.push_back(a.g);
      }
    }
  }
  if (subgraphs.size() < 2 || !factory || !options_.parallel_subgraphs) {
    for (const auto& g : subgraphs) {
      ASSIGN_OR_RETURN(bool sub_changed, RunOnTree(pass, factory, *g, report));
      any = any || sub_changed;
    }
    return any;
  }
  // Each subgraph only touches itself (and its own subgraphs): one fresh
  // pass and report per subgraph, merged in order afterwards.
  std::vector<PassReport> reports(subgraphs.size());
  std::vector<absl::StatusOr<bool>> results(subgraphs.size(), false);
  tbb::parallel_for(size_t{0}, subgraphs.size(), [&](size_t k) {
    std::unique_ptr<Pass> local = factory();
    local->set_opset(pass.opset());
    results[k] = RunOnTree(*local, factory, *subgraphs[k], reports[k]);
  });
  for (size_t k = 0; k < subgraphs.size(); ++k) {
    if (!results[k].ok()) return results[k].status();
    any = any || *results[k];
    report.runs += reports[k].runs;
    report.changed_runs += reports[k].changed_runs;
    report.changes += reports[k].changes;
    report.seconds += reports[k].seconds;
  }
  return any;
}

absl::StatusOr<PipelineReport> Pipeline::Run(ir::Graph& graph, int64_t opset) {
  auto start = std::chrono::steady_clock::now();
  PipelineReport report;
  report.nodes_before = CountNodes(graph);
  report.initializers_before = CountInitializers(graph);
  for (const auto& p : passes_) {
    PassReport r;
    r.name = p->name();
    report.passes.push_back(std::move(r));
    p->set_opset(opset);
  }
  if (options_.verify_each_pass) {
    absl::Status st = ir::Verify(graph);
    if (!st.ok()) {
      return absl::Status(st.code(),
                          absl::StrCat("the graph fails verification before any pass: ",
                                       st.message()));
    }
  }
  const int bound = options_.max_iterations > 0 ? options_.max_iterations : 1;
  progress::Phase phase("optimizing", static_cast<int64_t>(passes_.size()));
  while (report.iterations < bound) {
    ++report.iterations;
    bool changed = false;
    for (size_t i = 0; i < passes_.size(); ++i) {
      phase.Set(static_cast<int64_t>(i));
      phase.SetDetail(absl::StrCat(passes_[i]->name(), " (iteration ", report.iterations, ")"));
      ASSIGN_OR_RETURN(bool c,
                       RunOnTree(*passes_[i], factories_[i], graph, report.passes[i]));
      changed = changed || c;
      if (!options_.verify_each_pass) continue;
      absl::Status st = ir::Verify(graph);
      if (!st.ok()) {
        return absl::Status(st.code(), absl::StrCat("pass ", passes_[i]->name(), " (iteration ",
                                                    report.iterations,
                                                    ") broke a graph invariant: ", st.message()));
      }
    }
    if (!changed) {
      report.converged = true;
      break;
    }
  }
  report.nodes_after = CountNodes(graph);
  report.initializers_after = CountInitializers(graph);
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

std::string FormatReport(const PipelineReport& report) {
  std::string out = absl::StrFormat("  %-32s %8s %8s %10s\n", "pass", "runs", "changes", "time ms");
  for (const auto& p : report.passes) {
    absl::StrAppend(&out, absl::StrFormat("  %-32s %8d %8d %10.2f\n", p.name, p.runs, p.changes,
                                          p.seconds * 1e3));
  }
  absl::StrAppend(
      &out, absl::StrFormat(
                "  nodes %d -> %d, initializers %d -> %d, %d iteration%s%s, %.2f ms\n",
                report.nodes_before, report.nodes_after, report.initializers_before,
                report.initializers_after, report.iterations, report.iterations == 1 ? "" : "s",
                report.converged ? "" : " (iteration bound reached)", report.seconds * 1e3));
  return out;
}

}  // namespace onnxsmith::optimizer
