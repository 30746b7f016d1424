#include "converter/keras/hdf5_util.h"

#include <atomic>

#include <sys/stat.h>

#include <cstring>
#include <functional>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/mapped_file.h"

namespace onnxsmith::converter::keras::h5 {

namespace {

constexpr int kMaxRank = 32;
constexpr int64_t kMaxAttrBytes = int64_t{256} << 20;
constexpr int64_t kMaxAttrStrings = int64_t{10} << 20;
constexpr int64_t kMaxChildren = int64_t{1} << 22;
// Largest expansion accepted for a compressed (filtered) dataset; deflate
// cannot exceed about 1032:1.
constexpr int64_t kMaxCompressionRatio = 1100;
constexpr int64_t kMaxDatasetBytes = int64_t{16} << 30;

herr_t CollectError(unsigned n, const H5E_error2_t* err, void* data) {
  auto* out = static_cast<std::string*>(data);
  if (n == 0 && err != nullptr && err->desc != nullptr) *out = err->desc;
  return 0;
}

// The innermost message on HDF5's error stack (then cleared), or "".
std::string TakeError() {
  std::string msg;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, CollectError, &msg);
  H5Eclear2(H5E_DEFAULT);
  return msg;
}

std::string WithCause(const std::string& what) {
  std::string cause = TakeError();
  return cause.empty() ? what : absl::StrCat(what, " (HDF5: ", cause, ")");
}

// `path` relative to `loc` as "a/b/c" components; hard links only (external
// links would reach other files, soft links are never written by Keras).
bool HardLinkPath(hid_t loc, const std::string& path) {
  if (path.empty() || path == ".") return true;
  std::string prefix;
  for (absl::string_view part : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    if (!prefix.empty()) prefix += "/";
    absl::StrAppend(&prefix, part);
    if (H5Lexists(loc, prefix.c_str(), H5P_DEFAULT) <= 0) {
      H5Eclear2(H5E_DEFAULT);
      return false;
    }
    H5L_info_t info;
    if (H5Lget_info(loc, prefix.c_str(), &info, H5P_DEFAULT) < 0 || info.type != H5L_TYPE_HARD) {
      H5Eclear2(H5E_DEFAULT);
      return false;
    }
  }
  return true;
}

H5I_type_t ObjectType(hid_t loc, const std::string& path) {
  if (!HardLinkPath(loc, path)) return H5I_BADID;
  Handle obj(H5Oopen(loc, path.c_str(), H5P_DEFAULT));
  if (!obj.valid()) {
    H5Eclear2(H5E_DEFAULT);
    return H5I_BADID;
  }
  return H5Iget_type(obj.get());
}

absl::StatusOr<std::vector<std::string>> ReadStrings(hid_t attr, const std::string& what,
                                                     const std::function<absl::Status()>& check_vlen) {
  Handle type(H5Aget_type(attr));
  Handle space(H5Aget_space(attr));
  if (!type.valid() || !space.valid()) {
    return absl::InvalidArgumentError(WithCause(absl::StrCat(what, ": unreadable attribute")));
  }
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  if (n < 0 || n > kMaxAttrStrings) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": attribute has a bad element count"));
  }
  std::vector<std::string> out;
  if (H5Tget_class(type.get()) != H5T_STRING) {
    if (n == 0) return out;  // h5py stores [] as an empty float64 array
    return absl::InvalidArgumentError(absl::StrCat(what, ": attribute does not hold strings"));
  }
  if (n == 0) return out;
  const H5T_cset_t cset = H5Tget_cset(type.get());
  if (H5Tis_variable_str(type.get()) > 0) {
    if (auto s = check_vlen(); !s.ok()) return s;
    Handle mem(H5Tcopy(H5T_C_S1));
    H5Tset_size(mem.get(), H5T_VARIABLE);
    H5Tset_cset(mem.get(), cset);
    std::vector<char*> ptrs(static_cast<size_t>(n), nullptr);
    if (H5Aread(attr, mem.get(), ptrs.data()) < 0) {
      return absl::InvalidArgumentError(WithCause(absl::StrCat(what, ": cannot read attribute")));
    }
    int64_t total = 0;
    bool too_big = false;
    for (char* p : ptrs) {
      const size_t len = p == nullptr ? 0 : std::strlen(p);
      total += static_cast<int64_t>(len);
      if (total > kMaxAttrBytes) too_big = true;
      if (!too_big) out.emplace_back(p == nullptr ? "" : p, len);
    }
    H5Dvlen_reclaim(mem.get(), space.get(), H5P_DEFAULT, ptrs.data());
    if (too_big) return absl::InvalidArgumentError(absl::StrCat(what, ": attribute too large"));
    return out;
  }
  const size_t size = H5Tget_size(type.get());
  if (size == 0 || static_cast<int64_t>(size) * n > kMaxAttrBytes) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": attribute too large"));
  }
  Handle mem(H5Tcopy(H5T_C_S1));
  H5Tset_size(mem.get(), size);
  H5Tset_strpad(mem.get(), H5T_STR_NULLPAD);
  H5Tset_cset(mem.get(), cset);
  std::string buf(size * static_cast<size_t>(n), '\0');
  if (H5Aread(attr, mem.get(), buf.data()) < 0) {
    return absl::InvalidArgumentError(WithCause(absl::StrCat(what, ": cannot read attribute")));
  }
  for (hssize_t i = 0; i < n; ++i) {
    const char* p = buf.data() + i * size;
    out.emplace_back(p, strnlen(p, size));
  }
  return out;
}

