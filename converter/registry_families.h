// What the TF op registry (handlers/registry.h) and the Keras layer registry
// (keras/layer_registry.h) share: both are built from a fixed list of
// families, one registration function per family file, and both reject a
// duplicate the same way (the first registration stays; status() reports the
// duplicate, which a unit test requires OK).
#ifndef ONNXSMITH_CONVERTER_REGISTRY_FAMILIES_H_
#define ONNXSMITH_CONVERTER_REGISTRY_FAMILIES_H_

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace onnxsmith::converter {

template <typename Registry>
struct RegistryFamily {
  const char* name;
  void (*register_fn)(Registry& r);
};

// The registry of `families`, duplicates dropped (see status()).
template <typename Registry>
Registry RegistryFromFamilies(absl::Span<const RegistryFamily<Registry>> families) {
  Registry r;
  for (const RegistryFamily<Registry>& f : families) f.register_fn(r);
  return r;
}

// The registry of `families`, or the first duplicate registration.
template <typename Registry>
absl::StatusOr<Registry> BuildRegistry(absl::Span<const RegistryFamily<Registry>> families) {
  Registry r = RegistryFromFamilies(families);
  if (!r.status().ok()) return r.status();
  return r;
}

}  // namespace onnxsmith::converter

#endif  // ONNXSMITH_CONVERTER_REGISTRY_FAMILIES_H_
