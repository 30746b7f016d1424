// A SavedModel as three length-prefixed parts (fuzz_util.h): saved_model.pb,
// variables/variables.index, variables/variables.data-00000-of-00001; written
// to a scratch directory, then loaded (signature, inlining, freezing from the
// checkpoint), converted, optimized and serialized.
#include "converter/saved_model/saved_model_loader.h"
#include "converter/tf_converter.h"
#include "converter/checkpoint/crc32c.h"
#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace onnxsmith;
  checkpoint::SetIgnoreChecksumsForFuzzing(true);
  auto parts = fuzz::SplitParts(data, size, 3);
  fuzz::ClearScratch();
  fuzz::WriteScratch("sm/saved_model.pb", parts[0]);
  fuzz::WriteScratch("sm/variables/variables.index", parts[1]);
  fuzz::WriteScratch("sm/variables/variables.data-00000-of-00001", parts[2]);
  auto frozen = converter::LoadSavedModel(fuzz::ScratchDir() + "/sm");
  if (!frozen.ok()) return 0;
  converter::ConvertOptions options;
  options.inputs = frozen->inputs;
  options.outputs = frozen->outputs;
  options.const_values = frozen->const_values;
  auto converted = converter::ConvertGraphDef(frozen->graph, options);
  if (!converted.ok()) return 0;
  fuzz::OptimizeAndExport(converted->model);
  return 0;
}
