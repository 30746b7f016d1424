// Inlining of TF2 function calls: every (Stateful)PartitionedCall, and every
// node whose op names a library function, is replaced by the function's body.
// Body nodes are renamed under a unique prefix ("call/..."), the function's
// arguments become the call's inputs, "node:arg:index" references become flat
// "node:k" ones, and the call's own name is kept by an Identity (one output)
// or IdentityN (several) over the function's return values, so everything
// that read "call:k" still does. Control edges are dropped. Nested calls are
// inlined recursively, with a depth limit and a recursion check.
// While/If/Case and their Stateless forms keep their functions: they are
// control flow, not calls.
#ifndef ONNXSMITH_CONVERTER_TF_FUNCTION_INLINER_H_
#define ONNXSMITH_CONVERTER_TF_FUNCTION_INLINER_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "converter/tf/graph_util.h"
#include "converter/tf/proto/graph.pb.h"

namespace onnxsmith::converter {

struct InlineOptions {
  int max_depth = 64;                  // nested calls deeper than this are an error
  int64_t max_nodes = 5'000'000;       // total nodes after inlining
  // Which top-level call nodes to inline (all when empty). Calls inside an
  // inlined body are always inlined.
  std::function<bool(const tf::NodeDef&)> select;
  // How errors name the library a missing function should be in.
  std::string library_name = "the SavedModel's function library";
};

struct InlineStats {
  int calls_inlined = 0;
  int max_depth = 0;
};

// `graph` holds the nodes (any control inputs are dropped from inlined
// bodies, kept on the top-level nodes); `catalog` its op list and library.
// The result has no library.
absl::StatusOr<tf::GraphDef> InlineFunctionCalls(const tf::GraphDef& graph,
                                                 const OpCatalog& catalog,
                                                 const InlineOptions& options,
                                                 InlineStats* stats = nullptr);

}  // namespace onnxsmith::converter

#endif  // ONNXSMITH_CONVERTER_TF_FUNCTION_INLINER_H_
