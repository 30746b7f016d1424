// `onnxsmith run MODEL --input name=file.npy [--input ...] [--output_dir DIR]`:
// runs an ONNX model on the reference evaluator and writes every graph
// output as DIR/<output name>.npy (characters other than [A-Za-z0-9._-] in
// the name become '_'); --expect compares outputs with reference files.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/command_line.h"
#include "cli/commands.h"
#include "common/status_macros.h"
#include "evaluator/compare.h"
#include "evaluator/evaluator.h"
#include "evaluator/npy.h"
#include "ir/external_data.h"
#include "ir/model_io.h"
#include "ir/onnx_proto.h"

namespace onnxsmith::cli {
namespace {

using evaluator::CompareTensors;
using evaluator::DescribeComparison;
using evaluator::Evaluator;
using evaluator::EvaluatorOptions;
using evaluator::OpProfile;
using evaluator::ReadNpy;
using evaluator::Tolerance;
using evaluator::WriteNpy;

// One --input/--expect occurrence may list several name=file pairs
// ("a=x.npy,b=y.npy"); it is one file name when not every part is named (a
// file name may hold a comma).
std::vector<std::string> NamedFileSpecs(const std::vector<std::string>& occurrences) {
  std::vector<std::string> specs;
  for (const std::string& text : occurrences) {
    std::vector<std::string> parts = absl::StrSplit(text, ',');
    bool all_named = parts.size() > 1;
    for (const std::string& p : parts) all_named &= p.find('=') != std::string::npos;
    if (all_named) {
      for (std::string& p : parts) specs.push_back(std::move(p));
    } else {
      specs.push_back(text);
    }
  }
  return specs;
}

}  // namespace

CLI::App* AddRunCommand(CLI::App& app, RunOptions* o) {
  CLI::App* sub = app.add_subcommand("run", "run an ONNX model on the reference evaluator");
  sub->add_option("model", o->model, "MODEL.onnx")->required();
  AddRepeated(sub, "input", &o->inputs,
              "an input as name=file.npy (repeat the flag for several inputs; a model with one "
              "input also takes just file.npy)");
  sub->add_option(FlagNames("output-dir"), o->output_dir, "directory for the output .npy files")
      ->capture_default_str();
  sub->add_option(FlagNames("run-threads") + "," + FlagNames("threads"), o->threads,
                  "evaluator threads (0 = all cores)");
  sub->add_option(FlagNames("run-repeat"), o->repeat,
                  "run the model N times (timing: the fastest run is reported)");
  sub->add_flag(FlagNames("run-profile"), o->profile, "print the time spent per op type");
  AddRepeated(sub, "expect", &o->expect,
              "a reference output as name=file.npy (repeatable); the run fails (exit 1) when an "
              "output differs by more than atol + rtol * |expected|");
  sub->add_option(FlagNames("rtol"), o->rtol, "--expect: relative tolerance")
      ->capture_default_str();
  sub->add_option(FlagNames("atol"), o->atol, "--expect: absolute tolerance")
      ->capture_default_str();
  sub->add_option(FlagNames("min-sqnr"), o->min_sqnr,
                  "--expect for quantized models: an output passes when its SQNR against the "
                  "reference, 10 log10(sum want^2 / sum (got - want)^2), is at least this many dB "
                  "(instead of rtol/atol, which INT8 rounding exceeds element by element)");
  return sub;
}

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

namespace {

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
    const std::vector<std::string>& output_names, const std::vector<std::string>& specs) {
  std::map<std::string, ir::Tensor> expected;
  for (const std::string& spec : specs) {
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
// The SQNR in dB of `got` against `want` (same element count), +inf when
// they are equal.
absl::StatusOr<double> Sqnr(const ir::Tensor& got, const ir::Tensor& want) {
  ASSIGN_OR_RETURN(std::vector<double> g, got.ToDoubles());
  ASSIGN_OR_RETURN(std::vector<double> w, want.ToDoubles());
  double signal = 0, noise = 0;
  for (size_t i = 0; i < g.size() && i < w.size(); ++i) {
    signal += w[i] * w[i];
    noise += (g[i] - w[i]) * (g[i] - w[i]);
  }
  if (noise == 0) return std::numeric_limits<double>::infinity();
  return 10 * std::log10(signal / noise);
}

absl::Status CheckExpected(const std::vector<std::string>& output_names,
                           const std::vector<ir::Tensor>& outputs,
                           const std::map<std::string, ir::Tensor>& expected, Tolerance tol,
                           double min_sqnr) {
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
    std::string text = DescribeComparison(output_names[i], it->second, *c, tol);
    if (min_sqnr >= 0) {
      // Quantized models: judged on the output's signal-to-noise ratio.
      ASSIGN_OR_RETURN(const double db, Sqnr(outputs[i], it->second));
      c->within_tolerance = db >= min_sqnr;
      text = absl::StrFormat("%s: SQNR %.2f dB (min %g dB), max error %g%s", output_names[i], db, min_sqnr,
                             c->max_abs_error, c->within_tolerance ? " (ok)" : "");
    }
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

// Every input the outputs need has a feed.
absl::Status CheckFeedsComplete(const Evaluator& ev, const std::map<std::string, ir::Tensor>& feeds,
                                const char* how) {
  std::vector<std::string> missing;
  for (const ir::ValueInfo& in : ev.required_inputs()) {
    if (!feeds.count(in.name)) missing.push_back(in.name);
  }
  if (!missing.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("missing ", how, " for: ", absl::StrJoin(missing, ", ")));
  }
  return absl::OkStatus();
}

std::vector<std::string> InputNames(const ir::Model& model) {
  std::vector<std::string> names;
  for (const ir::ValueInfo& in : model.graph.inputs) names.push_back(in.name);
  return names;
}

}  // namespace

absl::StatusOr<std::vector<std::pair<std::string, ir::Tensor>>> EvaluateModelFile(
    const std::string& model_path, std::map<std::string, ir::Tensor> feeds, int threads) {
  ASSIGN_OR_RETURN(onnx::ModelProto proto, ir::ReadModelProto(model_path));
  ASSIGN_OR_RETURN(ir::Model model, ir::FromModelProto(proto, ir::ModelDirectory(model_path)));
  EvaluatorOptions options;
  options.num_threads = threads;
  ASSIGN_OR_RETURN(Evaluator ev, Evaluator::Create(model, options));
  const std::vector<std::string> input_names = InputNames(model);
  for (const auto& [name, tensor] : feeds) {
    if (std::find(input_names.begin(), input_names.end(), name) == input_names.end()) {
      return absl::InvalidArgumentError(absl::StrCat("feed '", name, "' is not a graph input (inputs: ",
                                                     absl::StrJoin(input_names, ", "), ")"));
    }
  }
  RETURN_IF_ERROR(CheckFeedsComplete(ev, feeds, "feeds"));
  ASSIGN_OR_RETURN(std::vector<ir::Tensor> outputs, ev.Run(feeds));
  std::vector<std::pair<std::string, ir::Tensor>> named;
  for (size_t i = 0; i < outputs.size(); ++i) {
    named.emplace_back(ev.output_names()[i], std::move(outputs[i]));
  }
  return named;
}

absl::Status RunModel(const RunOptions& o) {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  ASSIGN_OR_RETURN(onnx::ModelProto proto, ir::ReadModelProto(o.model));
  ASSIGN_OR_RETURN(ir::Model model, ir::FromModelProto(proto, ir::ModelDirectory(o.model)));
  EvaluatorOptions options;
  options.num_threads = o.threads;
  options.profile = o.profile;
  const int repeat = std::max(1, o.repeat);
  ASSIGN_OR_RETURN(Evaluator ev, Evaluator::Create(model, options));

  // Inputs.
  std::map<std::string, ir::Tensor> feeds;
  const std::vector<std::string> input_names = InputNames(model);
  for (const std::string& spec : NamedFileSpecs(o.inputs)) {
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
  RETURN_IF_ERROR(CheckFeedsComplete(ev, feeds, "--input"));
  ASSIGN_OR_RETURN(const auto expected, ReadExpected(ev.output_names(), NamedFileSpecs(o.expect)));
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

  const std::string& dir = o.output_dir;
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
  return CheckExpected(ev.output_names(), outputs, expected, Tolerance{o.rtol, o.atol}, o.min_sqnr);
}

}  // namespace onnxsmith::cli
