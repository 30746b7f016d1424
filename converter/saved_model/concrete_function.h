// `--concrete_function N`: converting a SavedModel through one of the
// concrete functions of its SavedObjectGraph rather than a SignatureDef (a
// tf.Module saved without signatures has none).
//
// The function is turned into a signature the loader already knows how to
// freeze: Placeholders for its own inputs, a VarHandleOp (or the saved Const)
// for each captured input (bound_inputs), one StatefulPartitionedCall, and a
// SignatureDef naming them. Variables are then frozen like a signature's:
// through the object graph ids of bound_inputs.
#ifndef ONNXSMITH_CONVERTER_SAVED_MODEL_CONCRETE_FUNCTION_H_
#define ONNXSMITH_CONVERTER_SAVED_MODEL_CONCRETE_FUNCTION_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "converter/tf/proto/meta_graph.pb.h"

namespace onnxsmith::converter::saved_model {

struct ConcreteFunctionEntry {
  std::string name;  // key of SavedObjectGraph.concrete_functions (a FunctionDef name)
  std::string path;  // the object path of the tf.function holding it ("f", "model/__call__")
};

// The concrete functions reachable from the object graph's root, in
// breadth-first order (the indices --concrete_function accepts).
std::vector<ConcreteFunctionEntry> ListConcreteFunctions(const tf::MetaGraphDef& mg);

// One line per function, "0: __inference_f_12 (f)", at most `limit` lines.
std::string DescribeConcreteFunctions(const tf::MetaGraphDef& mg, size_t limit = 30);

// Selects a concrete function by FunctionDef name, by index in
// ListConcreteFunctions, or by object path when only one function lives
// there; adds its call to mg's graph and a signature for it to mg's
// signature_def. Returns the signature key. `dir` names the model in errors.
absl::StatusOr<std::string> AddConcreteFunctionSignature(const std::string& selector,
                                                         tf::MetaGraphDef* mg,
                                                         const std::string& dir);

}  // namespace onnxsmith::converter::saved_model

#endif  // ONNXSMITH_CONVERTER_SAVED_MODEL_CONCRETE_FUNCTION_H_
