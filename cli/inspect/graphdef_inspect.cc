// inspect for TF GraphDefs: ops, placeholders (the inputs), sinks (the likely
// outputs), function library and control flow.
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/inspect/inspect_doc.h"
#include "converter/tf/dtype.h"
#include "converter/tf/tf_graph.h"

namespace onnxsmith::cli::inspect {
namespace {

// TF1 (Switch/Merge/Enter/...) and TF2 functional control flow.
bool IsControlFlowOp(const std::string& op) {
  static const std::set<std::string>* const kOps = new std::set<std::string>{
      "Switch", "Merge", "Enter", "Exit", "NextIteration", "LoopCond", "RefSwitch",
      "RefMerge", "RefEnter", "RefExit", "RefNextIteration", "If", "StatelessIf",
      "While", "StatelessWhile", "Case", "StatelessCase"};
  return kOps->count(op) > 0;
}

Doc AttrShape(const tf::NodeDef& node) {
  auto it = node.attr().find("shape");
  if (it == node.attr().end() || !it->second.has_shape()) return nullptr;
  return TfShape(it->second.shape());
}

}  // namespace

Doc GraphDefDoc(const tf::GraphDef& graph, Doc doc, bool with_sinks) {
  std::map<std::string, int64_t> ops;
  std::set<std::string> control_flow;
  Doc placeholders = Doc::array();
  for (const auto& n : graph.node()) {
    ++ops[n.op()];
    if (IsControlFlowOp(n.op())) control_flow.insert(n.op());
    if (n.op() != "Placeholder" && n.op() != "PlaceholderWithDefault") continue;
    Doc p;
    p["name"] = absl::StrCat(n.name(), ":0");
    auto dtype = n.attr().find("dtype");
    p["dtype"] = dtype == n.attr().end() ? "?" : converter::TfTypeName(dtype->second.type());
    p["shape"] = AttrShape(n);
    if (n.op() == "PlaceholderWithDefault") p["has_default"] = true;
    placeholders.push_back(std::move(p));
  }
  Doc functions = Doc::array();
  for (const auto& f : graph.library().function()) {
    functions.push_back(f.signature().name());
    for (const auto& n : f.node_def()) {
      if (IsControlFlowOp(n.op())) control_flow.insert(n.op());
    }
  }
  doc["nodes"] = graph.node_size();
  doc["ops"] = Histogram(ops);
  doc["placeholders"] = std::move(placeholders);
  if (with_sinks) {
    auto view = converter::TfGraph::Build(graph);
    if (view.ok()) {
      Doc sinks = Doc::array();
      for (const auto* n : view->Sinks()) {
        sinks.push_back({{"name", absl::StrCat(n->name(), ":0")}, {"op", n->op()}});
      }
      doc["sinks"] = std::move(sinks);
    } else {
      doc["sinks_error"] = std::string(view.status().message());
    }
  }
  doc["function_library"] = std::move(functions);
  doc["control_flow_ops"] = std::vector<std::string>(control_flow.begin(), control_flow.end());
  return doc;
}

void PrintGraphDef(const Doc& doc, TextView& view) {
  view.Line(0, absl::StrCat(doc["path"].get<std::string>(), ": TensorFlow GraphDef (",
                            doc["encoding"].get<std::string>(), "), ",
                            BytesText(doc["file_bytes"].get<int64_t>()), ", producer ",
                            doc["producer"].dump()));
  const Doc& ops = doc["ops"];
  view.Line(2, absl::StrCat("nodes: ", Thousands(doc["nodes"].get<int64_t>()), " (", ops.size(),
                            " op types)"));
  view.Line(2, absl::StrCat("ops:   ", view.Inline(HistogramItems(ops))));
  const Doc& placeholders = doc["placeholders"];
  view.Line(2, absl::StrCat("inputs (placeholders: ", placeholders.size(), ")", placeholders.empty() ? "" : ":"));
  std::vector<std::pair<std::string, std::string>> rows;
  for (const Doc& p : placeholders) {
    rows.emplace_back(p["name"].get<std::string>(),
                      absl::StrCat(p["dtype"].get<std::string>(), " ", ShapeText(p["shape"]),
                                   p.contains("has_default") ? " (has a default)" : ""));
  }
  view.Pairs(4, rows);
  if (doc.contains("sinks")) {
    const Doc& sinks = doc["sinks"];
    view.Line(2, absl::StrCat("likely outputs (sinks: ", sinks.size(), ")", sinks.empty() ? "" : ":"));
    rows.clear();
    for (const Doc& s : sinks) rows.emplace_back(s["name"].get<std::string>(), s["op"].get<std::string>());
    view.Pairs(4, rows);
  } else if (doc.contains("sinks_error")) {
    view.Line(2, absl::StrCat("likely outputs: unknown: ", doc["sinks_error"].get<std::string>()));
  }
  const std::vector<std::string> functions = Strings(doc["function_library"]);
  view.Line(2, absl::StrCat("function library: ",
                            functions.empty() ? "none" : absl::StrCat(functions.size(), " functions")));
  view.List(4, functions);
  const std::vector<std::string> cf = Strings(doc["control_flow_ops"]);
  view.Line(2, absl::StrCat("control flow: ", cf.empty() ? "none" : absl::StrJoin(cf, ", ")));
}

}  // namespace onnxsmith::cli::inspect
