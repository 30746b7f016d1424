#include "quantize/calibration_data.h"

#include <zip.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "evaluator/npy.h"

namespace onnxsmith::quantize {
namespace {

namespace fs = std::filesystem;

// Sequential bytes of one .npy: a zip member or a plain file.
class ByteStream {
 public:
  virtual ~ByteStream() = default;
  // Exactly n bytes, or an error.
  virtual absl::Status Read(char* dst, int64_t n) = 0;
};

class FileStream : public ByteStream {
 public:
  explicit FileStream(std::FILE* f) : f_(f) {}
  ~FileStream() override { std::fclose(f_); }
  absl::Status Read(char* dst, int64_t n) override {
    if (n > 0 && std::fread(dst, 1, static_cast<size_t>(n), f_) != static_cast<size_t>(n)) {
      return absl::InvalidArgumentError("file is truncated");
    }
    return absl::OkStatus();
  }

 private:
  std::FILE* f_;
};

using ZipHandle = std::shared_ptr<zip_t>;

class ZipStream : public ByteStream {
 public:
  ZipStream(ZipHandle za, zip_file_t* zf) : za_(std::move(za)), zf_(zf) {}
  ~ZipStream() override { zip_fclose(zf_); }
  absl::Status Read(char* dst, int64_t n) override {
    while (n > 0) {
      const zip_int64_t got = zip_fread(zf_, dst, static_cast<zip_uint64_t>(std::min<int64_t>(n, 1 << 20)));
      if (got < 0) return absl::InvalidArgumentError(absl::StrCat("damaged member: ", zip_file_strerror(zf_)));
      if (got == 0) return absl::InvalidArgumentError("member is truncated");
      dst += got;
      n -= got;
    }
    return absl::OkStatus();
  }

