// eliminate_common_subexpressions and deduplicate_initializers.
#include <algorithm>
#include <cstring>
#include <map>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "optimizer/passes.h"
#include "tbb/blocked_range.h"
#include "tbb/parallel_for.h"
#include "tbb/parallel_reduce.h"

namespace onnxsmith::optimizer {

namespace {

void AppendTensorKey(const ir::Tensor& t, std::string& key) {
  absl::StrAppend(&key, "T", static_cast<int>(t.dtype()), "[");
  for (int64_t d : t.dims()) absl::StrAppend(&key, d, ",");
  key += "]";
  if (t.dtype() == ir::DataType::kString) {
    for (const std::string& s : t.strings()) absl::StrAppend(&key, s.size(), ":", s);
  } else {
    absl::StrAppend(&key, t.raw());
  }
}

// Everything that decides a node's outputs: op, domain, inputs (in order),
// which outputs exist, attributes (sorted by name). "" when the node must
// not be merged with another.
std::string NodeKey(const ir::Node& n) {
  if (!IsOnnxDomain(n) || IsNondeterministic(n) || n.outputs.empty()) return "";
  std::string key = absl::StrCat(n.op_type, "|");
  for (const std::string& in : n.inputs) absl::StrAppend(&key, in.size(), ":", in, ",");
  key += "|";
  for (const std::string& out : n.outputs) key += out.empty() ? '0' : '1';
  key += "|";
  std::vector<const ir::Attribute*> attrs;
  for (const ir::Attribute& a : n.attributes) {
    if (a.kind == ir::Attribute::Kind::kGraph) return "";  // subgraphs: never merged
    attrs.push_back(&a);
  }
  std::sort(attrs.begin(), attrs.end(),
            [](const ir::Attribute* a, const ir::Attribute* b) { return a->name < b->name; });
  for (const ir::Attribute* a : attrs) {
    absl::StrAppend(&key, a->name, "=", static_cast<int>(a->kind), ":");
    switch (a->kind) {
      case ir::Attribute::Kind::kInt:
        absl::StrAppend(&key, a->i);
        break;
      case ir::Attribute::Kind::kFloat: {
        // Bitwise: distinguishes -0.0 and NaN payloads, as the op would.
        uint32_t bits;
        std::memcpy(&bits, &a->f, sizeof(bits));
        absl::StrAppend(&key, bits);
        break;
      }
      case ir::Attribute::Kind::kString:
        absl::StrAppend(&key, a->s.size(), ":", a->s);
        break;
      case ir::Attribute::Kind::kTensor:
        AppendTensorKey(a->t, key);
        break;
      case ir::Attribute::Kind::kInts:
        for (int64_t v : a->ints) absl::StrAppend(&key, v, ",");
        break;
      case ir::Attribute::Kind::kFloats:
        for (float f : a->floats) {
          uint32_t bits;
          std::memcpy(&bits, &f, sizeof(bits));
          absl::StrAppend(&key, bits, ",");
        }
        break;
      case ir::Attribute::Kind::kStrings:
        for (const std::string& s : a->strings) absl::StrAppend(&key, s.size(), ":", s, ",");
        break;
      case ir::Attribute::Kind::kGraph:
        return "";
    }
    key += ";";
  }
  return key;
}

class CsePass : public Pass {
 public:
  std::string name() const override { return "eliminate_common_subexpressions"; }

  absl::StatusOr<bool> Run(ir::Graph& graph) override {
    GraphEditor ed(graph, opset());
    // Graph order is topological, so the first of a group of equal nodes is
    // kept and later ones already read the merged names: deterministic.
    absl::flat_hash_map<std::string, ir::Node*> seen;
    std::vector<ir::Node*> order;
    for (auto& n : graph.nodes) order.push_back(n.get());
    int64_t merged = 0;
    for (ir::Node* n : order) {
      std::string key = NodeKey(*n);
      if (key.empty()) continue;
      auto [it, inserted] = seen.try_emplace(std::move(key), n);
      if (inserted) continue;
      ir::Node* keep = it->second;
      if (!CanMerge(ed, *keep, *n)) continue;
      Merge(ed, keep, n);
      ++merged;
    }
    if (merged == 0) return false;
    RETURN_IF_ERROR(ed.Commit());
    CountChanges(merged);
    return true;
  }

 private:
  // A duplicate whose output is a graph output can give that name to the
  // kept node, unless the kept node's output is itself part of the interface
  // (two outputs of one value would need an Identity: not worth it).
  static bool CanMerge(const GraphEditor& ed, const ir::Node& keep, const ir::Node& dup) {
    for (size_t k = 0; k < dup.outputs.size(); ++k) {
      const std::string& d = dup.outputs[k];
      const std::string& kv = keep.outputs[k];
      if (d.empty()) continue;
      if (ed.IsGraphOutput(d) && (ed.IsGraphOutput(kv) || ed.IsGraphInput(kv))) return false;
    }
    return true;
  }

