#include "evaluator/evaluator.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "evaluator/half.h"
#include "evaluator/kernel.h"
#include "tbb/task_arena.h"

namespace onnxsmith::evaluator {

struct Evaluator::Arena {
  explicit Arena(int threads) : arena(threads) {}
  tbb::task_arena arena;
};

namespace {

// "node 'conv1' (Conv)", or "node #3 (Add, unnamed)".
std::string NodeLabel(const ir::Node& n, size_t index) {
  std::string label = absl::StrCat("node ", ir::DescribeNode(n, index));
  if (!n.name.empty()) absl::StrAppend(&label, " (", n.op_type, ")");
  return label;
}

absl::Status WithNode(const absl::Status& s, const std::string& label) {
  return absl::Status(s.code(), absl::StrCat(label, ": ", s.message()));
}

absl::Status CheckFeed(const std::string& name, const ir::Tensor& t, const ir::ValueType* type) {
  if (!type) return absl::OkStatus();
  if (type->dtype != ir::DataType::kUndefined && type->dtype != t.dtype()) {
    return absl::InvalidArgumentError(absl::StrCat("input '", name, "' must be ",
                                                   ir::DataTypeName(type->dtype), ", got ",
                                                   ir::DataTypeName(t.dtype())));
  }
  if (type->shape) {
    const auto& s = *type->shape;
    bool ok = s.size() == t.dims().size();
    for (size_t i = 0; ok && i < s.size(); ++i) ok = !s[i].known() || s[i].size == t.dims()[i];
    if (!ok) {
      std::vector<std::string> want;
      for (const ir::Dim& d : s) {
        want.push_back(d.known() ? absl::StrCat(d.size) : (d.param.empty() ? "?" : d.param));
      }
      return absl::InvalidArgumentError(absl::StrCat("input '", name, "' must have shape [",
                                                     absl::StrJoin(want, ","), "], got ",
                                                     DimsToString(t.dims())));
    }
  }
  return absl::OkStatus();
}

}  // namespace

struct Evaluator::Body {
  const ir::Graph* graph = nullptr;
  std::unique_ptr<Evaluator> ev;
  std::vector<int> parent_slots;  // per ev->outer_names_
};

// What a control-flow kernel runs its subgraphs through: the step's bodies,
// bound to the running graph's values.
class StepSubgraphs : public SubgraphRunner {
 public:
  StepSubgraphs(const Evaluator::Step& step, const std::vector<Array>& values)
      : step_(step), values_(values) {}
  absl::StatusOr<std::vector<Array>> Run(const ir::Graph& body,
                                         const std::vector<Array>& inputs) override {
    for (const auto& b : step_.bodies) {
      if (b->graph == &body) {
        auto out = b->ev->RunBody(inputs, values_, b->parent_slots);
        if (!out.ok()) {
          return absl::Status(out.status().code(), absl::StrCat("subgraph '", body.name, "': ",
                                                                out.status().message()));
        }
        return out;
      }
    }
    return absl::InternalError(absl::StrCat("subgraph '", body.name, "' was not prepared"));
  }

