#include "converter/keras/keras_converter.h"

#include <chrono>
#include <deque>
#include <map>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "common/timing.h"
#include "converter/emit/graph_builder.h"
#include "converter/emit/label_encoder.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"
#include "converter/keras/keras_model.h"
#include "converter/keras/layer_context.h"
#include "converter/keras/layer_registry.h"

namespace onnxsmith::converter {

namespace {

using keras::ConversionEnv;
using keras::Find;
using keras::InboundNode;
using keras::Json;
using keras::KerasLayerSpec;
using keras::KerasMask;
using keras::KerasModelFile;
using keras::KerasModelSpec;
using keras::KerasTensorRef;
using keras::LayerContext;
using keras::LayerHandler;
using keras::RunLayerHandler;
using keras::LayerRegistry;

// The registry key of a layer: Keras 3 operations applied to symbolic tensors
// (module keras.src.ops.*) are "ops.<Class>", so they never meet the layers of
// the same class name.
// Legacy .h5 configs written by Keras 3 drop the module: an operation is then
// told from a layer by its config, which lacks the "trainable" every layer saves.
std::string HandlerKey(const KerasLayerSpec& layer, int keras_major) {
  if (layer.module.rfind("keras.src.ops", 0) == 0) return "ops." + layer.class_name;
  // An unknown class saved like an operation is reported as one, not as custom code.
  if (keras_major >= 3 && layer.module.empty() && Find(*layer.config, "trainable") == nullptr &&
      (LayerRegistry::Global().Find("ops." + layer.class_name) != nullptr ||
       LayerRegistry::Global().Find(layer.class_name) == nullptr)) {
    return "ops." + layer.class_name;
  }
  return layer.class_name;
}

std::string DescribeUnsupported(const std::string& key, const std::vector<std::string>& names,
                                const KerasLayerSpec& example) {
  std::vector<std::string> shown(names.begin(), names.begin() + std::min<size_t>(names.size(), 3));
  const std::string which = absl::StrCat("layer", names.size() == 1 ? " '" : "s '",
                                         absl::StrJoin(shown, "', '"), "'",
                                         names.size() > 3 ? ", ..." : "");
  const std::string saved_model_hint =
      "export the model as a TensorFlow SavedModel instead (model.export(\"dir\") in Keras 3, "
      "tf.saved_model.save(model, \"dir\") in Keras 2) and convert it with --saved-model, "
      "which holds the traced graph";
  const std::string& cls = example.class_name;
  if (cls == "Lambda") {
    return absl::StrCat("  ", which, " (class Lambda): a Lambda layer holds Python code (a "
                        "marshalled function), which onnxsmith cannot run or translate; ",
                        saved_model_hint);
  }
  if (cls == "TFOpLambda" || cls == "SlicingOpLambda" || cls == "ClassMethod" ||
      cls == "InstanceMethod" || cls == "InstanceProperty") {
    return absl::StrCat("  ", which, " (class ", cls,
                        "): a TensorFlow function applied to a Keras tensor, recorded as Python "
                        "call by name; ", saved_model_hint);
  }
  if (key.rfind("ops.", 0) == 0) {
    const auto op_reason = keras::UnconvertedKerasOps().find(cls);
    return absl::StrCat("  ", which, " (Keras 3 operation ", cls,
                        example.module.empty() ? std::string(", a keras.ops call saved in .h5")
                                               : absl::StrCat(" from ", example.module),
                        "): not supported yet",
                        op_reason == keras::UnconvertedKerasOps().end()
                            ? std::string()
                            : absl::StrCat(" (", op_reason->second, ")"),
                        "; ", saved_model_hint);
  }
  const bool keras_module = example.module.empty() || example.module.rfind("keras", 0) == 0;
  const bool registered_custom =
      !example.registered_name.empty() && example.registered_name != cls &&
      example.registered_name.find('>') != std::string::npos;
  if (auto it = keras::UnconvertedKerasClasses().find(cls);
      it != keras::UnconvertedKerasClasses().end() && keras_module && !registered_custom) {
    return absl::StrCat("  ", which, " (class ", cls, "): this Keras layer is not supported yet "
                        "by the Keras converter (", it->second, "); ", saved_model_hint);
  }
  std::string origin;
  if (!example.module.empty()) origin = absl::StrCat(", module '", example.module, "'");
  if (!example.registered_name.empty() && example.registered_name != cls) {
    absl::StrAppend(&origin, ", registered as '", example.registered_name, "'");
  }
  return absl::StrCat("  ", which, " (class ", cls, origin,
                      "): a custom layer class, whose call() is Python code that a Keras file "
                      "does not contain, so it cannot be converted from this file; ",
                      saved_model_hint);
}

ir::DataType KerasDtype(const Json* dtype, bool* ok) {
  *ok = true;
  std::string name = "float32";
  if (dtype != nullptr && dtype->is_string()) name = dtype->get<std::string>();
  if (dtype != nullptr && dtype->is_object()) {
    if (const Json* cfg = Find(*dtype, "config")) {
      if (const Json* n = Find(*cfg, "name"); n && n->is_string()) name = n->get<std::string>();
    }
  }
  if (name.rfind("mixed_", 0) == 0) name = "float32";
  static const std::map<std::string, ir::DataType> kTypes = {
      {"float32", ir::DataType::kFloat},   {"float16", ir::DataType::kFloat16},
      {"float64", ir::DataType::kDouble},  {"bfloat16", ir::DataType::kBfloat16},
      {"int8", ir::DataType::kInt8},       {"int16", ir::DataType::kInt16},
      {"int32", ir::DataType::kInt32},     {"int64", ir::DataType::kInt64},
      {"uint8", ir::DataType::kUint8},     {"uint16", ir::DataType::kUint16},
      {"uint32", ir::DataType::kUint32},   {"uint64", ir::DataType::kUint64},
      {"bool", ir::DataType::kBool},       {"string", ir::DataType::kString}};
  auto it = kTypes.find(name);
  if (it == kTypes.end()) {
    *ok = false;
    return ir::DataType::kUndefined;
  }
  return it->second;
}

struct Value {
  std::string value;
  std::optional<KerasMask> mask;
};

using CallKey = std::pair<std::string, int>;

class KerasConverter {
 public:
  KerasConverter(const KerasModelFile& file, const ConvertOptions& options,
                 ConversionResult* result)
      : file_(file), options_(options), result_(result),
        builder_(&result->model.graph, options.opset) {
    env_.builder = &builder_;
    env_.opset = options.opset;
    env_.keras_major = file.keras_major();
    env_.keras_version = file.keras_version;
    env_.file = &file;
  }

