#include "optimizer/precision/float16_check.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "evaluator/evaluator.h"
#include "nlohmann/json.hpp"
#include "quantize/output_json.h"

namespace onnxsmith::optimizer::precision {
namespace {

struct Accumulator {
  double signal = 0, noise = 0, max_abs = 0, max_ref = 0;
};

absl::Status Prefixed(const absl::Status& st, const char* what) {
  return absl::Status(st.code(), absl::StrCat("fp16 check: ", what, ": ", st.message()));
}

}  // namespace

absl::StatusOr<Float16Check> CheckFloat16(const ir::Model& fp32, const ir::Model& fp16,
                                          quantize::CalibrationSource& data, int64_t max_samples,
                                          int threads) {
  evaluator::EvaluatorOptions eopts;
  eopts.num_threads = threads;
  auto ref = evaluator::Evaluator::Create(fp32, eopts);
  if (!ref.ok()) return Prefixed(ref.status(), "float32 model");
  auto half = evaluator::Evaluator::Create(fp16, eopts);
  if (!half.ok()) return Prefixed(half.status(), "float16 model");
  std::map<std::string, ir::DataType> half_inputs;
  for (const ir::ValueInfo& v : fp16.graph.inputs) half_inputs[v.name] = v.type.dtype;
  std::map<std::string, Accumulator> acc;
  Float16Check check;
  quantize::Sample sample;
  while (check.samples < max_samples) {
    ASSIGN_OR_RETURN(bool more, data.Next(&sample));
    if (!more) break;
    std::map<std::string, ir::Tensor> feeds16 = sample.feeds;
    for (auto& [name, t] : feeds16) {
      if (half_inputs[name] == ir::DataType::kFloat16 && t.dtype() == ir::DataType::kFloat) {
        t = Float32ToFloat16(t);
      }
    }
    auto want = ref->Run(sample.feeds);
    if (!want.ok()) return Prefixed(want.status(), "running the float32 model");
    auto got = half->Run(feeds16);
    if (!got.ok()) return Prefixed(got.status(), "running the float16 model");
    for (size_t k = 0; k < want->size() && k < got->size(); ++k) {
      const ir::Tensor& w = (*want)[k];
      if (!ir::IsFloating(w.dtype())) continue;
      ASSIGN_OR_RETURN(std::vector<double> a, w.ToDoubles());
      ASSIGN_OR_RETURN(std::vector<double> b, (*got)[k].ToDoubles());
      if (a.size() != b.size()) {
        return absl::InternalError(absl::StrCat("fp16 check: output '", ref->output_names()[k],
                                                "' has ", b.size(), " elements, not ", a.size()));
      }
      Accumulator& s = acc[ref->output_names()[k]];
      for (size_t e = 0; e < a.size(); ++e) {
        const double d = b[e] - a[e];
        s.signal += a[e] * a[e];
        s.noise += d * d;
        s.max_abs = std::max(s.max_abs, std::isnan(d) ? INFINITY : std::abs(d));
        s.max_ref = std::max(s.max_ref, std::abs(a[e]));
      }
    }
    ++check.samples;
  }
  for (const std::string& name : ref->output_names()) {
    auto it = acc.find(name);
    if (it == acc.end()) continue;
    const Accumulator& s = it->second;
    OutputError e;
    e.name = name;
    e.sqnr_db = s.noise > 0 ? 10.0 * std::log10(s.signal / s.noise) : 999.0;
    if (!std::isfinite(e.sqnr_db)) e.sqnr_db = s.noise > 0 ? -999.0 : 999.0;
    e.max_abs_error = s.max_abs;
    e.max_abs_reference = s.max_ref;
    check.outputs.push_back(e);
  }
  return check;
}

std::string FormatFloat16Check(const Float16Check& check) {
  std::string out = absl::StrCat("FP16 vs FP32 on ", check.inputs, ":\n");
  for (const OutputError& e : check.outputs) {
    absl::StrAppendFormat(&out, "  output %s: SQNR %.2f dB, max abs error %.4g (max |fp32| %.4g)\n",
                          e.name, e.sqnr_db, e.max_abs_error, e.max_abs_reference);
  }
  return out;
}

std::string Float16ReportJson(const Float16Report& r, const Float16Check& check,
                              int64_t file_bytes_before, int64_t file_bytes_after) {
  nlohmann::ordered_json j;
  j["precision"] = "fp16";
  j["nodes_fp16"] = r.nodes_fp16;
  j["nodes_kept_fp32"] = r.nodes_kept_fp32;
  j["kept_fp32_by_op"] = r.kept_by_op;
  j["casts_inserted"] = r.casts_inserted;
  j["initializers_converted"] = r.initializers_converted;
  j["initializers_duplicated"] = r.initializers_duplicated;
  j["float_weight_bytes_before"] = r.float_bytes_before;
  j["float_weight_bytes_after"] = r.float_bytes_after;
  if (file_bytes_before >= 0) j["file_bytes_before"] = file_bytes_before;
  if (file_bytes_after >= 0) j["file_bytes_after"] = file_bytes_after;
  nlohmann::ordered_json c;
  c["inputs"] = check.inputs;
  c["samples"] = check.samples;
  nlohmann::ordered_json outs = nlohmann::ordered_json::array();
  for (const OutputError& e : check.outputs) {
    nlohmann::ordered_json o = quantize::OutputErrorJson(e.name, e.sqnr_db, e.max_abs_error);
    o["max_abs_reference"] = e.max_abs_reference;
    outs.push_back(o);
  }
  c["outputs"] = outs;
  j["check"] = c;
  return j.dump(2) + "\n";
}

}  // namespace onnxsmith::optimizer::precision
