#include "ir/external_data.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/mapped_file.h"

namespace onnxsmith::ir {

std::string ModelDirectory(const std::string& model_path) {
  const size_t slash = model_path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return model_path.substr(0, slash);
}



absl::Status CheckExternalLocation(const std::string& location, const std::string& what) {
  if (location.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is stored externally without a location"));
  }
  if (location[0] == '/' || location[0] == '\\') {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": external data location '", location,
        "' is an absolute path; only paths relative to the model's directory are read"));
  }
  for (absl::string_view part : absl::StrSplit(location, absl::ByAnyChar("/\\"))) {
    if (part == "..") {
      return absl::InvalidArgumentError(absl::StrCat(
          what, ": external data location '", location,
          "' leaves the model's directory ('..'); refused"));
    }
  }
  return absl::OkStatus();
}

namespace {

absl::StatusOr<int64_t> ParseField(const std::string& key, const std::string& value,
                                   const std::string& what) {
  int64_t v = 0;
  if (!absl::SimpleAtoi(value, &v) || v < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": external data ", key, " '", value, "' is not a non-negative integer"));
  }
  return v;
}

}  // namespace

absl::StatusOr<Tensor> ReadExternalTensor(const onnx::TensorProto& proto,
                                          const std::string& model_dir) {
  const std::string what = absl::StrCat("tensor '", proto.name(), "'");
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto& entry : proto.external_data()) {
    if (entry.key() == "location") {
      location = entry.value();
    } else if (entry.key() == "offset") {
      auto v = ParseField("offset", entry.value(), what);
      if (!v.ok()) return v.status();
      offset = *v;
    } else if (entry.key() == "length") {
      auto v = ParseField("length", entry.value(), what);
      if (!v.ok()) return v.status();
      length = *v;
    }
  }
  if (absl::Status s = CheckExternalLocation(location, what); !s.ok()) return s;
  if (model_dir.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " uses external data, but the model's directory is unknown"));
  }
  const std::string path = absl::StrCat(model_dir, "/", location);
  const DataType dtype = static_cast<DataType>(proto.data_type());
  if (ElementSize(dtype) == 0) {
    return absl::UnimplementedError(absl::StrCat(
        what, " of type ", DataTypeName(dtype), " in external data is not supported"));
  }
  if (length < 0) {
    auto size = FileSize(path);
    if (!size.ok()) return absl::NotFoundError(absl::StrCat(what, ": ", size.status().message()));
    length = *size - offset;
    if (length < 0) {
      return absl::OutOfRangeError(
          absl::StrCat(what, ": external data offset ", offset, " is past the end of ", path));
    }
  }
  auto region = MapFileRange(path, offset, length, what);
  if (!region.ok()) return region.status();
  std::vector<int64_t> dims(proto.dims().begin(), proto.dims().end());
  const absl::string_view bytes = (*region)->bytes();
  auto t = Tensor::FromShared(dtype, std::move(dims), *std::move(region), bytes);
  if (!t.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " (external data in ", path, "): ", t.status().message()));
  }
  return t;
}

void SetExternalLocation(const std::string& location, int64_t offset, int64_t length,
                         onnx::TensorProto* proto) {
  proto->set_data_location(onnx::TensorProto::EXTERNAL);
  auto add = [&](const char* key, const std::string& value) {
    auto* e = proto->add_external_data();
    e->set_key(key);
    e->set_value(value);
  };
  add("location", location);
  add("offset", absl::StrCat(offset));
  add("length", absl::StrCat(length));
}

}  // namespace onnxsmith::ir
