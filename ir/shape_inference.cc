#include "ir/shape_inference.h"

#include <exception>
#include <unordered_map>

#include "absl/container/flat_hash_set.h"
#include "ir/onnx_proto.h"
#include "onnx/defs/schema.h"
#include "onnx/shape_inference/implementation.h"

namespace onnxsmith::ir {

namespace {

// libonnx 1.12 knows schemas up to opset 17. Most ops changed after 17 only
// gained types or optional inputs/attributes we do not emit, so the opset-17
// schema infers them correctly. Reductions other than ReduceSum moved axes
// from an attribute to an input at 18: they are rewritten back for inference.
bool IsAxesInputReduction(const std::string& op) {
  static const auto* ops = new absl::flat_hash_set<std::string>{
      "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
      "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"};
  return ops->count(op) > 0;
}

// Whether the opset-17 schema describes `node` as emitted at a later opset.
bool Opset17SchemaFits(const Node& node) {
  if (node.op_type == "Pad") return node.inputs.size() <= 3;  // 18 added 'axes'
  if (node.op_type == "Resize") {
    return !node.FindAttr("antialias") && !node.FindAttr("axes") &&
           !node.FindAttr("keep_aspect_ratio_policy");
  }
  if (node.op_type == "AveragePool" || node.op_type == "LpPool") {
    return !node.FindAttr("dilations");  // 19/18 added dilations
  }
  return true;
}

// libonnx 1.12's Conv/ConvTranspose inference takes the kernel's rank from
// the weight and indexes the input's dims and the per-axis attributes with it
// unchecked (a SIGSEGV found by fuzzing, tests/bad_inputs/onnx/
// conv_weight_rank_mismatch.onnx): such a node is left to the checker.
bool ConvRanksAgree(const Node& node, const ShapeInferencer& inferencer) {
  size_t weight = 1;
  if (node.op_type == "QLinearConv") {
    weight = 3;
  } else if (node.op_type != "Conv" && node.op_type != "ConvInteger" &&
             node.op_type != "ConvTranspose") {
    return true;
  }
  if (node.inputs.size() <= weight) return true;
  const ValueType x = inferencer.TypeOf(node.inputs[0]);
  const ValueType w = inferencer.TypeOf(node.inputs[weight]);
  return !x.shape || !w.shape || x.shape->size() == w.shape->size();
}

constexpr int kMaxSchemaOpset = 17;
// Constants up to this many elements are shown to inference as data.
constexpr int64_t kMaxDataElements = 64;

}  // namespace

struct ShapeInferencer::State {
  int opset;
  std::unordered_map<std::string, onnx::TypeProto> types;
  std::unordered_map<std::string, onnx::TensorProto> data;
};

ShapeInferencer::ShapeInferencer(int opset) : state_(std::make_unique<State>()) {
  state_->opset = opset;
}

ShapeInferencer::~ShapeInferencer() = default;

void ShapeInferencer::SetType(const std::string& value, const ValueType& type) {
  onnx::TypeProto proto;
  ToTypeProto(type, &proto);
  state_->types[value] = std::move(proto);
}

void ShapeInferencer::SetConstant(const std::string& value, const Tensor& tensor) {
  ValueType type;
  type.dtype = tensor.dtype();
  std::vector<Dim> dims;
  for (int64_t d : tensor.dims()) dims.push_back(Dim{d, ""});
  type.shape = std::move(dims);
  SetType(value, type);
  if (tensor.num_elements() <= kMaxDataElements && tensor.dtype() != DataType::kString) {
    ToTensorProto(tensor, value, &state_->data[value]);
  }
}

ValueType ShapeInferencer::TypeOf(const std::string& value) const {
  auto it = state_->types.find(value);
  return it == state_->types.end() ? ValueType{} : FromTypeProto(it->second);
}

void ShapeInferencer::InferNode(const Node& node) {
  if (!node.domain.empty()) return;
  if (state_->opset > kMaxSchemaOpset) {
    if (!Opset17SchemaFits(node)) return;
    if (IsAxesInputReduction(node.op_type) && node.inputs.size() >= 2) {
      InferReductionWithAxesInput(node);
      return;
    }
  }
  if (!ConvRanksAgree(node, *this)) return;
  const int schema_opset = std::min(state_->opset, kMaxSchemaOpset);
  const onnx::OpSchema* schema =
      onnx::OpSchemaRegistry::Schema(node.op_type, schema_opset, onnx::ONNX_DOMAIN);
  if (schema == nullptr || !schema->has_type_and_shape_inference_function()) {
    InferBroadcastComparison(node);
    return;
  }

  onnx::NodeProto proto;
  proto.set_op_type(node.op_type);
  for (const auto& in : node.inputs) proto.add_input(in);
  for (const auto& out : node.outputs) proto.add_output(out);
  onnx::GraphProto scratch;
  // Subgraphs need a graph context, which this inferencer does not give: skip
  // ops whose schema takes a graph attribute even when the node lacks it or
  // holds another kind (libonnx's Scan/Loop/If inference then dereferences
  // a null graph inferencer).
  for (const Attribute& a : node.attributes) {
    if (a.kind == Attribute::Kind::kGraph) return;
  }
  for (const auto& [name, attr] : schema->attributes()) {
    if (attr.type == onnx::AttributeProto::GRAPH || attr.type == onnx::AttributeProto::GRAPHS) return;
  }
  {  // The exporter's attribute encoding, through a one-node graph.
    Graph g;
    g.AddNode(node);
    ToGraphProto(g, &scratch);
    *proto.mutable_attribute() = scratch.node(0).attribute();
  }

  std::unordered_map<std::string, onnx::TypeProto*> types;
  for (const auto& in : node.inputs) {
    auto it = state_->types.find(in);
    if (it != state_->types.end()) types[in] = &it->second;
  }
  std::unordered_map<std::string, const onnx::TensorProto*> data;
  for (const auto& in : node.inputs) {
    auto it = state_->data.find(in);
    if (it != state_->data.end()) data[in] = &it->second;
  }
  std::unordered_map<std::string, const onnx::SparseTensorProto*> sparse;
  try {
    onnx::shape_inference::InferenceContextImpl ctx(proto, types, data, sparse);
    schema->GetTypeAndShapeInferenceFunction()(ctx);
    for (size_t k = 0; k < node.outputs.size() && k < ctx.getNumOutputs(); ++k) {
      const onnx::TypeProto* t = ctx.getOutputType(k);
      if (t != nullptr && ((t->has_tensor_type() && t->tensor_type().elem_type() != 0) ||
                           (t->has_sequence_type() && t->sequence_type().has_elem_type()))) {
        state_->types[node.outputs[k]] = *t;
      }
    }
  } catch (const std::exception&) {
    // Leave the outputs unknown; the checker run on the final model decides.
  }
  InferReshapeRank(node);
}

// Opset-18 reductions: with constant axes, infer as the opset-17 form (axes
// as an attribute); otherwise keepdims=1 still fixes the rank.
void ShapeInferencer::InferReductionWithAxesInput(const Node& node) {
  auto it = state_->data.find(node.inputs[1]);
  if (it != state_->data.end()) {
    auto axes = FromTensorProto(it->second);
    if (axes.ok()) {
      auto values = axes->ToInt64s();
      if (values.ok()) {
        Node old_form = node;
        old_form.inputs.resize(1);
        if (!values->empty()) old_form.attributes.push_back(Attribute::Ints("axes", *values));
        const int saved = state_->opset;
        state_->opset = kMaxSchemaOpset;
        InferNode(old_form);
        state_->opset = saved;
        return;
      }
    }
  }
  ValueType in = TypeOf(node.inputs[0]);
  if (in.dtype == DataType::kUndefined || node.GetInt("keepdims", 1) != 1 || !in.shape) return;
  ValueType out;
  out.dtype = in.dtype;
  out.shape = std::vector<Dim>(in.shape->size());
  SetType(node.outputs[0], out);
}

// GreaterOrEqual/LessOrEqual are function ops in libonnx 1.12, without an
// inference function: bool, broadcast of the inputs. The bitwise ops (opset
// 18) have no schema there: the input's type, broadcast (BitwiseNot: as is).
void ShapeInferencer::InferBroadcastComparison(const Node& node) {
  const bool comparison = node.op_type == "GreaterOrEqual" || node.op_type == "LessOrEqual";
  const bool bitwise = node.op_type == "BitwiseAnd" || node.op_type == "BitwiseOr" ||
                       node.op_type == "BitwiseXor";
  if (node.op_type == "BitwiseNot" && node.inputs.size() == 1 && node.outputs.size() == 1) {
    SetType(node.outputs[0], TypeOf(node.inputs[0]));
    return;
  }
  if (!(comparison || bitwise) || node.inputs.size() != 2) return;
  ValueType a = TypeOf(node.inputs[0]);
  ValueType b = TypeOf(node.inputs[1]);
  ValueType out;
  out.dtype = comparison ? DataType::kBool : a.dtype;
  if (a.shape && b.shape) {
    const size_t rank = std::max(a.shape->size(), b.shape->size());
    std::vector<Dim> dims(rank);
    for (size_t k = 0; k < rank; ++k) {
      const Dim* da = k + a.shape->size() >= rank ? &(*a.shape)[k + a.shape->size() - rank] : nullptr;
      const Dim* db = k + b.shape->size() >= rank ? &(*b.shape)[k + b.shape->size() - rank] : nullptr;
      if (da && db && da->known() && db->known()) {
        dims[k].size = da->size == 1 ? db->size : da->size;
      } else if (da && !db) {
        dims[k] = *da;
      } else if (db && !da) {
        dims[k] = *db;
      } else if (da && da->known() && da->size != 1) {
        dims[k] = *da;
      } else if (db && db->known() && db->size != 1) {
        dims[k] = *db;
      }
    }
    out.shape = std::move(dims);
  }
  SetType(node.outputs[0], out);
}

// libonnx 1.12 gives up on Reshape when the target shape is computed at run
// time; its length still fixes the output rank, which later ops need.
void ShapeInferencer::InferReshapeRank(const Node& node) {
  if (node.op_type != "Reshape" || node.inputs.size() < 2 || node.outputs.empty()) return;
  if (TypeOf(node.outputs[0]).shape) return;
  ValueType data = TypeOf(node.inputs[0]);
  ValueType shape = TypeOf(node.inputs[1]);
  if (data.dtype == DataType::kUndefined || !shape.shape || shape.shape->size() != 1 ||
      !(*shape.shape)[0].known()) {
    return;
  }
  ValueType out;
  out.dtype = data.dtype;
  out.shape = std::vector<Dim>(static_cast<size_t>((*shape.shape)[0].size));
  SetType(node.outputs[0], out);
}

}  // namespace onnxsmith::ir
