// fuse_rnn_loops: a Loop that runs an LSTM, GRU or simple RNN cell over a
// sequence becomes one ONNX LSTM/GRU/RNN node.
//
// Why on the ONNX IR, after conversion: TF2 While bodies with TensorLists
// (Keras SavedModels, frozen graphs) and TF1 dynamic_rnn frames (raised to
// While, TensorArrays as TensorLists) all arrive here as the same Loop:
// x_t = SequenceAt(SplitToSequence(X), t), states carried, outputs written
// with SequenceErase+SequenceInsert and stacked by ConcatFromSequence after
// the loop. One matcher serves both front ends. The cell itself is matched
// by its gating structure only (c' = f*c + i*g, h' = o*tanh(c'), ...); the
// weights are read numerically (rnn_probe.h), so gate order, fused/split
// kernels and forget_bias need no per-exporter patterns. Keras masking
// (states and output kept by Where(mask_t, new, old)) becomes a per-row
// compaction of the unmasked steps and sequence_lens (rnn_mask.h); TF1's
// sequence_length selects become sequence_lens (rnn_seqlen.h). A TF1
// projection runs as R' = P R on the unprojected h, then MatMul P. A loop
// that does not match (peepholes, other activations) stays a Loop and
// still runs correctly.
#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "common/status_macros.h"
#include "optimizer/graph_editor.h"
#include "optimizer/control_flow_passes.h"
#include "optimizer/passes.h"
#include "optimizer/rnn_body.h"
#include "optimizer/rnn_mask.h"
#include "optimizer/rnn_peephole.h"
#include "optimizer/rnn_probe.h"
#include "optimizer/rnn_seqlen.h"

namespace onnxsmith::optimizer {
namespace {

using Probe = std::vector<std::pair<std::string, int64_t>>;

// The gate's pre-activation as an affine map of `in`, `width` columns wide.
std::optional<AffineMap> ProbeGate(const CellProbe& probe, const Probe& in,
                                   const std::optional<Gate>& gate, int64_t width) {
  if (!gate) return std::nullopt;
  std::optional<AffineMap> m = probe.Affine(in, gate->pre);
  if (!m || m->n != width * gate->parts) return std::nullopt;
  if (gate->parts == 1) return m;
  AffineMap part;
  part.n = width;
  const int64_t first = gate->part * width;
  part.bias.assign(m->bias.begin() + first, m->bias.begin() + first + width);
  for (const std::vector<float>& coef : m->coef) {
    std::vector<float> cols;
    for (size_t row = 0; row < coef.size() / m->n; ++row) {
      cols.insert(cols.end(), coef.begin() + row * m->n + first,
                  coef.begin() + row * m->n + first + width);
    }
    part.coef.push_back(std::move(cols));
  }
  return part;
}

// A time bound of the loop condition: the sequence length.
bool IsSequenceLength(const GraphEditor& ed, const BodyView& bv, const std::string& v,
                      int64_t steps) {
  if (auto s = bv.Scalar(v)) return steps >= 0 && *s == static_cast<double>(steps);
  if (steps >= 0) return false;
  // Dynamic length: accept a value computed from a Shape (TF's time dim).
  const ir::Node* n = ed.Producer(v);
  for (int depth = 0; n != nullptr && depth < 8; ++depth) {
    if (n->op_type == "Shape") return true;
    if (n->inputs.empty()) return false;
    n = ed.Producer(n->inputs[0]);
  }
  return false;
}

// Weights as ONNX wants them: gates stacked, [gates*H, width].
void AppendGate(const AffineMap& m, size_t input, int64_t width, std::vector<float>& w) {
  for (int64_t r = 0; r < m.n; ++r) {
    for (int64_t k = 0; k < width; ++k) w.push_back(m.coef[input][k * m.n + r]);
  }
}

bool IsIdentity(const std::vector<float>& coef, int64_t n) {
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t c = 0; c < n; ++c) {
      if (std::abs(coef[r * n + c] - (r == c ? 1.0f : 0.0f)) > 1e-5f) return false;
    }
  }
  return true;
}

bool IsZero(const std::vector<float>& v) {
  for (float f : v) {
    if (std::abs(f) > 1e-6f) return false;
  }
  return true;
}

