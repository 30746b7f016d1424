// TF1 dynamic_rnn(sequence_length=L) bodies (fuse_rnn_loops). TF's step
// keeps each row's state once time >= L (Where(t >= L, old, new)) and writes
// zeros to the output there (Where(t >= L, zero, new)); the loop runs
// min(T, max(1, max(L))) steps and the unwritten outputs stay zero. That is
// exactly ONNX LSTM/GRU/RNN with sequence_lens = L, except for a row with
// L = 0, whose final state TF keeps at the initial one (ONNX gives zeros).
#ifndef ONNXSMITH_OPTIMIZER_RNN_SEQLEN_H_
#define ONNXSMITH_OPTIMIZER_RNN_SEQLEN_H_

#include <functional>
#include <string>
#include <vector>

#include "optimizer/rnn_body.h"

namespace onnxsmith::optimizer {

// Strips the length selects off `vars` (states' `out`, scan outputs'
// `written` become the cell's new values) and returns L, an outer [B] int
// value; "" when the body has no such select (vars untouched) or only part
// of it (`ok` false).
std::string MatchLengthSelect(const GraphEditor& ed, const BodyView& bv, const ir::Graph& body,
                              const std::function<bool(const std::string&)>& counter,
                              std::vector<Carried>& vars, const std::vector<int>& states, bool& ok);

// `v` is TF's loop bound min(T, max(1, max(L))) (or max(L) / max(1, max(L))
// clipped by T) for a T `is_steps` accepts.
bool IsLengthBound(const GraphEditor& ed, const BodyView& bv, const std::string& v,
                   const std::string& seq_len, const std::function<bool(const std::string&)>& is_steps);

// `v` is a zero constant or ConstantOfShape of zero (TF's zero_state).
bool IsZeroValue(const GraphEditor& ed, const std::string& v);

// L as sequence_lens (int32), and a final state guarded for L = 0 rows
// (`initial` there, or zeros: ONNX Runtime leaves such rows unwritten).
std::string SequenceLens(GraphEditor& ed, const std::string& seq_len);
void GuardedFinalState(GraphEditor& ed, const std::string& seq_len, const std::string& last,
                       const std::string& initial, const std::string& out);

}  // namespace onnxsmith::optimizer

#endif  // ONNXSMITH_OPTIMIZER_RNN_SEQLEN_H_