  absl::Status Run() {
    auto start = std::chrono::steady_clock::now();
    auto spec = keras::ParseModelSpec(file_.config);
    if (!spec.ok()) return spec.status();
    spec_ = *std::move(spec);
    RETURN_IF_ERROR(CheckSupported());
    result_->stats.prune_ms = MsSince(start);

    start = std::chrono::steady_clock::now();
    ASSIGN_OR_RETURN(std::vector<KerasTensorRef> outputs, ResolveOutputs());
    ASSIGN_OR_RETURN(std::vector<Value> inputs, AddInputs());
    const std::vector<std::string> output_names = OutputNames(outputs);
    RETURN_IF_ERROR(CheckNchwLists(outputs, output_names));
    ASSIGN_OR_RETURN(std::vector<Value> values, ConvertModel(*spec_, inputs, outputs, "", 0));
    RETURN_IF_ERROR(AddOutputs(outputs, values, output_names));
    ir::Model& model = result_->model;
    model.graph.RemoveDeadNodes();
    RETURN_IF_ERROR(model.graph.TopologicalSort());
    model.opset_imports[""] = options_.opset;
    for (const auto& node : model.graph.nodes) {  // LabelEncoder (IntegerLookup, StringLookup)
      if (node->domain == "ai.onnx.ml") model.opset_imports["ai.onnx.ml"] = kLabelEncoderMlOpset;
    }
    model.ir_version = ir::IrVersionForOpset(options_.opset);
    model.graph.name = spec_->name.empty() ? "keras" : spec_->name;
    if (!options_.source.empty()) model.metadata["source"] = options_.source;
    if (!file_.keras_version.empty()) model.metadata["keras_version"] = file_.keras_version;
    result_->stats.convert_ms = MsSince(start);
    return absl::OkStatus();
  }

