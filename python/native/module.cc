// onnxsmith._native: the CLI commands' library functions (cli/commands.h,
// cli/quantize_command.h) for the Python package. Every function takes file
// paths and the commands' options, runs with the GIL released, and returns
// the command's report as JSON. A failed absl::Status raises
// onnxsmith.errors.ConversionError with the message the CLI prints after
// "error: ". No TensorFlow here: python/onnxsmith serializes TF objects to
// files first.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/quantize_command.h"
#include "cli/report.h"
#include "evaluator/npy.h"

namespace py = pybind11;

namespace onnxsmith::python {
namespace {

// A failed Status on its way to Python (translated in the module init).
struct StatusError {
  absl::Status status;
};

template <typename T>
T OrRaise(absl::StatusOr<T> value) {
  if (!value.ok()) throw StatusError{value.status()};
  return *std::move(value);
}

// How many calls are inside native code (GIL released) right now, and the
// most there have been at once: the package's tests check that two threads
// convert at the same time.
std::atomic<int> active_calls{0};
std::atomic<int> max_active_calls{0};
std::atomic<int64_t> total_calls{0};

// Releases the GIL for its lifetime and counts the call as active.
class NativeSection {
 public:
  NativeSection() {
    const int now = ++active_calls;
    ++total_calls;
    int seen = max_active_calls.load();
    while (now > seen && !max_active_calls.compare_exchange_weak(seen, now)) {
    }
  }
  ~NativeSection() { --active_calls; }
  NativeSection(const NativeSection&) = delete;
  NativeSection& operator=(const NativeSection&) = delete;

