// LSTM peepholes for fuse_rnn_loops: TF's LSTMBlockCell (and LSTMCell with
// use_peepholes) add c_prev * wci to i's and c_prev * wcf to f's
// pre-activation, and the new c * wco to o's; ONNX LSTM's P holds the three
// diagonals. Such a gate is affine in x, h and the cell state read, with a
// diagonal cell-state coefficient.
#ifndef ONNXSMITH_OPTIMIZER_RNN_PEEPHOLE_H_
#define ONNXSMITH_OPTIMIZER_RNN_PEEPHOLE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "optimizer/rnn_body.h"
#include "optimizer/rnn_probe.h"

namespace onnxsmith::optimizer {

// `gate` (a whole pre-activation, not a part of a split one) as an affine
// map of `in` (x_t, h) plus a diagonal map of the cell state `c`
// (`hidden` wide). On success the diagonal is written to peephole slot
// `slot` (ONNX P order: 0 i, 1 o, 2 f) of `p`, resized to 3 * hidden zeros
// on first use. nullopt when the gate does not have that form.
std::optional<AffineMap> ProbePeepholeGate(const CellProbe& probe,
                                           const std::vector<std::pair<std::string, int64_t>>& in,
                                           const std::optional<Gate>& gate, const std::string& c,
                                           int64_t hidden, int slot, std::vector<float>& p);

}  // namespace onnxsmith::optimizer

#endif  // ONNXSMITH_OPTIMIZER_RNN_PEEPHOLE_H_
