#include "converter/tf_converter.h"

#include <algorithm>
#include <chrono>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "common/timing.h"
#include "converter/control_flow/function_body.h"
#include "converter/control_flow/raise_control_flow.h"
#include "converter/emit/graph_builder.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"
#include "converter/node_converter.h"
#include "converter/tf/function_inliner.h"
#include "converter/tf/tensor_convert.h"
#include "converter/tf/tf_graph.h"

namespace onnxsmith::converter {
namespace {

TensorRef ToRef(const TensorSpec& spec) { return TensorRef{spec.node, spec.output}; }

// The dtype of output `k` of a node that is cut to become a graph input.
absl::StatusOr<ir::DataType> OutputDtype(const tf::NodeDef& node, int k) {
  for (const char* attr : {"dtype", "T", "out_type", "output_type", "DstT", "Tout"}) {
    auto it = node.attr().find(attr);
    if (it != node.attr().end() && it->second.value_case() == tf::AttrValue::kType) {
      return ToOnnxType(it->second.type());
    }
  }
  auto it = node.attr().find("_output_types");
  if (it != node.attr().end() && it->second.list().type_size() > k) {
    return ToOnnxType(it->second.list().type(k));
  }
  // Ops without a type attribute (e.g. Mfcc) produce float.
  return ir::DataType::kFloat;
}

std::optional<std::vector<int64_t>> OutputShapeHint(const tf::NodeDef& node, int k) {
  if (node.op() == "Placeholder" || node.op() == "PlaceholderWithDefault") {
    auto it = node.attr().find("shape");
    if (it != node.attr().end() && it->second.has_shape()) return ToDims(it->second.shape());
  }
  auto it = node.attr().find("_output_shapes");
  if (it != node.attr().end() && it->second.list().shape_size() > k) {
    return ToDims(it->second.list().shape(k));
  }
  return std::nullopt;
}

std::vector<int64_t> Permute(const std::vector<int64_t>& dims, const std::vector<int64_t>& perm) {
  std::vector<int64_t> out;
  for (int64_t p : perm) out.push_back(dims[p]);
  return out;
}

absl::Status CheckSupported(const std::vector<const tf::NodeDef*>& nodes,
                            const ConvertOptions& options) {
  const HandlerRegistry& registry = HandlerRegistry::Global();
  std::map<std::string, std::vector<std::string>> missing;
  for (const tf::NodeDef* n : nodes) {
    if (options.custom_ops.count(n->op())) continue;
    if (registry.Find(n->op(), options.opset) == nullptr) missing[n->op()].push_back(n->name());
  }
  if (missing.empty()) return absl::OkStatus();
  std::vector<std::string> parts;
  std::vector<std::string> op_names;
  for (const auto& [op, names] : missing) {
    std::vector<std::string> shown(names.begin(), names.begin() + std::min<size_t>(names.size(), 3));
    parts.push_back(absl::StrCat("  ", op, " x", names.size(), " (", absl::StrJoin(shown, ", "),
                                 names.size() > 3 ? ", ..." : "", ")"));
    op_names.push_back(op);
  }
  std::string opset_note;
  for (const auto& op : op_names) {
    if (registry.Has(op)) {
      opset_note = absl::StrCat("\nsome of these convert at other opsets: see docs/support_status.md");
      break;
    }
  }
  return absl::UnimplementedError(absl::StrCat(
      missing.size(), " unsupported TensorFlow op type", missing.size() == 1 ? "" : "s",
      " at opset ", options.opset, ":\n", absl::StrJoin(parts, "\n"), opset_note,
      "\nto pass them through unconverted into a custom ONNX domain, use --custom-ops ",
      absl::StrJoin(op_names, ",")));
}

// Copies the attributes ONNX can carry, for a passed-through custom op.
std::vector<ir::Attribute> CustomOpAttributes(const tf::NodeDef& node) {
  std::vector<ir::Attribute> attrs;
  for (const auto& [name, value] : node.attr()) {
    if (!name.empty() && name[0] == '_') continue;
    switch (value.value_case()) {
      case tf::AttrValue::kI: attrs.push_back(ir::Attribute::Int(name, value.i())); break;
      case tf::AttrValue::kF: attrs.push_back(ir::Attribute::Float(name, value.f())); break;
      case tf::AttrValue::kB: attrs.push_back(ir::Attribute::Int(name, value.b())); break;
      case tf::AttrValue::kS: attrs.push_back(ir::Attribute::String(name, value.s())); break;
      case tf::AttrValue::kType: {
        auto t = ToOnnxType(value.type());
        if (t.ok()) attrs.push_back(ir::Attribute::Int(name, static_cast<int64_t>(*t)));
        break;
      }
      case tf::AttrValue::kList:
        if (value.list().i_size() > 0) {
          attrs.push_back(ir::Attribute::Ints(
              name, {value.list().i().begin(), value.list().i().end()}));
        } else if (value.list().f_size() > 0) {
          attrs.push_back(ir::Attribute::Floats(
              name, {value.list().f().begin(), value.list().f().end()}));
        }
        break;
      default: break;
    }
  }
  std::sort(attrs.begin(), attrs.end(),
            [](const ir::Attribute& a, const ir::Attribute& b) { return a.name < b.name; });
  return attrs;
}

class Converter {
 public:
  Converter(const tf::GraphDef& graph_def, const ConvertOptions& options, const OpCatalog* catalog,
            ConversionResult* result)
      : graph_def_(graph_def), options_(options), result_(result),
        builder_(&result->model.graph, options.opset), functions_{catalog, 0, &ConvertTfNode} {}