 private:
  const Evaluator::Step& step_;
  const std::vector<Array>& values_;
};

Evaluator::Evaluator(Evaluator&&) noexcept = default;
Evaluator& Evaluator::operator=(Evaluator&&) noexcept = default;
Evaluator::~Evaluator() = default;

absl::StatusOr<Evaluator> Evaluator::Create(const ir::Model& model, EvaluatorOptions options) {
  if (options.opset == 0) options.opset = model.opset();
  return Create(model.graph, std::move(options));
}

absl::StatusOr<Evaluator> Evaluator::Create(const ir::Graph& graph, EvaluatorOptions options) {
  return CreateScoped(graph, std::move(options), {}, nullptr);
}

absl::StatusOr<Evaluator> Evaluator::CreateScoped(const ir::Graph& graph, EvaluatorOptions options,
                                                  const absl::flat_hash_set<std::string>& outer,
                                                  std::shared_ptr<BufferPool> pool) {
  if (options.opset <= 0) {
    return absl::InvalidArgumentError("EvaluatorOptions.opset must be set (the model's ai.onnx opset)");
  }
  Evaluator ev;
  ev.options_ = options;
  ev.pool_ = pool ? std::move(pool) : BufferPool::Create(options.max_cached_bytes);
  const KernelRegistry& registry = KernelRegistry::Global();

  absl::flat_hash_map<std::string, int> slot;
  auto slot_of = [&](const std::string& name) {
    auto it = slot.find(name);
    if (it != slot.end()) return it->second;
    const int id = static_cast<int>(ev.slot_names_.size());
    slot.emplace(name, id);
    ev.slot_names_.push_back(name);
    ev.constants_.emplace_back();
    return id;
  };
  // Initializers and graph inputs.
  for (const auto& [name, tensor] : graph.initializers) {
    auto a = Array::FromTensor(tensor);
    if (!a.ok()) {
      return absl::Status(a.status().code(),
                          absl::StrCat("initializer '", name, "': ", a.status().message()));
    }
    ev.constants_[slot_of(name)] = *std::move(a);
  }
  for (const ir::ValueInfo& in : graph.inputs) {
    const int s = slot_of(in.name);
    ev.feed_slots_[in.name] = s;
    ev.input_types_[in.name] = in.type;
    ev.input_slots_.push_back(s);
    if (!graph.IsInitializer(in.name)) ev.required_inputs_.push_back(in);
  }
  std::vector<std::string> outer_sorted(outer.begin(), outer.end());
  std::sort(outer_sorted.begin(), outer_sorted.end());
  for (const std::string& name : outer_sorted) {
    if (graph.IsInitializer(name) || ev.feed_slots_.count(name)) continue;
    ev.outer_names_.push_back(name);
    ev.outer_slots_.push_back(slot_of(name));
  }
  auto defined_outside_nodes = [&](const std::string& name) {
    return graph.IsInitializer(name) || ev.feed_slots_.count(name) > 0 || outer.count(name) > 0;
  };
  // What each node reads: its inputs, then what its subgraphs read here.
  std::vector<std::vector<std::string>> implicit(graph.nodes.size());
  for (size_t i = 0; i < graph.nodes.size(); ++i) implicit[i] = ir::ImplicitInputs(*graph.nodes[i]);
  // Producers.
  absl::flat_hash_map<std::string, size_t> producer;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    for (const std::string& out : graph.nodes[i]->outputs) {
      if (out.empty()) continue;
      if (producer.count(out) || defined_outside_nodes(out)) {
        return absl::InvalidArgumentError(absl::StrCat(
            NodeLabel(*graph.nodes[i], i), ": value '", out, "' is defined more than once"));
      }
      producer[out] = i;
    }
  }
  // Requested outputs.
  ev.output_names_ = options.outputs;
  if (ev.output_names_.empty()) {
    for (const ir::ValueInfo& o : graph.outputs) ev.output_names_.push_back(o.name);
  }
  for (const std::string& o : ev.output_names_) {
    if (!producer.count(o) && !defined_outside_nodes(o)) {
      return absl::InvalidArgumentError(absl::StrCat("output '", o, "' is not computed by the graph"));
    }
  }
  // Nodes the outputs need, in dependency order (DFS post-order from the
  // outputs, stable with respect to the graph's order).
  std::vector<int> state(graph.nodes.size(), 0);  // 0 new, 1 visiting, 2 done
  std::vector<size_t> order;
  for (const std::string& o : ev.output_names_) {
    auto it = producer.find(o);
    if (it == producer.end()) continue;
    std::vector<std::pair<size_t, size_t>> stack{{it->second, 0}};
    while (!stack.empty()) {
      auto& [ni, next] = stack.back();
      if (next == 0) {
        if (state[ni] == 2) {
          stack.pop_back();
          continue;
        }
        state[ni] = 1;
      }
      const ir::Node& n = *graph.nodes[ni];
      if (next < n.inputs.size() + implicit[ni].size()) {
        const std::string& in = next < n.inputs.size() ? n.inputs[next]
                                                       : implicit[ni][next - n.inputs.size()];
        ++next;
        if (in.empty()) continue;
        auto p = producer.find(in);
        if (p == producer.end()) {
          if (!defined_outside_nodes(in)) {
            return absl::InvalidArgumentError(absl::StrCat(
                NodeLabel(n, ni), ": input '", in, "' is not defined by any node, initializer or graph input"));
          }
          continue;
        }
        if (state[p->second] == 1) {
          return absl::InvalidArgumentError(
              absl::StrCat(NodeLabel(n, ni), ": the graph has a cycle through '", in, "'"));
        }
        if (state[p->second] == 0) stack.push_back({p->second, 0});
        continue;
      }
      state[ni] = 2;
      order.push_back(ni);
      stack.pop_back();
    }
  }
  // Steps.
  for (size_t ni : order) {
    const ir::Node& src = *graph.nodes[ni];
    const KernelFn* fn = registry.Find(src.domain, src.op_type, options.opset);
    if (!fn) {
      return absl::UnimplementedError(absl::StrCat(
          NodeLabel(src, ni), ": op '", src.op_type, "'",
          src.domain.empty() || src.domain == "ai.onnx" ? "" : absl::StrCat(" of domain '", src.domain, "'"),
          " is not supported by the evaluator at opset ", options.opset));
    }
    ev.nodes_.push_back(std::make_unique<ir::Node>(src));
    if (ev.nodes_.back()->name.empty()) ev.nodes_.back()->name = absl::StrCat("#", ni);
    Step step;
    step.node = ev.nodes_.back().get();
    step.kernel = fn;
    for (const std::string& in : src.inputs) step.inputs.push_back(in.empty() ? -1 : slot_of(in));
    for (const std::string& out : src.outputs) step.outputs.push_back(out.empty() ? -1 : slot_of(out));
    for (const std::string& in : implicit[ni]) step.implicit.push_back(slot_of(in));
    for (const ir::Graph* sub : ir::Subgraphs(*step.node)) {
      EvaluatorOptions body_options = options;
      body_options.outputs.clear();
      body_options.num_threads = options.num_threads == 1 ? 1 : 0;
      body_options.profile = false;
      auto body_ev = CreateScoped(*sub, body_options, ir::OuterScopeReads(*sub), ev.pool_);
      if (!body_ev.ok()) {
        return absl::Status(body_ev.status().code(),
                            absl::StrCat(NodeLabel(src, ni), ": subgraph '", sub->name, "': ",
                                         body_ev.status().message()));
      }
      auto body = std::make_shared<Body>();
      body->graph = sub;
      body->ev = std::make_unique<Evaluator>(*std::move(body_ev));
      for (const std::string& name : body->ev->outer_names_) {
        body->parent_slots.push_back(slot_of(name));
      }
      step.bodies.push_back(std::move(body));
    }
    ev.steps_.push_back(std::move(step));
  }
  for (const std::string& o : ev.output_names_) ev.output_slots_.push_back(slot_of(o));
  // Last readers.
  std::vector<int> last(ev.slot_names_.size(), -1);
  for (size_t i = 0; i < ev.steps_.size(); ++i) {
    for (int s : ev.steps_[i].inputs) {
      if (s >= 0) last[s] = static_cast<int>(i);
    }
    for (int s : ev.steps_[i].implicit) last[s] = static_cast<int>(i);
    // Outputs nobody reads are released right away.
    for (int s : ev.steps_[i].outputs) {
      if (s >= 0 && last[s] < static_cast<int>(i)) last[s] = static_cast<int>(i);
    }
  }
  std::set<int> keep(ev.output_slots_.begin(), ev.output_slots_.end());
  for (size_t s = 0; s < last.size(); ++s) {
    if (last[s] >= 0 && !keep.count(static_cast<int>(s))) {
      ev.steps_[last[s]].release.push_back(static_cast<int>(s));
    }
  }
  if (options.num_threads > 0 && outer.empty() && !pool) ev.arena_ = std::make_unique<Arena>(options.num_threads);
  return ev;
}

