#include "converter/emit/op_context.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace onnxsmith::converter {

OpContext::OpContext(GraphBuilder* builder, std::string scope, int opset, std::string subject,
                     std::vector<std::string> inputs)
    : OnnxEmitter(builder, std::move(scope), opset),
      subject_(std::move(subject)),
      inputs_(std::move(inputs)) {}

const std::string& OpContext::input(int i) const {
  static const std::string* const kNone = new std::string();
  return i < 0 || i >= num_inputs() ? *kNone : inputs_[i];
}

absl::Status OpContext::Error(const std::string& message) const {
  return absl::InvalidArgumentError(absl::StrCat(subject_, ": ", message));
}

absl::Status OpContext::Unsupported(const std::string& what) const {
  return absl::UnimplementedError(absl::StrCat(subject_, ": unsupported: ", what));
}

}  // namespace onnxsmith::converter
