// inspect for ONNX models, read from the protobuf itself (not the IR), so a
// model with external data or ops the IR does not know is still described.
#include <algorithm>
#include <limits>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/inspect/inspect_doc.h"
#include "ir/tensor.h"
#include "onnx/onnx_pb.h"

namespace onnxsmith::cli::inspect {
namespace {

Doc ValueDoc(const onnx::ValueInfoProto& v) {
  Doc d;
  d["name"] = v.name();
  const onnx::TypeProto& type = v.type();
  if (!type.has_tensor_type()) {
    d["type"] = type.has_sequence_type() ? "sequence"
                : type.has_map_type()    ? "map"
                : type.has_optional_type() ? "optional"
                                           : "unknown";
    return d;
  }
  const auto& t = type.tensor_type();
  d["dtype"] = ir::DataTypeName(static_cast<ir::DataType>(t.elem_type()));
  if (!t.has_shape()) {
    d["shape"] = nullptr;
    return d;
  }
  Doc dims = Doc::array();
  for (const auto& dim : t.shape().dim()) {
    if (dim.has_dim_value()) {
      dims.push_back(dim.dim_value());
    } else if (dim.has_dim_param() && !dim.dim_param().empty()) {
      dims.push_back(dim.dim_param());
    } else {
      dims.push_back(-1);
    }
  }
  d["shape"] = std::move(dims);
  return d;
}

// Sizes come from the file: each is capped (a corrupt file may declare 2^60
// elements) and sums of them saturate, so that no arithmetic overflows.
constexpr int64_t kMaxTensorBytes = int64_t{1} << 50;

int64_t SaturatingAdd(int64_t a, int64_t b) {
  return a > std::numeric_limits<int64_t>::max() - b ? std::numeric_limits<int64_t>::max() : a + b;
}

// Bytes of a tensor's data, wherever it is stored (at most kMaxTensorBytes);
// `external` set when it lives in another file.
int64_t TensorBytes(const onnx::TensorProto& t, bool* external) {
  *external = t.data_location() == onnx::TensorProto::EXTERNAL;
  if (*external) {
    for (const auto& kv : t.external_data()) {
      int64_t length = 0;
      if (kv.key() == "length" && absl::SimpleAtoi(kv.value(), &length)) {
        return std::clamp<int64_t>(length, 0, kMaxTensorBytes);
      }
    }
  }
  if (!t.raw_data().empty()) return static_cast<int64_t>(t.raw_data().size());
  if (t.data_type() == onnx::TensorProto::STRING) {
    int64_t n = 0;
    for (const std::string& s : t.string_data()) n += static_cast<int64_t>(s.size());
    return n;
  }
  int64_t bytes = ir::ElementSize(static_cast<ir::DataType>(t.data_type()));
  for (int64_t d : t.dims()) {
    if (d <= 0) return 0;
    if (bytes > kMaxTensorBytes / d) return kMaxTensorBytes;
    bytes *= d;
  }
  return bytes;
}

void CountOps(const onnx::GraphProto& g, std::map<std::string, int64_t>* ops, int64_t* nodes) {
  for (const auto& n : g.node()) {
    ++(*ops)[n.domain().empty() || n.domain() == "ai.onnx" ? n.op_type()
                                                           : absl::StrCat(n.domain(), ".", n.op_type())];
    ++*nodes;
    for (const auto& a : n.attribute()) {
      if (a.has_g()) CountOps(a.g(), ops, nodes);
      for (const auto& sub : a.graphs()) CountOps(sub, ops, nodes);
    }
  }
}

std::pair<std::string, std::string> ValueRow(const Doc& v) {
  if (v.contains("type")) return {v["name"].get<std::string>(), v["type"].get<std::string>()};
  return {v["name"].get<std::string>(),
          absl::StrCat(v["dtype"].get<std::string>(), " ", ShapeText(v["shape"]))};
}

}  // namespace

std::optional<Doc> OnnxDoc(const std::string& path, const std::string& bytes) {
  onnx::ModelProto proto;
  if (!proto.ParseFromString(bytes) || !proto.has_graph() || proto.ir_version() <= 0) {
    return std::nullopt;
  }
  const onnx::GraphProto& g = proto.graph();
  Doc doc;
  doc["path"] = path;
  doc["format"] = "onnx";
  doc["file_bytes"] = bytes.size();
  doc["ir_version"] = proto.ir_version();
  Doc opsets = Doc::array();
  for (const auto& o : proto.opset_import()) {
    opsets.push_back({{"domain", o.domain().empty() ? "ai.onnx" : o.domain()}, {"version", o.version()}});
  }
  doc["opset_imports"] = std::move(opsets);
  doc["producer_name"] = proto.producer_name();
  doc["producer_version"] = proto.producer_version();
  if (!proto.domain().empty()) doc["domain"] = proto.domain();
  if (proto.model_version() != 0) doc["model_version"] = proto.model_version();
  doc["graph_name"] = g.name();
  std::set<std::string> initializer_names;
  int64_t init_bytes = 0, external_bytes = 0, external_count = 0;
  for (const auto& t : g.initializer()) {
    initializer_names.insert(t.name());
    bool external = false;
    const int64_t n = TensorBytes(t, &external);
    init_bytes = SaturatingAdd(init_bytes, n);
    if (external) {
      external_bytes = SaturatingAdd(external_bytes, n);
      ++external_count;
    }
  }
  // Before IR version 4, initializers were listed among the inputs too.
  Doc inputs = Doc::array(), outputs = Doc::array();
  for (const auto& v : g.input()) {
    if (!initializer_names.count(v.name())) inputs.push_back(ValueDoc(v));
  }
  for (const auto& v : g.output()) outputs.push_back(ValueDoc(v));
  doc["inputs"] = std::move(inputs);
  doc["outputs"] = std::move(outputs);
  std::map<std::string, int64_t> ops;
  int64_t nodes = 0;
  CountOps(g, &ops, &nodes);
  doc["nodes"] = nodes;  // subgraphs (If/Loop bodies) included
  doc["ops"] = Histogram(ops);
  doc["initializers"] = {{"count", g.initializer_size()}, {"bytes", init_bytes}};
  doc["external_data"] = {{"tensors", external_count}, {"bytes", external_bytes}};
  doc["functions"] = proto.functions_size();
  return doc;
}

void PrintOnnx(const Doc& doc, TextView& view) {
  view.Line(0, absl::StrCat(doc["path"].get<std::string>(), ": ONNX model, ",
                            BytesText(doc["file_bytes"].get<int64_t>()), ", ir_version ",
                            doc["ir_version"].dump()));
  std::vector<std::string> opsets;
  for (const Doc& o : doc["opset_imports"]) {
    opsets.push_back(absl::StrCat(o["domain"].get<std::string>(), " ", o["version"].dump()));
  }
  view.Line(2, absl::StrCat("opsets:   ", view.Inline(opsets)));
  std::string producer = doc["producer_name"].get<std::string>();
  const std::string version = doc["producer_version"].get<std::string>();
  if (!version.empty()) absl::StrAppend(&producer, " ", version);
  view.Line(2, absl::StrCat("producer: ", producer.empty() ? "?" : producer));
  for (const char* side : {"inputs", "outputs"}) {
    std::vector<std::pair<std::string, std::string>> rows;
    for (const Doc& v : doc[side]) rows.push_back(ValueRow(v));
    view.Line(2, absl::StrCat(side, ":", rows.empty() ? " none" : ""));
    view.Pairs(4, rows);
  }
  view.Line(2, absl::StrCat("nodes:    ", Thousands(doc["nodes"].get<int64_t>()), " (",
                            doc["ops"].size(), " op types)"));
  view.Line(2, absl::StrCat("ops:      ", view.Inline(HistogramItems(doc["ops"]))));
  const Doc& init = doc["initializers"];
  const Doc& ext = doc["external_data"];
  view.Line(2, absl::StrCat("initializers: ", Thousands(init["count"].get<int64_t>()), " (",
                            BytesText(init["bytes"].get<int64_t>()), ")"));
  view.Line(2, absl::StrCat(
                   "external data: ",
                   ext["tensors"].get<int64_t>() == 0
                       ? "none"
                       : absl::StrCat(Thousands(ext["tensors"].get<int64_t>()), " tensors, ",
                                      BytesText(ext["bytes"].get<int64_t>()))));
  if (doc["functions"].get<int>() > 0) view.Line(2, absl::StrCat("functions: ", doc["functions"].dump()));
}

}  // namespace onnxsmith::cli::inspect
