#include "cli/external_data_flags.h"

#include "absl/strings/str_cat.h"
#include "cli/command_line.h"

namespace onnxsmith::cli {

void AddExternalDataFlags(CLI::App* sub, ir::ExternalDataOptions* o) {
  sub->add_flag(FlagNames("external-data"), o->enabled,
                "write large initializers to a data file next to the output (OUT.onnx.data, "
                "offsets aligned to 4096); automatic when the model passes 2 GB");
  sub->add_option(FlagNames("external-data-file"), o->location,
                  "--external-data: the data file's name, in the output's directory")
      ->each([o](const std::string&) { o->enabled = true; });
  sub->add_option(FlagNames("external-data-threshold"), o->threshold,
                  absl::StrCat("--external-data: initializers of at least this many bytes go to "
                               "the data file (default ", ir::kDefaultExternalThreshold, ")"));
}

}  // namespace onnxsmith::cli