 private:
  // Every layer class (nested models included) must have a handler.
  absl::Status CheckSupported() {
    std::map<std::string, std::vector<std::string>> missing;
    std::map<std::string, const KerasLayerSpec*> example;
    int total = 0;
    CollectMissing(*spec_, "", &missing, &example, &total, 0);
    result_->stats.tf_nodes = total;
    if (missing.empty()) return absl::OkStatus();
    std::vector<std::string> parts;
    for (const auto& [key, names] : missing) {
      parts.push_back(DescribeUnsupported(key, names, *example[key]));
    }
    return absl::UnimplementedError(absl::StrCat(
        "cannot convert this Keras model: ", missing.size(), " layer class",
        missing.size() == 1 ? " has" : "es have", " no converter:\n", absl::StrJoin(parts, "\n")));
  }

  void CollectMissing(const KerasModelSpec& spec, const std::string& prefix,
                      std::map<std::string, std::vector<std::string>>* missing,
                      std::map<std::string, const KerasLayerSpec*>* example, int* total,
                      int depth) {
    for (const KerasLayerSpec& layer : spec.layers) {
      ++*total;
      if (layer.model) {
        if (depth < 64) {
          CollectMissing(*layer.model, prefix + layer.name + "/", missing, example, total,
                         depth + 1);
        }
        continue;
      }
      const std::string key = HandlerKey(layer, env_.keras_major);
      if (LayerRegistry::Global().Find(key) != nullptr) continue;
      (*missing)[key].push_back(prefix + layer.name);
      example->emplace(key, &layer);
    }
  }

  static bool MatchesName(const std::string& spec_name, const std::string& layer) {
    return spec_name == layer || spec_name == layer + ":0";
  }

  absl::StatusOr<std::vector<KerasTensorRef>> ResolveOutputs() {
    if (options_.outputs.empty()) return spec_->outputs;
    std::vector<KerasTensorRef> refs;
    for (const TensorSpec& out : options_.outputs) {
      const KerasLayerSpec* layer = spec_->Find(out.node);
      if (layer == nullptr) {
        return absl::NotFoundError(absl::StrCat("output '", out.node,
                                                "': the Keras model has no layer of that name"));
      }
      refs.push_back({out.node, 0, out.output});
    }
    return refs;
  }

  // Output names are the layer names ("layer_k" for output k > 0 of a
  // layer), made unique against the inputs and each other.
  static std::string LayerOutputName(const KerasTensorRef& ref) {
    return ref.tensor > 0 ? absl::StrCat(ref.layer, "_", ref.tensor) : ref.layer;
  }
  std::vector<std::string> OutputNames(const std::vector<KerasTensorRef>& refs) {
    std::set<std::string> used;
    for (const ir::ValueInfo& in : builder_.graph().inputs) used.insert(in.name);
    std::vector<std::string> names;
    for (const KerasTensorRef& ref : refs) {
      std::string name = LayerOutputName(ref);
      if (used.count(name)) {
        const std::string base = name + "_output";
        name = base;
        for (int k = 1; used.count(name); ++k) name = absl::StrCat(base, "_", k);
      }
      used.insert(name);
      names.push_back(std::move(name));
    }
    return names;
  }

  static bool OutputIsNchw(const std::string& entry, const KerasTensorRef& ref,
                           const std::string& name) {
    return MatchesName(entry, ref.layer) || entry == name;
  }

  // Every --inputs-as-nchw / --outputs-as-nchw entry must name an input /
  // output of the model.
  absl::Status CheckNchwLists(const std::vector<KerasTensorRef>& outputs,
                              const std::vector<std::string>& output_names) {
    std::vector<std::string> input_names;
    for (const ir::ValueInfo& in : builder_.graph().inputs) input_names.push_back(in.name);
    RETURN_IF_ERROR(CheckNchwList(options_.inputs_as_nchw, "--inputs-as-nchw", "input",
                                  input_names, [&](const std::string& entry, size_t i) {
                                    return MatchesName(entry, input_names[i]);
                                  }));
    return CheckNchwList(options_.outputs_as_nchw, "--outputs-as-nchw", "output", output_names,
                         [&](const std::string& entry, size_t i) {
                           return OutputIsNchw(entry, outputs[i], output_names[i]);
                         });
  }