struct Cell {
  std::string op;  // LSTM, GRU, RNN
  std::vector<float> w, r, b;
  std::vector<float> p;  // LSTM peepholes (rnn_peephole.h), empty if none
  bool linear_before_reset = false;
  int h_state = -1, c_state = -1;  // indices into the states list
  std::string h_out;
  int64_t hidden = 0;
  std::vector<float> proj;  // TF1 LSTMCell(num_proj): h = (o * tanh(c)) P, P [hidden, proj_size]
  int64_t proj_size = 0;
};

class RnnLoopFusionPass : public PerNodePass {
 public:
  std::string name() const override { return "fuse_rnn_loops"; }

 protected:
  bool Matches(const ir::Node& n) const override { return n.op_type == "Loop"; }
  int64_t Rewrite(GraphEditor& ed, ir::Node& loop) override { return Fuse(ed, loop) ? 1 : 0; }

 private:
  bool Fuse(GraphEditor& ed, ir::Node& loop) {
    const ir::Attribute* attr = loop.FindAttr("body");
    if (attr == nullptr || !attr->g || loop.inputs.size() < 3) return false;
    const ir::Graph& body = *attr->g;
    const size_t n = loop.inputs.size() - 2;
    if (body.inputs.size() != n + 2 || body.outputs.size() != n + 1 || loop.outputs.size() != n) {
      return false;  // scan outputs: not a TF loop
    }
    BodyView bv(body, ed);
    std::vector<Carried> vars(n);
    std::vector<int> states;
    for (size_t k = 0; k < n; ++k) {
      Carried& c = vars[k];
      c.in = body.inputs[k + 2].name;
      c.out = body.outputs[k + 1].name;
      c.init = loop.inputs[k + 2];
      c.final = loop.outputs[k];
      const ir::Node* add = bv.Op(c.out, "Add");
      const ir::Node* insert = bv.Op(c.out, "SequenceInsert");
      if (c.out == c.in) {
        c.kind = Carried::kPassThrough;
      } else if (add && bv.Scalar(BodyView::Other(add, c.in)) == 1.0 && bv.Scalar(c.init) == 0.0) {
        c.kind = Carried::kCounter;
        if (c.final.empty() || ed.NumUses(c.final) != 0) return false;
      } else if (insert != nullptr && insert->inputs.size() == 3) {
        const ir::Node* erase = bv.Op(insert->inputs[0], "SequenceErase");
        if (erase == nullptr || erase->inputs.size() != 2 || erase->inputs[0] != c.in ||
            erase->inputs[1] != insert->inputs[2]) {
          return false;
        }
        c.kind = Carried::kScanOut;
        c.written = insert->inputs[1];
        c.index = insert->inputs[2];
      } else {
        c.kind = Carried::kState;
        states.push_back(static_cast<int>(k));
      }
    }
    auto counter = [&](const std::string& v) {
      for (const Carried& c : vars) {
        if (c.kind == Carried::kCounter && c.in == v) return true;
      }
      return false;
    };
    // The condition must test the incremented counters (t + 1 < T).
    auto next_counter = [&](const std::string& v) {
      for (const Carried& c : vars) {
        if (c.kind == Carried::kCounter && c.out == v) return true;
      }
      return false;
    };
    // The step input: SequenceAt(SplitToSequence(X), t) for a counter t;
    // a bool one is Keras's step mask.
    std::string x_t, x, mask_t, mask;
    for (const auto& node : body.nodes) {
      if (node->op_type != "SequenceAt") continue;
      if (node->inputs.size() != 2 || !counter(node->inputs[1])) return false;
      const ir::Node* split = ed.Producer(node->inputs[0]);
      if (split == nullptr || split->op_type != "SplitToSequence" || split->inputs.size() != 1 ||
          split->GetInt("axis", 0) != 0 || split->GetInt("keepdims", 1) != 0) {
        return false;
      }
      const bool is_mask = ed.DataTypeOf(split->inputs[0]) == ir::DataType::kBool;
      std::string& step = is_mask ? mask_t : x_t;
      if (!step.empty()) return false;
      step = node->outputs[0];
      (is_mask ? mask : x) = split->inputs[0];
    }
    if (!mask_t.empty() && !MatchStepMask(ed, bv, body, mask_t, mask, vars, states)) return false;
    bool selects_ok = true;  // TF1 sequence_length: the state/output selects
    const std::string seq_len =
        mask_t.empty() ? MatchLengthSelect(ed, bv, body, counter, vars, states, selects_ok) : "";
    if (!selects_ok) return false;
    if (x_t.empty() || states.empty() || states.size() > 2) return false;
    auto xdims = ed.DimsOf(x);
    if (!xdims || xdims->size() != 3 || (*xdims)[2] <= 0 || ed.DataTypeOf(x) != ir::DataType::kFloat) {
      return false;
    }
    const int64_t steps = (*xdims)[0], input_size = (*xdims)[2];
    // The loop must run exactly `steps` times: every bound is the length.
    if (!loop.inputs[0].empty() && !IsSequenceLength(ed, bv, loop.inputs[0], steps)) return false;
    auto bound = [&](const std::string& v) {
      auto is_steps = [&](const std::string& t) { return IsSequenceLength(ed, bv, t, steps); };
      return is_steps(v) || IsLengthBound(ed, bv, v, seq_len, is_steps);
    };
    if (!CondIsLength(bv, body.outputs[0].name, next_counter, bound)) return false;
    // The first step runs: cond true, or (sequence_length) 0 < bounds that are at least 1.
    std::function<bool(const std::string&)> starts = [&](const std::string& v) {
      const ir::Node* n = ed.Producer(v);
      if (bv.Scalar(v) == 1.0 || n == nullptr || seq_len.empty() || n->inputs.size() != 2) {
        return bv.Scalar(v) == 1.0;
      }
      if (n->op_type == "And") return starts(n->inputs[0]) && starts(n->inputs[1]);
      return n->op_type == "Less" && bv.Scalar(n->inputs[0]) == 0.0 && steps > 0 && bound(n->inputs[1]);
    };
    if (steps >= 0 && !starts(loop.inputs[1])) return false;

    std::vector<int64_t> widths;
    for (int k : states) widths.push_back(StateWidth(ed, body, vars[k]));
    if (*std::min_element(widths.begin(), widths.end()) <= 0) return false;
    CellProbe probe(body, ed.graph(), opset());
    std::optional<Cell> cell = states.size() == 2
                                   ? MatchLstm(ed, bv, probe, vars, states, x_t, input_size, widths)
                                   : MatchGruOrRnn(bv, probe, vars[states[0]], x_t, input_size, widths[0]);
    if (!cell || (!cell->proj.empty() && !mask.empty())) return false;
    const int64_t hidden = cell->hidden;
    // Outputs: scan outputs must write the new h (every step, or only the
    // last into a one-element list).
    for (const Carried& c : vars) {
      if (c.kind == Carried::kMaskedOutput && c.out != cell->h_out) return false;
    }
    for (Carried& c : vars) {
      if (c.kind != Carried::kScanOut) continue;
      for (size_t k = 0; k < vars.size() && !mask.empty(); ++k) {
        if (vars[k].kind == Carried::kMaskedOutput && vars[k].masked_out == c.written) {
          c.source = static_cast<int>(k);
        }
      }
      if (mask.empty() ? c.written != cell->h_out : c.source < 0) return false;
      c.every_step = counter(c.index);
      if (!c.every_step && !seq_len.empty()) return false;
      if (!c.every_step) {
        const ir::Node* split = ed.Producer(c.init);
        auto dims = split && split->op_type == "SplitToSequence" ? ed.DimsOf(split->inputs[0])
                                                                  : std::nullopt;
        if (bv.Scalar(c.index) != 0.0 || !dims || dims->empty() || (*dims)[0] != 1) return false;
      }
      for (const ir::Node* use : ed.Consumers(c.final)) {
        if (use->op_type != "ConcatFromSequence" || use->GetInt("axis", 0) != 0 ||
            use->GetInt("new_axis", 0) != 1) {
          return false;
        }
      }
      if (ed.IsGraphOutput(c.final) || ed.HasImplicitUses(c.final)) return false;
    }
    Emit(ed, loop, vars, states, *cell, x, mask, seq_len, hidden);
    return true;
  }