 private:
  ZipHandle za_;  // keeps the archive open
  zip_file_t* zf_;
};

// One input's array: its header, then one sample per ReadSample.
struct ArrayReader {
  std::string where;  // "file.npz: input 'x'" for messages
  std::string input;
  std::unique_ptr<ByteStream> stream;
  ir::DataType dtype = ir::DataType::kUndefined;
  std::vector<int64_t> sample_dims;
  int64_t count = 0;
  int64_t sample_bytes = 0;
};

absl::Status Bad(const std::string& where, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", what));
}

std::string ShapeText(const std::vector<int64_t>& d) { return absl::StrCat("[", absl::StrJoin(d, ","), "]"); }

std::string ExpectedShape(const ir::ValueType& t) {
  std::vector<std::string> s;
  for (const ir::Dim& d : *t.shape) s.push_back(d.known() ? absl::StrCat(d.size) : (d.param.empty() ? "?" : d.param));
  return absl::StrCat("[", absl::StrJoin(s, ","), "]");
}

// Reads and checks the header; `declared` is the stream's byte size when
// known (zip members), else -1.
absl::Status OpenArray(ArrayReader& a, const ir::ValueInfo& in, int64_t declared,
                       const CalibrationLimits& limits) {
  std::string head(12, '\0');
  RETURN_IF_ERROR(a.stream->Read(head.data(), 10));
  if (head.compare(0, 6, "\x93NUMPY") != 0) return Bad(a.where, "not a .npy array (no \\x93NUMPY magic)");
  const int major = static_cast<unsigned char>(head[6]);
  int64_t len = 0;
  int prefix = 10;
  if (major == 1) {
    len = static_cast<unsigned char>(head[8]) | (static_cast<unsigned char>(head[9]) << 8);
  } else {
    RETURN_IF_ERROR(a.stream->Read(head.data() + 10, 2));
    for (int i = 0; i < 4; ++i) len |= static_cast<int64_t>(static_cast<unsigned char>(head[8 + i])) << (8 * i);
    prefix = 12;
  }
  if (len > limits.max_header_bytes) {
    return Bad(a.where, absl::StrCat(".npy header of ", len, " bytes is over the ", limits.max_header_bytes, "-byte limit"));
  }
  head.resize(prefix + len);
  if (absl::Status s = a.stream->Read(head.data() + prefix, len); !s.ok()) return Bad(a.where, s.message());
  auto h = evaluator::ParseNpyHeader(head);
  if (!h.ok()) return Bad(a.where, h.status().message());
  if (h->shape.empty()) return Bad(a.where, "a scalar; expected samples on the first axis");
  a.count = h->shape[0];
  if (a.count == 0) return Bad(a.where, "holds no samples (first axis is 0)");
  if (h->dtype != in.type.dtype && in.type.dtype != ir::DataType::kUndefined) {
    return Bad(a.where, absl::StrCat("dtype ", ir::DataTypeName(h->dtype), ", the model input is ",
                                     ir::DataTypeName(in.type.dtype)));
  }
  a.dtype = h->dtype;
  const int rank = in.type.shape ? static_cast<int>(in.type.shape->size()) : static_cast<int>(h->shape.size());
  const int arank = static_cast<int>(h->shape.size());
  if (arank == rank) {
    a.sample_dims = h->shape;
    a.sample_dims[0] = 1;
  } else if (arank == rank + 1) {
    a.sample_dims.assign(h->shape.begin() + 1, h->shape.end());
  } else {
    return Bad(a.where, absl::StrCat("shape ", ShapeText(h->shape), " does not fit the model input ",
                                     ExpectedShape(in.type), " (samples on the first axis)"));
  }
  if (in.type.shape) {
    for (int i = 0; i < rank; ++i) {
      const ir::Dim& d = (*in.type.shape)[i];
      if (d.known() && d.size != a.sample_dims[i]) {
        return Bad(a.where, absl::StrCat("a sample has shape ", ShapeText(a.sample_dims),
                                         ", the model input is ", ExpectedShape(in.type)));
      }
    }
  }
  a.sample_bytes = ir::ElementSize(a.dtype);
  for (int64_t d : a.sample_dims) a.sample_bytes *= d;
  if (a.sample_bytes > limits.max_sample_bytes) {
    return Bad(a.where, absl::StrCat("one sample is ", a.sample_bytes, " bytes, over the ",
                                     limits.max_sample_bytes, "-byte limit"));
  }
  if (declared >= 0 && declared != prefix + len + a.count * a.sample_bytes) {
    return Bad(a.where, absl::StrCat("holds ", declared - prefix - len, " data bytes, its header needs ",
                                     a.count * a.sample_bytes));
  }
  return absl::OkStatus();
}

absl::StatusOr<ir::Tensor> ReadSample(ArrayReader& a, int64_t i) {
  std::string raw(static_cast<size_t>(a.sample_bytes), '\0');
  if (absl::Status s = a.stream->Read(raw.data(), a.sample_bytes); !s.ok()) {
    return Bad(a.where, absl::StrCat("sample ", i, ": ", s.message()));
  }
  ASSIGN_OR_RETURN(ir::Tensor t, ir::Tensor::FromRaw(a.dtype, a.sample_dims, std::move(raw)));
  if (a.dtype == ir::DataType::kFloat || a.dtype == ir::DataType::kDouble) {
    ASSIGN_OR_RETURN(std::vector<double> v, t.ToDoubles());
    for (double x : v) {
      if (!std::isfinite(x)) return Bad(a.where, absl::StrCat("sample ", i, " holds ", x, " (NaN or Inf)"));
    }
  }
  return t;
}

// Where a chunk's arrays come from.
struct ChunkSpec {
  std::string path;                              // .npz, or "" for loose .npy files
  std::map<std::string, std::string> npy_files;  // input -> .npy path
};

class Chunk {
 public:
  static absl::StatusOr<Chunk> Open(const ChunkSpec& spec, const std::vector<ir::ValueInfo>& inputs,
                                    const CalibrationLimits& limits) {
    Chunk c;
    std::map<std::string, const ir::ValueInfo*> by_name;
    std::vector<std::string> names;
    for (const ir::ValueInfo& v : inputs) {
      by_name[v.name] = &v;
      names.push_back(v.name);
    }
    const std::string known = absl::StrJoin(names, ", ");
    if (!spec.path.empty()) {
      int err = 0;
      zip_t* raw = zip_open(spec.path.c_str(), ZIP_RDONLY, &err);
      if (!raw) {
        return Bad(spec.path, "not a readable .npz (zip) archive (damaged or truncated?)");
      }
      ZipHandle za(raw, [](zip_t* z) { zip_discard(z); });
      const zip_int64_t n = zip_get_num_entries(raw, 0);
      for (zip_int64_t i = 0; i < n; ++i) {
        const char* member = zip_get_name(raw, static_cast<zip_uint64_t>(i), 0);
        std::string key = member ? member : "";
        if (absl::EndsWith(key, ".npy")) key.resize(key.size() - 4);
        auto it = by_name.find(key);
        if (it == by_name.end()) {
          return Bad(spec.path, absl::StrCat("array '", key, "' is not a model input (inputs: ", known, ")"));
        }
        zip_stat_t st;
        zip_stat_init(&st);
        if (zip_stat_index(raw, static_cast<zip_uint64_t>(i), 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE)) {
          return Bad(spec.path, absl::StrCat("cannot read the entry of input '", key, "'"));
        }
        zip_file_t* zf = zip_fopen_index(raw, static_cast<zip_uint64_t>(i), 0);
        if (!zf) return Bad(spec.path, absl::StrCat("cannot open the array of input '", key, "'"));
        ArrayReader a;
        a.where = absl::StrCat(spec.path, ": input '", key, "'");
        a.input = key;
        a.stream = std::make_unique<ZipStream>(za, zf);
        const int64_t declared = st.size > (uint64_t{1} << 62) ? -2 : static_cast<int64_t>(st.size);
        RETURN_IF_ERROR(OpenArray(a, *it->second, declared, limits));
        c.arrays_.push_back(std::move(a));
      }
    } else {
      for (const auto& [input, file] : spec.npy_files) {
        std::FILE* f = std::fopen(file.c_str(), "rb");
        if (!f) return Bad(file, "cannot open");
        ArrayReader a;
        a.where = absl::StrCat(file, ": input '", input, "'");
        a.input = input;
        a.stream = std::make_unique<FileStream>(f);
        std::error_code ec;
        const auto size = fs::file_size(file, ec);
        RETURN_IF_ERROR(OpenArray(a, *by_name.at(input), ec ? -1 : static_cast<int64_t>(size), limits));
        c.arrays_.push_back(std::move(a));
      }
    }
    const std::string where = spec.path.empty() ? spec.npy_files.begin()->second : spec.path;
    for (const ir::ValueInfo& v : inputs) {
      bool found = false;
      for (const ArrayReader& a : c.arrays_) found |= a.input == v.name;
      if (!found) return Bad(where, absl::StrCat("has no array for model input '", v.name, "'"));
    }
    c.count_ = c.arrays_.front().count;
    for (const ArrayReader& a : c.arrays_) {
      if (a.count != c.count_) {
        return Bad(a.where, absl::StrCat("has ", a.count, " samples, input '", c.arrays_.front().input,
                                         "' has ", c.count_));
      }
    }
    return c;
  }