  absl::StatusOr<std::vector<Value>> AddInputs() {
    std::vector<Value> values;
    std::set<std::string> seen;
    for (const KerasTensorRef& ref : spec_->inputs) {
      const KerasLayerSpec* layer = spec_->Find(ref.layer);
      if (layer->class_name != "InputLayer") {
        return absl::InvalidArgumentError(absl::StrCat(
            "model input '", ref.layer, "' is a ", layer->class_name, ", not an InputLayer"));
      }
      const std::string& name = layer->name;
      if (!seen.insert(name).second) {
        return absl::InvalidArgumentError(absl::StrCat("input layer '", name, "' listed twice"));
      }
      bool dtype_ok = true;
      const ir::DataType dtype = KerasDtype(Find(*layer->config, "dtype"), &dtype_ok);
      if (!dtype_ok) {
        return absl::UnimplementedError(absl::StrCat(
            "input layer '", name, "' has dtype ", keras::DumpJson(*Find(*layer->config, "dtype")),
            ", which has no ONNX counterpart here"));
      }
      std::optional<std::vector<int64_t>> dims = keras::InputLayerShape(*layer->config);
      for (const TensorSpec& in : options_.inputs) {
        if (!MatchesName(in.node, name) && in.tensor_name() != name) continue;
        if (!in.shape) continue;
        if (dims) {
          bool fits = dims->size() == in.shape->size();
          for (size_t k = 0; fits && k < dims->size(); ++k) {
            fits = (*dims)[k] < 0 || (*in.shape)[k] < 0 || (*dims)[k] == (*in.shape)[k];
          }
          if (!fits) {
            return absl::InvalidArgumentError(absl::StrCat(
                "shape override for input '", name, "' does not fit the model's input shape"));
          }
        }
        dims = in.shape;
      }
      for (const TensorSpec& in : options_.inputs) {
        bool known = false;
        for (const KerasTensorRef& r : spec_->inputs) known |= MatchesName(in.node, r.layer);
        if (!known) {
          return absl::NotFoundError(absl::StrCat("--inputs names '", in.node,
                                                  "', which is not an input layer of the model"));
        }
      }
      if (!dims) {
        return absl::InvalidArgumentError(absl::StrCat(
            "input layer '", name, "' has no shape; give it, e.g. --inputs ", name, "[1,224,224,3]"));
      }
      bool nchw = false;
      for (const std::string& n : options_.inputs_as_nchw) nchw |= MatchesName(n, name);
      auto to_type = [&](const std::vector<int64_t>& d) {
        ir::ValueType t;
        t.dtype = dtype;
        std::vector<ir::Dim> shape;
        for (int64_t v : d) shape.push_back(ir::Dim{v, ""});
        t.shape = std::move(shape);
        return t;
      };
      if (!nchw) {
        builder_.AddGraphInput(name, to_type(*dims));
        values.push_back({name, std::nullopt});
        continue;
      }
      const int rank = static_cast<int>(dims->size());
      if (rank < 3) {
        return absl::InvalidArgumentError(
            absl::StrCat("--inputs-as-nchw: input '", name, "' has rank ", rank, " (< 3)"));
      }
      std::vector<int64_t> nchw_dims;
      for (int64_t p : ChannelsLastToFirstPerm(rank)) nchw_dims.push_back((*dims)[p]);
      builder_.AddGraphInput(name, to_type(nchw_dims));
      std::string nhwc = builder_.AddNode(name + "/to_nhwc", "Transpose", "", {name}, 1,
                                          {ir::Attribute::Ints("perm", ChannelsFirstToLastPerm(rank))})[0];
      values.push_back({nhwc, std::nullopt});
    }
    // Output names are the layer names: keep generated values off them.
    for (const KerasTensorRef& ref : spec_->outputs) {
      if (!seen.count(ref.layer)) builder_.UniqueName(ref.layer);
    }
    return values;
  }