  absl::Status Run() {
    auto start = std::chrono::steady_clock::now();
    ASSIGN_OR_RETURN(TfGraph graph, TfGraph::Build(graph_def_));
    graph_ = &graph;
    RETURN_IF_ERROR(ResolveOutputs());
    RETURN_IF_ERROR(ResolveInputs());
    RETURN_IF_ERROR(CheckNchwLists());
    absl::flat_hash_set<std::string> cut;
    for (const TensorSpec& in : inputs_) cut.insert(in.tensor_name());
    std::vector<TensorRef> out_refs;
    for (const TensorSpec& out : outputs_) out_refs.push_back(ToRef(out));
    std::vector<const tf::NodeDef*> needed = graph.Needed(out_refs, cut);
    // A chosen input whose node is otherwise unneeded must not be converted.
    std::vector<const tf::NodeDef*> to_convert;
    for (const tf::NodeDef* n : needed) {
      bool is_input_node = false;
      for (const TensorSpec& in : inputs_) is_input_node |= in.node == n->name();
      if (!(is_input_node && (n->op() == "Placeholder" || n->op() == "PlaceholderWithDefault"))) {
        to_convert.push_back(n);
      }
    }
    RETURN_IF_ERROR(CheckUnfedPlaceholders(to_convert));
    RETURN_IF_ERROR(CheckSupported(to_convert, options_));
    ASSIGN_OR_RETURN(std::vector<const tf::NodeDef*> order, graph.TopologicalOrder(to_convert, cut));
    auto& stats = result_->stats;
    stats.tf_nodes = graph_def_.node_size();
    stats.tf_nodes_used = static_cast<int>(order.size());
    for (const tf::NodeDef* n : order) ++stats.tf_ops[n->op()];
    stats.prune_ms = MsSince(start);

    start = std::chrono::steady_clock::now();
    // Output names are the TF tensor names; keep generated values off them.
    for (const TensorSpec& out : outputs_) {
      if (!cut.count(out.tensor_name())) builder_.UniqueName(OnnxName(out.tensor_name()));
    }
    for (const TensorSpec& in : inputs_) {
      if (OnnxName(in.tensor_name()) != in.tensor_name()) {
        builder_.UniqueName(OnnxName(in.tensor_name()));
      }
    }
    RETURN_IF_ERROR(AddInputs());
    for (const tf::NodeDef* n : order) RETURN_IF_ERROR(ConvertNode(*n));
    RETURN_IF_ERROR(AddOutputs());
    ir::Model& model = result_->model;
    model.graph.RemoveDeadNodes();
    RETURN_IF_ERROR(model.graph.TopologicalSort());
    model.opset_imports[""] = options_.opset;
    for (const std::string& op : stats.custom_ops) {
      model.opset_imports[options_.custom_ops.at(op)] = 1;
    }
    for (const auto& node : model.graph.nodes) {  // LabelEncoder (lookup tables)
      if (node->domain == "ai.onnx.ml") model.opset_imports["ai.onnx.ml"] = 2;
    }
    model.ir_version = ir::IrVersionForOpset(options_.opset);
    model.graph.name = "tf2onnx";
    if (!options_.source.empty()) model.metadata["source"] = options_.source;
    stats.convert_ms = MsSince(start);
    return absl::OkStatus();
  }