  int64_t count() const { return count_; }

  absl::Status Read(int64_t global_index, Sample* s) {
    s->feeds.clear();
    for (ArrayReader& a : arrays_) {
      ASSIGN_OR_RETURN(s->feeds[a.input], ReadSample(a, global_index));
    }
    ++next_;
    return absl::OkStatus();
  }
  bool done() const { return next_ >= count_; }

 private:
  std::vector<ArrayReader> arrays_;
  int64_t count_ = 0;
  int64_t next_ = 0;
};

class FileSource : public CalibrationSource {
 public:
  FileSource(std::vector<ChunkSpec> specs, std::vector<ir::ValueInfo> inputs, CalibrationLimits limits,
             int64_t total)
      : specs_(std::move(specs)), inputs_(std::move(inputs)), limits_(limits), total_(total) {}

  absl::StatusOr<bool> Next(Sample* sample) override {
    while (!chunk_ || chunk_->done()) {
      if (next_spec_ >= specs_.size()) return false;
      ASSIGN_OR_RETURN(Chunk c, Chunk::Open(specs_[next_spec_++], inputs_, limits_));
      chunk_ = std::make_unique<Chunk>(std::move(c));
    }
    sample->index = index_;
    RETURN_IF_ERROR(chunk_->Read(index_, sample));
    ++index_;
    return true;
  }
  int64_t size() const override { return total_; }