  bool CondIsLength(const BodyView& bv, const std::string& cond,
                    const std::function<bool(const std::string&)>& counter,
                    const std::function<bool(const std::string&)>& bound) {
    const ir::Node* n = bv.Producer(cond);
    if (n == nullptr) return false;
    if (n->op_type == "And") {
      return CondIsLength(bv, n->inputs[0], counter, bound) && CondIsLength(bv, n->inputs[1], counter, bound);
    }
    if (n->op_type == "Identity") return CondIsLength(bv, n->inputs[0], counter, bound);
    return n->op_type == "Less" && counter(n->inputs[0]) && bound(n->inputs[1]);
  }

  int64_t StateWidth(const GraphEditor& ed, const ir::Graph& body, const Carried& c) {
    for (const ir::ValueInfo& v : body.inputs) {
      if (v.name == c.in && v.type.shape && v.type.shape->size() == 2 && v.type.shape->back().known()) {
        return v.type.shape->back().size;
      }
    }
    auto dims = ed.DimsOf(c.init);
    return dims && dims->size() == 2 ? dims->back() : -1;
  }

  std::optional<Cell> MatchLstm(const GraphEditor& ed, const BodyView& bv, const CellProbe& probe,
                                const std::vector<Carried>& vars, const std::vector<int>& states,
                                const std::string& x_t, int64_t input_size,
                                const std::vector<int64_t>& widths) {
    for (int a = 0; a < 2; ++a) {
      const Carried& h = vars[states[a]];
      const Carried& c = vars[states[1 - a]];
      const int64_t hidden = widths[1 - a], h_width = widths[a];
      // A projection P: ONNX's recurrence reads the unprojected h, so R becomes P R;
      // exact when the initial (projected) h is zero.
      std::string h_new = h.out;
      std::vector<float> proj;
      if (const ir::Node* mm = bv.Op(h.out, "MatMul")) {
        const ir::Tensor* p = bv.Constant(mm->inputs[1]);
        if (p == nullptr || p->dtype() != ir::DataType::kFloat ||
            p->dims() != std::vector<int64_t>{hidden, h_width} || !IsZeroValue(ed, h.init)) {
          continue;
        }
        absl::Span<const float> pv = p->data<float>();
        proj.assign(pv.begin(), pv.end());
        h_new = mm->inputs[0];
      } else if (h_width != hidden) {
        continue;
      }
      // h' = o * tanh(c'), c' = f * c + i * g.
      auto ho = bv.Split(bv.Op(h_new, "Mul"), "Sigmoid");
      auto tc = bv.Activation(ho ? ho->second : "", "Tanh");
      if (!tc || tc->pre != c.out || tc->parts != 1) continue;
      const ir::Node* add = bv.Op(c.out, "Add");
      if (add == nullptr || add->inputs.size() != 2) continue;
      std::string f, i, g;
      for (int k = 0; k < 2; ++k) {
        const ir::Node* keep = bv.Op(add->inputs[k], "Mul");
        const ir::Node* write = bv.Op(add->inputs[1 - k], "Mul");
        std::string fv = BodyView::Other(keep, c.in);
        auto ig = bv.Split(write, "Sigmoid");
        if (fv.empty() || !bv.Activation(fv, "Sigmoid") || !ig || !bv.Activation(ig->second, "Tanh")) {
          continue;
        }
        f = fv, i = ig->first, g = ig->second;
      }
      if (f.empty()) continue;
      Cell cell{"LSTM"};
      const Probe in = {{x_t, input_size}, {h.in, h_width}};
      for (const std::string& gate : {i, ho->first, f, g}) {  // ONNX order i, o, f, c
        const auto act = bv.Activation(gate, gate == g ? "Tanh" : "Sigmoid");
        auto m = ProbeGate(probe, in, act, hidden);
        if (!m && gate != g) {
          const int slot = gate == i ? 0 : gate == f ? 2 : 1;
          m = ProbePeepholeGate(probe, in, act, slot == 1 ? c.out : c.in, hidden, slot, cell.p);
        }
        if (!m) return std::nullopt;
        if (!proj.empty()) {  // rows of P R: one per unprojected unit
          std::vector<float> pr(hidden * hidden, 0.0f);
          for (int64_t k = 0; k < hidden; ++k) {
            for (int64_t q = 0; q < h_width; ++q) {
              for (int64_t col = 0; col < hidden; ++col) {
                pr[k * hidden + col] += proj[k * h_width + q] * m->coef[1][q * hidden + col];
              }
            }
          }
          m->coef[1] = std::move(pr);
        }
        AppendGate(*m, 0, input_size, cell.w);
        AppendGate(*m, 1, hidden, cell.r);
        cell.b.insert(cell.b.end(), m->bias.begin(), m->bias.end());
      }
      cell.b.resize(cell.b.size() * 2, 0.0f);  // recurrence biases: 0
      cell.h_state = a;
      cell.c_state = 1 - a;
      cell.h_out = h.out;
      cell.hidden = hidden;
      cell.proj = std::move(proj);
      cell.proj_size = h_width;
      return cell;
    }
    return std::nullopt;
  }