absl::StatusOr<std::optional<std::vector<std::string>>> ReadAttrStrings(const File& file,
                                                                       const std::string& obj,
                                                                       const std::string& name) {
  const hid_t loc = file.file.get();
  if (!HardLinkPath(loc, obj)) return std::optional<std::vector<std::string>>();
  const htri_t exists = H5Aexists_by_name(loc, obj.c_str(), name.c_str(), H5P_DEFAULT);
  if (exists <= 0) {
    H5Eclear2(H5E_DEFAULT);
    return std::optional<std::vector<std::string>>();
  }
  Handle attr(H5Aopen_by_name(loc, obj.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT));
  const std::string what = absl::StrCat("attribute '", name, "' of '", obj, "'");
  if (!attr.valid()) return absl::InvalidArgumentError(WithCause(absl::StrCat(what, ": cannot open")));
  auto check_vlen = [&]() -> absl::Status {
    if (file.raw == nullptr || file.raw->data == nullptr) return absl::OkStatus();
    H5O_info_t info;
    if (H5Oget_info_by_name2(loc, obj.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) {
      return absl::InvalidArgumentError(WithCause(absl::StrCat(what, ": cannot locate its object")));
    }
    return CheckVlenAttribute(*file.raw, info.addr, name, file.what);
  };
  auto strings = ReadStrings(attr.get(), what, check_vlen);
  if (!strings.ok()) return strings.status();
  return std::optional<std::vector<std::string>>(*std::move(strings));
}

// File image callbacks that let the core driver read `RawBytes` in place:
// every "allocation" of the image is the caller's buffer, copies are no-ops,
// and nothing is freed (the caller owns the buffer). Read-only use only.
void* ImageMalloc(size_t size, H5FD_file_image_op_t, void* udata) {
  auto* raw = static_cast<RawBytes*>(udata);
  return size == raw->size ? const_cast<unsigned char*>(raw->data) : nullptr;
}
void* ImageMemcpy(void* dest, const void* src, size_t, H5FD_file_image_op_t, void*) {
  return dest == src ? dest : nullptr;
}
void* ImageRealloc(void*, size_t, H5FD_file_image_op_t, void*) { return nullptr; }
herr_t ImageFree(void*, H5FD_file_image_op_t, void*) { return 0; }
void* UdataCopy(void* udata) { return udata; }
herr_t UdataFree(void*) { return 0; }

}  // namespace

void Handle::Reset() {
  if (id_ < 0) return;
  switch (H5Iget_type(id_)) {
    case H5I_FILE: H5Fclose(id_); break;
    case H5I_GROUP: H5Gclose(id_); break;
    case H5I_DATASET: H5Dclose(id_); break;
    case H5I_DATATYPE: H5Tclose(id_); break;
    case H5I_DATASPACE: H5Sclose(id_); break;
    case H5I_ATTR: H5Aclose(id_); break;
    case H5I_GENPROP_LST: H5Pclose(id_); break;
    default: H5Idec_ref(id_); break;
  }
  id_ = -1;
}

