#include "converter/keras/layer_registry.h"

namespace onnxsmith::converter::keras {

const LayerRegistry& LayerRegistry::Global() {
  static const LayerRegistry* registry = [] {
    auto* r = new LayerRegistry();
    RegisterCoreLayers(*r);
    RegisterConvLayers(*r);
    RegisterNormalizationLayers(*r);
    RegisterKerasOps(*r);
    RegisterRecurrentLayers(*r);
    RegisterAttentionLayers(*r);
    return r;
  }();
  return *registry;
}

void LayerRegistry::Register(const std::vector<std::string>& class_names, LayerFn fn) {
  for (const std::string& c : class_names) table_[c] = fn;
}

LayerFn LayerRegistry::Find(const std::string& class_name) const {
  auto it = table_.find(class_name);
  return it == table_.end() ? nullptr : it->second;
}

std::vector<std::string> LayerRegistry::Classes() const {
  std::vector<std::string> out;
  for (const auto& [name, fn] : table_) out.push_back(name);
  return out;
}

}  // namespace onnxsmith::converter::keras
