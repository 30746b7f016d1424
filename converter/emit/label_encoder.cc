#include "converter/emit/label_encoder.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ir/graph.h"

namespace onnxsmith::converter {
namespace {

using ir::Attribute;
using ir::DataType;

// The type LabelEncoder-2 carries `t` as.
DataType EncoderType(DataType t) {
  if (t == DataType::kInt32) return DataType::kInt64;
  if (t == DataType::kDouble) return DataType::kFloat;
  return t;
}

absl::Status AddEntries(const ir::Tensor& t, const std::string& what,
                        std::vector<Attribute>* attrs) {
  switch (EncoderType(t.dtype())) {
    case DataType::kString:
      attrs->push_back(Attribute::Strings(what + "_strings", t.strings()));
      return absl::OkStatus();
    case DataType::kInt64: {
      auto v = t.ToInt64s();
      if (!v.ok()) return v.status();
      attrs->push_back(Attribute::Ints(what + "_int64s", *v));
      return absl::OkStatus();
    }
    case DataType::kFloat: {
      auto v = t.ToDoubles();
      if (!v.ok()) return v.status();
      attrs->push_back(Attribute::Floats(what + "_floats", std::vector<float>(v->begin(), v->end())));
      return absl::OkStatus();
    }
    default:
      return absl::UnimplementedError(
          absl::StrCat(what, " of type ", ir::DataTypeName(t.dtype()),
                       " (LabelEncoder maps strings, int64 and floats)"));
  }
}

absl::Status AddDefault(const ir::Tensor& d, std::vector<Attribute>* attrs) {
  if (d.num_elements() != 1) return absl::UnimplementedError("a default value that is not one element");
  switch (EncoderType(d.dtype())) {
    case DataType::kString:
      attrs->push_back(Attribute::String("default_string", d.strings()[0]));
      return absl::OkStatus();
    case DataType::kInt64: {
      auto v = d.ToInt64s();
      if (!v.ok()) return v.status();
      attrs->push_back(Attribute::Int("default_int64", (*v)[0]));
      return absl::OkStatus();
    }
    default: {
      auto v = d.ToDoubles();
      if (!v.ok()) return v.status();
      attrs->push_back(Attribute::Float("default_float", static_cast<float>((*v)[0])));
      return absl::OkStatus();
    }
  }
}

}  // namespace

absl::StatusOr<std::string> EmitLabelEncoder(OnnxEmitter& e, const std::string& x,
                                             const ir::Tensor& keys, const ir::Tensor& values,
                                             const ir::Tensor& default_value) {
  std::vector<Attribute> attrs;
  if (auto s = AddEntries(keys, "keys", &attrs); !s.ok()) return s;
  if (auto s = AddEntries(values, "values", &attrs); !s.ok()) return s;
  if (auto s = AddDefault(default_value, &attrs); !s.ok()) return s;
  const DataType key_type = EncoderType(keys.dtype());
  std::string in = x;
  if (e.TypeOf(x).dtype != key_type) in = e.Cast(x, key_type);
  std::string out = e.AddNodeMulti("LabelEncoder", {in}, 1, std::move(attrs), "ai.onnx.ml")[0];
  ir::ValueType type = e.TypeOf(x);
  type.dtype = EncoderType(values.dtype());
  e.SetType(out, type);
  if (type.dtype != values.dtype()) out = e.Cast(out, values.dtype());
  return out;
}

}  // namespace onnxsmith::converter
