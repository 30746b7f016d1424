// Checking and writing a model without copying its weights: the ONNX checker
// sees a ModelProto whose large initializers carry no bytes (each points at
// its place in the external data file, which the 1.12 checker does not open),
// and the writer streams the IR's own tensor bytes into the file(s).
//
// Inline output is byte for byte what WriteModelProto(ToModelProto(model))
// writes. External output (--external-data, or automatically past protobuf's
// 2 GB) is OUT.onnx plus a data file next to it holding every main-graph
// initializer of at least `threshold` bytes, each at an offset aligned to
// 4096 so that readers (ours, ONNX Runtime) can map it.
#ifndef ONNXSMITH_IR_MODEL_WRITER_H_
#define ONNXSMITH_IR_MODEL_WRITER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/external_data.h"
#include "ir/graph.h"
#include "ir/model_io.h"
#include "onnx/onnx_pb.h"

namespace onnxsmith::ir {

struct ExternalDataOptions {
  bool enabled = false;  // --external-data; also switched on past 2 GB
  // The data file, relative to the output's directory; "" = OUT.onnx.data.
  std::string location;
  int64_t threshold = kDefaultExternalThreshold;
};

struct CheckedModel {
  // ToModelProto(model) completed by the checker, except that main-graph
  // initializers of `streamed` carry no bytes (see above).
  onnx::ModelProto proto;
  ValidationReport validation;
  // Per main-graph initializer, in proto order: its tensor (shared bytes)
  // when the writer streams them, else an empty tensor (inline in proto).
  std::vector<Tensor> streamed;
  bool external = false;       // streamed tensors go to the data file
  std::string data_location;   // the data file's name, when external
  std::string output_path;
};

// Chooses inline or external output for `output_path` (external when asked
// or when the weights pass 2 GB), builds the proto and checks it (unless
// !check: then validation says `skipped_reason`).
absl::StatusOr<CheckedModel> ToCheckedModel(const Model& model, bool check,
                                            const std::string& skipped_reason,
                                            const std::string& output_path,
                                            const ExternalDataOptions& external = {});

// Writes the model (and its data file) atomically: each file is either whole
// or untouched. `path` must be the output_path given to ToCheckedModel.
absl::Status WriteCheckedModel(CheckedModel& m, const std::string& path);

// The location a user named for the data file, checked as readers check it
// (relative, inside the output's directory).
absl::Status CheckDataLocation(const std::string& location);

}  // namespace onnxsmith::ir

#endif  // ONNXSMITH_IR_MODEL_WRITER_H_
