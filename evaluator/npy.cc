#include "evaluator/npy.h"

#include <cstdint>
#include <cstring>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/file_util.h"

namespace onnxsmith::evaluator {

namespace {

constexpr char kMagic[] = "\x93NUMPY";

struct DtypeName {
  const char* descr;
  ir::DataType dtype;
};
constexpr DtypeName kDtypes[] = {
    {"<f4", ir::DataType::kFloat},  {"<f8", ir::DataType::kDouble}, {"<f2", ir::DataType::kFloat16},
    {"<i4", ir::DataType::kInt32},  {"<i8", ir::DataType::kInt64},  {"<i2", ir::DataType::kInt16},
    {"<u2", ir::DataType::kUint16}, {"<u4", ir::DataType::kUint32}, {"<u8", ir::DataType::kUint64},
    {"|b1", ir::DataType::kBool},   {"|u1", ir::DataType::kUint8},  {"|i1", ir::DataType::kInt8},
};

absl::Status Corrupt(const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat("not a valid .npy file: ", why));
}

// A tiny parser for the header dict: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
class HeaderParser {
 public:
  explicit HeaderParser(absl::string_view s) : s_(s) {}

  absl::Status Parse(std::string* descr, bool* fortran, std::vector<int64_t>* shape) {
    bool have_descr = false, have_fortran = false, have_shape = false;
    Skip();
    if (!Eat('{')) return Corrupt("header is not a dict");
    while (true) {
      Skip();
      if (Eat('}')) break;
      std::string key;
      if (!String(&key)) return Corrupt("bad key in header");
      Skip();
      if (!Eat(':')) return Corrupt("expected ':' in header");
      Skip();
      if (key == "descr") {
        if (!String(descr)) return Corrupt("'descr' must be a string (structured dtypes are not supported)");
        have_descr = true;
      } else if (key == "fortran_order") {
        if (Word("True")) {
          *fortran = true;
        } else if (Word("False")) {
          *fortran = false;
        } else {
          return Corrupt("'fortran_order' must be True or False");
        }
        have_fortran = true;
      } else if (key == "shape") {
        if (!Eat('(')) return Corrupt("'shape' must be a tuple");
        shape->clear();
        while (true) {
          Skip();
          if (Eat(')')) break;
          int64_t v = 0;
          if (!Int(&v)) return Corrupt("'shape' must hold non-negative integers");
          shape->push_back(v);
          Skip();
          if (Eat(',')) continue;
          Skip();
          if (Eat(')')) break;
          return Corrupt("bad 'shape' tuple");
        }
        have_shape = true;
      } else {
        return Corrupt(absl::StrCat("unknown header key '", key, "'"));
      }
      Skip();
      if (Eat(',')) continue;
      Skip();
      if (Eat('}')) break;
      return Corrupt("expected ',' or '}' in header");
    }
    if (!have_descr || !have_fortran || !have_shape) {
      return Corrupt("header needs 'descr', 'fortran_order' and 'shape'");
    }
    return absl::OkStatus();
  }

 private:
  void Skip() {
    while (p_ < s_.size() && (s_[p_] == ' ' || s_[p_] == '\t' || s_[p_] == '\n')) ++p_;
  }
  bool Eat(char c) {
    if (p_ < s_.size() && s_[p_] == c) {
      ++p_;
      return true;
    }
    return false;
  }
  bool Word(absl::string_view w) {
    if (s_.substr(p_, w.size()) == w) {
      p_ += w.size();
      return true;
    }
    return false;
  }
  bool String(std::string* out) {
    if (p_ >= s_.size() || (s_[p_] != '\'' && s_[p_] != '"')) return false;
    const char q = s_[p_++];
    const size_t end = s_.find(q, p_);
    if (end == absl::string_view::npos) return false;
    *out = std::string(s_.substr(p_, end - p_));
    p_ = end + 1;
    return true;
  }
  bool Int(int64_t* v) {
    size_t start = p_;
    while (p_ < s_.size() && absl::ascii_isdigit(static_cast<unsigned char>(s_[p_]))) ++p_;
    if (p_ == start || p_ - start > 15) return false;
    // Python 2 longs: 3L.
    const bool ok = absl::SimpleAtoi(s_.substr(start, p_ - start), v);
    if (p_ < s_.size() && s_[p_] == 'L') ++p_;
    return ok;
  }

  absl::string_view s_;
  size_t p_ = 0;
};

}  // namespace

