#include "converter/control_flow/op_outputs.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace onnxsmith::converter::control_flow {
namespace {

struct RawEntry {
  const char* op;
  const char* outputs;
};

constexpr RawEntry kTable[] = {
#include "converter/control_flow/tf_op_outputs.inc"
};

const std::map<std::string, std::vector<OutputArg>>& Table() {
  static const auto* table = [] {
    auto* t = new std::map<std::string, std::vector<OutputArg>>();
    for (const RawEntry& e : kTable) {
      std::vector<OutputArg>& args = (*t)[e.op];
      for (absl::string_view part : absl::StrSplit(e.outputs, ',', absl::SkipEmpty())) {
        OutputArg arg;
        if (size_t star = part.find('*'); star != absl::string_view::npos) {
          arg.name = std::string(part.substr(0, star));
          arg.number_attr = std::string(part.substr(star + 1));
        } else if (size_t plus = part.find('+'); plus != absl::string_view::npos) {
          arg.name = std::string(part.substr(0, plus));
          arg.type_list_attr = std::string(part.substr(plus + 1));
        } else {
          arg.name = std::string(part);
        }
        args.push_back(std::move(arg));
      }
    }
    return t;
  }();
  return *table;
}

absl::StatusOr<int> ArgLength(const tf::NodeDef& node, const OutputArg& arg) {
  if (!arg.number_attr.empty()) {
    auto it = node.attr().find(arg.number_attr);
    if (it == node.attr().end()) {
      return absl::InvalidArgumentError(absl::StrCat("node '", node.name(), "' (", node.op(),
                                                     ") lacks attribute '", arg.number_attr, "'"));
    }
    return static_cast<int>(it->second.i());
  }
  if (!arg.type_list_attr.empty()) {
    auto it = node.attr().find(arg.type_list_attr);
    if (it == node.attr().end()) {
      return absl::InvalidArgumentError(absl::StrCat("node '", node.name(), "' (", node.op(),
                                                     ") lacks attribute '", arg.type_list_attr,
                                                     "'"));
    }
    return it->second.list().type_size();
  }
  return 1;
}

absl::Status Unknown(const tf::NodeDef& node) {
  return absl::UnimplementedError(absl::StrCat(
      "node '", node.name(), "' (", node.op(), "): the op's output names are not known, so it ",
      "cannot be placed in a function body (regenerate converter/control_flow/tf_op_outputs.inc)"));
}

}  // namespace

const std::vector<OutputArg>* FindOutputArgs(const std::string& op) {
  auto it = Table().find(op);
  return it == Table().end() ? nullptr : &it->second;
}

std::vector<std::string> KnownOps() {
  std::vector<std::string> ops;
  for (const auto& [op, args] : Table()) ops.push_back(op);
  return ops;
}

absl::StatusOr<std::string> FunctionOutputRef(const tf::NodeDef& node, int k) {
  const std::vector<OutputArg>* args = FindOutputArgs(node.op());
  if (args == nullptr) return Unknown(node);
  int offset = 0;
  for (const OutputArg& arg : *args) {
    auto len = ArgLength(node, arg);
    if (!len.ok()) return len.status();
    if (k < offset + *len) return absl::StrCat(node.name(), ":", arg.name, ":", k - offset);
    offset += *len;
  }
  return absl::InvalidArgumentError(absl::StrCat("node '", node.name(), "' (", node.op(),
                                                 ") has ", offset, " outputs; output ", k,
                                                 " is read"));
}

absl::StatusOr<int> FlatOutputIndex(const tf::NodeDef& node, const std::string& name, int index) {
  const std::vector<OutputArg>* args = FindOutputArgs(node.op());
  if (args == nullptr) return Unknown(node);
  int offset = 0;
  for (const OutputArg& arg : *args) {
    auto len = ArgLength(node, arg);
    if (!len.ok()) return len.status();
    if (arg.name == name) {
      if (index < 0 || index >= *len) break;
      return offset + index;
    }
    offset += *len;
  }
  return absl::InvalidArgumentError(absl::StrCat("node '", node.name(), "' (", node.op(),
                                                 ") has no output '", name, ":", index, "'"));
}

}  // namespace onnxsmith::converter::control_flow