 private:
  py::gil_scoped_release release_;
};

// Runs `work` (-> absl::StatusOr<Summary>) with the GIL released; the summary as JSON.
template <typename Work, typename ToJson>
std::string NativeJson(Work work, ToJson to_json) {
  absl::StatusOr<std::string> report;
  {
    NativeSection native;
    auto summary = work();
    report = summary.ok() ? absl::StatusOr<std::string>(to_json(*summary))
                          : absl::StatusOr<std::string>(summary.status());
  }
  return OrRaise(std::move(report));
}

cli::PipelineFlags Pipeline(const std::string& optimize, std::vector<std::string> passes,
                            std::vector<std::string> skip, int threads, bool verify) {
  cli::PipelineFlags flags;
  flags.optimize = optimize;
  flags.passes = std::move(passes);
  flags.skip = std::move(skip);
  flags.threads = threads;
  flags.verify = verify;
  return flags;
}

// --target and its companions (cli/target_flags.h), as keyword arguments.
struct Edge {
  std::string target;
  std::vector<std::string> fix_shape;
  int64_t batch = 0;
  bool allow_fallback = false;
};

cli::TargetFlags Target(const Edge& e) {
  cli::TargetFlags f;
  f.target = e.target;
  f.fix_shape = e.fix_shape;
  f.batch = e.batch;
  f.allow_fallback = e.allow_fallback;
  return f;
}

// --precision and its companions (cli/precision_flags.h).
cli::PrecisionFlags Precision(const std::string& precision, std::vector<std::string> keep_fp32_ops,
                              bool fp16_io, int64_t check_samples) {
  cli::PrecisionFlags f;
  f.precision = precision;
  f.keep_fp32_ops = std::move(keep_fp32_ops);
  f.fp16_io = fp16_io;
  f.check_samples = check_samples;
  return f;
}

std::string Convert(const std::string& kind, const std::string& source, const std::string& output,
                    int opset, std::vector<std::string> inputs, std::vector<std::string> outputs,
                    std::vector<std::string> inputs_as_nchw,
                    std::vector<std::string> outputs_as_nchw, std::vector<std::string> custom_ops,
                    const std::string& tag, const std::string& signature_def,
                    const std::string& concrete_function, const std::string& optimize,
                    std::vector<std::string> passes, std::vector<std::string> skip, int threads,
                    bool verify, const Edge& edge, const std::string& precision,
                    std::vector<std::string> keep_fp32_ops, bool fp16_io, int64_t check_samples) {
  cli::ConvertOptions o;
  o.target = Target(edge);
  o.precision = Precision(precision, std::move(keep_fp32_ops), fp16_io, check_samples);
  if (kind == "graphdef") {
    o.graphdef = source;
  } else if (kind == "saved_model") {
    o.saved_model = source;
  } else if (kind == "keras") {
    o.keras = source;
  } else {
    throw StatusError{absl::InvalidArgumentError(absl::StrCat("unknown source kind '", kind, "'"))};
  }
  o.output = output;
  // 0: the default, or the target's (python/onnxsmith passes 0 for opset=None).
  o.opset_given = opset > 0;
  if (opset > 0) o.opset = opset;
  o.inputs = std::move(inputs);
  o.outputs = std::move(outputs);
  o.inputs_as_nchw = std::move(inputs_as_nchw);
  o.outputs_as_nchw = std::move(outputs_as_nchw);
  o.custom_ops = std::move(custom_ops);
  o.tag = tag;
  o.signature_def = signature_def;
  o.concrete_function = concrete_function;
  o.pipeline = Pipeline(optimize, std::move(passes), std::move(skip), threads, verify);
  return NativeJson([&] { return cli::ConvertModel(o); }, cli::ConvertSummaryJson);
}

std::string Optimize(const std::string& input, const std::string& output,
                     const std::string& optimize, std::vector<std::string> passes,
                     std::vector<std::string> skip, int threads, bool verify, bool check,
                     const std::string& check_dims, int check_seed, double check_rtol,
                     double check_atol, const Edge& edge, const std::string& precision,
                     std::vector<std::string> keep_fp32_ops, bool fp16_io, int64_t check_samples,
                     const std::string& calibration) {
  cli::OptimizeOptions o;
  o.target = Target(edge);
  o.precision = Precision(precision, std::move(keep_fp32_ops), fp16_io, check_samples);
  o.precision.calibration = calibration;
  o.files = {input, output};
  o.pipeline = Pipeline(optimize, std::move(passes), std::move(skip), threads, verify);
  o.check = check;
  o.check_dims = check_dims;
  o.check_seed = check_seed;
  o.check_rtol = check_rtol;
  o.check_atol = check_atol;
  return NativeJson([&] { return cli::OptimizeFile(o); }, cli::OptimizeSummaryJson);
}

std::string Quantize(const std::string& input, const std::string& output,
                     const std::string& calibration, const std::string& mode,
                     const std::string& method, double percentile, bool per_tensor,
                     const std::string& activations, bool symmetric_activations,
                     bool reduce_range, bool full_range, std::vector<std::string> exclude_nodes,
                     std::vector<std::string> exclude_op_types, int64_t eval_samples,
                     int threads, const Edge& edge) {
  cli::QuantizeCommandOptions o;
  o.target = Target(edge);
  o.input = input;
  o.output = output;
  o.flags.calibration = calibration;
  o.threads = threads;
  cli::QuantizeFlags& f = o.flags;
  f.mode = mode;
  f.method = method;
  f.percentile = percentile;
  f.per_tensor = per_tensor;
  f.activations = activations;
  f.symmetric_activations = symmetric_activations;
  f.reduce_range = reduce_range;
  f.full_range = full_range;
  f.exclude_nodes = std::move(exclude_nodes);
  f.exclude_op_types = std::move(exclude_op_types);
  f.eval_samples = eval_samples;
  return NativeJson([&] { return cli::QuantizeFile(o); }, cli::QuantizeSummaryJson);
}

// feeds: input name -> .npy bytes; returns (output name, .npy bytes) in graph order.
std::vector<std::pair<std::string, py::bytes>> Run(const std::string& model_path,
                                                   const std::map<std::string, std::string>& feeds,
                                                   int threads) {
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> result;
  {
    NativeSection native;
    result = [&]() -> absl::StatusOr<std::vector<std::pair<std::string, std::string>>> {
      std::map<std::string, ir::Tensor> tensors;
      for (const auto& [name, npy] : feeds) {
        auto t = evaluator::ParseNpy(npy);
        if (!t.ok()) {
          return absl::Status(t.status().code(),
                              absl::StrCat("feed '", name, "': ", t.status().message()));
        }
        tensors[name] = *std::move(t);
      }
      auto outputs = cli::EvaluateModelFile(model_path, std::move(tensors), threads);
      if (!outputs.ok()) return outputs.status();
      std::vector<std::pair<std::string, std::string>> encoded;
      for (auto& [name, tensor] : *outputs) {
        auto npy = evaluator::SerializeNpy(tensor);
        if (!npy.ok()) return npy.status();
        encoded.emplace_back(name, *std::move(npy));
      }
      return encoded;
    }();
  }
  std::vector<std::pair<std::string, py::bytes>> out;
  for (auto& [name, npy] : OrRaise(std::move(result))) out.emplace_back(name, py::bytes(npy));
  return out;
}

}  // namespace
}  // namespace onnxsmith::python