 private:
  absl::Status ResolveOutputs() {
    outputs_ = options_.outputs;
    if (outputs_.empty()) {
      for (const tf::NodeDef* n : graph_->Sinks()) outputs_.push_back(TensorSpec{n->name(), 0, {}});
      if (outputs_.empty()) {
        return absl::InvalidArgumentError("the graph has no output node; name one with --outputs");
      }
    }
    for (const TensorSpec& out : outputs_) {
      if (graph_->Find(out.node) == nullptr) {
        return absl::NotFoundError(absl::StrCat("output '", out.tensor_name(),
                                                "': no node named '", out.node, "' in the graph"));
      }
    }
    return absl::OkStatus();
  }

  absl::Status ResolveInputs() {
    inputs_ = options_.inputs;
    for (const TensorSpec& in : inputs_) {
      if (graph_->Find(in.node) == nullptr) {
        return absl::NotFoundError(absl::StrCat("input '", in.tensor_name(),
                                                "': no node named '", in.node, "' in the graph"));
      }
    }
    if (!inputs_.empty()) return absl::OkStatus();
    std::vector<TensorRef> out_refs;
    for (const TensorSpec& out : outputs_) out_refs.push_back(ToRef(out));
    for (const tf::NodeDef* n : graph_->Needed(out_refs, {})) {
      if (n->op() == "Placeholder") inputs_.push_back(TensorSpec{n->name(), 0, {}});
    }
    return absl::OkStatus();
  }

  absl::Status CheckUnfedPlaceholders(const std::vector<const tf::NodeDef*>& nodes) {
    for (const tf::NodeDef* n : nodes) {
      if (n->op() == "Placeholder") {
        return absl::InvalidArgumentError(absl::StrCat(
            "placeholder '", n->name(), "' is needed by the outputs but is not among --inputs"));
      }
    }
    return absl::OkStatus();
  }

  // The ONNX name of a graph input/output (the tensor name unless renamed).
  std::string OnnxName(const std::string& tensor) const {
    auto it = options_.onnx_names.find(tensor);
    return it == options_.onnx_names.end() ? tensor : it->second;
  }

  bool IsNchw(const std::vector<std::string>& list, const std::string& tensor) const {
    for (const std::string& s : list) {
      auto ref = ParseTensorRef(s);
      if ((ref && ref->name() == tensor) || s == OnnxName(tensor)) return true;
    }
    return false;
  }

  // Every --inputs-as-nchw / --outputs-as-nchw entry must name one of the
  // graph's inputs / outputs.
  absl::Status CheckNchwLists() const {
    auto check = [&](const std::vector<std::string>& list, const std::vector<TensorSpec>& specs,
                     const char* flag, const char* what) -> absl::Status {
      std::vector<std::string> names;
      for (const TensorSpec& t : specs) names.push_back(OnnxName(t.tensor_name()));
      return CheckNchwList(list, flag, what, names, [&](const std::string& entry, size_t i) {
        return IsNchw({entry}, specs[i].tensor_name());
      });
    };
    RETURN_IF_ERROR(check(options_.inputs_as_nchw, inputs_, "--inputs-as-nchw", "input"));
    return check(options_.outputs_as_nchw, outputs_, "--outputs-as-nchw", "output");
  }

  absl::Status AddInputs() {
    for (const TensorSpec& in : inputs_) {
      const tf::NodeDef& node = *graph_->Find(in.node);
      auto dtype = OutputDtype(node, in.output);
      if (!dtype.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("input '", in.tensor_name(), "': ", dtype.status().message()));
      }
      if (*dtype == ir::DataType::kComplex64 || *dtype == ir::DataType::kComplex128) {
        return absl::UnimplementedError(absl::StrCat(
            "input '", in.tensor_name(),
            "' is complex; ONNX graph inputs are real here: feed the real and imaginary parts "
            "as two inputs and join them with tf.complex"));
      }
      std::optional<std::vector<int64_t>> hint = OutputShapeHint(node, in.output);
      if (in.shape && hint) RETURN_IF_ERROR(CheckOverride(in, *hint));
      std::optional<std::vector<int64_t>> dims = in.shape ? in.shape : hint;
      const std::string name = in.tensor_name();
      if (!dims) {
        // ONNX graph inputs must have a rank (the checker enforces it).
        return absl::InvalidArgumentError(absl::StrCat(
            "input '", name, "' has unknown rank; give its shape, e.g. --inputs ", name,
            "[1,-1]"));
      }
      const std::string onnx_name = OnnxName(name);
      if (!IsNchw(options_.inputs_as_nchw, name)) {
        builder_.AddGraphInput(onnx_name, ToValueType(*dtype, dims));
        builder_.BindTfOutput(name, onnx_name);
        continue;
      }
      if (dims->size() < 3) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--inputs-as-nchw: input '", name, "' needs a known rank >= 3 (give its shape)"));
      }
      const int rank = static_cast<int>(dims->size());
      builder_.AddGraphInput(onnx_name,
                             ToValueType(*dtype, Permute(*dims, ChannelsLastToFirstPerm(rank))));
      std::string nhwc = builder_.AddNode(name + "/to_nhwc", "Transpose", "", {onnx_name}, 1,
                                          {ir::Attribute::Ints("perm", ChannelsFirstToLastPerm(rank))})[0];
      builder_.BindTfOutput(name, nhwc);
    }
    return absl::OkStatus();
  }

