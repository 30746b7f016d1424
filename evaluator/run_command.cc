#include "evaluator/run_command.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "evaluator/evaluator.h"
#include "evaluator/npy.h"
#include "ir/model_io.h"
#include "ir/onnx_proto.h"

namespace onnxsmith::evaluator {

// --input may be repeated. absl keeps only the last value of a repeated
// flag (std::vector<std::string> flags included), so this flag type
// accumulates every occurrence; one occurrence may also list several
// comma-separated name=file pairs.
struct InputSpecs {
  std::vector<std::string> items;
};

bool AbslParseFlag(absl::string_view text, InputSpecs* out, std::string* error) {
  static std::vector<std::string>* seen = new std::vector<std::string>();
  if (text.empty()) {
    *out = InputSpecs{*seen};
    return true;
  }
  std::vector<std::string> parts = absl::StrSplit(text, ',');
  bool all_named = parts.size() > 1;
  for (const std::string& p : parts) all_named &= p.find('=') != std::string::npos;
  if (all_named) {
    for (std::string& p : parts) seen->push_back(std::move(p));
  } else {
    seen->emplace_back(text);
  }
  *out = InputSpecs{*seen};
  (void)error;
  return true;
}

std::string AbslUnparseFlag(const InputSpecs& specs) { return absl::StrJoin(specs.items, ","); }

}  // namespace onnxsmith::evaluator

ABSL_FLAG(onnxsmith::evaluator::InputSpecs, input, {},
          "run: an input as name=file.npy (repeat the flag for several inputs; a model with one "
          "input also takes just file.npy)");
ABSL_FLAG(std::string, output_dir, ".", "run: directory for the output .npy files");
ABSL_FLAG(int, run_threads, 0, "run: evaluator threads (0 = all cores)");
ABSL_FLAG(int, run_repeat, 1, "run: run the model N times (timing: the fastest run is reported)");
ABSL_FLAG(bool, run_profile, false, "run: print the time spent per op type");

namespace onnxsmith::evaluator {

std::string OutputFileName(const std::string& output_name) {
  std::string s = output_name;
  for (char& c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) c = '_';
  }
  if (s.empty() || s == "." || s == "..") s = "output";
  return s + ".npy";
}

absl::Status RunModelCommand(const std::vector<std::string>& args) {
  if (args.size() != 1) {
    return absl::InvalidArgumentError(
        "usage: onnxsmith run MODEL.onnx --input name=file.npy [--input ...] [--output_dir DIR]");
  }
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  ASSIGN_OR_RETURN(onnx::ModelProto proto, ir::ReadModelProto(args[0]));
  ASSIGN_OR_RETURN(ir::Model model, ir::FromModelProto(proto));
  EvaluatorOptions options;
  options.num_threads = absl::GetFlag(FLAGS_run_threads);
  options.profile = absl::GetFlag(FLAGS_run_profile);
  const int repeat = std::max(1, absl::GetFlag(FLAGS_run_repeat));
  ASSIGN_OR_RETURN(Evaluator ev, Evaluator::Create(model, options));

  // Inputs.
  std::map<std::string, ir::Tensor> feeds;
  std::vector<std::string> input_names;
  for (const ir::ValueInfo& in : model.graph.inputs) input_names.push_back(in.name);
  for (const std::string& spec : absl::GetFlag(FLAGS_input).items) {
    std::string name, path;
    // The split point: the '=' after which the prefix names a graph input.
    for (size_t pos = spec.find('='); pos != std::string::npos; pos = spec.find('=', pos + 1)) {
      const std::string prefix = spec.substr(0, pos);
      if (std::find(input_names.begin(), input_names.end(), prefix) != input_names.end()) {
        name = prefix;
        path = spec.substr(pos + 1);
        break;
      }
    }
    if (name.empty()) {
      const size_t eq = spec.find('=');
      if (eq != std::string::npos) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--input ", spec, ": '", spec.substr(0, eq), "' is not a graph input (inputs: ",
            absl::StrJoin(input_names, ", "), ")"));
      }
      if (ev.required_inputs().size() != 1) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--input ", spec, ": give name=file.npy (the model has ",
            ev.required_inputs().size(), " inputs: ", absl::StrJoin(input_names, ", "), ")"));
      }
      name = ev.required_inputs()[0].name;
      path = spec;
    }
    if (feeds.count(name)) return absl::InvalidArgumentError(absl::StrCat("input '", name, "' given twice"));
    auto t = ReadNpy(path);
    if (!t.ok()) return absl::Status(t.status().code(), absl::StrCat("--input ", name, ": ", t.status().message()));
    feeds[name] = *std::move(t);
  }
  std::vector<std::string> missing;
  for (const ir::ValueInfo& in : ev.required_inputs()) {
    if (!feeds.count(in.name)) missing.push_back(in.name);
  }
  if (!missing.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("missing --input for: ", absl::StrJoin(missing, ", ")));
  }
  const auto t1 = Clock::now();
  std::vector<ir::Tensor> outputs;
  double best = 0, best_cpu = 0;
  for (int r = 0; r < repeat; ++r) {
    const auto s = Clock::now();
    const std::clock_t c = std::clock();
    ASSIGN_OR_RETURN(outputs, ev.Run(feeds));
    const double secs = std::chrono::duration<double>(Clock::now() - s).count();
    const double cpu = static_cast<double>(std::clock() - c) / CLOCKS_PER_SEC;
    best = r == 0 ? secs : std::min(best, secs);
    best_cpu = r == 0 ? cpu : std::min(best_cpu, cpu);
  }

  const std::string dir = absl::GetFlag(FLAGS_output_dir);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("--output_dir ", dir, ": ", ec.message()));
  for (size_t i = 0; i < outputs.size(); ++i) {
    const std::string path = (std::filesystem::path(dir) / OutputFileName(ev.output_names()[i])).string();
    RETURN_IF_ERROR(WriteNpy(path, outputs[i]));
    std::printf("%s: %s[%s] -> %s\n", ev.output_names()[i].c_str(),
                ir::DataTypeName(outputs[i].dtype()), absl::StrJoin(outputs[i].dims(), ",").c_str(),
                path.c_str());
  }
  auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
  std::printf("time: load %.1f ms, run %.3f ms (cpu %.3f ms)%s; peak intermediate memory %.1f MiB\n",
              ms(t1 - t0), best * 1e3, best_cpu * 1e3,
              repeat > 1 ? absl::StrCat(", best of ", repeat).c_str() : "",
              ev.pool_stats().peak_live_bytes / (1024.0 * 1024.0));
  if (options.profile) {
    for (const OpProfile& p : ev.Profile()) {
      std::printf("  %-24s %6lld calls %9.3f ms\n", p.op_type.c_str(),
                  static_cast<long long>(p.calls), p.seconds * 1e3);
    }
  }
  return absl::OkStatus();
}

}  // namespace onnxsmith::evaluator