absl::StatusOr<NpyHeader> ParseNpyHeader(absl::string_view bytes) {
  if (bytes.size() < 10 || bytes.substr(0, 6) != absl::string_view(kMagic, 6)) {
    return Corrupt("missing the \\x93NUMPY magic");
  }
  const uint8_t major = static_cast<uint8_t>(bytes[6]);
  size_t header_len, header_start;
  if (major == 1) {
    header_len = static_cast<uint8_t>(bytes[8]) | (static_cast<size_t>(static_cast<uint8_t>(bytes[9])) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return Corrupt("truncated header");
    header_len = 0;
    for (int i = 0; i < 4; ++i) header_len |= static_cast<size_t>(static_cast<uint8_t>(bytes[8 + i])) << (8 * i);
    header_start = 12;
  } else {
    return Corrupt(absl::StrCat("unsupported format version ", major, ".", static_cast<int>(static_cast<uint8_t>(bytes[7]))));
  }
  if (header_len > bytes.size() - header_start) return Corrupt("truncated header");
  const absl::string_view header = bytes.substr(header_start, header_len);
  std::string descr;
  bool fortran = false;
  NpyHeader h;
  HeaderParser parser(header);
  if (absl::Status s = parser.Parse(&descr, &fortran, &h.shape); !s.ok()) return s;
  if (fortran) {
    return absl::UnimplementedError(".npy files in Fortran order are not supported (save C-order arrays)");
  }
  std::string d = descr;
  if (d == "=f4" || d == "=f8" || d == "=i4" || d == "=i8") d[0] = '<';  // native = little-endian here
  if (d == "<b1" || d == "=b1") d = "|b1";
  if (d == "<u1" || d == "=u1") d = "|u1";
  if (d == "<i1" || d == "=i1") d = "|i1";
  for (const DtypeName& n : kDtypes) {
    if (d == n.descr) h.dtype = n.dtype;
  }
  if (h.dtype == ir::DataType::kUndefined) {
    return absl::UnimplementedError(absl::StrCat(
        "unsupported .npy dtype '", descr, "' (supported: <f4 <f8 <f2 <i2 <i4 <i8 <u2 <u4 <u8 |b1 |u1 |i1; big-endian is not)"));
  }
  int64_t n = 1;
  for (int64_t dim : h.shape) {
    if (dim != 0 && n > (int64_t{1} << 40) / dim) return Corrupt("shape is too large");
    n *= dim;
  }
  h.num_elements = n;
  h.data_offset = header_start + header_len;
  return h;
}

absl::StatusOr<ir::Tensor> ParseNpy(absl::string_view bytes) {
  auto h = ParseNpyHeader(bytes);
  if (!h.ok()) return h.status();
  const ir::DataType dtype = h->dtype;
  std::vector<int64_t> shape = h->shape;
  const int64_t n = h->num_elements;
  const int64_t need = n * ir::ElementSize(dtype);
  const size_t data_start = h->data_offset;
  const int64_t have = static_cast<int64_t>(bytes.size() - data_start);
  if (have != need) {
    return Corrupt(absl::StrCat("shape (", absl::StrJoin(shape, ", "), ") of ", ir::DataTypeName(dtype), " needs ",
                                need, " bytes of data, the file has ", have));
  }
  std::string raw(bytes.substr(data_start));
  if (dtype == ir::DataType::kBool) {
    for (char& c : raw) {
      if (c != 0 && c != 1) return Corrupt("bool array holds a byte other than 0 or 1");
    }
  }
  return ir::Tensor::FromRaw(dtype, std::move(shape), std::move(raw));
}

absl::StatusOr<std::string> SerializeNpy(const ir::Tensor& tensor) {
  const char* descr = nullptr;
  for (const DtypeName& n : kDtypes) {
    if (n.dtype == tensor.dtype()) descr = n.descr;
  }
  if (!descr) {
    return absl::UnimplementedError(absl::StrCat("cannot write a ", ir::DataTypeName(tensor.dtype()),
                                                 " tensor as .npy"));
  }
  std::string shape;
  if (tensor.dims().size() == 1) {
    shape = absl::StrCat("(", tensor.dims()[0], ",)");
  } else {
    shape = absl::StrCat("(", absl::StrJoin(tensor.dims(), ", "), ")");
  }
  std::string header =
      absl::StrCat("{'descr': '", descr, "', 'fortran_order': False, 'shape': ", shape, ", }");
  // Pad with spaces so that the data starts at a multiple of 64, ending in \n.
  size_t prefix = 10;
  size_t total = prefix + header.size() + 1;
  bool v2 = false;
  if ((total + 63) / 64 * 64 - prefix > 65535) {
    v2 = true;
    prefix = 12;
    total = prefix + header.size() + 1;
  }
  const size_t padded = (total + 63) / 64 * 64;
  header.append(padded - total, ' ');
  header.push_back('\n');
  std::string out(kMagic, 6);
  out.push_back(static_cast<char>(v2 ? 2 : 1));
  out.push_back(0);
  const size_t hl = header.size();
  if (v2) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((hl >> (8 * i)) & 0xff));
  } else {
    out.push_back(static_cast<char>(hl & 0xff));
    out.push_back(static_cast<char>((hl >> 8) & 0xff));
  }
  out += header;
  absl::StrAppend(&out, tensor.raw());
  return out;
}

absl::StatusOr<ir::Tensor> ReadNpy(const std::string& path) {
  auto bytes = ReadFile(path);
  if (!bytes.ok()) return bytes.status();
  auto t = ParseNpy(*bytes);
  if (!t.ok()) return absl::Status(t.status().code(), absl::StrCat(path, ": ", t.status().message()));
  return t;
}

absl::Status WriteNpy(const std::string& path, const ir::Tensor& tensor) {
  auto bytes = SerializeNpy(tensor);
  if (!bytes.ok()) return bytes.status();
  return WriteFileAtomically(path, *bytes);
}

}  // namespace onnxsmith::evaluator