  // An override may refine unknown dims, never contradict the graph.
  static absl::Status CheckOverride(const TensorSpec& spec, const std::vector<int64_t>& declared) {
    bool ok = spec.shape->size() == declared.size();
    for (size_t k = 0; ok && k < declared.size(); ++k) {
      const int64_t want = (*spec.shape)[k];
      ok = declared[k] < 0 || want < 0 || want == declared[k];
    }
    if (ok) return absl::OkStatus();
    std::vector<std::string> dims;
    for (int64_t d : declared) dims.push_back(d < 0 ? "?" : absl::StrCat(d));
    return absl::InvalidArgumentError(absl::StrCat(
        "shape override for '", spec.tensor_name(), "' does not fit the graph's shape [",
        absl::StrJoin(dims, ","), "]"));
  }

  absl::Status ConvertNode(const tf::NodeDef& node) {
    std::vector<std::string> inputs;
    for (const TensorRef& in : graph_->DataInputs(&node)) {
      const std::string* value = builder_.FindTfOutput(in.name());
      if (value == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(
            "node '", node.name(), "' (", node.op(), ") reads '", in.name(),
            "', which its producer does not output"));
      }
      inputs.push_back(*value);
    }
    if (node.op() == "Const" && options_.const_values != nullptr) {
      // A value kept beside the graph: the initializer shares its buffer.
      auto it = options_.const_values->find(node.name());
      if (it != options_.const_values->end()) {
        builder_.BindTfOutput(absl::StrCat(node.name(), ":0"),
                              builder_.AddConst(it->second, absl::StrCat(node.name(), "/value")));
        return absl::OkStatus();
      }
    }
    auto custom = options_.custom_ops.find(node.op());
    if (custom != options_.custom_ops.end()) {
      if (std::find(result_->stats.custom_ops.begin(), result_->stats.custom_ops.end(),
                    node.op()) == result_->stats.custom_ops.end()) {
        result_->stats.custom_ops.push_back(node.op());
      }
      const int num_outputs = graph_->MaxOutputRead(node.name()) + 1;
      auto outs = builder_.AddNode(node.name(), node.op(), custom->second, std::move(inputs),
                                   num_outputs, CustomOpAttributes(node));
      for (int k = 0; k < num_outputs; ++k) {
        builder_.BindTfOutput(absl::StrCat(node.name(), ":", k), outs[k]);
        // What TF's attributes tell of a custom op's outputs is all we know.
        auto dtype = OutputDtype(node, k);
        if (dtype.ok()) builder_.SetType(outs[k], ToValueType(*dtype, OutputShapeHint(node, k)));
      }
      return absl::OkStatus();
    }
    return ConvertTfNode(node, std::move(inputs), options_.opset, &builder_, &functions_,
                         &graph_def_);
  }

  absl::Status AddOutputs() {
    for (const TensorSpec& out : outputs_) {
      const std::string name = out.tensor_name();
      const std::string* value = builder_.FindTfOutput(name);
      if (value == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("output '", name, "' is not produced by node '", out.node, "'"));
      }
      std::string v = *value;
      if (IsNchw(options_.outputs_as_nchw, name)) {
        ASSIGN_OR_RETURN(v, builder_.TransposeToNchw(v, name));
      }
      if (out.shape) {
        // --outputs y:0[...] declares a shape inference could not find.
        ir::ValueType type = builder_.TypeOf(v);
        if (type.dtype == ir::DataType::kUndefined) {
          auto dtype = OutputDtype(*graph_->Find(out.node), out.output);
          if (dtype.ok()) type.dtype = *dtype;
        }
        if (type.shape && type.rank() != static_cast<int>(out.shape->size())) {
          return absl::InvalidArgumentError(absl::StrCat("shape given for output '", name,
                                                         "' has rank ", out.shape->size(),
                                                         ", the converted value has rank ",
                                                         *type.rank()));
        }
        if (!type.shape) type.shape = ToValueType(type.dtype, out.shape).shape;
        builder_.SetType(v, type);
      }
      // Output names are the TF tensor names unless renamed.
      builder_.AddGraphOutput(v, OnnxName(name), name + "/output");
    }
    builder_.FinishOutputs();
    return absl::OkStatus();
  }

  const tf::GraphDef& graph_def_;
  const ConvertOptions& options_;
  ConversionResult* result_;
  GraphBuilder builder_;
  const FunctionEnv functions_;
  const TfGraph* graph_ = nullptr;
  std::vector<TensorSpec> inputs_;
  std::vector<TensorSpec> outputs_;
};

}  // namespace

