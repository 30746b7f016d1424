#include "ir/model_writer.h"

#include <cstdint>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "common/status_macros.h"
#include "common/version.h"
#include "ir/onnx_proto.h"

namespace onnxsmith::ir {
namespace {

// Wire-format tags (field number << 3 | 2, length-delimited).
constexpr char kGraphTag = (7 << 3) | 2;        // ModelProto.graph
constexpr char kInitializerTag = (5 << 3) | 2;  // GraphProto.initializer
constexpr char kRawDataTag = (9 << 3) | 2;      // TensorProto.raw_data

// Inline output streams initializers this large from the IR; smaller ones
// (shapes, scales: what shape inference may read) stay in the checked proto.
constexpr int64_t kStreamInlineBytes = int64_t{64} << 10;

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

// The GraphProto.initializer field of `tensor` up to its raw bytes, which
// follow it in the file: what ToTensorProto + serialization gives, as
// raw_data (field 9) comes after every field ToTensorProto sets.
std::string InitializerHead(const std::string& name, const Tensor& tensor) {
  onnx::TensorProto meta;
  meta.set_name(name);
  meta.set_data_type(static_cast<int32_t>(tensor.dtype()));
  for (int64_t d : tensor.dims()) meta.add_dims(d);
  const std::string head = meta.SerializeAsString();
  const size_t raw = tensor.raw().size();
  const size_t body = head.size() + 1 + VarintSize(raw) + raw;
  std::string out;
  out.push_back(kInitializerTag);
  AppendVarint(body, &out);
  out += head;
  out.push_back(kRawDataTag);
  AppendVarint(raw, &out);
  return out;
}

std::string BaseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

int64_t AlignUp(int64_t v) {
  return (v + kExternalDataAlignment - 1) / kExternalDataAlignment * kExternalDataAlignment;
}

// Builds m.proto with initializers of `limit` bytes or more left without
// data, recording them in m.streamed (placed in the data file if external).
void BuildProto(const Model& model, int64_t limit, CheckedModel& m) {
  m.proto = ToModelProto(model, limit);
  m.streamed.assign(m.proto.graph().initializer_size(), Tensor());
  int i = 0;
  for (const auto& [name, tensor] : model.graph.initializers) {
    onnx::TensorProto* t = m.proto.mutable_graph()->mutable_initializer(i);
    if (t->name() == name && tensor.dtype() != DataType::kString && !t->has_raw_data() &&
        static_cast<int64_t>(tensor.raw().size()) >= limit) {
      m.streamed[i] = tensor;
      // The checker sees one byte of raw_data (libonnx 1.12 wants a value
      // field, does not compare raw_data's size with the dims, and would
      // look for an external file not written yet); PointAtDataFile sets
      // the real location after the check.
      t->set_raw_data(std::string(1, '\0'));
    }
    ++i;
  }
}

// Streamed initializers: bytes in the data file, each at an aligned offset.
void PointAtDataFile(CheckedModel& m) {
  int64_t offset = 0;
  for (size_t i = 0; i < m.streamed.size(); ++i) {
    const Tensor& t = m.streamed[i];
    if (t.dtype() == DataType::kUndefined) continue;
    onnx::TensorProto* p = m.proto.mutable_graph()->mutable_initializer(static_cast<int>(i));
    p->clear_raw_data();
    offset = AlignUp(offset);
    const int64_t length = static_cast<int64_t>(t.raw().size());
    SetExternalLocation(m.data_location, offset, length, p);
    offset += length;
  }
}

absl::Status WriteExternal(CheckedModel& m, const std::string& path) {
  static const std::string* const kZeros = new std::string(kExternalDataAlignment, '\0');
  std::vector<absl::string_view> pieces;
  int64_t offset = 0;
  for (const Tensor& t : m.streamed) {
    if (t.dtype() == DataType::kUndefined) continue;
    const int64_t pad = AlignUp(offset) - offset;
    if (pad > 0) pieces.push_back(absl::string_view(*kZeros).substr(0, pad));
    pieces.push_back(t.raw());
    offset += pad + static_cast<int64_t>(t.raw().size());
  }
  const std::string data_path = absl::StrCat(ModelDirectory(path), "/", m.data_location);
  RETURN_IF_ERROR(WriteFileAtomically(data_path, pieces));
  return WriteModelProto(m.proto, path);
}

absl::Status WriteInline(CheckedModel& m, const std::string& path) {
  // Fields are serialized in field-number order: ModelProto = fields 1-6,
  // graph (7), fields 8+; GraphProto = node (1), name (2), initializer (5),
  // fields 10+. Serialize the parts around the initializers and the graph.
  onnx::ModelProto& proto = m.proto;
  onnx::GraphProto* g = proto.mutable_graph();
  google::protobuf::RepeatedPtrField<onnx::TensorProto> inits;
  inits.Swap(g->mutable_initializer());
  const size_t rest_of_graph = g->ByteSizeLong();
  onnx::GraphProto head;
  head.mutable_node()->Swap(g->mutable_node());
  if (g->has_name()) head.set_name(g->name());
  g->clear_name();
  const std::string head_bytes = head.SerializeAsString();
  const std::string rest_bytes = g->SerializeAsString();
  g->mutable_node()->Swap(head.mutable_node());
  if (head.has_name()) g->set_name(head.name());

  // The initializer fields: small ones serialized here, large ones a head
  // and then the tensor's own bytes.
  std::vector<std::string> heads(inits.size());
  size_t graph_len = head_bytes.size() + rest_bytes.size();
  for (int i = 0; i < inits.size(); ++i) {
    const Tensor& t = m.streamed[i];
    if (t.dtype() == DataType::kUndefined) {
      const std::string body = inits.Get(i).SerializeAsString();
      heads[i].push_back(kInitializerTag);
      AppendVarint(body.size(), &heads[i]);
      heads[i] += body;
    } else {
      heads[i] = InitializerHead(inits.Get(i).name(), t);
      graph_len += t.raw().size();
    }
    graph_len += heads[i].size();
  }
  g->mutable_initializer()->Swap(&inits);

  std::unique_ptr<onnx::GraphProto> graph(proto.release_graph());
  const size_t rest_of_model = proto.ByteSizeLong();
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
  const std::string post_bytes = post.SerializeAsString();
  // A field this split does not know (a newer onnx) would be misplaced or
  // lost: then the sizes disagree.
  if (head_bytes.size() + rest_bytes.size() != rest_of_graph ||
      pre_bytes.size() + post_bytes.size() != rest_of_model) {
    return absl::InternalError(absl::StrCat("cannot lay out ", path,
                                            " (unknown ModelProto fields); use --external-data"));
  }
  pre_bytes.push_back(kGraphTag);
  AppendVarint(graph_len, &pre_bytes);
  const size_t total = pre_bytes.size() + graph_len + post_bytes.size();
  if (total > static_cast<size_t>(kMaxProtoBytes)) {
    return absl::InternalError(absl::StrCat(path, ": the model is over 2 GB inline"));
  }
  std::vector<absl::string_view> pieces{pre_bytes, head_bytes};
  for (size_t i = 0; i < heads.size(); ++i) {
    pieces.push_back(heads[i]);
    if (m.streamed[i].dtype() != DataType::kUndefined) pieces.push_back(m.streamed[i].raw());
  }
  pieces.push_back(rest_bytes);
  pieces.push_back(post_bytes);
  return WriteFileAtomically(path, pieces);
}

}  // namespace

absl::Status CheckDataLocation(const std::string& location) {
  if (location.find('/') != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--external-data-file '", location, "' must be a file name in the output's directory"));
  }
  return CheckExternalLocation(location, "--external-data-file");
}

absl::StatusOr<CheckedModel> ToCheckedModel(const Model& model, bool check,
                                            const std::string& skipped_reason,
                                            const std::string& output_path,
                                            const ExternalDataOptions& external) {
  CheckedModel m;
  m.output_path = output_path;
  m.data_location =
      external.location.empty() ? absl::StrCat(BaseName(output_path), ".data") : external.location;
  if (!external.location.empty()) RETURN_IF_ERROR(CheckDataLocation(external.location));
  const int64_t threshold = std::max<int64_t>(1, external.threshold);
  m.external = external.enabled;
  BuildProto(model, m.external ? threshold : kStreamInlineBytes, m);
  if (!m.external) {
    // Past protobuf's 2 GB the model cannot be one file.
    int64_t inline_bytes = static_cast<int64_t>(m.proto.ByteSizeLong());
    for (const Tensor& t : m.streamed) inline_bytes += static_cast<int64_t>(t.raw().size()) + 32;
    if (inline_bytes > kMaxProtoBytes) {
      m.external = true;
      BuildProto(model, threshold, m);
    }
  }
  // Every file onnxsmith writes says so (an optimized model's input may come
  // from another producer).
  m.proto.set_producer_name(kProducerName);
  m.proto.set_producer_version(kVersion);
  if (check) {
    ASSIGN_OR_RETURN(m.validation, ValidateModel(&m.proto));
  } else {
    m.validation.skipped_reason = skipped_reason;
  }
  if (m.external) PointAtDataFile(m);
  return m;
}

absl::Status WriteCheckedModel(CheckedModel& m, const std::string& path) {
  if (m.external) return WriteExternal(m, path);
  return WriteInline(m, path);
}

}  // namespace onnxsmith::ir
