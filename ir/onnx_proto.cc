#include "ir/onnx_proto.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "ir/external_data.h"

namespace onnxsmith::ir {

void ToTypeProto(const ValueType& type, onnx::TypeProto* proto) {
  if (type.sequence) proto = proto->mutable_sequence_type()->mutable_elem_type();
  auto* t = proto->mutable_tensor_type();
  t->set_elem_type(static_cast<int32_t>(type.dtype));
  if (!type.shape) return;
  auto* shape = t->mutable_shape();
  for (const Dim& d : *type.shape) {
    auto* dim = shape->add_dim();
    if (d.known()) {
      dim->set_dim_value(d.size);
    } else if (!d.param.empty()) {
      dim->set_dim_param(d.param);
    }
  }
}

ValueType FromTypeProto(const onnx::TypeProto& proto) {
  ValueType type;
  if (proto.has_sequence_type()) {
    type = FromTypeProto(proto.sequence_type().elem_type());
    type.sequence = type.dtype != DataType::kUndefined;
    return type;
  }
  if (!proto.has_tensor_type()) return type;
  const auto& t = proto.tensor_type();
  type.dtype = static_cast<DataType>(t.elem_type());
  if (t.has_shape()) {
    std::vector<Dim> dims;
    for (const auto& d : t.shape().dim()) {
      Dim dim;
      if (d.has_dim_value()) dim.size = d.dim_value();
      if (d.has_dim_param()) dim.param = d.dim_param();
      dims.push_back(dim);
    }
    type.shape = std::move(dims);
  }
  return type;
}

void ToTensorProto(const Tensor& tensor, const std::string& name, onnx::TensorProto* proto) {
  proto->set_name(name);
  proto->set_data_type(static_cast<int32_t>(tensor.dtype()));
  for (int64_t d : tensor.dims()) proto->add_dims(d);
  if (tensor.dtype() == DataType::kString) {
    for (const std::string& s : tensor.strings()) proto->add_string_data(s);
  } else {
    proto->set_raw_data(tensor.raw().data(), tensor.raw().size());
  }
}

namespace {

template <typename T, typename Field>
std::string PackField(const Field& field) {
  std::string raw(field.size() * sizeof(T), '\0');
  T* p = reinterpret_cast<T*>(raw.data());
  for (int i = 0; i < field.size(); ++i) p[i] = static_cast<T>(field.Get(i));
  return raw;
}

}  // namespace

absl::StatusOr<Tensor> FromTensorProto(const onnx::TensorProto& proto,
                                       const std::string& model_dir) {
  std::vector<int64_t> dims(proto.dims().begin(), proto.dims().end());
  DataType dtype = static_cast<DataType>(proto.data_type());
  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    return ReadExternalTensor(proto, model_dir);
  }
  if (dtype == DataType::kString) {
    return Tensor::FromStrings(
        dims, std::vector<std::string>(proto.string_data().begin(), proto.string_data().end()));
  }
  if (proto.has_raw_data()) return Tensor::FromRaw(dtype, dims, proto.raw_data());
  std::string raw;
  switch (dtype) {
    case DataType::kFloat: raw = PackField<float>(proto.float_data()); break;
    case DataType::kDouble: raw = PackField<double>(proto.double_data()); break;
    case DataType::kInt64: raw = PackField<int64_t>(proto.int64_data()); break;
    case DataType::kUint64:
    case DataType::kUint32: raw = dtype == DataType::kUint64
                                      ? PackField<uint64_t>(proto.uint64_data())
                                      : PackField<uint32_t>(proto.uint64_data());
      break;
    case DataType::kInt32: raw = PackField<int32_t>(proto.int32_data()); break;
    case DataType::kInt16: raw = PackField<int16_t>(proto.int32_data()); break;
    case DataType::kUint16:
    case DataType::kFloat16:
    case DataType::kBfloat16: raw = PackField<uint16_t>(proto.int32_data()); break;
    case DataType::kInt8: raw = PackField<int8_t>(proto.int32_data()); break;
    case DataType::kUint8:
    case DataType::kBool: raw = PackField<uint8_t>(proto.int32_data()); break;
    default:
      return absl::UnimplementedError(absl::StrCat("initializer '", proto.name(),
                                                   "' has unsupported type ",
                                                   proto.data_type()));
  }
  return Tensor::FromRaw(dtype, dims, std::move(raw));
}