absl::Status Evaluator::Execute(std::vector<Array>& values, const ValueObserver* observer) {
  const bool parallel = options_.num_threads != 1;
  for (size_t i = 0; i < steps_.size(); ++i) {
    const Step& step = steps_[i];
    std::vector<const Array*> inputs;
    inputs.reserve(step.inputs.size());
    for (size_t k = 0; k < step.inputs.size(); ++k) {
      const int s = step.inputs[k];
      if (s < 0) {
        inputs.push_back(nullptr);
        continue;
      }
      if (!values[s].defined()) {
        return absl::InternalError(absl::StrCat("node '", step.node->name, "' (",
                                                step.node->op_type, "): input '",
                                                slot_names_[s], "' has no value"));
      }
      if (values[s].is_sequence() && !AcceptsSequenceInputs(step.node->op_type)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "node '", step.node->name, "' (", step.node->op_type, "): input '", slot_names_[s],
            "' is a sequence, which this op does not take"));
      }
      inputs.push_back(&values[s]);
    }
    KernelContext ctx(*step.node, options_.opset, std::move(inputs), pool_.get(),
                      options_.max_output_elements, parallel);
    StepSubgraphs subgraphs(step, values);
    if (!step.bodies.empty()) ctx.set_subgraphs(&subgraphs);
    const KernelFn& fn = *static_cast<const KernelFn*>(step.kernel);
    const auto start = options_.profile ? std::chrono::steady_clock::now()
                                        : std::chrono::steady_clock::time_point();
    absl::Status st = RunKernel(fn, ctx);
    if (options_.profile) {
      OpProfile& p = profile_[step.node->op_type];
      p.op_type = step.node->op_type;
      ++p.calls;
      p.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    const std::string label = absl::StrCat("node '", step.node->name, "' (", step.node->op_type, ")");
    if (!st.ok()) return WithNode(st, label);
    for (size_t k = 0; k < step.outputs.size(); ++k) {
      const int s = step.outputs[k];
      if (s < 0) continue;
      if (!ctx.outputs()[k].defined()) {
        return absl::InternalError(absl::StrCat(label, ": output ", k, " was not produced"));
      }
      values[s] = std::move(ctx.outputs()[k]);
      if (observer && !values[s].is_sequence()) {
        RETURN_IF_ERROR((*observer)(slot_names_[s], values[s]));
      }
    }
    for (int s : step.release) values[s] = Array();
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ir::Tensor>> Evaluator::Run(
    const std::map<std::string, ir::Tensor>& feeds) {
  return Run(feeds, nullptr);
}

absl::StatusOr<std::vector<ir::Tensor>> Evaluator::Run(
    const std::map<std::string, ir::Tensor>& feeds, const ValueObserver& observer) {
  std::vector<Array> values = constants_;
  for (const auto& [name, tensor] : feeds) {
    auto it = feed_slots_.find(name);
    if (it == feed_slots_.end()) {
      std::vector<std::string> names;
      for (const auto& [n, s] : feed_slots_) names.push_back(n);
      return absl::InvalidArgumentError(absl::StrCat("'", name, "' is not a graph input (inputs: ",
                                                     absl::StrJoin(names, ", "), ")"));
    }
    auto t = input_types_.find(name);
    RETURN_IF_ERROR(CheckFeed(name, tensor, t == input_types_.end() ? nullptr : &t->second));
    auto a = Array::FromTensor(tensor);
    if (!a.ok()) {
      return absl::Status(a.status().code(), absl::StrCat("input '", name, "': ", a.status().message()));
    }
    values[it->second] = *std::move(a);
  }
  for (const ir::ValueInfo& in : required_inputs_) {
    if (!feeds.count(in.name)) {
      return absl::InvalidArgumentError(absl::StrCat("input '", in.name, "' is not fed"));
    }
  }
  absl::Status status;
  if (arena_) {
    arena_->arena.execute([&] { status = Execute(values, observer ? &observer : nullptr); });
  } else {
    status = Execute(values, observer ? &observer : nullptr);
  }
  RETURN_IF_ERROR(status);
  std::vector<ir::Tensor> out;
  out.reserve(output_slots_.size());
  for (size_t i = 0; i < output_slots_.size(); ++i) {
    const Array& a = values[output_slots_[i]];
    if (!a.defined()) {
      return absl::InternalError(absl::StrCat("output '", output_names_[i], "' has no value"));
    }
    if (a.is_sequence()) {
      return absl::UnimplementedError(absl::StrCat(
          "output '", output_names_[i], "' is a sequence; only tensor outputs can be returned"));
    }
    out.push_back(a.ToTensor());
  }
  return out;
}

absl::StatusOr<std::vector<Array>> Evaluator::RunBody(const std::vector<Array>& inputs,
                                                      const std::vector<Array>& parent_values,
                                                      const std::vector<int>& parent_slots) {
  if (inputs.size() != input_slots_.size()) {
    return absl::InvalidArgumentError(absl::StrCat("takes ", input_slots_.size(),
                                                   " inputs, the node passes ", inputs.size()));
  }
  std::vector<Array> values = constants_;
  for (size_t i = 0; i < inputs.size(); ++i) values[input_slots_[i]] = inputs[i];
  for (size_t k = 0; k < outer_slots_.size(); ++k) {
    values[outer_slots_[k]] = parent_values[parent_slots[k]];
  }
  RETURN_IF_ERROR(Execute(values, nullptr));
  std::vector<Array> out;
  out.reserve(output_slots_.size());
  for (size_t i = 0; i < output_slots_.size(); ++i) {
    if (!values[output_slots_[i]].defined()) {
      return absl::InternalError(absl::StrCat("output '", output_names_[i], "' has no value"));
    }
    out.push_back(values[output_slots_[i]]);
  }
  return out;
}

PoolStats Evaluator::pool_stats() const { return pool_->stats(); }

std::vector<OpProfile> Evaluator::Profile() const {
  std::vector<OpProfile> out;
  for (const auto& [op, p] : profile_) out.push_back(p);
  std::sort(out.begin(), out.end(),
            [](const OpProfile& a, const OpProfile& b) { return a.seconds > b.seconds; });
  return out;
}
void Evaluator::ResetPeak() { pool_->ResetPeak(); }

namespace {

// A node with subgraphs runs as a one-node graph whose inputs and outer-scope
// values are initializers.
absl::StatusOr<std::vector<ir::Tensor>> EvaluateControlFlowNode(
    const ir::Node& node, int64_t opset, const std::vector<const ir::Tensor*>& inputs,
    const NodeEvalOptions& options) {
  ir::Graph g;
  ir::Node copy = node;
  for (size_t i = 0; i < copy.inputs.size(); ++i) {
    if (i >= inputs.size() || !inputs[i]) {
      copy.inputs[i].clear();
    } else {
      g.initializers[copy.inputs[i]] = *inputs[i];
    }
  }
  for (const std::string& name : ir::ImplicitInputs(node)) {
    auto it = options.outer_values.find(name);
    if (it == options.outer_values.end()) {
      return absl::InvalidArgumentError(absl::StrCat("node '", node.name, "' (", node.op_type,
                                                     "): outer-scope value '", name,
                                                     "' is not given"));
    }
    g.initializers[name] = it->second;
  }
  std::vector<std::string> outputs;
  for (const std::string& o : copy.outputs) {
    if (!o.empty()) outputs.push_back(o);
  }
  g.AddNode(std::move(copy));
  EvaluatorOptions eo;
  eo.opset = opset;
  eo.outputs = outputs;
  eo.num_threads = options.parallel ? 0 : 1;
  eo.max_output_elements = options.max_output_elements;
  ASSIGN_OR_RETURN(Evaluator ev, Evaluator::Create(g, eo));
  ASSIGN_OR_RETURN(std::vector<ir::Tensor> values, ev.Run({}));
  std::vector<ir::Tensor> out(node.outputs.size());
  for (size_t k = 0, j = 0; k < node.outputs.size(); ++k) {
    if (!node.outputs[k].empty()) out[k] = std::move(values[j++]);
  }
  return out;
}

}  // namespace

bool IsSupported(const ir::Node& node, int64_t opset) {
  return KernelRegistry::Global().Find(node.domain, node.op_type, opset) != nullptr;
}

std::vector<std::string> SupportedOps() { return KernelRegistry::Global().OpTypes(); }

absl::StatusOr<std::vector<ir::Tensor>> EvaluateNode(const ir::Node& node, int64_t opset,
                                                     const std::vector<const ir::Tensor*>& inputs,
                                                     const NodeEvalOptions& options) {
  const KernelFn* fn = KernelRegistry::Global().Find(node.domain, node.op_type, opset);
  const std::string label = absl::StrCat("node '", node.name, "' (", node.op_type, ")");
  if (!fn) {
    return absl::UnimplementedError(
        absl::StrCat(label, ": op not supported by the evaluator at opset ", opset));
  }
  if (!ir::Subgraphs(node).empty()) return EvaluateControlFlowNode(node, opset, inputs, options);
  std::vector<Array> arrays(inputs.size());
  std::vector<const Array*> ptrs(inputs.size(), nullptr);
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i]) continue;
    auto a = Array::FromTensor(*inputs[i]);
    if (!a.ok()) return WithNode(a.status(), label);
    arrays[i] = *std::move(a);
    ptrs[i] = &arrays[i];
  }
  KernelContext ctx(node, opset, std::move(ptrs), nullptr, options.max_output_elements,
                    options.parallel);
  absl::Status st = RunKernel(*fn, ctx);
  if (!st.ok()) return WithNode(st, label);
  std::vector<ir::Tensor> out(node.outputs.size());
  for (size_t k = 0; k < node.outputs.size(); ++k) {
    if (node.outputs[k].empty()) continue;
    if (!ctx.outputs()[k].defined()) {
      return absl::InternalError(absl::StrCat(label, ": output ", k, " was not produced"));
    }
    if (ctx.outputs()[k].is_sequence()) {
      return absl::UnimplementedError(absl::StrCat(label, ": output ", k, " is a sequence"));
    }
    out[k] = ctx.outputs()[k].ToTensor();
  }
  return out;
}

}  // namespace onnxsmith::evaluator