namespace {

// Raising TF1 control flow copies constants into the bodies, whose nodes
// convert from the GraphDef alone: give the side table's values back to
// their Consts (only graphs with TF1 control flow pay for this copy).
void MaterializeConstValues(const ConstValues& values, tf::GraphDef* graph) {
  for (tf::NodeDef& node : *graph->mutable_node()) {
    if (node.op() != "Const" || node.attr().count(kConstValueAttr) == 0) continue;
    auto it = values.find(node.name());
    if (it == values.end()) continue;
    const absl::string_view raw = it->second.raw();
    (*node.mutable_attr())["value"].mutable_tensor()->set_tensor_content(raw.data(), raw.size());
    node.mutable_attr()->erase(kConstValueAttr);
  }
}

}  // namespace

absl::Status CheckOpset(int opset) {
  if (opset >= kMinOpset && opset <= kMaxOpset) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "opset ", opset, " is out of range: onnxsmith emits opsets ", kMinOpset, " to ", kMaxOpset));
}

absl::StatusOr<ConversionResult> ConvertGraphDef(const tf::GraphDef& graph,
                                                 const ConvertOptions& options) {
  RETURN_IF_ERROR(CheckOpset(options.opset));
  // TF's rank limit, before any shape is built from an attribute.
  for (const tf::NodeDef& node : graph.node()) RETURN_IF_ERROR(CheckNodeRanks(node));
  for (const tf::FunctionDef& f : graph.library().function()) {
    for (const tf::NodeDef& node : f.node_def()) {
      if (absl::Status s = CheckNodeRanks(node); !s.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("function '", f.signature().name(), "': ", s.message()));
      }
    }
  }
  // A frozen graph may keep (Stateful)PartitionedCall nodes with their
  // functions in its library: inline them as the SavedModel loader does.
  // Control-flow bodies stay in the library for their handlers.
  const OpCatalog catalog(nullptr, &graph.library());
  const tf::GraphDef* source = &graph;
  tf::GraphDef inlined;
  bool has_calls = false;
  for (const tf::NodeDef& node : graph.node()) {
    has_calls |= catalog.CalledFunction(node) != nullptr || !OpCatalog::CallTarget(node).empty();
  }
  if (has_calls) {
    InlineOptions inline_options;
    inline_options.library_name = "the graph's function library";
    ASSIGN_OR_RETURN(inlined, InlineFunctionCalls(graph, catalog, inline_options));
    source = &inlined;
  }
  // PlaceholderV2 (TF's deprecated input op, a Placeholder's attributes) is
  // a Placeholder to everything downstream (inputs, cuts, inspection).
  tf::GraphDef renamed;
  if (std::any_of(source->node().begin(), source->node().end(),
                  [](const tf::NodeDef& n) { return n.op() == "PlaceholderV2"; })) {
    renamed = *source;
    for (tf::NodeDef& n : *renamed.mutable_node()) {
      if (n.op() == "PlaceholderV2") n.set_op("Placeholder");
    }
    source = &renamed;
  }
  ConversionResult result;
  if (control_flow::HasV1ControlFlow(*source)) {
    // TF1 loops, conditionals and TensorArrays convert in their functional form.
    tf::GraphDef functional = *source;
    if (options.const_values != nullptr) MaterializeConstValues(*options.const_values, &functional);
    absl::Status raised = control_flow::RaiseV1ControlFlow(&functional);
    if (raised.ok()) {
      const OpCatalog functional_catalog(nullptr, &functional.library());
      Converter converter(functional, options, &functional_catalog, &result);
      RETURN_IF_ERROR(converter.Run());
      return result;
    }
    // Control flow that cannot be rebuilt may lie outside what the outputs
    // need; otherwise its error is the one to tell.
    Converter converter(*source, options, &catalog, &result);
    if (converter.Run().ok()) return result;
    return raised;
  }
  Converter converter(*source, options, &catalog, &result);
  RETURN_IF_ERROR(converter.Run());
  return result;
}

}  // namespace onnxsmith::converter