namespace {

void ToAttributeProto(const Attribute& a, onnx::AttributeProto* p) {
  p->set_name(a.name);
  switch (a.kind) {
    case Attribute::Kind::kInt:
      p->set_type(onnx::AttributeProto::INT);
      p->set_i(a.i);
      break;
    case Attribute::Kind::kFloat:
      p->set_type(onnx::AttributeProto::FLOAT);
      p->set_f(a.f);
      break;
    case Attribute::Kind::kString:
      p->set_type(onnx::AttributeProto::STRING);
      p->set_s(a.s);
      break;
    case Attribute::Kind::kTensor:
      p->set_type(onnx::AttributeProto::TENSOR);
      ToTensorProto(a.t, "", p->mutable_t());
      break;
    case Attribute::Kind::kGraph:
      p->set_type(onnx::AttributeProto::GRAPH);
      ToGraphProto(*a.g, p->mutable_g());
      break;
    case Attribute::Kind::kInts:
      p->set_type(onnx::AttributeProto::INTS);
      for (int64_t v : a.ints) p->add_ints(v);
      break;
    case Attribute::Kind::kFloats:
      p->set_type(onnx::AttributeProto::FLOATS);
      for (float v : a.floats) p->add_floats(v);
      break;
    case Attribute::Kind::kStrings:
      p->set_type(onnx::AttributeProto::STRINGS);
      for (const auto& v : a.strings) p->add_strings(v);
      break;
  }
}

absl::StatusOr<Attribute> FromAttributeProto(const onnx::AttributeProto& p,
                                             const std::string& model_dir) {
  Attribute a;
  a.name = p.name();
  switch (p.type()) {
    case onnx::AttributeProto::INT: a.kind = Attribute::Kind::kInt; a.i = p.i(); break;
    case onnx::AttributeProto::FLOAT: a.kind = Attribute::Kind::kFloat; a.f = p.f(); break;
    case onnx::AttributeProto::STRING: a.kind = Attribute::Kind::kString; a.s = p.s(); break;
    case onnx::AttributeProto::TENSOR: {
      a.kind = Attribute::Kind::kTensor;
      ASSIGN_OR_RETURN(a.t, FromTensorProto(p.t(), model_dir));
      break;
    }
    case onnx::AttributeProto::GRAPH: {
      a.kind = Attribute::Kind::kGraph;
      ASSIGN_OR_RETURN(Graph g, FromGraphProto(p.g(), model_dir));
      a.g = std::make_shared<Graph>(std::move(g));
      break;
    }
    case onnx::AttributeProto::INTS:
      a.kind = Attribute::Kind::kInts;
      a.ints.assign(p.ints().begin(), p.ints().end());
      break;
    case onnx::AttributeProto::FLOATS:
      a.kind = Attribute::Kind::kFloats;
      a.floats.assign(p.floats().begin(), p.floats().end());
      break;
    case onnx::AttributeProto::STRINGS:
      a.kind = Attribute::Kind::kStrings;
      a.strings.assign(p.strings().begin(), p.strings().end());
      break;
    default:
      return absl::UnimplementedError(
          absl::StrCat("attribute '", p.name(), "' has an unsupported kind ", p.type()));
  }
  return a;
}

void ToValueInfoProto(const std::string& name, const ValueType& type,
                      onnx::ValueInfoProto* proto) {
  proto->set_name(name);
  if (type.dtype != DataType::kUndefined) ToTypeProto(type, proto->mutable_type());
}

}  // namespace

void ToGraphProto(const Graph& graph, onnx::GraphProto* proto, int64_t data_limit) {
  proto->set_name(graph.name);
  for (const ValueInfo& v : graph.inputs) ToValueInfoProto(v.name, v.type, proto->add_input());
  for (const ValueInfo& v : graph.outputs) ToValueInfoProto(v.name, v.type, proto->add_output());
  for (const auto& [name, type] : graph.value_types) {
    if (graph.IsGraphInput(name) || graph.IsGraphOutput(name) || graph.IsInitializer(name)) {
      continue;
    }
    if (type.dtype == DataType::kUndefined) continue;
    ToValueInfoProto(name, type, proto->add_value_info());
  }
  for (const auto& [name, tensor] : graph.initializers) {
    if (data_limit >= 0 && tensor.dtype() != DataType::kString &&
        static_cast<int64_t>(tensor.raw().size()) >= data_limit) {
      onnx::TensorProto* t = proto->add_initializer();
      t->set_name(name);
      t->set_data_type(static_cast<int32_t>(tensor.dtype()));
      for (int64_t d : tensor.dims()) t->add_dims(d);
      continue;
    }
    ToTensorProto(tensor, name, proto->add_initializer());
  }
  for (const auto& n : graph.nodes) {
    auto* np = proto->add_node();
    np->set_name(n->name);
    np->set_op_type(n->op_type);
    if (!n->domain.empty()) np->set_domain(n->domain);
    for (const auto& in : n->inputs) np->add_input(in);
    for (const auto& out : n->outputs) np->add_output(out);
    for (const Attribute& a : n->attributes) ToAttributeProto(a, np->add_attribute());
  }
}

