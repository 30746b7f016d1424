// A calibration .npz -> OpenCalibrationData -> every sample streamed, for a
// model with two inputs (x float32 [N,3,4,4] with a symbolic batch, ids
// int64 [2]): the archive, each .npy header and the sample reads are the
// parser of downloaded data under test.
#include "fuzz/fuzz_util.h"
#include "quantize/calibration_data.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace onnxsmith;
  std::string path = fuzz::WriteScratch("calib.npz", {reinterpret_cast<const char*>(data), size});
  std::vector<ir::ValueInfo> inputs(2);
  inputs[0].name = "x";
  inputs[0].type.dtype = ir::DataType::kFloat;
  inputs[0].type.shape = std::vector<ir::Dim>{{-1, "N"}, {3, ""}, {4, ""}, {4, ""}};
  inputs[1].name = "ids";
  inputs[1].type.dtype = ir::DataType::kInt64;
  inputs[1].type.shape = std::vector<ir::Dim>{{2, ""}};
  quantize::CalibrationLimits limits;
  limits.max_sample_bytes = 1 << 20;
  auto source = quantize::OpenCalibrationData(path, inputs, limits);
  if (!source.ok()) return 0;
  quantize::Sample s;
  for (int i = 0; i < 100000; ++i) {
    auto more = (*source)->Next(&s);
    if (!more.ok() || !*more) break;
  }
  return 0;
}