  std::optional<Cell> MatchGruOrRnn(const BodyView& bv, const CellProbe& probe, const Carried& h,
                                    const std::string& x_t, int64_t input_size, int64_t hidden) {
    const Probe in = {{x_t, input_size}, {h.in, hidden}};
    Cell cell;
    cell.h_state = 0;
    cell.h_out = h.out;
    cell.hidden = hidden;
    if (const ir::Node* tanh = bv.Op(h.out, "Tanh")) {  // h' = tanh(x W + h R + b)
      auto m = probe.Affine(in, tanh->inputs[0]);
      if (!m || m->n != hidden) return std::nullopt;
      cell.op = "RNN";
      AppendGate(*m, 0, input_size, cell.w);
      AppendGate(*m, 1, hidden, cell.r);
      cell.b = m->bias;
      cell.b.resize(2 * hidden, 0.0f);
      return cell;
    }
    // h' = z * h + (1 - z) * hh, hh = tanh(x Wh + r * (h Rh + Rbh) + Wbh)
    // (linear_before_reset) or tanh(x Wh + (r * h) Rh + Wbh).
    const ir::Node* add = bv.Op(h.out, "Add");
    if (add == nullptr || add->inputs.size() != 2) return std::nullopt;
    std::string z, hh;
    for (int k = 0; k < 2; ++k) {
      std::string zv = BodyView::Other(bv.Op(add->inputs[k], "Mul"), h.in);
      auto update = bv.Split(bv.Op(add->inputs[1 - k], "Mul"), "Tanh");
      if (zv.empty() || !bv.Activation(zv, "Sigmoid") || !update) continue;
      const ir::Node* sub = bv.Op(update->second, "Sub");
      if (sub == nullptr || sub->inputs[1] != zv || bv.Scalar(sub->inputs[0]) != 1.0) continue;
      z = zv, hh = update->first;
    }
    if (z.empty()) return std::nullopt;
    auto hh_gate = bv.Activation(hh, "Tanh");
    if (!hh_gate || hh_gate->parts != 1) return std::nullopt;
    const std::string pre_h = hh_gate->pre;
    // The reset product: a Mul by another Sigmoid on the way to pre_h.
    std::string r, reset, q;
    std::vector<std::string> todo = {pre_h};
    for (size_t k = 0; k < todo.size() && k < 64 && r.empty(); ++k) {
      const ir::Node* n = bv.Producer(todo[k]);
      if (n == nullptr) continue;
      auto rs = n->op_type == "Mul" ? bv.Split(n, "Sigmoid") : std::nullopt;
      if (rs && rs->first != z) {
        r = rs->first, q = rs->second, reset = n->outputs[0];
        break;
      }
      for (const std::string& v : n->inputs) todo.push_back(v);
    }
    if (r.empty()) return std::nullopt;
    auto mh = probe.Affine({{x_t, input_size}, {reset, hidden}}, pre_h);
    auto mz = ProbeGate(probe, in, bv.Activation(z, "Sigmoid"), hidden);
    auto mr = ProbeGate(probe, in, bv.Activation(r, "Sigmoid"), hidden);
    if (!mh || !mz || !mr || mh->n != hidden) {
      return std::nullopt;
    }
    cell.op = "GRU";
    std::vector<float> rec_bias(2 * hidden, 0.0f);
    for (const AffineMap* m : {&*mz, &*mr}) {
      AppendGate(*m, 0, input_size, cell.w);
      AppendGate(*m, 1, hidden, cell.r);
      cell.b.insert(cell.b.end(), m->bias.begin(), m->bias.end());
    }
    AppendGate(*mh, 0, input_size, cell.w);
    cell.b.insert(cell.b.end(), mh->bias.begin(), mh->bias.end());
    if (q == h.in) {  // (r * h) Rh
      AppendGate(*mh, 1, hidden, cell.r);
      rec_bias.resize(3 * hidden, 0.0f);
    } else {  // r * (h Rh + Rbh): pre_h must take the product as is
      auto mq = probe.Affine(in, q);
      if (!mq || mq->n != hidden || !IsIdentity(mh->coef[1], hidden) || !IsZero(mq->coef[0])) {
        return std::nullopt;
      }
      AppendGate(*mq, 1, hidden, cell.r);
      rec_bias.insert(rec_bias.end(), mq->bias.begin(), mq->bias.end());
      cell.linear_before_reset = true;
    }
    cell.b.insert(cell.b.end(), rec_bias.begin(), rec_bias.end());
    return cell;
  }

