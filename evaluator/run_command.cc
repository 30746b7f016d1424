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
#include "evaluator/compare.h"
#include "evaluator/evaluator.h"
#include "evaluator/npy.h"
#include "ir/model_io.h"
#include "ir/onnx_proto.h"

namespace onnxsmith::evaluator {

// --input and --expect may be repeated. absl keeps only the last value of a
// repeated flag (std::vector<std::string> flags included), so these flag
// types accumulate every occurrence; one occurrence may also list several
// comma-separated name=file pairs. The tag keeps the two lists apart.
template <int kTag>
struct NamedFileSpecs {
  std::vector<std::string> items;
};
using InputSpecs = NamedFileSpecs<0>;
using ExpectSpecs = NamedFileSpecs<1>;

template <int kTag>
bool AbslParseFlag(absl::string_view text, NamedFileSpecs<kTag>* out, std::string* error) {
  static std::vector<std::string>* seen = new std::vector<std::string>();
  (void)error;
  if (text.empty()) {
    *out = NamedFileSpecs<kTag>{*seen};
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
  *out = NamedFileSpecs<kTag>{*seen};
  return true;
}

template <int kTag>
std::string AbslUnparseFlag(const NamedFileSpecs<kTag>& specs) {
  return absl::StrJoin(specs.items, ",");
}


}  // namespace onnxsmith::evaluator

ABSL_FLAG(onnxsmith::evaluator::InputSpecs, input, {},
          "run: an input as name=file.npy (repeat the flag for several inputs; a model with one "
          "input also takes just file.npy)");
ABSL_FLAG(std::string, output_dir, ".", "run: directory for the output .npy files");
ABSL_FLAG(int, run_threads, 0, "run: evaluator threads (0 = all cores)");
ABSL_FLAG(int, run_repeat, 1, "run: run the model N times (timing: the fastest run is reported)");
ABSL_FLAG(bool, run_profile, false, "run: print the time spent per op type");
ABSL_FLAG(onnxsmith::evaluator::ExpectSpecs, expect, {},
          "run: a reference output as name=file.npy (repeatable); the run fails (exit 1) when an "
          "output differs by more than atol + rtol * |expected|");
ABSL_FLAG(double, rtol, 1e-4, "run --expect: relative tolerance");
ABSL_FLAG(double, atol, 1e-5, "run --expect: absolute tolerance");

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

// Splits "name=file" where the name is one of `names` (names may contain '=').
// Returns false when no prefix of `spec` names one of them.
bool SplitNamedFile(const std::string& spec, const std::vector<std::string>& names,
                    std::string* name, std::string* path) {
  for (size_t pos = spec.find('='); pos != std::string::npos; pos = spec.find('=', pos + 1)) {
    const std::string prefix = spec.substr(0, pos);
    if (std::find(names.begin(), names.end(), prefix) != names.end()) {
      *name = prefix;
      *path = spec.substr(pos + 1);
      return true;
    }
  }
  return false;
}

// --expect: reads every reference, checks names before running (a typo is an
// error, not a silently skipped comparison).
absl::StatusOr<std::map<std::string, ir::Tensor>> ReadExpected(
    const std::vector<std::string>& output_names) {
  std::map<std::string, ir::Tensor> expected;
  for (const std::string& spec : absl::GetFlag(FLAGS_expect).items) {
    std::string name, path;
    if (!SplitNamedFile(spec, output_names, &name, &path)) {
      if (output_names.size() != 1 || spec.find('=') != std::string::npos) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--expect ", spec, ": give name=file.npy with name one of the model's outputs: ",
            absl::StrJoin(output_names, ", ")));
      }
      name = output_names[0];
      path = spec;
    }
    if (expected.count(name)) {
      return absl::InvalidArgumentError(absl::StrCat("--expect for '", name, "' given twice"));
    }
    auto t = ReadNpy(path);
    if (!t.ok()) {
      return absl::Status(t.status().code(),
                          absl::StrCat("--expect ", name, ": ", t.status().message()));
    }
    expected[name] = *std::move(t);
  }
  return expected;
}

// Compares outputs with the references; prints one line per reference and
// fails naming the tensor with the largest error beyond tolerance.
absl::Status CheckExpected(const std::vector<std::string>& output_names,
                           const std::vector<ir::Tensor>& outputs,
                           const std::map<std::string, ir::Tensor>& expected) {
  const Tolerance tol{absl::GetFlag(FLAGS_rtol), absl::GetFlag(FLAGS_atol)};
  if (!(tol.rtol >= 0) || !(tol.atol >= 0)) {
    return absl::InvalidArgumentError("--rtol and --atol must be >= 0");
  }
  std::string worst_name, worst_text;
  double worst_error = -1;
  for (size_t i = 0; i < outputs.size(); ++i) {
    auto it = expected.find(output_names[i]);
    if (it == expected.end()) continue;
    auto c = CompareTensors(outputs[i], it->second, tol);
    if (!c.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("output ", output_names[i], ": ", c.status().message()));
    }
    const std::string text = DescribeComparison(output_names[i], it->second, *c, tol);
    std::printf("expect %s\n", text.c_str());
    if (!c->within_tolerance && c->worst_abs_error > worst_error) {
      worst_error = c->worst_abs_error;
      worst_name = output_names[i];
      worst_text = text;
    }
  }
  if (worst_error >= 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("outputs differ from the expected values beyond tolerance; worst: ", worst_text));
  }
  return absl::OkStatus();
}

absl::Status RunModelCommand(const std::vector<std::string>& args) {
  if (args.size() != 1) {
    return absl::InvalidArgumentError(
        "usage: onnxsmith run MODEL.onnx --input name=file.npy [--input ...] [--output_dir DIR] "
        "[--expect name=file.npy ... [--rtol R] [--atol A]]");
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
    if (!SplitNamedFile(spec, input_names, &name, &path)) {
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
  ASSIGN_OR_RETURN(const auto expected, ReadExpected(ev.output_names()));
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
  return CheckExpected(ev.output_names(), outputs, expected);
}

}  // namespace onnxsmith::evaluator
