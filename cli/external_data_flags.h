// --external-data and friends, shared by convert, optimize and quantize.
#ifndef ONNXSMITH_CLI_EXTERNAL_DATA_FLAGS_H_
#define ONNXSMITH_CLI_EXTERNAL_DATA_FLAGS_H_

#include "CLI/CLI.hpp"
#include "ir/model_writer.h"

namespace onnxsmith::cli {

void AddExternalDataFlags(CLI::App* sub, ir::ExternalDataOptions* o);

}  // namespace onnxsmith::cli

#endif  // ONNXSMITH_CLI_EXTERNAL_DATA_FLAGS_H_
