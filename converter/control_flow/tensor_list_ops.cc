// TF2 TensorLists (what tf.TensorArray, map_fn and Keras RNN loops use) as
// ONNX sequences: a list handle is a sequence(tensor) value, carried through
// Loop state like any tensor. Reserve fills the list with zeros of the
// declared element shape (unknown dims 0, scalars where the rank is
// unknown), so SetItem replaces an element (erase + insert) and Stack of a
// partly written list matches TF.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "converter/control_flow/control_flow_ops.h"
#include "converter/control_flow/function_body.h"
#include "converter/handlers/array_util.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"

namespace onnxsmith::converter {
namespace {

// TF's element shape as ONNX dims (-1: unknown).
std::vector<ir::Dim> DimsOf(const std::vector<int64_t>& dims) {
  std::vector<ir::Dim> shape;
  for (int64_t d : dims) shape.push_back(d >= 0 ? ir::Dim{d, ""} : ir::Dim{});
  return shape;
}

ir::ValueType SequenceOf(ir::DataType dtype, const std::optional<std::vector<int64_t>>& dims) {
  ir::ValueType t;
  t.dtype = dtype;
  t.sequence = true;
  if (dims) t.shape = DimsOf(*dims);
  return t;
}

// The element shape a list op declares in input `i` when its rank is known
// (-1: an unknown dim).
std::optional<std::vector<int64_t>> KnownElementShape(const NodeContext& ctx, int i) {
  const ir::Tensor* t = ctx.const_input(i);
  if (t == nullptr || t->dims().empty()) return std::nullopt;  // -1 scalar: unknown rank
  auto dims = t->ToInt64s();
  if (!dims.ok()) return std::nullopt;
  return *dims;
}

absl::StatusOr<ir::DataType> ElementType(const NodeContext& ctx) {
  if (ctx.has_attr("element_dtype")) return ctx.attr_type("element_dtype");
  ir::ValueType t = ctx.input_type(0);
  if (t.sequence) return t.dtype;
  return ctx.Error("has no element_dtype");
}

// The sequence type of input 0 (a list handle), for outputs that keep it.
ir::ValueType HandleType(const NodeContext& ctx, ir::DataType dtype) {
  ir::ValueType t = ctx.input_type(0);
  return t.sequence ? t : SequenceOf(dtype, std::nullopt);
}

void SetElement(NodeContext& ctx, int k, const std::string& value, ir::DataType dtype) {
  if (ctx.TypeOf(value).dtype == ir::DataType::kUndefined) {
    ctx.SetType(value, ir::ValueType{dtype, std::nullopt});
  }
  ctx.SetOutput(k, value);
}

// ConstantOfShape's `value` for a list's zero elements (Reserve's
// placeholders, Resize's padding); an error naming the type where
// ConstantOfShape lacks it at this opset.
absl::StatusOr<ir::Attribute> ZeroFill(NodeContext& ctx, ir::DataType dtype) {
  if (!ConstantOfShapeSupports(dtype, ctx.opset())) {
    return ctx.Unsupported(absl::StrCat("a list of ", ir::DataTypeName(dtype)));
  }
  ASSIGN_OR_RETURN(ir::Tensor zero, ZeroOrOneTensor(dtype, false));
  return ir::Attribute::TensorValue("value", std::move(zero));
}

absl::Status ConvertReserve(NodeContext& ctx) {
  ASSIGN_OR_RETURN(ir::DataType dtype, ElementType(ctx));
  ASSIGN_OR_RETURN(ir::Attribute fill, ZeroFill(ctx, dtype));
  std::optional<std::vector<int64_t>> elem = KnownElementShape(ctx, 0);
  std::string shape = ctx.Reshape(Int64Input(ctx, 1), {1});
  if (elem && !elem->empty()) {
    // Placeholders of the element's rank (an unknown dim as 0) keep the
    // sequence's element type one rank, which ONNX's strict inference of
    // Loop-carried lists and their ConcatFromSequence needs (a Keras RNN's
    // [batch, units] outputs).
    std::vector<int64_t> placeholder = *elem;
    for (int64_t& d : placeholder) d = std::max<int64_t>(d, 0);
    shape = ctx.AddNode("Concat", {shape, ctx.ConstInt64s(placeholder, "element_shape")},
                        {ir::Attribute::Int("axis", 0)});
  }
  std::string zeros = ctx.AddNode("ConstantOfShape", {shape}, {std::move(fill)});
  std::string seq = ctx.AddNode("SplitToSequence", {zeros},
                                {ir::Attribute::Int("axis", 0), ir::Attribute::Int("keepdims", 0)});
  ctx.SetType(seq, SequenceOf(dtype, elem));
  ctx.SetOutput(0, seq);
  return absl::OkStatus();
}

absl::Status ConvertEmptyList(NodeContext& ctx) {
  ASSIGN_OR_RETURN(ir::DataType dtype, ElementType(ctx));
  std::string seq = ctx.AddNode("SequenceEmpty", {},
                                {ir::Attribute::Int("dtype", static_cast<int64_t>(dtype))});
  ctx.SetType(seq, SequenceOf(dtype, KnownElementShape(ctx, 0)));
  ctx.SetOutput(0, seq);
  return absl::OkStatus();
}

absl::Status ConvertFromTensor(NodeContext& ctx) {
  const ir::DataType dtype = InputDType(ctx, 0, "element_dtype");
  std::string seq = ctx.AddNode("SplitToSequence", {ctx.input(0)},
                                {ir::Attribute::Int("axis", 0), ir::Attribute::Int("keepdims", 0)});
  ir::ValueType type = SequenceOf(dtype, std::nullopt);
  if (const auto& shape = ctx.input_type(0).shape; shape && !shape->empty()) {
    type.shape = std::vector<ir::Dim>(shape->begin() + 1, shape->end());  // the element's
  }
  ctx.SetType(seq, type);
  ctx.SetOutput(0, seq);
  return absl::OkStatus();
}

// Replaces element `index` (erase + insert). A list that may grow
// (resize_if_index_out_of_bounds, a dynamic TensorArray) appends when the
// index is its length.
absl::Status ConvertSetItem(NodeContext& ctx) {
  ASSIGN_OR_RETURN(ir::DataType dtype, ElementType(ctx));
  const ir::ValueType seq_type = HandleType(ctx, dtype);
  const std::string& list = ctx.input(0);
  const std::string& index = ctx.input(1);
  const std::string& item = ctx.input(2);
  auto replace = [&](GraphBuilder* b) {
    std::string erased = b->AddNode(ctx.name() + "/erase", "SequenceErase", "", {list, index}, 1, {})[0];
    b->SetType(erased, seq_type);
    std::string out =
        b->AddNode(ctx.name() + "/insert", "SequenceInsert", "", {erased, item, index}, 1, {})[0];
    b->SetType(out, seq_type);
    return out;
  };
  if (!ctx.attr_bool("resize_if_index_out_of_bounds", false)) {
    ctx.SetOutput(0, replace(&ctx.builder()));
    return absl::OkStatus();
  }
  GraphBuilder& outer = ctx.builder();
  std::string length = ctx.AddNode("SequenceLength", {list});
  std::string inside = ctx.AddNode("Less", {ctx.Cast(index, ir::DataType::kInt64), length});
  auto then_g = std::make_shared<ir::Graph>();
  then_g->name = ctx.name() + "/replace";
  {
    GraphBuilder b(then_g.get(), &outer);
    AddBodyOutput(&b, replace(&b), ctx.name() + "/replaced", seq_type);
    b.FinishOutputs();
  }
  auto else_g = std::make_shared<ir::Graph>();
  else_g->name = ctx.name() + "/append";
  {
    GraphBuilder b(else_g.get(), &outer);
    std::string out = b.AddNode(ctx.name() + "/append", "SequenceInsert", "", {list, item}, 1, {})[0];
    b.SetType(out, seq_type);
    AddBodyOutput(&b, out, ctx.name() + "/appended", seq_type);
    b.FinishOutputs();
  }
  std::string out = outer.AddNode(ctx.name(), "If", "", {inside}, 1,
                                  {ir::Attribute::GraphValue("else_branch", else_g),
                                   ir::Attribute::GraphValue("then_branch", then_g)})[0];
  outer.SetType(out, seq_type);
  ctx.SetOutput(0, out);
  return absl::OkStatus();
}

absl::Status ConvertGetItem(NodeContext& ctx) {
  ASSIGN_OR_RETURN(ir::DataType dtype, ElementType(ctx));
  SetElement(ctx, 0, ctx.AddNode("SequenceAt", {ctx.input(0), ctx.input(1)}), dtype);
  return absl::OkStatus();
}

absl::Status ConvertStack(NodeContext& ctx) {
  ASSIGN_OR_RETURN(ir::DataType dtype, ElementType(ctx));
  const std::string stacked =
      ctx.AddNode("ConcatFromSequence", {ctx.input(0)},
                  {ir::Attribute::Int("axis", 0), ir::Attribute::Int("new_axis", 1)});
  // Where inference does not type it (opsets past libonnx's schemas), the
  // list's element shape gives the rank.
  const ir::ValueType list = ctx.input_type(0);
  if (ctx.TypeOf(stacked).dtype == ir::DataType::kUndefined && list.sequence && list.shape) {
    std::vector<ir::Dim> shape = {ir::Dim{}};
    shape.insert(shape.end(), list.shape->begin(), list.shape->end());
    ctx.SetType(stacked, ir::ValueType{dtype, std::move(shape)});
  }
  SetElement(ctx, 0, stacked, dtype);
  return absl::OkStatus();
}

// The elements at `indices`, stacked (they share one shape, as Stack needs):
// the whole list stacked, then a Gather.
absl::Status ConvertGather(NodeContext& ctx) {
  ASSIGN_OR_RETURN(ir::DataType dtype, ElementType(ctx));
  std::string stacked =
      ctx.AddNode("ConcatFromSequence", {ctx.input(0)},
                  {ir::Attribute::Int("axis", 0), ir::Attribute::Int("new_axis", 1)});
  const ir::ValueType list = ctx.input_type(0);
  ir::ValueType t{dtype, std::nullopt};
  if (list.sequence && list.shape) {
    std::vector<ir::Dim> shape = {ir::Dim{}};
    shape.insert(shape.end(), list.shape->begin(), list.shape->end());
    t.shape = std::move(shape);
  }
  ctx.SetType(stacked, t);
  std::string out = ctx.AddNode("Gather", {stacked, ctx.Cast(ctx.input(1), ir::DataType::kInt64)},
                                {ir::Attribute::Int("axis", 0)});
  ctx.SetType(out, t);
  SetElement(ctx, 0, out, dtype);
  return absl::OkStatus();
}

// Output 1: each element's leading dimension (int64), from a Loop over the
// list whose scan output is Shape(element)[0]: SequenceMap would need
// opset 17, lists start at 14.
std::string ElementLengths(NodeContext& ctx) {
  GraphBuilder& outer = ctx.builder();
  auto graph = std::make_shared<ir::Graph>();
  graph->name = ctx.name() + "/lengths_body";
  {
    GraphBuilder b(graph.get(), &outer);
    const std::string iter = b.UniqueName(ctx.name() + "/iter");
    b.AddGraphInput(iter, ir::MakeType(ir::DataType::kInt64, {}));
    const std::string cond = b.UniqueName(ctx.name() + "/cond_in");
    b.AddGraphInput(cond, ir::MakeType(ir::DataType::kBool, {}));
    const std::string item =
        b.AddNode(ctx.name() + "/item", "SequenceAt", "", {ctx.input(0), iter}, 1, {})[0];
    const std::string shape = b.AddNode(ctx.name() + "/shape", "Shape", "", {item}, 1, {})[0];
    const std::string zero = b.AddConst(ir::Tensor::Scalar<int64_t>(0), ctx.name() + "/zero");
    const std::string first = b.AddNode(ctx.name() + "/first", "Gather", "", {shape, zero}, 1,
                                        {ir::Attribute::Int("axis", 0)})[0];
    AddBodyOutput(&b, cond, ctx.name() + "/cond_out", ir::MakeType(ir::DataType::kBool, {}));
    AddBodyOutput(&b, first, ctx.name() + "/length", ir::MakeType(ir::DataType::kInt64, {}));
    b.FinishOutputs();
  }
  const std::string count = ctx.AddNode("SequenceLength", {ctx.input(0)});
  std::string lengths = outer.AddNode(ctx.name() + "/lengths", "Loop", "", {count, ""}, 1,
                                      {ir::Attribute::GraphValue("body", graph)})[0];
  outer.SetType(lengths, ir::ValueType{ir::DataType::kInt64, std::vector<ir::Dim>(1)});
  return lengths;
}

// The concatenation's type: the element's rank (from the list's type, else
// the element_shape input), with the known trailing dims; the first is free.
ir::ValueType ConcatType(const NodeContext& ctx, ir::DataType dtype) {
  ir::ValueType t{dtype, std::nullopt};
  const ir::ValueType list = ctx.input_type(0);
  if (list.sequence && list.shape && !list.shape->empty()) {
    t.shape = *list.shape;
  } else if (const ir::Tensor* e = ctx.const_input(1); e != nullptr && !e->dims().empty()) {
    auto dims = e->ToInt64s();
    if (dims.ok() && !dims->empty()) t.shape = DimsOf(*dims);
  }
  if (t.shape) (*t.shape)[0] = ir::Dim{};
  return t;
}

absl::Status ConvertConcat(NodeContext& ctx) {
  ASSIGN_OR_RETURN(ir::DataType dtype, ElementType(ctx));
  std::string values =
      ctx.AddNode("ConcatFromSequence", {ctx.input(0)}, {ir::Attribute::Int("axis", 0)});
  ctx.SetType(values, ConcatType(ctx, dtype));
  SetElement(ctx, 0, values, dtype);
  ctx.SetOutput(1, ElementLengths(ctx));
  return absl::OkStatus();
}

absl::Status ConvertLength(NodeContext& ctx) {
  ctx.SetOutput(0, ctx.Cast(ctx.AddNode("SequenceLength", {ctx.input(0)}), ir::DataType::kInt32));
  return absl::OkStatus();
}

absl::Status ConvertPushBack(NodeContext& ctx) {
  ASSIGN_OR_RETURN(ir::DataType dtype, ElementType(ctx));
  std::string out = ctx.AddNode("SequenceInsert", {ctx.input(0), ctx.input(1)});
  ctx.SetType(out, HandleType(ctx, dtype));
  ctx.SetOutput(0, out);
  return absl::OkStatus();
}

absl::Status ConvertPopBack(NodeContext& ctx) {
  ASSIGN_OR_RETURN(ir::DataType dtype, ElementType(ctx));
  std::string rest = ctx.AddNode("SequenceErase", {ctx.input(0)});
  ctx.SetType(rest, HandleType(ctx, dtype));
  ctx.SetOutput(0, rest);
  SetElement(ctx, 1,
             ctx.AddNode("SequenceAt", {ctx.input(0), ctx.ConstScalar(ir::DataType::kInt64, -1)}),
             dtype);
  return absl::OkStatus();
}

// Resize to `size` elements: the first `size` of the list, then zeros shaped
// like its elements (TF pads with zeros of the element shape): the list's
// static element shape when known, else element 0's, else (an empty list of
// unknown element shape) scalars, as Reserve's placeholders. One zero element
// is appended before stacking, so an empty list stacks too.
absl::Status ConvertResize(NodeContext& ctx) {
  ASSIGN_OR_RETURN(ir::DataType dtype, ElementType(ctx));
  ASSIGN_OR_RETURN(const ir::Attribute fill, ZeroFill(ctx, dtype));
  const ir::ValueType seq_type = HandleType(ctx, dtype);
  const std::string size = ctx.Reshape(Int64Input(ctx, 1), {1});
  const std::string length = ctx.Reshape(ctx.AddNode("SequenceLength", {ctx.input(0)}), {1});
  const auto zeros = [&](const std::string& shape) {
    return ctx.AddNode("ConstantOfShape", {shape}, {fill});
  };
  std::optional<std::vector<int64_t>> static_shape;
  if (seq_type.shape) {
    static_shape.emplace();
    for (const ir::Dim& d : *seq_type.shape) {
      if (!d.known()) {
        static_shape.reset();
        break;
      }
      static_shape->push_back(d.size);
    }
  }
  std::string elem_shape;
  if (static_shape) {
    elem_shape = ctx.ConstInt64s(*static_shape, "element_shape");
  } else {
    ASSIGN_OR_RETURN(ir::Tensor zero_value, ZeroOrOneTensor(dtype, false));
    ASSIGN_OR_RETURN(ir::Tensor scalar_zero, zero_value.Reshaped({}));
    const std::string probe =
        ctx.AddNode("SequenceInsert", {ctx.input(0), ctx.AddConst(std::move(scalar_zero), "zero")});
    elem_shape = ctx.AddNode(
        "Shape", {ctx.AddNode("SequenceAt", {probe, ctx.ConstScalar(ir::DataType::kInt64, 0)})});
  }
  const std::string full = ctx.AddNode("SequenceInsert", {ctx.input(0), zeros(elem_shape)});
  const std::string stacked = ctx.AddNode(
      "ConcatFromSequence", {full}, {ir::Attribute::Int("axis", 0), ir::Attribute::Int("new_axis", 1)});
  // Zero rows after the list: max(size - length, 0) of them (the appended
  // element is one more), then the first `size` rows.
  const std::string zero = ctx.ConstInt64s({0}, "zero");
  const std::string missing = ctx.AddNode("Max", {ctx.AddNode("Sub", {size, length}), zero});
  const std::string pad =
      zeros(ctx.AddNode("Concat", {missing, elem_shape}, {ir::Attribute::Int("axis", 0)}));
  const std::string all = ctx.AddNode(
      "Slice", {ctx.AddNode("Concat", {stacked, pad}, {ir::Attribute::Int("axis", 0)}), zero, size,
                zero});
  std::string seq = ctx.AddNode("SplitToSequence", {all},
                                {ir::Attribute::Int("axis", 0), ir::Attribute::Int("keepdims", 0)});
  ctx.SetType(seq, seq_type);
  ctx.SetOutput(0, seq);
  return absl::OkStatus();
}

// ScatterIntoExistingList(list, tensor, indices): element indices[k] becomes
// tensor[k], in order, by a Loop of SetItem's erase + insert (the list's
// other elements may differ in shape, e.g. Reserve's placeholders, so it is
// not stacked).
absl::Status ConvertScatterIntoExisting(NodeContext& ctx) {
  ASSIGN_OR_RETURN(ir::DataType dtype, ElementType(ctx));
  const ir::ValueType seq_type = HandleType(ctx, dtype);
  const std::string indices = ctx.Reshape(ctx.Cast(ctx.input(2), ir::DataType::kInt64), {-1});
  const std::string& tensor = ctx.input(1);
  GraphBuilder& outer = ctx.builder();
  auto body = std::make_shared<ir::Graph>();
  body->name = ctx.name() + "/scatter_body";
  {
    GraphBuilder b(body.get(), &outer);
    const std::string iter = b.UniqueName(ctx.name() + "/k");
    b.AddGraphInput(iter, ir::MakeType(ir::DataType::kInt64, {}));
    const std::string cond = b.UniqueName(ctx.name() + "/cond_in");
    b.AddGraphInput(cond, ir::MakeType(ir::DataType::kBool, {}));
    const std::string list = b.UniqueName(ctx.name() + "/list_in");
    b.AddGraphInput(list, seq_type);
    const auto at = [&](const std::string& x, const char* hint) {
      return b.AddNode(ctx.name() + hint, "Gather", "", {x, iter}, 1, {ir::Attribute::Int("axis", 0)})[0];
    };
    const std::string index = at(indices, "/index");
    const std::string erased =
        b.AddNode(ctx.name() + "/erase", "SequenceErase", "", {list, index}, 1, {})[0];
    b.SetType(erased, seq_type);
    const std::string out = b.AddNode(ctx.name() + "/insert", "SequenceInsert", "",
                                      {erased, at(tensor, "/item"), index}, 1, {})[0];
    b.SetType(out, seq_type);
    AddBodyOutput(&b, cond, ctx.name() + "/cond_out", ir::MakeType(ir::DataType::kBool, {}));
    AddBodyOutput(&b, out, ctx.name() + "/list_out", seq_type);
    b.FinishOutputs();
  }
  const std::string count = ctx.AddNode("Shape", {indices});
  const std::string trips = ctx.Squeeze(count, {0});
  std::string out = outer.AddNode(ctx.name() + "/scatter", "Loop", "", {trips, "", ctx.input(0)}, 1,
                                  {ir::Attribute::GraphValue("body", body)})[0];
  outer.SetType(out, seq_type);
  ctx.SetOutput(0, out);
  return absl::OkStatus();
}

absl::Status ConvertElementShape(NodeContext& ctx) {
  ASSIGN_OR_RETURN(ir::DataType to, ctx.attr_type("shape_type"));
  std::string first =
      ctx.AddNode("SequenceAt", {ctx.input(0), ctx.ConstScalar(ir::DataType::kInt64, 0)});
  ctx.SetOutput(0, ctx.Cast(ctx.AddNode("Shape", {first}), to));
  return absl::OkStatus();
}

}  // namespace

// From opset 14: a body hands a sequence on through Identity, which takes
// sequences only from Identity-14.
constexpr int kListOpset = 14;

void RegisterTensorListOps(HandlerRegistry& r) {
  r.Register({"TensorListReserve"}, kListOpset, Inputs(2), ConvertReserve);
  r.Register({"EmptyTensorList"}, kListOpset, Inputs(2), ConvertEmptyList);
  r.Register({"TensorListFromTensor"}, kListOpset, Inputs(2), ConvertFromTensor);
  r.Register({"TensorListSetItem"}, kListOpset, Inputs(3), ConvertSetItem);
  r.Register({"TensorListGetItem"}, kListOpset, Inputs(3), ConvertGetItem);
  r.Register({"TensorListStack"}, kListOpset, Inputs(2), ConvertStack);
  r.Register({"TensorListGather"}, kListOpset, Inputs(3), ConvertGather);
  r.Register({"TensorListConcatV2"}, kListOpset, Inputs(3), ConvertConcat);
  r.Register({"TensorListLength"}, kListOpset, Inputs(1), ConvertLength);
  r.Register({"TensorListPushBack"}, kListOpset, Inputs(2), ConvertPushBack);
  r.Register({"TensorListPopBack"}, kListOpset, Inputs(2), ConvertPopBack);
  r.Register({"TensorListResize"}, kListOpset, Inputs(2), ConvertResize);
  r.Register({"TensorListElementShape"}, kListOpset, Inputs(1), ConvertElementShape);
  r.Register({"TensorListScatterIntoExistingList"}, kListOpset, Inputs(3), ConvertScatterIntoExisting);
}

}  // namespace onnxsmith::converter
