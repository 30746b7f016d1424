#include "converter/io_spec.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace onnxsmith::converter {

std::vector<std::string> SplitTopLevel(const std::string& text) {
  std::vector<std::string> parts;
  std::string current;
  int depth = 0;
  for (char c : text) {
    if (c == '[') ++depth;
    if (c == ']') --depth;
    if (c == ',' && depth == 0) {
      parts.push_back(current);
      current.clear();
    } else {
      current.push_back(c);
    }
  }
  parts.push_back(current);
  std::vector<std::string> out;
  for (auto& p : parts) {
    std::string s(absl::StripAsciiWhitespace(p));
    if (!s.empty()) out.push_back(s);
  }
  return out;
}

absl::StatusOr<TensorSpec> ParseTensorSpec(const std::string& text) {
  TensorSpec spec;
  std::string name = text;
  const size_t bracket = text.find('[');
  if (bracket != std::string::npos) {
    if (text.back() != ']') {
      return absl::InvalidArgumentError(
          absl::StrCat("bad shape override in '", text, "': expected name[d0,d1,...]"));
    }
    name = text.substr(0, bracket);
    std::string dims_text = text.substr(bracket + 1, text.size() - bracket - 2);
    std::vector<int64_t> dims;
    if (!absl::StripAsciiWhitespace(dims_text).empty()) {
      for (absl::string_view d : absl::StrSplit(dims_text, ',')) {
        d = absl::StripAsciiWhitespace(d);
        int64_t v;
        if (d == "?" || d == "-1") {
          v = -1;
        } else if (!absl::SimpleAtoi(d, &v) || v < 0 || v > kMaxSpecDim) {
          return absl::InvalidArgumentError(absl::StrCat(
              "bad shape override in '", text, "': dimension '", d,
              "' is not a size (0..2^32) or -1/? for unknown"));
        }
        dims.push_back(v);
      }
    }
    if (static_cast<int>(dims.size()) > kMaxSpecRank) {
      return absl::InvalidArgumentError(absl::StrCat("bad shape override in '", text,
                                                     "': rank above ", kMaxSpecRank));
    }
    spec.shape = std::move(dims);
  }
  const size_t colon = name.rfind(':');
  if (colon != std::string::npos) {
    int index;
    if (!absl::SimpleAtoi(name.substr(colon + 1), &index) || index < 0 || index > 100000) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad tensor name '", name, "': expected node or node:index"));
    }
    spec.output = index;
    name = name.substr(0, colon);
  }
  if (name.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("empty tensor name in '", text, "'"));
  }
  spec.node = name;
  return spec;
}

absl::StatusOr<std::vector<TensorSpec>> ParseTensorSpecList(const std::string& text) {
  std::vector<TensorSpec> specs;
  for (const std::string& part : SplitTopLevel(text)) {
    auto spec = ParseTensorSpec(part);
    if (!spec.ok()) return spec.status();
    specs.push_back(*std::move(spec));
  }
  return specs;
}

absl::Status CheckNchwList(const std::vector<std::string>& list, const char* flag,
                           const char* what, const std::vector<std::string>& names,
                           const std::function<bool(const std::string&, size_t)>& matches) {
  for (const std::string& entry : list) {
    bool found = false;
    for (size_t i = 0; i < names.size() && !found; ++i) found = matches(entry, i);
    if (!found) {
      const std::string known = names.empty() ? absl::StrCat("the graph has no ", what, "s")
                                              : absl::StrCat(what, "s: ", absl::StrJoin(names, ", "));
      return absl::InvalidArgumentError(
          absl::StrCat(flag, ": '", entry, "' is not a graph ", what, " (", known, ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace onnxsmith::converter
