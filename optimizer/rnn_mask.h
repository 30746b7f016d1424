// Masked RNN loops without a Loop (fuse_rnn_loops, Keras masking). Keras
// runs the cell on every step and keeps the old state where the mask is 0
// (the output there is the previous output, or a fill value with
// zero_output_for_mask). That equals running the cell over the unmasked
// steps only: per batch row they are gathered to the front in time order
// (TopK on the unique key mask*T + T-1-t), the ONNX RNN runs with
// sequence_lens = their count, and each time step then reads the output of
// the last unmasked step up to it (cumsum(mask) - 1), or the initial output
// where none has run yet. Exact for any mask, not only right padding.
#ifndef ONNXSMITH_OPTIMIZER_RNN_MASK_H_
#define ONNXSMITH_OPTIMIZER_RNN_MASK_H_

#include <cstdint>
#include <string>

#include "optimizer/graph_editor.h"

namespace onnxsmith::optimizer {

// Squeeze/Unsqueeze of one axis (axes as an input from opset 13).
std::string AxesOp(GraphEditor& ed, const char* op, const std::string& in, int64_t axis,
                   std::string out = "");

struct CompactedSteps {
  std::string mask;       // [T, B, 1] bool, as the loop read it
  std::string x;          // [T, B, F]: each row's unmasked steps first
  std::string seq_lens;   // [B] int32, at least 1 (a row without steps runs one, unread)
  std::string any_step;   // [B, 1] bool: the row has an unmasked step
  std::string last_step;  // [T, B] int64: compacted index of the last unmasked step <= t, or -1
};

CompactedSteps CompactSteps(GraphEditor& ed, const std::string& x, const std::string& mask,
                            const std::string& base);

// The RNN's per-step outputs `y` [T, B, H] (compacted) at time positions:
// masked steps take `fill` when given, else the previous output, `initial`
// [B, H] before the first unmasked step.
std::string SpreadOutputs(GraphEditor& ed, const CompactedSteps& c, const std::string& y,
                          const std::string& initial, const std::string& fill);

// values[T - 1] of `values` [T, ...], named `out` if given.
std::string LastStep(GraphEditor& ed, const std::string& values, std::string out);

// A final state: the RNN's `last` [B, H], or `initial` for rows with no step.
std::string FinalState(GraphEditor& ed, const CompactedSteps& c, const std::string& last,
                       const std::string& initial, const std::string& out);

}  // namespace onnxsmith::optimizer

#endif  // ONNXSMITH_OPTIMIZER_RNN_MASK_H_
