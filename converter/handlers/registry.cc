#include "converter/handlers/registry.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace onnxsmith::converter {

// Families of issue 14's op breadth, declared here beside their one use.
void RegisterMatrixOps(HandlerRegistry& r);         // diagonals, Det, MatrixInverse, MatrixSolve
void RegisterMiscOps(HandlerRegistry& r);           // Cumprod, ListDiff, CTC decoder, xent losses
void RegisterImageColorOps(HandlerRegistry& r);     // HSV conversions, Adjust*
void RegisterImageResampleOps(HandlerRegistry& r);  // ResizeArea, CropAndResize, patches, argmax pool
void RegisterSignalOps(HandlerRegistry& r);         // FFT family (DFT), complex parts

absl::Span<const HandlerFamily> HandlerFamilies() {
  static constexpr HandlerFamily kFamilies[] = {
      {"graph", RegisterGraphOps},   {"math", RegisterMathOps},
      {"reduce", RegisterReduceOps}, {"nn", RegisterNnOps},
      {"conv", RegisterConvOps},     {"shape", RegisterShapeOps},
      {"join_split", RegisterJoinSplitOps}, {"slice", RegisterSliceOps},
      {"pad", RegisterPadOps},       {"fill", RegisterFillOps},
      {"index", RegisterIndexOps},   {"image", RegisterImageOps},
      {"einsum", RegisterEinsumOps},
      {"fake_quant", RegisterFakeQuantOps},
      {"bitwise", RegisterBitwiseOps},
      {"math_special", RegisterMathSpecialOps},
      {"space_batch", RegisterSpaceBatchOps},
      {"scatter", RegisterScatterOps},
      {"reorder", RegisterReorderOps},
      {"random", RegisterRandomOps},
      {"selection", RegisterSelectionOps},
      {"matrix", RegisterMatrixOps},
      {"misc", RegisterMiscOps},
      {"image_color", RegisterImageColorOps},
      {"image_resample", RegisterImageResampleOps},
      {"signal", RegisterSignalOps},
      {"sparse", RegisterSparseOps},
      {"string", RegisterStringOps},
      {"ragged", RegisterRaggedOps},
      {"lookup", RegisterLookupOps},
      {"control_flow", RegisterControlFlowOps},
      {"tensor_list", RegisterTensorListOps},
  };
  return kFamilies;
}

const HandlerRegistry& HandlerRegistry::Global() {
  static const HandlerRegistry* registry = new HandlerRegistry(RegistryFromFamilies(HandlerFamilies()));
  return *registry;
}

void HandlerRegistry::Register(const std::vector<std::string>& tf_ops, int since_opset,
                               InputArity inputs, ConvertFn fn) {
  for (const std::string& op : tf_ops) {
    auto& versions = table_[op];
    const bool duplicate = std::any_of(versions.begin(), versions.end(),
                                       [&](const HandlerVersion& v) {
                                         return v.since_opset == since_opset;
                                       });
    if (duplicate) {
      if (status_.ok()) {
        status_ = absl::AlreadyExistsError(
            absl::StrCat("TF op '", op, "' is registered twice from opset ", since_opset));
      }
      continue;
    }
    versions.push_back({since_opset, inputs, fn});
    std::sort(versions.begin(), versions.end(),
              [](const HandlerVersion& a, const HandlerVersion& b) {
                return a.since_opset < b.since_opset;
              });
  }
}

const HandlerVersion* HandlerRegistry::Lookup(const std::string& tf_op, int opset) const {
  auto it = table_.find(tf_op);
  if (it == table_.end()) return nullptr;
  const HandlerVersion* best = nullptr;
  for (const HandlerVersion& v : it->second) {
    if (v.since_opset <= opset) best = &v;
  }
  return best;
}

std::vector<int> HandlerRegistry::SupportedOpsets(const std::string& tf_op) const {
  std::vector<int> opsets;
  for (int opset = kMinOpset; opset <= kMaxOpset; ++opset) {
    if (Find(tf_op, opset) != nullptr) opsets.push_back(opset);
  }
  return opsets;
}

std::vector<std::string> HandlerRegistry::Ops() const {
  std::vector<std::string> ops;
  for (const auto& [op, versions] : table_) ops.push_back(op);
  return ops;
}

}  // namespace onnxsmith::converter
