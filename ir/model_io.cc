#include "ir/model_io.h"

#include <exception>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "onnx/checker.h"
#include "onnx/shape_inference/implementation.h"

namespace onnxsmith::ir {

namespace {

// ONNX needs a type and a rank on every graph output (the checker enforces
// it); say which output lacks one rather than the checker's generic message.
absl::Status CheckOutputsTyped(const onnx::ModelProto& proto) {
  for (const auto& out : proto.graph().output()) {
    if (!out.type().tensor_type().has_shape()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "output '", out.name(), "' has an unknown type or rank after conversion, and ONNX "
          "needs both on graph outputs; give the input shapes with --inputs, or the output's "
          "shape with --outputs ", out.name(), "[d0,d1,...] (-1 for unknown dims)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ValidationReport> ValidateModel(onnx::ModelProto* proto) {
  ValidationReport report;
  int64_t opset = 0;
  for (const auto& op : proto->opset_import()) {
    if (op.domain().empty() || op.domain() == "ai.onnx") opset = op.version();
  }
  if (opset > kMaxCheckerOpset) {
    if (absl::Status s = CheckOutputsTyped(*proto); !s.ok()) return s;
    report.skipped_reason = absl::StrCat("opset ", opset, " is past libonnx's checker (max ",
                                         kMaxCheckerOpset, "); validate with a newer onnx");
    return report;
  }
  // Graph outputs need a shape for the checker: take what inference knows
  // (on a copy of the whole model, so only when one lacks it).
  bool untyped_output = false;
  for (const auto& out : proto->graph().output()) {
    untyped_output |= !out.type().tensor_type().has_shape();
  }
  if (untyped_output) {
    try {
      onnx::ModelProto inferred = *proto;
      onnx::shape_inference::InferShapes(inferred);
      std::unordered_map<std::string, const onnx::TypeProto*> known;
      for (const auto& vi : inferred.graph().value_info()) known[vi.name()] = &vi.type();
      for (const auto& vi : inferred.graph().output()) known[vi.name()] = &vi.type();
      for (auto& out : *proto->mutable_graph()->mutable_output()) {
        if (out.type().tensor_type().has_shape()) continue;
        auto it = known.find(out.name());
        if (it != known.end() && it->second->tensor_type().has_shape()) {
          *out.mutable_type() = *it->second;
        }
      }
    } catch (const std::exception&) {
      // The strict pass below reports the problem.
    }
  }
  if (absl::Status s = CheckOutputsTyped(*proto); !s.ok()) return s;
  try {
    onnx::checker::check_model(*proto);
    report.checked = true;
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("the ONNX checker rejected the model: ", e.what()));
  }
  try {
    onnx::ShapeInferenceOptions options(/*check_type=*/true, /*strict_mode=*/1,
                                        /*data_prop=*/false);
    onnx::shape_inference::InferShapes(*proto, onnx::OpSchemaRegistry::Instance(), options);
    report.shapes_inferred = true;
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("ONNX shape inference failed: ", e.what()));
  }
  return report;
}

absl::Status WriteModelProto(const onnx::ModelProto& proto, const std::string& path) {
  if (proto.ByteSizeLong() > static_cast<size_t>(INT32_MAX)) {
    return absl::UnimplementedError(
        absl::StrCat("the model is over 2 GB; external data output is not supported yet (", path,
                     ")"));
  }
  std::string bytes;
  if (!proto.SerializeToString(&bytes)) {
    return absl::InternalError(absl::StrCat("cannot serialize the model for ", path));
  }
  return WriteFileAtomically(path, bytes);
}

absl::StatusOr<onnx::ModelProto> ReadModelProto(const std::string& path) {
  auto bytes = ReadFile(path);
  if (!bytes.ok()) return bytes.status();
  onnx::ModelProto proto;
  if (!proto.ParseFromString(*bytes) || !proto.has_graph()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not an ONNX model (protobuf parse failed or no graph)"));
  }
  return proto;
}

}  // namespace onnxsmith::ir