  static void Merge(GraphEditor& ed, ir::Node* keep, ir::Node* dup) {
    const std::vector<std::string> outs = dup->outputs;
    ed.RemoveNode(dup);
    for (size_t k = 0; k < outs.size(); ++k) {
      const std::string& d = outs[k];
      const std::string kv = keep->outputs[k];
      if (d.empty()) continue;
      if (!ed.IsGraphOutput(d)) {
        ed.ReplaceAllUses(d, kv);
        ed.graph().value_types.erase(d);
      } else {
        // The graph output's name survives: the kept node now produces it.
        ed.ReplaceAllUses(kv, d);
        ed.SetOutput(keep, k, d);
        ed.graph().value_types.erase(kv);
      }
    }
  }
};

// ---- Initializer deduplication -----------------------------------------------

// Tensors at least this large are hashed and compared in parallel chunks.
constexpr size_t kParallelBytes = size_t{1} << 20;
constexpr size_t kChunk = size_t{1} << 18;
// Bytes sampled at each end of a tensor for its first hash.
constexpr size_t kSampleBytes = 4096;

size_t HashBytes(absl::string_view s) {
  if (s.size() < kParallelBytes) return absl::HashOf(s);
  const size_t chunks = (s.size() + kChunk - 1) / kChunk;
  std::vector<size_t> h(chunks);
  tbb::parallel_for(size_t{0}, chunks, [&](size_t c) {
    const size_t begin = c * kChunk;
    h[c] = absl::HashOf(s.substr(begin, std::min(kChunk, s.size() - begin)));
  });
  return absl::HashOf(h);
}

bool SameBytes(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.data() == b.data()) return true;  // one shared buffer
  if (a.size() < kParallelBytes) return std::memcmp(a.data(), b.data(), a.size()) == 0;
  const size_t chunks = (a.size() + kChunk - 1) / kChunk;
  return tbb::parallel_reduce(
      tbb::blocked_range<size_t>(0, chunks), true,
      [&](const tbb::blocked_range<size_t>& r, bool ok) {
        for (size_t c = r.begin(); ok && c < r.end(); ++c) {
          const size_t begin = c * kChunk;
          ok = std::memcmp(a.data() + begin, b.data() + begin,
                           std::min(kChunk, a.size() - begin)) == 0;
        }
        return ok;
      },
      [](bool x, bool y) { return x && y; });
}

bool SameTensor(const ir::Tensor& a, const ir::Tensor& b) {
  if (a.dtype() != b.dtype() || a.dims() != b.dims()) return false;
  if (a.dtype() == ir::DataType::kString) return a.strings() == b.strings();
  return SameBytes(a.raw(), b.raw());
}

class InitializerDedupPass : public Pass {
 public:
  std::string name() const override { return "deduplicate_initializers"; }

  absl::StatusOr<bool> Run(ir::Graph& graph) override {
    GraphEditor ed(graph, opset());
    // Candidates in name order (std::map): the first name of a group is kept.
    std::vector<std::pair<const std::string*, const ir::Tensor*>> items;
    for (const auto& [name, t] : graph.initializers) {
      // Overridable (not a constant) or part of the interface: left alone.
      if (ed.IsGraphInput(name) || ed.IsGraphOutput(name)) continue;
      items.push_back({&name, &t});
    }
    // A sampled hash first (type, shape, the ends of the bytes); every byte
    // is hashed only for tensors whose samples collide. Most weights are
    // unique, and hashing all of them cost more than the rest of the pass.
    // Equal tensors have equal samples, so they still meet below.
    std::vector<size_t> hashes(items.size());
    tbb::parallel_for(size_t{0}, items.size(), [&](size_t i) {
      const ir::Tensor& t = *items[i].second;
      size_t h = absl::HashOf(static_cast<int>(t.dtype()), t.dims());
      if (t.dtype() == ir::DataType::kString) {
        for (const std::string& s : t.strings()) h = absl::HashOf(h, s);
      } else if (t.raw().size() <= 2 * kSampleBytes) {
        h = absl::HashOf(h, t.raw());
      } else {
        const absl::string_view raw = t.raw();
        h = absl::HashOf(h, raw.substr(0, kSampleBytes), raw.substr(raw.size() - kSampleBytes));
      }
      hashes[i] = h;
    });
    absl::flat_hash_map<size_t, int> sample_count;
    for (size_t h : hashes) ++sample_count[h];
    tbb::parallel_for(size_t{0}, items.size(), [&](size_t i) {
      const ir::Tensor& t = *items[i].second;
      if (t.dtype() != ir::DataType::kString && t.raw().size() > 2 * kSampleBytes &&
          sample_count.at(hashes[i]) > 1) {
        hashes[i] = absl::HashOf(hashes[i], HashBytes(t.raw()));
      }
    });
    absl::flat_hash_map<size_t, std::vector<size_t>> groups;  // hash -> kept items
    std::vector<std::pair<std::string, std::string>> replace;  // dup -> kept
    for (size_t i = 0; i < items.size(); ++i) {
      std::vector<size_t>& kept = groups[hashes[i]];
      bool dup = false;
      for (size_t k : kept) {
        if (SameTensor(*items[k].second, *items[i].second)) {
          replace.push_back({*items[i].first, *items[k].first});
          dup = true;
          break;
        }
      }
      if (!dup) kept.push_back(i);
    }
    int64_t removed = 0;
    for (const auto& [dup, keep] : replace) {
      ed.ReplaceAllUses(dup, keep);
      graph.initializers.erase(dup);
      graph.value_types.erase(dup);
      ++removed;
    }
    if (removed == 0) return false;
    RETURN_IF_ERROR(ed.Commit());
    CountChanges(removed);
    return true;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateCsePass() { return std::make_unique<CsePass>(); }

std::unique_ptr<Pass> CreateInitializerDedupPass() {
  return std::make_unique<InitializerDedupPass>();
}

}  // namespace onnxsmith::optimizer
