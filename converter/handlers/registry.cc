#include "converter/handlers/registry.h"

#include <algorithm>

namespace onnxsmith::converter {

const HandlerRegistry& HandlerRegistry::Global() {
  static const HandlerRegistry* registry = [] {
    auto* r = new HandlerRegistry();
    RegisterGraphOps(*r);
    RegisterMathOps(*r);
    RegisterNnOps(*r);
    RegisterArrayOps(*r);
    RegisterEinsumOps(*r);
    RegisterFakeQuantOps(*r);
    RegisterBitwiseOps(*r);
    RegisterMathSpecialOps(*r);
    RegisterSpaceBatchOps(*r);
    RegisterScatterOps(*r);
    RegisterReorderOps(*r);
    RegisterRandomOps(*r);
    RegisterSelectionOps(*r);
    return r;
  }();
  return *registry;
}

void HandlerRegistry::Register(const std::vector<std::string>& tf_ops, int since_opset,
                               ConvertFn fn) {
  for (const std::string& op : tf_ops) {
    auto& versions = table_[op];
    versions.push_back({since_opset, fn});
    std::sort(versions.begin(), versions.end(),
              [](const HandlerVersion& a, const HandlerVersion& b) {
                return a.since_opset < b.since_opset;
              });
  }
}

ConvertFn HandlerRegistry::Find(const std::string& tf_op, int opset) const {
  auto it = table_.find(tf_op);
  if (it == table_.end()) return nullptr;
  ConvertFn best = nullptr;
  for (const HandlerVersion& v : it->second) {
    if (v.since_opset <= opset) best = v.fn;
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
