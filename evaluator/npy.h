// NumPy .npy files (format versions 1.0, 2.0 and 3.0; C order; dtypes <f4
// <f8 <i4 <i8 <i2 <u2 <u4 <u8 <f2 |b1 |u1 |i1) to and from ir::Tensor. Every
// header field and size is checked: a corrupt or truncated file is a clear
// error, never a crash.
#ifndef ONNXSMITH_EVALUATOR_NPY_H_
#define ONNXSMITH_EVALUATOR_NPY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ir/tensor.h"

namespace onnxsmith::evaluator {

absl::StatusOr<ir::Tensor> ParseNpy(absl::string_view bytes);

// The header alone, from the first bytes of a file (at least through the
// header; streaming readers then read the data from data_offset on).
struct NpyHeader {
  ir::DataType dtype = ir::DataType::kUndefined;
  std::vector<int64_t> shape;
  int64_t num_elements = 0;
  size_t data_offset = 0;
};
absl::StatusOr<NpyHeader> ParseNpyHeader(absl::string_view bytes);
absl::StatusOr<std::string> SerializeNpy(const ir::Tensor& tensor);

absl::StatusOr<ir::Tensor> ReadNpy(const std::string& path);
// Written atomically.
absl::Status WriteNpy(const std::string& path, const ir::Tensor& tensor);

}  // namespace onnxsmith::evaluator

#endif  // ONNXSMITH_EVALUATOR_NPY_H_