void SilenceErrors() {
  static std::once_flag once;
  std::call_once(once, [] {
    H5open();
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  });
}

absl::StatusOr<File> OpenFile(const std::string& path) {
  SilenceErrors();
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot stat file"));
  }
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    return absl::InvalidArgumentError(absl::StrCat(path, ": not an HDF5 file"));
  }
  File f;
  f.size = static_cast<int64_t>(st.st_size);
  f.what = path;
  f.raw = MapRawBytes(path, f.size);
  if (f.raw == nullptr) return absl::InvalidArgumentError(absl::StrCat(path, ": cannot map the file"));
  if (auto s = ValidateRawBytes(f.raw.get(), path); !s.ok()) return s;
  f.file = Handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  if (!f.file.valid()) {
    return absl::InvalidArgumentError(
        WithCause(absl::StrCat(path, ": cannot open the HDF5 file (damaged or truncated?)")));
  }
  return f;
}

absl::StatusOr<File> OpenImage(const std::string& image, const std::string& what) {
  SilenceErrors();
  if (image.size() < 8 || std::memcmp(image.data(), kHdf5Signature, 8) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": not an HDF5 file"));
  }
  File f;
  f.size = static_cast<int64_t>(image.size());
  f.what = what;
  f.raw = std::make_shared<RawBytes>();
  f.raw->data = reinterpret_cast<const unsigned char*>(image.data());
  f.raw->size = image.size();
  if (auto s = ValidateRawBytes(f.raw.get(), what); !s.ok()) return s;
  // Read-only, no copy: `image` outlives the file (the caller keeps it).
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS));
  H5FD_file_image_callbacks_t callbacks = {ImageMalloc, ImageMemcpy, ImageRealloc, ImageFree,
                                           UdataCopy,   UdataFree,   f.raw.get()};
  if (!fapl.valid() || H5Pset_fapl_core(fapl.get(), 1 << 20, 0) < 0 ||
      H5Pset_file_image_callbacks(fapl.get(), &callbacks) < 0 ||
      H5Pset_file_image(fapl.get(), const_cast<char*>(image.data()), image.size()) < 0) {
    return absl::InternalError(WithCause(absl::StrCat(what, ": cannot set up the HDF5 image")));
  }
  // The core driver still looks at the name: a real file of that name in the
  // working directory made the open fail ("file already exists"), and two
  // images open under one name would collide. So: a unique path in a
  // directory that does not exist.
  static std::atomic<int64_t> image_counter{0};
  const std::string image_name =
      absl::StrCat("/nonexistent-onnxsmith-hdf5-image/", image_counter.fetch_add(1), ".h5");
  f.file = Handle(H5Fopen(image_name.c_str(), H5F_ACC_RDONLY, fapl.get()));
  if (!f.file.valid()) {
    return absl::InvalidArgumentError(
        WithCause(absl::StrCat(what, ": cannot open the HDF5 data (damaged or truncated?)")));
  }
  return f;
}

bool Exists(hid_t loc, const std::string& path) { return HardLinkPath(loc, path); }
bool IsGroup(hid_t loc, const std::string& path) { return ObjectType(loc, path) == H5I_GROUP; }
bool IsDataset(hid_t loc, const std::string& path) { return ObjectType(loc, path) == H5I_DATASET; }

absl::StatusOr<std::vector<std::string>> ListChildren(hid_t loc, const std::string& group) {
  if (!IsGroup(loc, group)) {
    return absl::NotFoundError(absl::StrCat("no HDF5 group '", group, "'"));
  }
  Handle g(H5Gopen2(loc, group.c_str(), H5P_DEFAULT));
  H5G_info_t info;
  if (!g.valid() || H5Gget_info(g.get(), &info) < 0) {
    return absl::InvalidArgumentError(WithCause(absl::StrCat("cannot read group '", group, "'")));
  }
  if (static_cast<int64_t>(info.nlinks) > kMaxChildren) {
    return absl::InvalidArgumentError(absl::StrCat("group '", group, "' has too many members"));
  }
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t len = H5Lget_name_by_idx(g.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0,
                                           H5P_DEFAULT);
    if (len < 0 || len > 65535) {
      return absl::InvalidArgumentError(
          WithCause(absl::StrCat("cannot list group '", group, "'")));
    }
    std::string name(static_cast<size_t>(len) + 1, '\0');
    H5Lget_name_by_idx(g.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(),
                       H5P_DEFAULT);
    name.resize(static_cast<size_t>(len));
    names.push_back(std::move(name));
  }
  return names;
}

