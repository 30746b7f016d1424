#include "targets/layout.h"

#include <deque>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace onnxsmith::targets {
namespace {

// [0, 2, ..., r-1, 1]: NCHW -> NHWC.
bool IsToChannelsLast(const std::vector<int64_t>& p) {
  const int64_t r = static_cast<int64_t>(p.size());
  if (r < 3 || p[0] != 0 || p[r - 1] != 1) return false;
  for (int64_t i = 1; i < r - 1; ++i) {
    if (p[i] != i + 1) return false;
  }
  return true;
}

// [0, r-1, 1, ..., r-2]: NHWC -> NCHW.
bool IsToChannelsFirst(const std::vector<int64_t>& p) {
  const int64_t r = static_cast<int64_t>(p.size());
  if (r < 3 || p[0] != 0 || p[1] != r - 1) return false;
  for (int64_t i = 2; i < r; ++i) {
    if (p[i] != i - 1) return false;
  }
  return true;
}

std::vector<int64_t> Perm(const ir::Node& n) {
  const ir::Attribute* a = n.FindAttr("perm");
  return a == nullptr ? std::vector<int64_t>{} : a->ints;
}

bool IsTranspose(const ir::Node& n) { return n.domain.empty() && n.op_type == "Transpose"; }

// Ops past which a 4-D layout no longer means channels (the data is
// reshaped): a Transpose before them is the boundary of the spatial part.
bool EndsLayout(const ir::Node& n) {
  static const std::set<std::string> ops = {"Reshape", "Flatten", "Squeeze", "Unsqueeze",
                                            "Shape", "Size"};
  return ops.count(n.op_type) > 0;
}

}  // namespace

std::map<const ir::Node*, std::string> NchwLayoutViolations(const ir::Graph& g) {
  std::map<const ir::Node*, std::string> out;
  const ir::Graph::Index index = g.BuildIndex();
  auto consumers = [&](const std::string& v) {
    auto it = index.consumers.find(v);
    return it == index.consumers.end() ? std::vector<ir::Node*>{} : it->second;
  };
  for (const auto& node : g.nodes) {
    const ir::Node& a = *node;
    if (!IsTranspose(a) || !IsToChannelsLast(Perm(a))) continue;
    // Forward from a's output to the Transposes its data meets first.
    std::deque<const ir::Node*> queue;
    std::set<const ir::Node*> seen;
    std::vector<std::string> between;
    for (const ir::Node* c : consumers(a.outputs[0])) queue.push_back(c);
    const ir::Node* back = nullptr;
    while (!queue.empty() && back == nullptr && seen.size() < 256) {
      const ir::Node* n = queue.front();
      queue.pop_front();
      if (!seen.insert(n).second || EndsLayout(*n)) continue;
      if (IsTranspose(*n)) {
        if (IsToChannelsFirst(Perm(*n)) && Perm(*n).size() == Perm(a).size()) back = n;
        continue;
      }
      if (between.size() < 4) between.push_back(absl::StrCat(n->op_type, " '", n->name, "'"));
      for (const std::string& o : n->outputs) {
        for (const ir::Node* c : consumers(o)) queue.push_back(c);
      }
    }
    if (back == nullptr) continue;
    const std::string ops = between.empty() ? "nothing" : absl::StrJoin(between, ", ");
    out[&a] = absl::StrCat("layout: NCHW -> NHWC Transpose whose data comes back to NCHW at '", back->name,
                           "': ", ops, " between run channels-last; the target's layout is NCHW");
    if (!out.count(back)) {
      out[back] = absl::StrCat("layout: NHWC -> NCHW Transpose undoing '", a.name,
                               "' (a round trip through channels-last); the target's layout is NCHW");
    }
  }
  return out;
}

}  // namespace onnxsmith::targets
