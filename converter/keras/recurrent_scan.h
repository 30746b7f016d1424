// A Keras LSTM / GRU / SimpleRNN cell as an ONNX Scan over time, with the
// cell's own math: for cells whose activations ONNX's LSTM / GRU / RNN ops
// do not take (gelu, silu, selu, ...). Used by recurrent_layers.cc.
#ifndef ONNXSMITH_CONVERTER_KERAS_RECURRENT_SCAN_H_
#define ONNXSMITH_CONVERTER_KERAS_RECURRENT_SCAN_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "converter/keras/layer_context.h"
#include "converter/keras/recurrent_weights.h"

namespace onnxsmith::converter::keras {

struct ScannedCell {
  std::string sequence;             // [T, B, H]: the output at every step
  std::string last_output;          // [B, H]: Keras's last output
  std::vector<std::string> states;  // [B, H] each: h (and c)
};

// Runs `cell` with weights `w` over seq ([T, B, F] float) from `init` (its
// states [B, H], or none: zeros). A step where `mask` ([T, B] bool) is false
// keeps the states and repeats the previous output (zeros with
// zero_output_for_mask), as Keras's backend rnn. `key` names the cell's
// initializers (cached per layer).
absl::StatusOr<ScannedCell> ScanCell(LayerContext& ctx, const CellSpec& cell, const DirectionWeights& w,
                                     const std::string& key, const std::string& seq,
                                     const std::optional<std::string>& mask, const std::vector<std::string>& init,
                                     bool zero_output_for_mask);

}  // namespace onnxsmith::converter::keras

#endif  // ONNXSMITH_CONVERTER_KERAS_RECURRENT_SCAN_H_
