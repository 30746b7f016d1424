#include "ir/model_writer.h"

#include <cstdint>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "common/version.h"
#include "ir/onnx_proto.h"
#include "tbb/parallel_for.h"
#include "tbb/task_group.h"

namespace onnxsmith::ir {
namespace {

// Wire-format tags (field number << 3 | 2, length-delimited).
constexpr char kGraphTag = (7 << 3) | 2;        // ModelProto.graph
constexpr char kInitializerTag = (5 << 3) | 2;  // GraphProto.initializer
constexpr char kRawDataTag = (9 << 3) | 2;      // TensorProto.raw_data

void AppendVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// What ToTensorProto + serialization gives, with raw_data (field 9, after
// every field ToTensorProto sets but none it leaves out) appended without an
// intermediate copy.
std::string InitializerField(const std::string& name, const Tensor& tensor) {
  onnx::TensorProto meta;
  meta.set_name(name);
  meta.set_data_type(static_cast<int32_t>(tensor.dtype()));
  for (int64_t d : tensor.dims()) meta.add_dims(d);
  const bool strings = tensor.dtype() == DataType::kString;
  if (strings) {
    for (const std::string& s : tensor.strings()) meta.add_string_data(s);
  }
  const std::string head = meta.SerializeAsString();
  static const std::string* const kNone = new std::string();
  const std::string& raw = strings ? *kNone : tensor.raw();
  const size_t body =
      head.size() + (strings ? 0 : 1 + VarintSize(raw.size()) + raw.size());
  std::string out;
  out.reserve(1 + VarintSize(body) + body);
  out.push_back(kInitializerTag);
  AppendVarint(body, &out);
  out += head;
  if (!strings) {
    out.push_back(kRawDataTag);
    AppendVarint(raw.size(), &out);
    out += raw;
  }
  return out;
}

}  // namespace

std::vector<std::string> SerializeInitializerFields(const Graph& graph) {
  std::vector<const std::pair<const std::string, Tensor>*> inits;
  for (const auto& entry : graph.initializers) inits.push_back(&entry);
  std::vector<std::string> fields(inits.size());
  tbb::parallel_for(size_t{0}, inits.size(), [&](size_t i) {
    fields[i] = InitializerField(inits[i]->first, inits[i]->second);
  });
  return fields;
}

absl::StatusOr<CheckedModel> ToCheckedModel(const Model& model, bool check,
                                            const std::string& skipped_reason) {
  CheckedModel m;
  // The task only reads the IR (whose buffers are immutable); the checker
  // only touches m.proto.
  tbb::task_group serialize;
  serialize.run([&] { m.initializer_fields = SerializeInitializerFields(model.graph); });
  m.proto = ToModelProto(model);
  // Every file onnxsmith writes says so (an optimized model's input may come
  // from another producer).
  m.proto.set_producer_name(kProducerName);
  m.proto.set_producer_version(kVersion);
  absl::StatusOr<ValidationReport> validation = ValidationReport{};
  if (check) {
    validation = ValidateModel(&m.proto);
  } else {
    validation->skipped_reason = skipped_reason;
  }
  serialize.wait();
  if (!validation.ok()) return validation.status();
  m.validation = *validation;
  return m;
}

absl::Status WriteCheckedModel(CheckedModel& m, const std::string& path) {
  onnx::ModelProto& proto = m.proto;
  if (!proto.has_graph() ||
      proto.graph().initializer_size() != static_cast<int>(m.initializer_fields.size())) {
    return WriteModelProto(proto, path);
  }
  // Fields are serialized in field-number order: ModelProto = fields 1-6,
  // graph (7), fields 8+; GraphProto = node (1), name (2), initializer (5),
  // fields 10+. Serialize the parts around the initializers and the graph.
  onnx::GraphProto* g = proto.mutable_graph();
  onnx::GraphProto head;
  head.mutable_node()->Swap(g->mutable_node());
  if (g->has_name()) head.set_name(g->name());
  g->clear_name();
  google::protobuf::RepeatedPtrField<onnx::TensorProto> inits;
  inits.Swap(g->mutable_initializer());
  const std::string head_bytes = head.SerializeAsString();
  const std::string rest_bytes = g->SerializeAsString();
  g->mutable_node()->Swap(head.mutable_node());
  if (head.has_name()) g->set_name(head.name());
  g->mutable_initializer()->Swap(&inits);

  size_t graph_len = head_bytes.size() + rest_bytes.size();
  for (const std::string& f : m.initializer_fields) graph_len += f.size();
  std::unique_ptr<onnx::GraphProto> graph(proto.release_graph());
  onnx::ModelProto pre = proto;
  onnx::ModelProto post = proto;
  proto.set_allocated_graph(graph.release());
  pre.clear_opset_import();
  pre.clear_metadata_props();
  pre.clear_training_info();
  pre.clear_functions();
  post.clear_ir_version();
  post.clear_producer_name();
  post.clear_producer_version();
  post.clear_domain();
  post.clear_model_version();
  post.clear_doc_string();
  std::string pre_bytes = pre.SerializeAsString();
  pre_bytes.push_back(kGraphTag);
  AppendVarint(graph_len, &pre_bytes);
  const std::string post_bytes = post.SerializeAsString();

  const size_t total = pre_bytes.size() + graph_len + post_bytes.size();
  // A field this split does not know (a newer onnx) would be misplaced or
  // lost: then the sizes disagree, and the plain path is taken.
  if (total != proto.ByteSizeLong()) return WriteModelProto(proto, path);
  if (total > static_cast<size_t>(INT32_MAX)) return WriteModelProto(proto, path);
  std::vector<absl::string_view> pieces{pre_bytes, head_bytes};
  for (const std::string& f : m.initializer_fields) pieces.push_back(f);
  pieces.push_back(rest_bytes);
  pieces.push_back(post_bytes);
  return WriteFileAtomically(path, pieces);
}

}  // namespace onnxsmith::ir