absl::StatusOr<Graph> FromGraphProto(const onnx::GraphProto& proto,
                                     const std::string& model_dir) {
  Graph g;
  g.name = proto.name();
  for (const auto& init : proto.initializer()) {
    ASSIGN_OR_RETURN(Tensor t, FromTensorProto(init, model_dir));
    g.initializers[init.name()] = std::move(t);
  }
  for (const auto& in : proto.input()) {
    // Old models list initializers as inputs too; they are constants here.
    if (g.IsInitializer(in.name())) continue;
    g.inputs.push_back({in.name(), FromTypeProto(in.type())});
  }
  for (const auto& out : proto.output()) g.outputs.push_back({out.name(), FromTypeProto(out.type())});
  for (const auto& vi : proto.value_info()) g.value_types[vi.name()] = FromTypeProto(vi.type());
  for (const auto& np : proto.node()) {
    Node n;
    n.name = np.name();
    n.op_type = np.op_type();
    n.domain = np.domain() == "ai.onnx" ? "" : np.domain();
    n.inputs.assign(np.input().begin(), np.input().end());
    n.outputs.assign(np.output().begin(), np.output().end());
    for (const auto& ap : np.attribute()) {
      ASSIGN_OR_RETURN(Attribute a, FromAttributeProto(ap, model_dir));
      n.attributes.push_back(std::move(a));
    }
    g.AddNode(std::move(n));
  }
  return g;
}

onnx::ModelProto ToModelProto(const Model& model, int64_t data_limit) {
  onnx::ModelProto proto;
  // IR < 4 requires every initializer to be a graph input too; passes add
  // initializers (folded constants) that are not, so write at least IR 4,
  // which reads IR 3 models' input+initializer pairs the same way.
  proto.set_ir_version(std::max<int64_t>(model.ir_version, 4));
  proto.set_producer_name(model.producer_name);
  proto.set_producer_version(model.producer_version);
  for (const auto& [domain, version] : model.opset_imports) {
    auto* op = proto.add_opset_import();
    op->set_domain(domain);
    op->set_version(version);
  }
  for (const auto& [k, v] : model.metadata) {
    auto* m = proto.add_metadata_props();
    m->set_key(k);
    m->set_value(v);
  }
  ToGraphProto(model.graph, proto.mutable_graph(), data_limit);
  return proto;
}

namespace {

// Every value a node of the main graph reads must be a graph input, an
// initializer or a node's output; otherwise the model is incomplete (e.g. an
// initializer left out), and later errors would only say that shapes are
// unknown. Subgraphs may read outer-scope values, so only the main graph is
// checked here.
absl::Status CheckMainGraphInputsDefined(const onnx::GraphProto& graph) {
  std::set<std::string> defined;
  for (const auto& v : graph.input()) defined.insert(v.name());
  for (const auto& t : graph.initializer()) defined.insert(t.name());
  for (const auto& t : graph.sparse_initializer()) defined.insert(t.values().name());
  for (const auto& n : graph.node()) {
    for (const auto& out : n.output()) defined.insert(out);
  }
  for (const auto& n : graph.node()) {
    for (const auto& in : n.input()) {
      if (in.empty() || defined.count(in)) continue;
      return absl::InvalidArgumentError(absl::StrCat(
          "node '", n.name(), "' (", n.op_type(), ") reads '", in,
          "', which is not a graph input, an initializer or any node's output "
          "(missing initializer?)"));
    }
  }
  for (const auto& out : graph.output()) {
    if (!defined.count(out.name())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "graph output '", out.name(), "' is not a graph input, an initializer or any node's output"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Model> FromModelProto(const onnx::ModelProto& proto,
                                     const std::string& model_dir) {
  Model m;
  m.ir_version = proto.ir_version();
  m.producer_name = proto.producer_name();
  m.producer_version = proto.producer_version();
  for (const auto& op : proto.opset_import()) {
    m.opset_imports[op.domain() == "ai.onnx" ? "" : op.domain()] = op.version();
  }
  for (const auto& p : proto.metadata_props()) m.metadata[p.key()] = p.value();
  ASSIGN_OR_RETURN(m.graph, FromGraphProto(proto.graph(), model_dir));
  RETURN_IF_ERROR(CheckMainGraphInputsDefined(proto.graph()));
  return m;
}

}  // namespace onnxsmith::ir
