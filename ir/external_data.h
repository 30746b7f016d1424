// ONNX external data: tensor bytes kept in a file next to the model, named by
// the TensorProto's external_data entries (location, offset, length). Needed
// past protobuf's 2 GB limit, and mappable (offsets aligned to 4096).
#ifndef ONNXSMITH_IR_EXTERNAL_DATA_H_
#define ONNXSMITH_IR_EXTERNAL_DATA_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "ir/tensor.h"
#include "onnx/onnx_pb.h"

namespace onnxsmith::ir {

// Offsets of external tensors are multiples of this (the page size), so each
// tensor can be memory-mapped on its own.
inline constexpr int64_t kExternalDataAlignment = 4096;
// Tensors this large or larger go to the data file with --external-data.
inline constexpr int64_t kDefaultExternalThreshold = 1024;
// Past this many serialized bytes a model cannot be one protobuf file.
inline constexpr int64_t kMaxProtoBytes = INT32_MAX;

// The directory holding `model_path` ("." for a bare name); external data is
// resolved relative to it.
std::string ModelDirectory(const std::string& model_path);

// Refuses a location that is empty, absolute or contains '..'; `what` names
// the tensor (or flag) in the error.
absl::Status CheckExternalLocation(const std::string& location, const std::string& what);

// Maps the bytes of an EXTERNAL tensor from `model_dir`. Refuses locations
// that are absolute or contain '..' (they would leave the model's directory),
// and offsets/lengths outside the file; errors name the tensor and the file.
absl::StatusOr<Tensor> ReadExternalTensor(const onnx::TensorProto& proto,
                                          const std::string& model_dir);

// Sets `proto` (name, type and dims already set, no data) to point at
// [offset, offset + length) of `location`.
void SetExternalLocation(const std::string& location, int64_t offset, int64_t length,
                         onnx::TensorProto* proto);

}  // namespace onnxsmith::ir

#endif  // ONNXSMITH_IR_EXTERNAL_DATA_H_
