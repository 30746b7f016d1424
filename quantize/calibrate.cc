#include "quantize/calibrate.h"

#include <memory>
#include <mutex>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "evaluator/evaluator.h"
#include "tbb/enumerable_thread_specific.h"
#include "tbb/info.h"
#include "tbb/parallel_pipeline.h"
#include "tbb/task_arena.h"

namespace onnxsmith::quantize {

absl::StatusOr<int64_t> ForEachSample(CalibrationSource& source, int64_t count, int in_flight,
                                      const std::function<absl::Status(const Sample&)>& fn) {
  if (in_flight <= 0) in_flight = 2 * tbb::this_task_arena::max_concurrency();
  std::mutex mu;
  absl::Status status;
  int64_t read = 0;
  auto fail = [&](absl::Status s, tbb::flow_control* fc) {
    std::lock_guard<std::mutex> lock(mu);
    if (status.ok()) status = std::move(s);
    if (fc) fc->stop();
  };
  tbb::parallel_pipeline(
      static_cast<size_t>(in_flight),
      tbb::make_filter<void, std::shared_ptr<Sample>>(
          tbb::filter_mode::serial_in_order,
          [&](tbb::flow_control& fc) -> std::shared_ptr<Sample> {
            {
              std::lock_guard<std::mutex> lock(mu);
              if (!status.ok() || (count >= 0 && read >= count)) {
                fc.stop();
                return nullptr;
              }
            }
            auto s = std::make_shared<Sample>();
            absl::StatusOr<bool> more = source.Next(s.get());
            if (!more.ok()) {
              fail(more.status(), &fc);
              return nullptr;
            }
            if (!*more) {
              fc.stop();
              return nullptr;
            }
            ++read;
            return s;
          }) &
          tbb::make_filter<std::shared_ptr<Sample>, void>(
              tbb::filter_mode::parallel, [&](std::shared_ptr<Sample> s) {
                if (!s) return;
                {
                  std::lock_guard<std::mutex> lock(mu);
                  if (!status.ok()) return;
                }
                absl::Status st = fn(*s);
                if (!st.ok()) fail(std::move(st), nullptr);
              }));
  RETURN_IF_ERROR(status);
  return read;
}

absl::StatusOr<CalibrationResult> Calibrate(const ir::Model& model,
                                            const std::vector<std::string>& tensors,
                                            CalibrationSource& source, int64_t count,
                                            const CalibrationOptions& options) {
  evaluator::EvaluatorOptions eopts;
  eopts.num_threads = 1;  // parallel over samples instead of inside kernels
  ASSIGN_OR_RETURN(evaluator::Evaluator ev, evaluator::Evaluator::Create(model, eopts));
  absl::flat_hash_map<std::string, int> index;
  for (size_t i = 0; i < tensors.size(); ++i) index.emplace(tensors[i], static_cast<int>(i));
  tbb::enumerable_thread_specific<std::vector<TensorStats>> local(
      [&] { return std::vector<TensorStats>(tensors.size()); });
  const bool hist = options.histograms;
  auto observe = [&](const std::string& name, const evaluator::Array& a,
                     std::vector<TensorStats>& stats) {
    auto it = index.find(name);
    if (it == index.end() || a.dtype() != ir::DataType::kFloat) return;
    stats[it->second].Add(a.data<float>(), a.size(), hist);
  };
  auto run = [&](const Sample& s) -> absl::Status {
    std::vector<TensorStats>& stats = local.local();
    for (const auto& [name, t] : s.feeds) {
      auto a = evaluator::Array::FromTensor(t);
      if (a.ok()) observe(name, *a, stats);
    }
    auto out = ev.Run(s.feeds, [&](const std::string& name, const evaluator::Array& a) {
      observe(name, a, stats);
      return absl::OkStatus();
    });
    if (!out.ok()) {
      return absl::Status(out.status().code(), absl::StrCat("calibration sample ", s.index, ": ",
                                                            out.status().message()));
    }
    return absl::OkStatus();
  };
  CalibrationResult result;
  ASSIGN_OR_RETURN(result.samples, ForEachSample(source, count, options.in_flight, run));
  if (result.samples == 0) return absl::InvalidArgumentError("the calibration data holds no samples");
  std::vector<TensorStats> merged(tensors.size());
  for (const std::vector<TensorStats>& l : local) {
    for (size_t i = 0; i < l.size(); ++i) merged[i].Merge(l[i]);
  }
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (merged[i].count() > 0) result.stats[tensors[i]] = std::move(merged[i]);
  }
  return result;
}

}  // namespace onnxsmith::quantize
