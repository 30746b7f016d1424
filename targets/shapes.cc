#include "targets/shapes.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace onnxsmith::targets {
namespace {

std::string DimsText(const ir::ValueType& t) {
  if (!t.shape) return "rank unknown";
  std::vector<std::string> parts;
  for (const ir::Dim& d : *t.shape) parts.push_back(d.known() ? absl::StrCat(d.size) : d.param.empty() ? "?" : d.param);
  return absl::StrJoin(parts, "x");
}

}  // namespace

absl::StatusOr<std::map<std::string, std::vector<int64_t>>> ParseFixShapes(
    const std::vector<std::string>& specs) {
  std::map<std::string, std::vector<int64_t>> out;
  for (const std::string& occurrence : specs) {
    for (absl::string_view spec : absl::StrSplit(occurrence, ',', absl::SkipWhitespace())) {
      const size_t colon = spec.rfind(':');
      if (colon == absl::string_view::npos || colon == 0 || colon + 1 == spec.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("--fix-shape: '", spec, "' is not NAME:DIMS (e.g. input:1x224x224x3)"));
      }
      std::vector<int64_t> dims;
      for (absl::string_view d : absl::StrSplit(spec.substr(colon + 1), 'x')) {
        int64_t v = 0;
        if (!absl::SimpleAtoi(d, &v) || v <= 0) {
          return absl::InvalidArgumentError(
              absl::StrCat("--fix-shape: '", spec, "': dims must be positive integers joined by 'x'"));
        }
        dims.push_back(v);
      }
      out[std::string(spec.substr(0, colon))] = dims;
    }
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> FixShapes(ir::Model& model,
                                                   const std::map<std::string, std::vector<int64_t>>& shapes,
                                                   int64_t batch) {
  ir::Graph& g = model.graph;
  std::vector<std::string> names;
  for (const ir::ValueInfo& v : g.inputs) {
    if (!g.IsInitializer(v.name)) names.push_back(v.name);
  }
  std::vector<std::string> notes;
  for (const auto& [name, dims] : shapes) {
    ir::ValueInfo* input = nullptr;
    for (ir::ValueInfo& v : g.inputs) {
      if (v.name == name && !g.IsInitializer(v.name)) input = &v;
    }
    if (input == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("--fix-shape: the model has no input '", name,
                                                     "' (its inputs: ", absl::StrJoin(names, ", "), ")"));
    }
    const std::string before = DimsText(input->type);
    if (input->type.shape) {
      if (input->type.shape->size() != dims.size()) {
        return absl::InvalidArgumentError(absl::StrCat("--fix-shape ", name, ": rank ", dims.size(),
                                                       ", the input has rank ", input->type.shape->size(), " (",
                                                       before, ")"));
      }
      for (size_t i = 0; i < dims.size(); ++i) {
        const ir::Dim& d = (*input->type.shape)[i];
        if (d.known() && d.size != dims[i]) {
          return absl::InvalidArgumentError(absl::StrCat("--fix-shape ", name, ": dim ", i, " is ", d.size,
                                                         " in the model, not ", dims[i], " (", before, ")"));
        }
      }
    }
    std::vector<ir::Dim> fixed;
    for (int64_t d : dims) fixed.push_back(ir::Dim{d, ""});
    input->type.shape = fixed;
    if (DimsText(input->type) != before) {
      notes.push_back(absl::StrCat("input '", name, "' fixed to ", DimsText(input->type), " (was ", before, ")"));
    }
  }
  if (batch > 0) {
    for (ir::ValueInfo& v : g.inputs) {
      if (g.IsInitializer(v.name) || !v.type.shape || v.type.shape->empty()) continue;
      ir::Dim& d = v.type.shape->front();
      if (d.known() && d.size == batch) continue;
      if (d.known()) {
        return absl::InvalidArgumentError(absl::StrCat("--batch ", batch, ": input '", v.name,
                                                       "' has batch ", d.size, " in the model"));
      }
      d = ir::Dim{batch, ""};
      notes.push_back(absl::StrCat("input '", v.name, "' batch set to ", batch));
    }
  }
  if (!notes.empty()) {
    // Types that hold unknown dims are redone by shape inference.
    for (auto it = g.value_types.begin(); it != g.value_types.end();) {
      bool unknown = !it->second.shape.has_value();
      if (it->second.shape) {
        for (const ir::Dim& d : *it->second.shape) unknown |= !d.known();
      }
      it = unknown && !g.IsGraphOutput(it->first) ? g.value_types.erase(it) : std::next(it);
    }
  }
  return notes;
}

}  // namespace onnxsmith::targets