  absl::StatusOr<std::vector<Value>> ConvertModel(const KerasModelSpec& spec,
                                                  const std::vector<Value>& inputs,
                                                  const std::vector<KerasTensorRef>& outputs,
                                                  const std::string& prefix, int depth) {
    if (depth > 64) return absl::InvalidArgumentError("models nested too deeply");
    const std::string where = prefix.empty() ? "" : absl::StrCat(" of nested model '",
                                                                 prefix.substr(0, prefix.size() - 1), "'");
    if (inputs.size() != spec.inputs.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "model '", spec.name, "'", where, " takes ", spec.inputs.size(), " input",
          spec.inputs.size() == 1 ? "" : "s", ", called with ", inputs.size()));
    }
    absl::flat_hash_map<CallKey, std::vector<Value>> done;
    for (size_t i = 0; i < inputs.size(); ++i) {
      const KerasTensorRef& ref = spec.inputs[i];
      auto& slot = done[CallKey{ref.layer, ref.node}];
      if (static_cast<int>(slot.size()) <= ref.tensor) slot.resize(ref.tensor + 1);
      slot[ref.tensor] = inputs[i];
    }
    // The calls the outputs need.
    std::vector<CallKey> stack;
    absl::flat_hash_set<CallKey> needed;
    for (const KerasTensorRef& ref : outputs) stack.push_back({ref.layer, ref.node});
    auto refs_of = [](const InboundNode& node) {
      std::vector<KerasTensorRef> refs = node.args;
      for (const auto& [k, r] : node.kwarg_tensors) refs.push_back(r);
      return refs;
    };
    while (!stack.empty()) {
      CallKey key = stack.back();
      stack.pop_back();
      if (done.count(key) || !needed.insert(key).second) continue;
      const KerasLayerSpec* layer = spec.Find(key.first);
      if (layer == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat("model '", spec.name, "'", where,
                                                       " refers to a missing layer '", key.first, "'"));
      }
      if (key.second < 0 || key.second >= static_cast<int>(layer->inbound.size())) {
        if (layer->class_name == "InputLayer") {
          return absl::InvalidArgumentError(absl::StrCat(
              "the outputs of model '", spec.name, "'", where, " need input layer '", key.first,
              "', which is not among the model's inputs"));
        }
        return absl::InvalidArgumentError(absl::StrCat(
            "model '", spec.name, "'", where, " refers to call #", key.second, " of layer '",
            key.first, "', which has ", layer->inbound.size()));
      }
      for (const KerasTensorRef& r : refs_of(layer->inbound[key.second])) {
        stack.push_back({r.layer, r.node});
      }
    }
    // Topological order (Kahn), ties broken by config order.
    std::vector<CallKey> order(needed.begin(), needed.end());
    std::sort(order.begin(), order.end(), [&](const CallKey& a, const CallKey& b) {
      const int ia = spec.index.at(a.first), ib = spec.index.at(b.first);
      return ia != ib ? ia < ib : a.second < b.second;
    });
    absl::flat_hash_map<CallKey, int> pending;
    absl::flat_hash_map<CallKey, std::vector<CallKey>> consumers;
    for (const CallKey& key : order) {
      const KerasLayerSpec* layer = spec.Find(key.first);
      std::set<CallKey> producers;
      for (const KerasTensorRef& r : refs_of(layer->inbound[key.second])) {
        CallKey p{r.layer, r.node};
        if (needed.count(p)) producers.insert(p);
      }
      pending[key] = static_cast<int>(producers.size());
      for (const CallKey& p : producers) consumers[p].push_back(key);
    }
    std::deque<CallKey> ready;
    for (const CallKey& key : order) {
      if (pending[key] == 0) ready.push_back(key);
    }
    size_t converted = 0;
    while (!ready.empty()) {
      CallKey key = ready.front();
      ready.pop_front();
      RETURN_IF_ERROR(ConvertCall(spec, *spec.Find(key.first), key.second, prefix, depth, &done));
      ++converted;
      for (const CallKey& c : consumers[key]) {
        if (--pending[c] == 0) ready.push_back(c);
      }
    }
    if (converted != order.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("model '", spec.name, "'", where, ": the layer graph has a cycle"));
    }
    std::vector<Value> out;
    for (const KerasTensorRef& ref : outputs) {
      ASSIGN_OR_RETURN(Value v, Lookup(done, ref, spec, where));
      out.push_back(std::move(v));
    }
    return out;
  }

  absl::StatusOr<Value> Lookup(const absl::flat_hash_map<CallKey, std::vector<Value>>& done,
                               const KerasTensorRef& ref, const KerasModelSpec& spec,
                               const std::string& where) {
    auto it = done.find(CallKey{ref.layer, ref.node});
    if (it == done.end() || ref.tensor >= static_cast<int>(it->second.size()) ||
        it->second[ref.tensor].value.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "model '", spec.name, "'", where, " reads output ", ref.tensor, " of call #", ref.node,
          " of layer '", ref.layer, "', which the layer does not produce"));
    }
    return it->second[ref.tensor];
  }

  absl::Status ConvertCall(const KerasModelSpec& spec, const KerasLayerSpec& layer, int node_index,
                           const std::string& prefix, int depth,
                           absl::flat_hash_map<CallKey, std::vector<Value>>* done) {
    const InboundNode& node = layer.inbound[node_index];
    const std::string where = prefix.empty() ? "" : absl::StrCat(" of nested model '",
                                                                 prefix.substr(0, prefix.size() - 1), "'");
    std::vector<Value> inputs;
    for (const KerasTensorRef& r : node.args) {
      ASSIGN_OR_RETURN(Value v, Lookup(*done, r, spec, where));
      inputs.push_back(std::move(v));
    }
    const std::string path = prefix + layer.name;
    ++result_->stats.tf_nodes_used;
    if (layer.model) {
      ++result_->stats.tf_ops[layer.class_name];
      ASSIGN_OR_RETURN(std::vector<Value> outs,
                       ConvertModel(*layer.model, inputs, layer.model->outputs, path + "/", depth + 1));
      (*done)[CallKey{layer.name, node_index}] = std::move(outs);
      return absl::OkStatus();
    }
    std::vector<std::pair<std::string, std::string>> kwargs;
    for (const auto& [key, r] : node.kwarg_tensors) {
      ASSIGN_OR_RETURN(Value v, Lookup(*done, r, spec, where));
      kwargs.emplace_back(key, v.value);
    }
    std::vector<std::string> values;
    std::vector<std::optional<KerasMask>> masks;
    for (Value& v : inputs) {
      values.push_back(v.value);
      masks.push_back(v.mask);
    }
    auto w = file_.weights.find(path);
    const std::vector<keras::KerasWeight>* weights = w == file_.weights.end() ? nullptr : &w->second;
    const LayerHandler* handler = LayerRegistry::Global().Find(HandlerKey(layer, env_.keras_major));
    if (handler == nullptr) {
      return absl::UnimplementedError(absl::StrCat("no handler for ", layer.class_name));
    }
    LayerContext ctx(layer, node, node_index, path, std::move(values), std::move(masks),
                     std::move(kwargs), weights, &env_);
    RETURN_IF_ERROR(RunLayerHandler(*handler, ctx));
    ++result_->stats.tf_ops[layer.class_name];
    std::vector<Value> outs;
    for (size_t k = 0; k < ctx.outputs().size(); ++k) {
      outs.push_back({ctx.outputs()[k], ctx.output_masks()[k]});
    }
    if (outs.empty()) return ctx.Error("the handler produced no output");
    (*done)[CallKey{layer.name, node_index}] = std::move(outs);
    return absl::OkStatus();
  }

  absl::Status AddOutputs(const std::vector<KerasTensorRef>& refs, const std::vector<Value>& values,
                          const std::vector<std::string>& names) {
    for (size_t i = 0; i < refs.size(); ++i) {
      const std::string& name = names[i];
      // A name made unique (not the layer's own) must not be taken by a new value.
      if (name != LayerOutputName(refs[i])) builder_.UniqueName(name);
      std::string v = values[i].value;
      bool nchw = false;
      for (const std::string& n : options_.outputs_as_nchw) nchw |= OutputIsNchw(n, refs[i], name);
      if (nchw) {
        ASSIGN_OR_RETURN(v, builder_.TransposeToNchw(v, name));
      }
      builder_.AddGraphOutput(v, name, name + "/output");
    }
    builder_.FinishOutputs();
    return absl::OkStatus();
  }

  const KerasModelFile& file_;
  const ConvertOptions& options_;
  ConversionResult* result_;
  GraphBuilder builder_;
  ConversionEnv env_;
  std::shared_ptr<KerasModelSpec> spec_;
};

}  // namespace

absl::StatusOr<ConversionResult> ConvertKerasModel(const keras::KerasModelFile& file,
                                                   const ConvertOptions& options) {
  RETURN_IF_ERROR(CheckOpset(options.opset));
  ConversionResult result;
  KerasConverter converter(file, options, &result);
  absl::Status status = converter.Run();
  if (!status.ok()) {
    return absl::Status(status.code(), absl::StrCat(file.path, ": ", status.message()));
  }
  return result;
}

absl::StatusOr<ConversionResult> ConvertKeras(const std::string& path,
                                              const ConvertOptions& options) {
  auto file = keras::ReadKeras(path);
  if (!file.ok()) return file.status();
  ConvertOptions opts = options;
  if (opts.source.empty()) opts.source = path;
  return ConvertKerasModel(*file, opts);
}

}  // namespace onnxsmith::converter