absl::StatusOr<std::optional<std::string>> ReadStringAttr(const File& file, const std::string& obj,
                                                          const std::string& name) {
  auto strings = ReadAttrStrings(file, obj, name);
  if (!strings.ok()) return strings.status();
  if (!strings->has_value()) return std::optional<std::string>();
  if ((*strings)->size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("attribute '", name, "' of '", obj, "' is not a single string"));
  }
  return std::optional<std::string>((**strings)[0]);
}

absl::StatusOr<std::optional<std::vector<std::string>>> ReadStringListAttr(
    const File& file, const std::string& obj, const std::string& name) {
  auto whole = ReadAttrStrings(file, obj, name);
  if (!whole.ok() || whole->has_value()) return whole;
  // Keras' save_attributes_to_hdf5_group chunks: name0, name1, ...
  std::vector<std::string> joined;
  bool found = false;
  for (int chunk = 0;; ++chunk) {
    auto part = ReadAttrStrings(file, obj, absl::StrCat(name, chunk));
    if (!part.ok()) return part.status();
    if (!part->has_value()) break;
    found = true;
    for (std::string& s : **part) joined.push_back(std::move(s));
    if (static_cast<int64_t>(joined.size()) > kMaxAttrStrings) {
      return absl::InvalidArgumentError(absl::StrCat("attribute '", name, "' too large"));
    }
  }
  if (!found) return std::optional<std::vector<std::string>>();
  return std::optional<std::vector<std::string>>(std::move(joined));
}

// Datasets this large are mapped rather than read (smaller ones share pages
// with the file's metadata, and cost a mapping each).
constexpr int64_t kMapDatasetBytes = int64_t{64} << 10;