  void Simple(GraphEditor& ed, const char* op, const std::string& in, const std::string& out) {
    ir::Node n;
    n.op_type = op;
    n.inputs = {in};
    n.outputs = {out};
    if (std::string(op) == "SplitToSequence") n.attributes = {ir::Attribute::Int("keepdims", 0)};
    ed.AddNode(std::move(n));
  }

  void Emit(GraphEditor& ed, ir::Node& loop, const std::vector<Carried>& vars,
            const std::vector<int>& states, const Cell& cell, const std::string& x,
            const std::string& mask, const std::string& seq_len, int64_t hidden) {
    const int64_t g = static_cast<int64_t>(cell.r.size()) / (hidden * hidden);
    const int64_t input_size = static_cast<int64_t>(cell.w.size()) / (g * hidden);
    ir::Node rnn;
    rnn.op_type = cell.op;
    const std::string base = loop.name.empty() ? "rnn" : loop.name;
    rnn.name = ed.NewNodeName(base + "/" + cell.op);
    // Later passes and loops (a stacked layer) read the shapes of what replaces this one.
    std::vector<int64_t> dims = ed.DimsOf(x).value_or(std::vector<int64_t>{-1, -1, input_size});
    dims[2] = cell.proj.empty() ? hidden : cell.proj_size;
    std::string proj_w;
    auto project = [&](const std::string& v, std::string out) {  // v P
      if (proj_w.empty()) {
        proj_w = ed.AddInitializer(base + "/projection",
                                   ir::Tensor::FromVector<float>({hidden, cell.proj_size}, cell.proj));
      }
      ir::Node mm;
      mm.op_type = "MatMul";
      mm.inputs = {v, proj_w};
      mm.outputs = {out.empty() ? ed.NewValueName(v + "/projected") : out};
      return ed.AddNode(std::move(mm))->outputs[0];
    };
    auto typed = [&](const std::string& v, std::vector<int64_t> d) {
      ed.SetType(v, ir::MakeType(ir::DataType::kFloat, d));
      return v;
    };
    std::optional<CompactedSteps> steps;
    const std::string lens = seq_len.empty() ? "" : SequenceLens(ed, seq_len);
    if (!mask.empty()) {
      steps = CompactSteps(ed, x, mask, base);
      if (auto x_type = ed.TypeOf(x)) ed.SetType(steps->x, *x_type);
    }
    // Zero initial states (Keras's and TF1's zero_state) are ONNX's default: the
    // computation of the zeros then goes away with the Loop.
    auto initial = [&](int state) -> std::string {
      const std::string& init = vars[states[state]].init;
      if (IsZeroValue(ed, init)) return "";
      return AxesOp(ed, "Unsqueeze", init, 0);  // projected h: zero (MatchLstm)
    };
    rnn.inputs = {steps ? steps->x : x,
                  ed.AddInitializer(base + "/W", ir::Tensor::FromVector<float>({1, g * hidden, input_size}, cell.w)),
                  ed.AddInitializer(base + "/R", ir::Tensor::FromVector<float>({1, g * hidden, hidden}, cell.r)),
                  ed.AddInitializer(base + "/B", ir::Tensor::FromVector<float>({1, 2 * g * hidden}, cell.b)),
                  steps ? steps->seq_lens : lens,
                  initial(cell.h_state)};
    if (cell.c_state >= 0) rnn.inputs.push_back(initial(cell.c_state));
    if (!cell.p.empty()) {
      rnn.inputs.resize(7);  // P is the LSTM's input 7
      rnn.inputs.push_back(ed.AddInitializer(base + "/P", ir::Tensor::FromVector<float>({1, 3 * hidden}, cell.p)));
    }
    while (rnn.inputs.back().empty()) rnn.inputs.pop_back();
    rnn.attributes = {ir::Attribute::Int("hidden_size", hidden)};
    if (cell.linear_before_reset) rnn.attributes.push_back(ir::Attribute::Int("linear_before_reset", 1));
    const std::string y = ed.NewValueName(base + "/Y"), y_h = ed.NewValueName(base + "/Y_h");
    rnn.outputs = {y, y_h};
    if (cell.c_state >= 0) rnn.outputs.push_back(ed.NewValueName(base + "/Y_c"));
    std::vector<std::string> rnn_outputs = rnn.outputs;
    ed.RemoveNode(&loop);
    ed.AddNode(std::move(rnn));
    std::string sequence;  // [T, B, H]: Y [T, 1, B, H] squeezed
    auto all_steps = [&] {
      if (sequence.empty()) {
        sequence = AxesOp(ed, "Squeeze", rnn_outputs[0], 1);
        sequence = typed(cell.proj.empty() ? sequence : project(sequence, ""), dims);
      }
      return sequence;
    };
    // Masked: each kMaskedOutput's value at every time step, [T, B, H].
    absl::flat_hash_map<int, std::string> spread;
    auto masked_outputs = [&](int k) {
      std::string& o = spread[k];
      if (o.empty()) o = typed(SpreadOutputs(ed, *steps, all_steps(), vars[k].init, vars[k].fill), dims);
      return o;
    };
    for (size_t k = 0; k < vars.size(); ++k) {
      const Carried& c = vars[k];
      if (c.final.empty()) continue;
      if (c.kind == Carried::kPassThrough) Simple(ed, "Identity", c.init, c.final);
      if (c.kind == Carried::kState) {
        const bool is_h = static_cast<int>(k) == states[cell.h_state];
        const std::string& last = is_h ? rnn_outputs[1] : rnn_outputs[2];
        if (is_h && !cell.proj.empty()) {  // initial h zero: no guard for empty rows
          project(AxesOp(ed, "Squeeze", last, 0), c.final);
        } else if (!lens.empty()) {
          GuardedFinalState(ed, lens, last, c.init, c.final);
        } else if (!steps) {
          AxesOp(ed, "Squeeze", last, 0, c.final);
        } else {
          FinalState(ed, *steps, AxesOp(ed, "Squeeze", last, 0), c.init, c.final);
          typed(c.final, {dims[1], hidden});
        }
      }
      if (c.kind == Carried::kMaskedOutput && ed.NumUses(c.final) + ed.IsGraphOutput(c.final) > 0) {
        typed(LastStep(ed, masked_outputs(static_cast<int>(k)), c.final), {dims[1], hidden});
      }
      if (c.kind != Carried::kScanOut) continue;
      // Every step: [T, B, H]; only the last: [1, B, H] (Y_h unmasked).
      std::string stacked;
      if (!steps) {
        stacked = c.every_step ? all_steps() : rnn_outputs[1];
        if (!c.every_step && !cell.proj.empty()) stacked = project(stacked, "");
      } else {
        stacked = masked_outputs(c.source);
        if (!c.every_step) {
          stacked = typed(AxesOp(ed, "Unsqueeze", LastStep(ed, stacked, ""), 0), {1, dims[1], hidden});
        }
      }
      Simple(ed, "SplitToSequence", stacked, c.final);
      for (ir::Node* use : std::vector<ir::Node*>(ed.Consumers(c.final))) {
        use->op_type = "Identity";
        use->attributes.clear();
        ed.SetInput(use, 0, stacked);
      }
    }
  }
};

}  // namespace

std::unique_ptr<Pass> CreateRnnLoopFusionPass() { return std::make_unique<RnnLoopFusionPass>(); }

}  // namespace onnxsmith::optimizer
