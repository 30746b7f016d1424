#include "cli/optimize_check.h"

#include <random>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "evaluator/compare.h"
#include "evaluator/evaluator.h"
#include "optimizer/precision/float16.h"

namespace onnxsmith::cli {

absl::StatusOr<ir::Tensor> RandomInput(const ir::ValueInfo& v, const CheckOptions& options,
                                        std::mt19937& rng) {
  std::vector<int64_t> dims;
  if (!v.type.shape) {
    return absl::InvalidArgumentError(
        absl::StrCat("input '", v.name, "' has unknown rank; cannot make a random input"));
  }
  int64_t n = 1;
  for (const ir::Dim& d : *v.type.shape) {
    int64_t size = d.size;
    if (!d.known()) {
      auto it = options.named_dims.find(d.param);
      size = it != options.named_dims.end() ? it->second : options.default_dim;
    }
    dims.push_back(size);
    n *= size;
  }
  std::uniform_real_distribution<double> real(-1.0, 1.0);
  std::uniform_int_distribution<int> small(0, 3);
  switch (v.type.dtype) {
    case ir::DataType::kFloat: {
      std::vector<float> x(n);
      for (float& f : x) f = static_cast<float>(real(rng));
      return ir::Tensor::FromVector<float>(dims, x);
    }
    case ir::DataType::kDouble: {
      std::vector<double> x(n);
      for (double& f : x) f = real(rng);
      return ir::Tensor::FromVector<double>(dims, x);
    }
    case ir::DataType::kInt64: {
      std::vector<int64_t> x(n);
      for (int64_t& f : x) f = small(rng);
      return ir::Tensor::FromVector<int64_t>(dims, x);
    }
    case ir::DataType::kInt32: {
      std::vector<int32_t> x(n);
      for (int32_t& f : x) f = small(rng);
      return ir::Tensor::FromVector<int32_t>(dims, x);
    }
    case ir::DataType::kBool: {
      std::vector<bool> x(n);
      for (size_t i = 0; i < x.size(); ++i) x[i] = small(rng) & 1;
      return ir::Tensor::FromVector<bool>(dims, x);
    }
    case ir::DataType::kFloat16: {
      std::vector<float> x(n);
      for (float& f : x) f = static_cast<float>(real(rng));
      return optimizer::precision::Float32ToFloat16(ir::Tensor::FromVector<float>(dims, x));
    }
    default: {
      // Other types: random floats cast to the input's type.
      std::vector<float> x(n);
      for (float& f : x) f = static_cast<float>(real(rng));
      return ir::Tensor::FromVector<float>(dims, x).CastTo(v.type.dtype);
    }
  }
}

absl::Status ParseCheckDims(const std::string& text, CheckOptions* options) {
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    std::vector<std::string> kv = absl::StrSplit(item, '=');
    int64_t v = 0;
    if (kv.size() == 1 && absl::SimpleAtoi(kv[0], &v) && v >= 0) {
      options->default_dim = v;
    } else if (kv.size() == 2 && !kv[0].empty() && absl::SimpleAtoi(kv[1], &v) && v >= 0) {
      options->named_dims[kv[0]] = v;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "--check_dims: '", item, "' is neither a size nor name=size (e.g. 4 or batch=2,seq=8)"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> CheckOptimized(const ir::Model& before, const ir::Model& after,
                                           const CheckOptions& options) {
  evaluator::EvaluatorOptions eopts;
  eopts.num_threads = options.num_threads;
  auto ref = evaluator::Evaluator::Create(before, eopts);
  if (!ref.ok()) return absl::Status(ref.status().code(), absl::StrCat("--check: original model: ", ref.status().message()));
  auto opt = evaluator::Evaluator::Create(after, eopts);
  if (!opt.ok()) return absl::Status(opt.status().code(), absl::StrCat("--check: optimized model: ", opt.status().message()));
  std::mt19937 rng(options.seed);
  std::map<std::string, ir::Tensor> feeds;
  for (const ir::ValueInfo& v : ref->required_inputs()) {
    ASSIGN_OR_RETURN(feeds[v.name], RandomInput(v, options, rng));
  }
  auto want = ref->Run(feeds);
  if (!want.ok()) return absl::Status(want.status().code(), absl::StrCat("--check: running the original model: ", want.status().message()));
  auto got = opt->Run(feeds);
  if (!got.ok()) return absl::Status(got.status().code(), absl::StrCat("--check: running the optimized model: ", got.status().message()));
  std::map<std::string, const ir::Tensor*> got_by_name;
  for (size_t k = 0; k < got->size(); ++k) got_by_name[opt->output_names()[k]] = &(*got)[k];
  std::string text;
  bool ok = true;
  evaluator::Tolerance tol{options.rtol, options.atol};
  for (size_t k = 0; k < want->size(); ++k) {
    const std::string& name = ref->output_names()[k];
    auto it = got_by_name.find(name);
    if (it == got_by_name.end()) {
      absl::StrAppend(&text, "  ", name, ": missing from the optimized model  FAIL\n");
      ok = false;
      continue;
    }
    const ir::Tensor& w = (*want)[k];
    if (w.dtype() == ir::DataType::kString) {
      const bool same = w.dims() == it->second->dims() && w.strings() == it->second->strings();
      absl::StrAppend(&text, "  ", name, ": strings ", same ? "equal  ok" : "differ  FAIL", "\n");
      ok &= same;
      continue;
    }
    auto c = evaluator::CompareTensors(*it->second, w, tol);
    if (!c.ok()) {
      absl::StrAppend(&text, "  ", name, ": ", c.status().message(), "  FAIL\n");
      ok = false;
      continue;
    }
    const double allowed = options.rtol * c->max_abs_reference + options.atol;
    const bool pass = c->max_abs_error <= allowed;
    ok &= pass;
    absl::StrAppend(&text, absl::StrFormat("  %s: max error %.3g (scale %.3g, allowed %.3g)  %s\n",
                                           name, c->max_abs_error, c->max_abs_reference, allowed,
                                           pass ? "ok" : "FAIL"));
  }
  if (!ok) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--check: the optimized model's outputs differ from the original's (seed ",
        options.seed, "); output not written\n", text));
  }
  return text;
}

}  // namespace onnxsmith::cli