absl::StatusOr<ir::Tensor> ReadDataset(const File& file, const std::string& path) {
  const std::string what = absl::StrCat(file.what, ": dataset '", path, "'");
  if (!IsDataset(file.file.get(), path)) {
    return absl::NotFoundError(absl::StrCat(what, " not found"));
  }
  Handle ds(H5Dopen2(file.file.get(), path.c_str(), H5P_DEFAULT));
  if (!ds.valid()) return absl::InvalidArgumentError(WithCause(absl::StrCat(what, ": cannot open")));
  Handle dcpl(H5Dget_create_plist(ds.get()));
  if (!dcpl.valid()) {
    return absl::InvalidArgumentError(WithCause(absl::StrCat(what, ": cannot read its layout")));
  }
  // Data kept outside the file could be any file on this machine: refused.
  if (H5Pget_external_count(dcpl.get()) > 0 || H5Pget_layout(dcpl.get()) == H5D_VIRTUAL) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " keeps its data outside the file (external or virtual storage)"));
  }
  Handle space(H5Dget_space(ds.get()));
  const int rank = space.valid() ? H5Sget_simple_extent_ndims(space.get()) : -1;
  if (rank < 0 || rank > kMaxRank) {
    return absl::InvalidArgumentError(WithCause(absl::StrCat(what, ": bad rank")));
  }
  std::vector<hsize_t> hdims(static_cast<size_t>(rank));
  if (rank > 0 && H5Sget_simple_extent_dims(space.get(), hdims.data(), nullptr) < 0) {
    return absl::InvalidArgumentError(WithCause(absl::StrCat(what, ": bad dims")));
  }
  std::vector<int64_t> dims;
  int64_t elements = H5Sget_simple_extent_type(space.get()) == H5S_NULL ? 0 : 1;
  for (hsize_t d : hdims) {
    if (d > static_cast<hsize_t>(int64_t{1} << 40)) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": dimension too large"));
    }
    dims.push_back(static_cast<int64_t>(d));
    if (d != 0 && elements > (int64_t{1} << 42) / static_cast<int64_t>(d)) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": too many elements"));
    }
    elements *= static_cast<int64_t>(d);
  }
  Handle type(H5Dget_type(ds.get()));
  if (!type.valid()) return absl::InvalidArgumentError(WithCause(absl::StrCat(what, ": bad type")));
  const H5T_class_t cls = H5Tget_class(type.get());
  const size_t stored_size = H5Tget_size(type.get());
  ir::DataType dtype;
  hid_t mem_type;
  if (cls == H5T_FLOAT && (stored_size == 2 || stored_size == 4 || stored_size == 8)) {
    dtype = ir::DataType::kFloat;
    mem_type = H5T_NATIVE_FLOAT;
  } else if (cls == H5T_INTEGER && stored_size >= 1 && stored_size <= 8) {
    dtype = ir::DataType::kInt64;
    mem_type = H5T_NATIVE_INT64;
  } else {
    return absl::UnimplementedError(
        absl::StrCat(what, ": unsupported element type (HDF5 class ", static_cast<int>(cls),
                     ", ", stored_size, " bytes)"));
  }
  const int64_t stored_bytes = elements * static_cast<int64_t>(stored_size);
  const int nfilters = H5Pget_nfilters(dcpl.get());
  if (nfilters <= 0) {
    if (stored_bytes > file.size) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, " declares ", stored_bytes, " bytes, more than the whole file (", file.size,
          " bytes): damaged or truncated"));
    }
    // libhdf5 1.10 copies a compact dataset out of its header without
    // comparing the header's byte count with the dataspace (a 0-byte compact
    // buffer is read as 16 bytes from NULL): compared here.
    const int64_t storage = static_cast<int64_t>(H5Dget_storage_size(ds.get()));
    if (H5Pget_layout(dcpl.get()) == H5D_COMPACT && storage < stored_bytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, " keeps ", storage, " bytes in its header, its shape and type need ",
          stored_bytes, ": damaged"));
    }
  } else {
    const int64_t storage = static_cast<int64_t>(H5Dget_storage_size(ds.get()));
    if (stored_bytes > (storage + 4096) * kMaxCompressionRatio || storage > file.size) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, " declares ", stored_bytes, " bytes from ", storage,
          " compressed bytes: damaged, or a decompression bomb"));
    }
  }
  const int64_t out_bytes = elements * ir::ElementSize(dtype);
  if (out_bytes > kMaxDatasetBytes) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is too large (", out_bytes, " bytes)"));
  }
  // A contiguous, unfiltered float32 dataset of a file on disk is viewed in
  // place (mapped, as SavedModel variables are): no copy, and a filter
  // transposed from it releases the view's pages (ReleaseMappedPages).
  if (nfilters <= 0 && file.raw->mapped && elements > 0 && dtype == ir::DataType::kFloat &&
      H5Pget_layout(dcpl.get()) == H5D_CONTIGUOUS && H5Tequal(type.get(), H5T_IEEE_F32LE) > 0 &&
      out_bytes >= kMapDatasetBytes) {
    const haddr_t offset = H5Dget_offset(ds.get());
    if (offset != HADDR_UNDEF && offset <= static_cast<haddr_t>(file.size) &&
        static_cast<haddr_t>(out_bytes) <= static_cast<haddr_t>(file.size) - offset) {
      auto region = MapFileRange(file.what, static_cast<int64_t>(offset), out_bytes, what);
      if (region.ok()) {
        const absl::string_view bytes = (*region)->bytes();
        return ir::Tensor::FromShared(dtype, std::move(dims), *std::move(region), bytes);
      }
    }
    H5Eclear2(H5E_DEFAULT);  // else read as below
  }
  std::string raw(static_cast<size_t>(out_bytes), '\0');
  if (elements > 0 &&
      H5Dread(ds.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()) < 0) {
    return absl::InvalidArgumentError(WithCause(absl::StrCat(what, ": cannot read the data")));
  }
  return ir::Tensor::FromRaw(dtype, std::move(dims), std::move(raw));
}

}  // namespace onnxsmith::converter::keras::h5
