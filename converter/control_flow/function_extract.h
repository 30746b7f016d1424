// Builds a FunctionDef from the part of a GraphDef that some tensors need:
// walking back from the outputs, tensors named in the boundary become the
// function's arguments, every other producer is copied in (with its inputs
// rewritten to FunctionDef's "node:out_arg:index" form).
#ifndef ONNXSMITH_CONVERTER_CONTROL_FLOW_FUNCTION_EXTRACT_H_
#define ONNXSMITH_CONVERTER_CONTROL_FLOW_FUNCTION_EXTRACT_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "converter/control_flow/graph_edit.h"
#include "converter/tf/proto/function.pb.h"

namespace onnxsmith::converter::control_flow {

// What the walk does with a node it reaches.
enum class Reach { kCopy, kCapture };

struct FunctionRequest {
  std::string name;
  // Argument k is read wherever a tensor ("node:k") mapped to k is read.
  std::vector<tf::DataType> arg_types;
  absl::flat_hash_map<std::string, int> args;
  // Flat tensor names ("node:k") the function returns, and their types.
  std::vector<std::string> outputs;
  std::vector<tf::DataType> output_types;
  // Called on every node the walk reaches outside the boundary: an error
  // (malformed graph), kCopy, or kCapture (its tensor becomes a new argument,
  // appended to `captures`).
  std::function<absl::StatusOr<Reach>(int node)> reach;
};

struct ExtractedFunction {
  tf::FunctionDef function;
  std::vector<std::string> captures;  // tensors made arguments by kCapture
  std::vector<int> copied;            // graph indices of the nodes copied in
};

absl::StatusOr<ExtractedFunction> ExtractFunction(const GraphIndex& index,
                                                  const FunctionRequest& request);

// The shape attr value of an unknown-rank shape list with `n` entries.
tf::AttrValue UnknownShapes(int n);
// A list(type) attr value.
tf::AttrValue TypeList(const std::vector<tf::DataType>& types);
// A func attr value naming `function`.
tf::AttrValue FuncAttr(const std::string& function);

}  // namespace onnxsmith::converter::control_flow

#endif  // ONNXSMITH_CONVERTER_CONTROL_FLOW_FUNCTION_EXTRACT_H_
