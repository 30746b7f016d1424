// A target profile file (targets/profiles/*.json, or --target FILE.json) ->
// ParseProfile -> the docs renderer: every field read strictly, errors as
// statuses, never a throw or a crash.
#include <string>

#include "targets/profile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace onnxsmith;
  auto profile = targets::ParseProfile(std::string(reinterpret_cast<const char*>(data), size), "fuzz.json");
  if (!profile.ok()) return 0;
  (void)targets::ProfilesMarkdown({*profile});
  (void)profile->AllowsOp("Conv");
  return 0;
}
