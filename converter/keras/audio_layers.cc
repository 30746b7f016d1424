// Keras 3 audio preprocessing layers, both a short-time Fourier transform
// expressed as a strided Conv whose kernels are the windowed DFT basis:
//   STFTSpectrogram: Keras itself computes it that way, with the kernels
//     stored as the layer's weights (real_kernel, imag_kernel: [frame, 1, bins]).
//   MelSpectrogram: Keras calls ops.stft (reflect padding by fft_length / 2,
//     a periodic hann/hamming window centred in fft_length); the DFT kernel
//     and the HTK mel weight matrix are computed here as Keras computes them.
// Both compute in float32.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "converter/keras/layer_context.h"
#include "converter/keras/layer_registry.h"

namespace onnxsmith::converter::keras {

namespace {

using ir::Attribute;
using ir::DataType;

constexpr double kPi = 3.14159265358979323846;
constexpr double kKerasEpsilon = 1e-7;  // keras.backend.epsilon()

// Conv of signals [n, 1, time] with kernel [out, 1, frame] at `stride`.
std::string StridedConv(LayerContext& ctx, const std::string& x, const std::string& kernel,
                        int64_t frame, int64_t stride, bool same) {
  return ctx.AddNode("Conv", {x, kernel},
                     {Attribute::Ints("kernel_shape", {frame}), Attribute::Ints("strides", {stride}),
                      Attribute::String("auto_pad", same ? "SAME_UPPER" : "VALID")});
}

// atan2(y, x) from Atan: ONNX has no two-argument arctangent.
std::string Atan2(LayerContext& ctx, const std::string& y, const std::string& x) {
  const std::string zero = ctx.ConstFloat(0.0f, "zero");
  const std::string base = ctx.AddNode("Atan", {ctx.AddNode("Div", {y, x})});
  const std::string y_nonneg = ctx.AddNode("GreaterOrEqual", {y, zero});
  const std::string pi = ctx.AddNode("Where", {y_nonneg, ctx.ConstFloat(kPi, "pi"),
                                               ctx.ConstFloat(-kPi, "minus_pi")});
  const std::string left = ctx.AddNode("Add", {base, pi});  // x < 0
  const std::string half = ctx.AddNode(
      "Where", {ctx.AddNode("Greater", {y, zero}), ctx.ConstFloat(kPi / 2, "half_pi"),
                ctx.AddNode("Where", {ctx.AddNode("Less", {y, zero}),
                                      ctx.ConstFloat(-kPi / 2, "minus_half_pi"), zero})});
  return ctx.AddNode(
      "Where", {ctx.AddNode("Greater", {x, zero}), base,
                ctx.AddNode("Where", {ctx.AddNode("Less", {x, zero}), left, half})});
}

// Keras' Conv1D kernel [frame, 1, bins] as ONNX's [bins, 1, frame].
absl::StatusOr<std::string> StftKernel(LayerContext& ctx, int i, const std::string& what,
                                       int64_t frame) {
  ASSIGN_OR_RETURN(std::string k, ctx.WeightConst(i, what));
  auto dims = ctx.StaticDims(k);
  if (!dims || dims->size() != 3 || (*dims)[0] != frame || (*dims)[1] != 1) {
    return ctx.Error(absl::StrCat(what, " is not of shape [frame_length, 1, bins]"));
  }
  return ctx.Transpose(k, {2, 1, 0});
}

absl::Status ConvertStftSpectrogram(LayerContext& ctx) {
  ASSIGN_OR_RETURN(int rank, ctx.InputRank(0));
  if (rank != 3) return ctx.Error(absl::StrCat("expects a rank-3 input, got rank ", rank));
  ASSIGN_OR_RETURN(bool channels_first, ctx.ChannelsFirst());
  auto dims = ctx.input_dims(0);
  const int64_t channels = dims ? (*dims)[channels_first ? 1 : 2] : -1;
  if (channels < 0) return ctx.Unsupported("a channel count unknown before run time");
  const std::string mode = ctx.String("mode", "log");
  ASSIGN_OR_RETURN(int64_t frame, ctx.RequiredInt("frame_length"));
  const int64_t step = ctx.Int("frame_step", frame / 2);
  const std::string padding = ctx.String("padding", "valid");
  if (padding != "valid" && padding != "same") {
    return ctx.Unsupported(absl::StrCat("padding '", padding, "'"));
  }
  const bool same = padding == "same";
  std::string x = ctx.input(0);
  if (ctx.input_dtype(0) != DataType::kFloat) x = ctx.Cast(x, DataType::kFloat);
  if (!channels_first) x = ctx.Transpose(x, {0, 2, 1});
  const std::string shape = ctx.AddNode("Shape", {x});
  x = ctx.AddNode("Reshape", {x, ctx.AddNode("Concat", {ctx.ConstInt64s({-1, 1}, "signals"),
                                                        ctx.AddNode("Slice", {shape, ctx.ConstInt64s({2}, "s"),
                                                                              ctx.ConstInt64s({3}, "e")})},
                                             {Attribute::Int("axis", 0)})});
  // [batch * channels, bins, frames] -> [batch, channels, bins, frames]
  auto split = [&](const std::string& y) {
    const std::string bins_frames = ctx.AddNode(
        "Slice", {ctx.AddNode("Shape", {y}), ctx.ConstInt64s({1}, "s"), ctx.ConstInt64s({3}, "e")});
    return ctx.AddNode("Reshape", {y, ctx.AddNode("Concat", {ctx.ConstInt64s({-1, channels}, "lead"),
                                                             bins_frames},
                                                  {Attribute::Int("axis", 0)})});
  };
  std::string real, imag;
  int next = 0;
  if (mode != "imag") {
    ASSIGN_OR_RETURN(std::string k, StftKernel(ctx, next++, "real_kernel", frame));
    real = split(StridedConv(ctx, x, k, frame, step, same));
  }
  if (mode != "real") {
    ASSIGN_OR_RETURN(std::string k, StftKernel(ctx, next++, "imag_kernel", frame));
    imag = split(StridedConv(ctx, x, k, frame, step, same));
  }
  std::string y;
  bool linear = false;
  if (mode == "real") {
    y = real;
  } else if (mode == "imag") {
    y = imag;
  } else if (mode == "angle") {
    y = Atan2(ctx, imag, real);
  } else if (mode == "stft") {
    y = ctx.AddNode("Concat", {real, imag}, {Attribute::Int("axis", 2)});
  } else if (mode == "psd" || mode == "magnitude" || mode == "log") {
    const std::string power = ctx.AddNode(
        "Add", {ctx.AddNode("Mul", {real, real}), ctx.AddNode("Mul", {imag, imag})});
    if (mode == "psd") {
      // power + power[:, :, 1:-1] padded back to all bins: inner bins doubled.
      const std::string inner = ctx.AddNode(
          "Slice", {power, ctx.ConstInt64s({1}, "s"), ctx.ConstInt64s({-1}, "e"),
                    ctx.ConstInt64s({2}, "axis")});
      y = ctx.AddNode("Add", {power, ctx.AddNode("Pad", {inner, ctx.ConstInt64s({0, 0, 1, 0, 0, 0, 1, 0}, "pads")})});
    } else {
      y = ctx.AddNode("Sqrt", {ctx.AddNode("Max", {power, ctx.ConstFloat(kKerasEpsilon, "eps")})});
      linear = true;
    }
  } else {
    return ctx.Unsupported(absl::StrCat("mode '", mode, "'"));
  }
  // [batch, channels, bins, frames] -> the layer's layout.
  if (ctx.Bool("expand_dims", false)) {
    y = ctx.Transpose(y, channels_first ? std::vector<int64_t>{0, 1, 3, 2}
                                        : std::vector<int64_t>{0, 3, 2, 1});
  } else {
    const std::string ys = ctx.AddNode("Shape", {y});
    const std::string cf = ctx.AddNode(
        "Mul", {ctx.AddNode("Slice", {ys, ctx.ConstInt64s({1}, "s"), ctx.ConstInt64s({2}, "e")}),
                ctx.AddNode("Slice", {ys, ctx.ConstInt64s({2}, "s"), ctx.ConstInt64s({3}, "e")})});
    y = ctx.AddNode("Reshape", {y, ctx.AddNode("Concat", {ctx.ConstInt64s({-1}, "batch"), cf,
                                                          ctx.AddNode("Slice", {ys, ctx.ConstInt64s({3}, "s"),
                                                                                ctx.ConstInt64s({4}, "e")})},
                                               {Attribute::Int("axis", 0)})});
    if (!channels_first) y = ctx.Transpose(y, {0, 2, 1});
  }
  if (linear && mode == "log") {
    y = ctx.AddNode("Log", {ctx.AddNode("Max", {y, ctx.ConstFloat(kKerasEpsilon, "eps")})});
  }
  ctx.SetOutput(0, y);
  return absl::OkStatus();
}

// The real and imaginary DFT kernels [bins, 1, fft] of ops.stft's frames:
// the periodic window of `length` centred in fft (rectangular over fft if none).
absl::StatusOr<std::pair<std::vector<float>, std::vector<float>>> DftKernels(
    LayerContext& ctx, const std::string& window, int64_t length, int64_t fft) {
  std::vector<double> w(fft, 0.0);
  const int64_t l_pad = (fft - length) / 2;
  for (int64_t n = 0; n < fft; ++n) {
    if (window.empty()) {
      w[n] = 1.0;
    } else if (n >= l_pad && n < l_pad + length) {
      const double c = std::cos(2 * kPi * static_cast<double>(n - l_pad) / static_cast<double>(length));
      if (window == "hann") {
        w[n] = 0.5 - 0.5 * c;
      } else if (window == "hamming") {
        w[n] = 0.54 - 0.46 * c;
      } else {
        return ctx.Unsupported(absl::StrCat("window '", window, "' (hann, hamming or None convert)"));
      }
    }
  }
  const int64_t bins = fft / 2 + 1;
  std::vector<float> re(bins * fft), im(bins * fft);
  for (int64_t k = 0; k < bins; ++k) {
    for (int64_t n = 0; n < fft; ++n) {
      // k * n mod fft keeps the angle small and exact.
      const double a = 2 * kPi * static_cast<double>((k * n) % fft) / static_cast<double>(fft);
      re[k * fft + n] = static_cast<float>(w[n] * std::cos(a));
      im[k * fft + n] = static_cast<float>(-w[n] * std::sin(a));
    }
  }
  return std::make_pair(std::move(re), std::move(im));
}

// Keras' linear_to_mel_weight_matrix, transposed: [mel_bins, spectrogram_bins].
std::vector<float> MelMatrix(int64_t mel_bins, int64_t bins, double rate, double lo, double hi) {
  auto to_mel = [](double f) { return 1127.0 * std::log(1.0 + f / 700.0); };
  std::vector<double> edges(mel_bins + 2);
  const double m_lo = to_mel(lo), m_hi = to_mel(hi);
  for (int64_t i = 0; i < mel_bins + 2; ++i) {
    edges[i] = m_lo + (m_hi - m_lo) * static_cast<double>(i) / static_cast<double>(mel_bins + 1);
  }
  std::vector<float> m(mel_bins * bins, 0.0f);
  for (int64_t k = 1; k < bins; ++k) {  // bin 0 (DC) is zeroed
    const double f = rate / 2.0 * static_cast<double>(k) / static_cast<double>(bins - 1);
    const double mel = to_mel(f);
    for (int64_t j = 0; j < mel_bins; ++j) {
      const double lower = (mel - edges[j]) / (edges[j + 1] - edges[j]);
      const double upper = (edges[j + 2] - mel) / (edges[j + 2] - edges[j + 1]);
      m[j * bins + k] = static_cast<float>(std::max(0.0, std::min(lower, upper)));
    }
  }
  return m;
}

absl::Status ConvertMelSpectrogram(LayerContext& ctx) {
  ASSIGN_OR_RETURN(int rank, ctx.InputRank(0));
  if (rank != 1 && rank != 2) {
    return ctx.Error(absl::StrCat("expects a rank-1 or rank-2 input, got rank ", rank));
  }
  const int64_t fft = ctx.Int("fft_length", 2048);
  const int64_t stride = ctx.Int("sequence_stride", 512);
  const int64_t length = ctx.Int("sequence_length", fft);
  if (fft < 2 || stride < 1 || length < 1 || length > fft) {
    return ctx.Error("has inconsistent fft_length, sequence_length and sequence_stride");
  }
  const std::string window = ctx.String("window", "");
  const int64_t mel_bins = ctx.Int("num_mel_bins", 128);
  const double rate = ctx.Float("sampling_rate", 16000);
  const double min_freq = ctx.Float("min_freq", 20.0);
  const double max_freq = ctx.Float("max_freq", static_cast<double>(static_cast<int64_t>(rate / 2)));
  const double mag_exp = ctx.Float("mag_exp", 2.0);
  const double min_power = ctx.Float("min_power", 1e-10);
  std::string x = ctx.input(0);
  if (ctx.input_dtype(0) != DataType::kFloat) x = ctx.Cast(x, DataType::kFloat);
  if (rank == 1) x = ctx.Unsqueeze(x, {0});
  x = ctx.AddNode("Pad", {x, ctx.ConstInt64s({0, fft / 2, 0, fft / 2}, "pads")},
                  {Attribute::String("mode", "reflect")});
  x = ctx.Unsqueeze(x, {1});  // [batch, 1, time]
  ASSIGN_OR_RETURN(auto kernels, DftKernels(ctx, window, length, fft));
  const int64_t bins = fft / 2 + 1;
  const std::string real = StridedConv(ctx, x, ctx.ConstFloats({bins, 1, fft}, kernels.first, "dft_real"),
                                       fft, stride, false);
  const std::string imag = StridedConv(ctx, x, ctx.ConstFloats({bins, 1, fft}, kernels.second, "dft_imag"),
                                       fft, stride, false);
  std::string spec = ctx.AddNode(
      "Sqrt", {ctx.AddNode("Add", {ctx.AddNode("Mul", {real, real}), ctx.AddNode("Mul", {imag, imag})})});
  spec = ctx.AddNode("Pow", {spec, ctx.ConstFloat(static_cast<float>(mag_exp), "mag_exp")});
  // [mel, bins] x [batch, bins, frames] -> [batch, mel, frames], the layer's output layout.
  std::string y = ctx.AddNode(
      "MatMul", {ctx.ConstFloats({mel_bins, bins}, MelMatrix(mel_bins, bins, rate, min_freq, max_freq),
                                 "mel_matrix"),
                 spec});
  if (ctx.Bool("power_to_db", true)) {
    const std::string ln10 = ctx.ConstFloat(static_cast<float>(std::log(10.0)), "ln10");
    y = ctx.AddNode("Max", {y, ctx.ConstFloat(static_cast<float>(min_power), "min_power")});
    y = ctx.AddNode("Mul", {ctx.ConstFloat(10.0f, "ten"), ctx.AddNode("Div", {ctx.AddNode("Log", {y}), ln10})});
    const float ref = static_cast<float>(std::max(std::fabs(ctx.Float("ref_power", 1.0)), min_power));
    const float ref_db = 10.0f * (std::log(ref) / static_cast<float>(std::log(10.0)));
    y = ctx.AddNode("Sub", {y, ctx.ConstFloat(ref_db, "ref_db")});
    // Keras clamps to the maximum over the whole batch.
    const std::string top = ctx.AddNode(
        "Sub", {ctx.AddNode("ReduceMax", {y}, {Attribute::Int("keepdims", 0)}),
                ctx.ConstFloat(static_cast<float>(ctx.Float("top_db", 80.0)), "top_db")});
    y = ctx.AddNode("Max", {y, top});
  }
  if (rank == 1) y = ctx.Squeeze(y, {0});
  ctx.SetOutput(0, y);
  return absl::OkStatus();
}

}  // namespace

void RegisterAudioLayers(LayerRegistry& r) {
  r.Register({"STFTSpectrogram"}, Inputs(1), ConvertStftSpectrogram,
             "a strided Conv with the stored DFT kernels; every mode; a static channel count; "
             "computed in float32");
  r.Register({"MelSpectrogram"}, Inputs(1), ConvertMelSpectrogram,
             "window hann, hamming or None; the DFT as a strided Conv and the mel matrix as "
             "constants; computed in float32");
}

}  // namespace onnxsmith::converter::keras
