// Shared by optimize_transposes (transpose_pass.cc) and its per-op
// push-down rules (transpose_rules.cc): the op families a Transpose moves
// through, and the edits every push makes.
#ifndef ONNXSMITH_OPTIMIZER_TRANSPOSE_UTIL_H_
#define ONNXSMITH_OPTIMIZER_TRANSPOSE_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "optimizer/graph_editor.h"
#include "optimizer/rewrite.h"

namespace onnxsmith::optimizer {

// Elementwise ops where only input 0 is a tensor the layout applies to
// (Clip's min/max are scalars).
const std::vector<std::string>& UnaryOpList();
bool IsUnaryElementwise(const std::string& op);

// Multidirectional-broadcasting elementwise ops: every input is a tensor
// the layout applies to.
const std::vector<std::string>& BroadcastOpList();

const std::vector<std::string>& ReduceOpList();

// The live Transpose producing `value` when `consumer` is its only user.
const ir::Node* ExclusiveTranspose(const GraphEditor& ed, const ir::Node& consumer,
                                   const std::string& value);

// Renames `n`'s output to a fresh value and adds Transpose(perm) from it to
// the old name, so readers of the old name see the same tensor.
void TransposeOutput(GraphEditor& ed, ir::Node& n, const std::vector<int64_t>& perm,
                     size_t index = 0);

// A constant (not a string tensor) whose dims are known.
bool ConstantUsable(GraphEditor& ed, const std::string& v);

// Constant operand `v` of a broadcasting op whose transposed operands are
// replaced by their untransposed inputs: returns the operand to use in the
// untransposed layout ("" on failure).
std::string UntransposeBroadcastConstant(GraphEditor& ed, const std::string& v,
                                         const std::vector<int64_t>& perm);

// The per-op push-down rules (transpose_rules.cc): Op(Transpose(x)) ->
// Transpose(Op'(x)) when the Transpose has no other reader.
RewriteRule PushThroughUnary();
RewriteRule PushThroughBroadcast();
RewriteRule PushThroughConcat();
RewriteRule PushThroughReduce();
RewriteRule PushThroughPad();
RewriteRule PushThroughSliceSplit();

}  // namespace onnxsmith::optimizer

#endif  // ONNXSMITH_OPTIMIZER_TRANSPOSE_UTIL_H_
