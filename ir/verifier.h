// ir::Verify: the invariants every builder and every pass must keep, checked
// in one place (like XLA's HloVerifier) so that a rewrite that breaks the
// graph is caught right after it runs instead of as a wrong number or an ONNX
// checker error much later.
//
// Checked, for the graph and recursively for its subgraphs:
//  - names: graph inputs, node outputs and node names unique, none empty;
//  - single assignment: every value has one producer (graph input,
//    initializer or one node output), also across scopes: a subgraph never
//    redefines a value of an enclosing scope;
//  - order and scope: every node input (and every value a subgraph reads) is
//    defined before the node, in this graph or an enclosing one; every graph
//    output is defined;
//  - data: initializers and tensor attributes have a dtype and as many
//    bytes (strings) as their dims say;
//  - subgraphs: If/Loop/Scan have their bodies with consistent input/output
//    counts, and no subgraph object is shared by two attributes (a pass
//    rewriting one would silently rewrite the other);
//  - attributes: unique names; cheap sanity of the attributes rewrites touch
//    (Transpose perm, Conv/pool pads/strides/kernel sizes, Cast's `to`, axes
//    in range, operand counts of common ops).
// Errors name the graph and the node (ir::DescribeNode).
#ifndef ONNXSMITH_IR_VERIFIER_H_
#define ONNXSMITH_IR_VERIFIER_H_

#include "absl/status/status.h"
#include "ir/graph.h"

namespace onnxsmith::ir {

// OK, or an InternalError describing the first broken invariant.
absl::Status Verify(const Graph& graph);

}  // namespace onnxsmith::ir

#endif  // ONNXSMITH_IR_VERIFIER_H_
