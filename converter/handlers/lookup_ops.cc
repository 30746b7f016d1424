// Lookup tables of text models: HashTableV2 initialized from constant keys
// and values (LookupTableImportV2 or InitializeTableV2, nodes off the data
// path, found in the GraphDef), LookupTableFindV2 as ai.onnx.ml LabelEncoder
// and LookupTableSizeV2 as a constant. The table handle itself becomes a
// placeholder constant no ONNX node reads (dead-code elimination drops it).
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"
#include "converter/emit/label_encoder.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"
#include "converter/tf/tensor_convert.h"
#include "ir/graph.h"
#include "ir/tensor.h"

namespace onnxsmith::converter {
namespace {

// "name", "name:0" or "^name" -> "name".
absl::string_view NodeName(absl::string_view input) {
  if (!input.empty() && input[0] == '^') input.remove_prefix(1);
  return input.substr(0, input.find(':'));
}

const tf::NodeDef* FindNode(const tf::GraphDef& g, absl::string_view name) {
  for (const tf::NodeDef& n : g.node()) {
    if (n.name() == name) return &n;
  }
  return nullptr;
}

struct TableContents {
  ir::Tensor keys;
  ir::Tensor values;
};

// The constant keys and values the table read by input 0 is initialized with.
absl::StatusOr<TableContents> FindTable(const NodeContext& ctx) {
  const tf::GraphDef* g = ctx.graph_def();
  if (g == nullptr || ctx.node().input_size() < 1) return ctx.Unsupported("a table without a graph");
  const tf::NodeDef* table = FindNode(*g, NodeName(ctx.node().input(0)));
  while (table != nullptr && table->op() == "Identity" && table->input_size() > 0) {
    table = FindNode(*g, NodeName(table->input(0)));
  }
  if (table == nullptr || (table->op() != "HashTableV2" && table->op() != "HashTable")) {
    return ctx.Unsupported("a table that is not a HashTableV2");
  }
  for (const tf::NodeDef& init : g->node()) {
    if ((init.op() != "LookupTableImportV2" && init.op() != "InitializeTableV2") ||
        init.input_size() < 3 || NodeName(init.input(0)) != table->name()) {
      continue;
    }
    TableContents contents;
    for (int i : {1, 2}) {
      const tf::NodeDef* c = FindNode(*g, NodeName(init.input(i)));
      if (c == nullptr || c->op() != "Const" || !c->attr().count("value")) {
        return ctx.Unsupported(absl::StrCat("table '", table->name(),
                                            "' initialized from non-constant keys or values"));
      }
      ASSIGN_OR_RETURN(ir::Tensor t, ToIrTensor(c->attr().at("value").tensor()));
      (i == 1 ? contents.keys : contents.values) = std::move(t);
    }
    return contents;
  }
  return ctx.Unsupported(absl::StrCat("table '", table->name(), "' without a constant initializer"));
}

absl::Status ConvertHashTable(NodeContext& ctx) {
  ctx.SetOutput(0, ctx.AddConst(ir::Tensor::FromStrings({}, {ctx.name()}), "table_handle"));
  return absl::OkStatus();
}

absl::Status ConvertLookupTableFind(NodeContext& ctx) {
  ASSIGN_OR_RETURN(const TableContents table, FindTable(ctx));
  const ir::Tensor* fallback = ctx.const_input(2);
  if (fallback == nullptr || fallback->num_elements() != 1) {
    return ctx.Unsupported("a default value that is not one constant");
  }
  auto out = EmitLabelEncoder(ctx, ctx.input(1), table.keys, table.values, *fallback);
  if (!out.ok()) return ctx.Unsupported(std::string(out.status().message()));
  ctx.SetOutput(0, *out);
  return absl::OkStatus();
}

absl::Status ConvertLookupTableSize(NodeContext& ctx) {
  ASSIGN_OR_RETURN(const TableContents table, FindTable(ctx));
  ctx.SetOutput(0, ctx.AddConst(ir::Tensor::Scalar<int64_t>(table.keys.num_elements()), "size"));
  return absl::OkStatus();
}

}  // namespace

void RegisterLookupOps(HandlerRegistry& r) {
  r.Register({"HashTableV2"}, kMinOpset, Inputs(0), ConvertHashTable);
  r.Register({"LookupTableFindV2"}, kMinOpset, Inputs(3), ConvertLookupTableFind);
  r.Register({"LookupTableSizeV2"}, kMinOpset, Inputs(1), ConvertLookupTableSize);
}

}  // namespace onnxsmith::converter
