// A TensorBundle checkpoint as two length-prefixed parts (fuzz_util.h): the
// index table and one data shard. Opens the bundle and reads every variable.
#include "converter/checkpoint/tensor_bundle.h"
#include "converter/checkpoint/crc32c.h"
#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace onnxsmith;
  checkpoint::SetIgnoreChecksumsForFuzzing(true);
  auto parts = fuzz::SplitParts(data, size, 2);
  fuzz::ClearScratch();
  fuzz::WriteScratch("ckpt.index", parts[0]);
  fuzz::WriteScratch("ckpt.data-00000-of-00001", parts[1]);
  auto reader = checkpoint::TensorBundleReader::Open(fuzz::ScratchDir() + "/ckpt");
  if (!reader.ok()) return 0;
  for (const std::string& key : reader->Keys()) (void)reader->Read(key);
  return 0;
}
