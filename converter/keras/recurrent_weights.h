// Keras recurrent cells -> the attributes and weight tensors of ONNX LSTM /
// GRU / RNN ops (used by recurrent_layers.cc).
//
// Keras kernels are [input, gates * units] and recurrent kernels
// [units, gates * units], gate blocks in Keras's order (LSTM i, f, c, o; GRU
// z, r, h); ONNX wants W [dirs, gates * hidden, input], R [dirs, gates *
// hidden, hidden] with LSTM gates in the order i, o, f, c (GRU: z, r, h), and
// B [dirs, 2 * gates * hidden] = input biases then recurrent biases.
#ifndef ONNXSMITH_CONVERTER_KERAS_RECURRENT_WEIGHTS_H_
#define ONNXSMITH_CONVERTER_KERAS_RECURRENT_WEIGHTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "converter/keras/json_util.h"
#include "converter/keras/layer_context.h"
#include "ir/tensor.h"

namespace onnxsmith::converter::keras {

enum class CellKind { kLstm, kGru, kRnn };

// What a cell computes (from a layer's or a cell's config).
struct CellSpec {
  CellKind kind = CellKind::kLstm;
  int64_t units = 0;
  std::string activation = "tanh";               // a Keras activation name
  std::string recurrent_activation = "sigmoid";  // LSTM / GRU gates
  bool use_bias = true;
  bool reset_after = false;  // GRU: reset gate applied after the recurrent matmul
  bool cudnn = false;        // CuDNNLSTM / CuDNNGRU: separate input and recurrent biases

  int NumGates() const { return kind == CellKind::kLstm ? 4 : kind == CellKind::kGru ? 3 : 1; }
  int NumStates() const { return kind == CellKind::kLstm ? 2 : 1; }  // h (and c)
  const char* OnnxOp() const { return kind == CellKind::kLstm ? "LSTM" : kind == CellKind::kGru ? "GRU" : "RNN"; }
};

// `class_name` is a layer (LSTM, GRU, SimpleRNN, CuDNNLSTM, CuDNNGRU) or a
// cell (LSTMCell, GRUCell, SimpleRNNCell); `cfg` its config.
absl::StatusOr<CellSpec> ReadCellSpec(const LayerContext& ctx, const std::string& class_name,
                                      const Json& cfg);

// One direction's Keras weights.
struct DirectionWeights {
  ir::Tensor kernel, recurrent, bias;
  bool has_bias = false;
};

// The weights of direction d of `dirs` (Bidirectional: 0 forward, 1
// backward, told apart by name: "forward_"/"backward_" in .h5,
// "forward_layer/"/"backward_layer/" in .keras) and, in a StackedRNNCells,
// of the cell named `cell_name` (a part of the weights' path; empty: the
// layer's only cell). Picked by their name's last part (kernel,
// recurrent_kernel, bias) or, in .keras files ("vars/0".."vars/2"), by
// position.
absl::StatusOr<DirectionWeights> CellWeights(const LayerContext& ctx, const CellSpec& cell, int dirs, int d,
                                             const std::string& cell_name);

struct OnnxRecurrentWeights {
  ir::Tensor W, R, B;
  bool has_bias = false;
};

// The ONNX W, R (and B) for `cells` (one per direction), checked against the
// input's feature count.
absl::StatusOr<OnnxRecurrentWeights> MakeOnnxWeights(const LayerContext& ctx,
                                                     const std::vector<CellSpec>& cells,
                                                     const std::vector<DirectionWeights>& weights,
                                                     int64_t features);

struct OnnxActivations {
  std::vector<std::string> names;
  std::vector<float> alphas, betas;  // consumed in order by the functions that take them
};

// The ONNX activation list (LSTM: f, g, h; GRU: f, g; RNN: f) of every direction.
absl::StatusOr<OnnxActivations> MakeOnnxActivations(const LayerContext& ctx,
                                                    const std::vector<CellSpec>& cells);

// Gate g of ONNX's order is Keras's gate block KerasGateOf(kind, g).
int KerasGateOf(CellKind kind, int onnx_gate);

// Keras [rows, gates * units] (gate blocks in Keras order) -> ONNX
// [gates * units, rows] (ONNX order). Exposed for tests.
std::vector<float> KerasToOnnxGates(const float* keras, int64_t rows, int64_t units, CellKind kind);

}  // namespace onnxsmith::converter::keras

#endif  // ONNXSMITH_CONVERTER_KERAS_RECURRENT_WEIGHTS_H_
