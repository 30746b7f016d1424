// Prints docs/keras_support.md from the Keras layer registry itself (classes,
// input arity and the notes each handler declares when it registers), so the
// table can never disagree with the code. A test diffs it with the file.
#include <cstdio>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_join.h"
#include "converter/keras/layer_registry.h"

namespace {

using onnxsmith::converter::DescribeArity;
using onnxsmith::converter::keras::LayerFamilies;
using onnxsmith::converter::keras::LayerFamily;
using onnxsmith::converter::keras::LayerHandler;
using onnxsmith::converter::keras::LayerRegistry;

// Markdown-safe cell text.
std::string Cell(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\";
    out += c;
  }
  return out;
}

}  // namespace

int main() {
  std::printf("# Keras layer support\n\n");
  std::printf("Generated from the layer registry by `bazel run //tools/keras_support:gen`;\n"
              "do not edit by hand (`//tools/keras_support:keras_support_test` fails when\n"
              "this file and the code disagree).\n\n");
  size_t ops = 0;
  for (const std::string& cls : LayerRegistry::Global().Classes()) ops += cls.rfind("ops.", 0) == 0;
  std::printf("%zu Keras classes convert (.h5 and .keras, Keras 2 and 3): %zu layer classes and\n"
              "%zu Keras 3 operations (keras.ops calls saved in functional models, \"ops.<Class>\").\n"
              "Classes that share a handler share a row; *inputs* counts the positional input\n"
              "tensors of a call.\n",
              LayerRegistry::Global().Classes().size(), LayerRegistry::Global().Classes().size() - ops, ops);
  for (const LayerFamily& family : LayerFamilies()) {
    auto registry = LayerRegistry::Build({&family, 1});
    if (!registry.ok()) {
      std::fprintf(stderr, "%s\n", std::string(registry.status().message()).c_str());
      return 1;
    }
    // Rows: classes with the same handler, arity and notes, in class order.
    std::vector<std::tuple<const void*, std::string, std::string>> keys;
    std::map<std::tuple<const void*, std::string, std::string>, std::vector<std::string>> rows;
    for (const std::string& cls : registry->Classes()) {
      const LayerHandler* h = registry->Find(cls);
      auto key = std::make_tuple(reinterpret_cast<const void*>(h->fn), DescribeArity(h->inputs),
                                 h->notes);
      if (!rows.count(key)) keys.push_back(key);
      rows[key].push_back(cls);
    }
    std::printf("\n## %s\n\n| Keras class | inputs | notes |\n|---|---|---|\n", family.name);
    for (const auto& key : keys) {
      std::printf("| %s | %s | %s |\n", absl::StrJoin(rows[key], ", ").c_str(),
                  std::get<1>(key).c_str(), Cell(std::get<2>(key)).c_str());
    }
  }
  std::printf("\n## Keras classes that do not convert\n\n| Keras class | why |\n|---|---|\n");
  for (const auto& [cls, why] : onnxsmith::converter::keras::UnconvertedKerasClasses()) {
    std::printf("| %s | %s |\n", cls.c_str(), Cell(why).c_str());
  }
  std::printf("\n## Keras 3 operations that do not convert\n\n| keras.ops classes | why |\n|---|---|\n");
  std::map<std::string, std::vector<std::string>> by_reason;
  for (const auto& [cls, why] : onnxsmith::converter::keras::UnconvertedKerasOps()) {
    by_reason[why].push_back(cls);
  }
  for (const auto& [why, classes] : by_reason) {
    std::printf("| %s | %s |\n", absl::StrJoin(classes, ", ").c_str(), Cell(why).c_str());
  }
  std::printf("\nOther classes are listed, with their layer names, in one error; TF ops are in\n"
              "[support_status.md](support_status.md).\n");
  return 0;
}
