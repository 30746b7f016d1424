#include "cli/inspect/inspect_doc.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "converter/tf/tensor_convert.h"

namespace onnxsmith::cli::inspect {

void TextView::Line(int indent, const std::string& text) {
  absl::StrAppend(&text_, std::string(indent, ' '), text, "\n");
}

size_t TextView::Shown(size_t n) const {
  return max_items_ <= 0 ? n : std::min(n, static_cast<size_t>(max_items_));
}

void TextView::List(int indent, const std::vector<std::string>& items) {
  const size_t shown = Shown(items.size());
  for (size_t i = 0; i < shown; ++i) Line(indent, items[i]);
  if (shown < items.size()) Line(indent, MoreText(items.size() - shown));
}

void TextView::Pairs(int indent, const std::vector<std::pair<std::string, std::string>>& rows) {
  const size_t shown = Shown(rows.size());
  size_t width = 0;
  for (size_t i = 0; i < shown; ++i) width = std::max(width, rows[i].first.size());
  width = std::min<size_t>(width, 48);
  std::vector<std::string> lines;
  for (size_t i = 0; i < rows.size(); ++i) {
    std::string left = rows[i].first;
    if (left.size() < width) left.resize(width, ' ');
    lines.push_back(absl::StrCat(left, "  ", rows[i].second));
  }
  List(indent, lines);
}

std::string TextView::Inline(const std::vector<std::string>& items) const {
  if (items.empty()) return "none";
  const size_t shown = Shown(items.size());
  std::string text = absl::StrJoin(items.begin(), items.begin() + shown, ", ");
  if (shown < items.size()) absl::StrAppend(&text, ", ", MoreText(items.size() - shown));
  return text;
}

std::string MoreText(size_t more) { return absl::StrCat("\u2026 and ", more, " more"); }

std::string Thousands(int64_t n) {
  std::string digits = absl::StrCat(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return n < 0 ? "-" + out : out;
}

std::string BytesText(int64_t bytes) {
  if (bytes < 1024) return absl::StrCat(bytes, " B");
  if (bytes < (int64_t{1} << 20)) return absl::StrFormat("%.1f KiB", bytes / 1024.0);
  if (bytes < (int64_t{1} << 30)) return absl::StrFormat("%.1f MiB", bytes / 1048576.0);
  return absl::StrFormat("%.2f GiB", bytes / 1073741824.0);
}

std::string ShapeText(const Doc& shape) {
  if (!shape.is_array()) return "unknown rank";
  std::vector<std::string> dims;
  for (const Doc& d : shape) {
    dims.push_back(d.is_string() ? d.get<std::string>() : d.is_number() ? d.dump() : "?");
  }
  return absl::StrCat("(", absl::StrJoin(dims, ", "), dims.size() == 1 ? ",)" : ")");
}

Doc TfShape(const tf::TensorShapeProto& shape) {
  auto dims = converter::ToDims(shape);
  if (!dims) return nullptr;
  Doc out = Doc::array();
  for (int64_t d : *dims) out.push_back(d < 0 ? -1 : d);
  return out;
}

Doc Histogram(const std::map<std::string, int64_t>& counts) {
  std::vector<std::pair<std::string, int64_t>> items(counts.begin(), counts.end());
  std::stable_sort(items.begin(), items.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  Doc out = Doc::object();
  for (const auto& [name, n] : items) out[name] = n;
  return out;
}

std::vector<std::string> HistogramItems(const Doc& histogram) {
  std::vector<std::string> items;
  for (const auto& [name, n] : histogram.items()) items.push_back(absl::StrCat(name, " x", n.dump()));
  return items;
}

std::vector<std::string> Strings(const Doc& array) {
  std::vector<std::string> out;
  if (!array.is_array()) return out;
  for (const Doc& s : array) {
    if (s.is_string()) out.push_back(s.get<std::string>());
  }
  return out;
}

}  // namespace onnxsmith::cli::inspect
