// Prints docs/targets.md from the shipped target profiles. A test diffs it
// with the checked-in file.
#include <cstdio>

#include "targets/profile.h"

int main() {
  auto profiles = onnxsmith::targets::BuiltinProfiles();
  if (!profiles.ok()) {
    std::fprintf(stderr, "%s\n", std::string(profiles.status().message()).c_str());
    return 1;
  }
  std::fputs(onnxsmith::targets::ProfilesMarkdown(*profiles).c_str(), stdout);
  return 0;
}
