#include "converter/handlers/registry.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace onnxsmith::converter {

void HandlerRegistry::Register(const std::vector<std::string>& tf_ops, int since_opset,
                               InputArity inputs, ConvertFn fn) {
  for (const std::string& op : tf_ops) {
    auto& versions = table_[op];
    const bool duplicate = std::any_of(versions.begin(), versions.end(),
                                       [&](const HandlerVersion& v) {
                                         return v.since_opset == since_opset;
                                       });
    if (duplicate) {
      if (status_.ok()) {
        status_ = absl::AlreadyExistsError(
            absl::StrCat("TF op '", op, "' is registered twice from opset ", since_opset));
      }
      continue;
    }
    versions.push_back({since_opset, inputs, fn});
    std::sort(versions.begin(), versions.end(),
              [](const HandlerVersion& a, const HandlerVersion& b) {
                return a.since_opset < b.since_opset;
              });
  }
}

const HandlerVersion* HandlerRegistry::Lookup(const std::string& tf_op, int opset) const {
  auto it = table_.find(tf_op);
  if (it == table_.end()) return nullptr;
  const HandlerVersion* best = nullptr;
  for (const HandlerVersion& v : it->second) {
    if (v.since_opset <= opset) best = &v;
  }
  return best;
}

std::vector<int> HandlerRegistry::SupportedOpsets(const std::string& tf_op) const {
  std::vector<int> opsets;
  for (int opset = kMinOpset; opset <= kMaxOpset; ++opset) {
    if (Find(tf_op, opset) != nullptr) opsets.push_back(opset);
  }
  return opsets;
}

std::vector<std::string> HandlerRegistry::Ops() const {
  std::vector<std::string> ops;
  for (const auto& [op, versions] : table_) ops.push_back(op);
  return ops;
}

}  // namespace onnxsmith::converter