 private:
  std::vector<ChunkSpec> specs_;
  std::vector<ir::ValueInfo> inputs_;
  CalibrationLimits limits_;
  int64_t total_;
  size_t next_spec_ = 0;
  std::unique_ptr<Chunk> chunk_;
  int64_t index_ = 0;
};

class ListSource : public CalibrationSource {
 public:
  explicit ListSource(std::vector<Sample> s) : samples_(std::move(s)) {}
  absl::StatusOr<bool> Next(Sample* sample) override {
    if (next_ >= samples_.size()) return false;
    *sample = samples_[next_];
    sample->index = static_cast<int64_t>(next_++);
    return true;
  }
  int64_t size() const override { return static_cast<int64_t>(samples_.size()); }

 private:
  std::vector<Sample> samples_;
  size_t next_ = 0;
};

absl::StatusOr<std::vector<ChunkSpec>> ListChunks(const std::string& path,
                                                  const std::vector<ir::ValueInfo>& inputs,
                                                  const CalibrationLimits& limits) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    if (!fs::exists(path, ec)) return absl::NotFoundError(absl::StrCat(path, ": no such file or directory"));
    if (absl::EndsWith(path, ".npy")) {
      if (inputs.size() != 1) {
        return Bad(path, absl::StrCat("a single .npy feeds a one-input model; this one has ", inputs.size(),
                                      " inputs (use a .npz keyed by input name)"));
      }
      return std::vector<ChunkSpec>{ChunkSpec{"", {{inputs[0].name, path}}}};
    }
    return std::vector<ChunkSpec>{ChunkSpec{path, {}}};
  }
  std::vector<std::string> files;
  for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const std::string p = it->path().string();
    if (absl::EndsWith(p, ".npz") || absl::EndsWith(p, ".npy")) files.push_back(p);
    if (static_cast<int64_t>(files.size()) > limits.max_files) {
      return Bad(path, absl::StrCat("more than ", limits.max_files, " .npy/.npz files"));
    }
  }
  if (ec) return Bad(path, absl::StrCat("cannot list the directory: ", ec.message()));
  std::sort(files.begin(), files.end());
  std::set<std::string> names;
  for (const ir::ValueInfo& v : inputs) names.insert(v.name);
  std::vector<ChunkSpec> specs;
  ChunkSpec named;
  for (const std::string& f : files) {
    if (absl::EndsWith(f, ".npz")) {
      specs.push_back(ChunkSpec{f, {}});
      continue;
    }
    const std::string stem = fs::path(f).stem().string();
    if (names.count(stem)) {
      named.npy_files[stem] = f;
    } else if (inputs.size() == 1) {
      specs.push_back(ChunkSpec{"", {{inputs[0].name, f}}});
    } else {
      return Bad(f, absl::StrCat("'", stem, "' is not a model input (name .npy files <input>.npy)"));
    }
  }
  if (!named.npy_files.empty()) specs.push_back(named);
  if (specs.empty()) return Bad(path, "holds no .npz or .npy files");
  return specs;
}

}  // namespace

absl::StatusOr<std::unique_ptr<CalibrationSource>> OpenCalibrationData(
    const std::string& path, const std::vector<ir::ValueInfo>& inputs, const CalibrationLimits& limits) {
  if (inputs.empty()) return absl::InvalidArgumentError("the model has no inputs to calibrate");
  ASSIGN_OR_RETURN(std::vector<ChunkSpec> specs, ListChunks(path, inputs, limits));
  // Every header is checked up front (and the samples counted) so that a bad
  // file fails before any calibration work.
  int64_t total = 0;
  for (const ChunkSpec& spec : specs) {
    ASSIGN_OR_RETURN(Chunk c, Chunk::Open(spec, inputs, limits));
    total += c.count();
  }
  return std::unique_ptr<CalibrationSource>(new FileSource(std::move(specs), inputs, limits, total));
}

std::unique_ptr<CalibrationSource> MakeSampleList(std::vector<Sample> samples) {
  return std::make_unique<ListSource>(std::move(samples));
}

}  // namespace onnxsmith::quantize