PYBIND11_MODULE(_native, m) {
  namespace op = onnxsmith::python;
  m.doc() = "onnxsmith's native core (conversion, optimizer, quantizer, reference evaluator)";
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const op::StatusError& e) {
      py::object cls = py::module_::import("onnxsmith.errors").attr("ConversionError");
      py::object error =
          cls(std::string(e.status.message()), absl::StatusCodeToString(e.status.code()));
      PyErr_SetObject(cls.ptr(), error.ptr());
    }
  });
  py::class_<op::Edge>(m, "Edge", "--target, --fix-shape, --batch, --allow-fallback")
      .def(py::init([](std::string target, std::vector<std::string> fix_shape, int64_t batch,
                       bool allow_fallback) {
             return op::Edge{std::move(target), std::move(fix_shape), batch, allow_fallback};
           }),
           py::arg("target"), py::arg("fix_shape"), py::arg("batch"), py::arg("allow_fallback"));
  m.def("convert", &op::Convert, py::arg("kind"), py::arg("source"), py::arg("output"),
        py::arg("opset"), py::arg("inputs"), py::arg("outputs"), py::arg("inputs_as_nchw"),
        py::arg("outputs_as_nchw"), py::arg("custom_ops"), py::arg("tag"),
        py::arg("signature_def"), py::arg("concrete_function"), py::arg("optimize"),
        py::arg("passes"), py::arg("skip"), py::arg("threads"), py::arg("verify"), py::arg("edge"),
        py::arg("precision"), py::arg("keep_fp32_ops"), py::arg("fp16_io"), py::arg("check_samples"),
        "convert a model file to ONNX at `output` (atomically); returns the report as JSON");
  m.def("optimize", &op::Optimize, py::arg("input"), py::arg("output"), py::arg("optimize"),
        py::arg("passes"), py::arg("skip"), py::arg("threads"), py::arg("verify"),
        py::arg("check"), py::arg("check_dims"), py::arg("check_seed"), py::arg("check_rtol"),
        py::arg("check_atol"), py::arg("edge"), py::arg("precision"), py::arg("keep_fp32_ops"),
        py::arg("fp16_io"), py::arg("check_samples"), py::arg("calibration"), "optimize IN.onnx into OUT.onnx; returns the report as JSON");
  m.def("quantize", &op::Quantize, py::arg("input"), py::arg("output"), py::arg("calibration"),
        py::arg("mode"), py::arg("method"), py::arg("percentile"), py::arg("per_tensor"),
        py::arg("activations"), py::arg("symmetric_activations"), py::arg("reduce_range"),
        py::arg("full_range"), py::arg("exclude_nodes"), py::arg("exclude_op_types"),
        py::arg("eval_samples"), py::arg("threads"), py::arg("edge"),
        "INT8-quantize IN.onnx into OUT.onnx; returns the report as JSON");
  m.def("run", &op::Run, py::arg("model"), py::arg("feeds"), py::arg("threads"),
        "run a model file on the reference evaluator: {name: npy bytes} -> [(name, npy bytes)]");
  m.def("version", &onnxsmith::cli::VersionLine);
  m.def("native_stats", [] {
    return std::map<std::string, int64_t>{{"active", op::active_calls.load()},
                                          {"max_active", op::max_active_calls.load()},
                                          {"calls", op::total_calls.load()}};
  }, "calls inside native code now, the most at once (since reset_native_stats), all calls");
  m.def("reset_native_stats", [] { op::max_active_calls = op::active_calls.load(); });
}
