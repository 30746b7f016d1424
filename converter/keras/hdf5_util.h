// A thin, non-throwing layer over the HDF5 C API for the Keras readers: owned
// handles, string attributes in every form h5py and Keras write them, and
// datasets read into ir::Tensors with their sizes checked first.
#ifndef ONNXSMITH_CONVERTER_KERAS_HDF5_UTIL_H_
#define ONNXSMITH_CONVERTER_KERAS_HDF5_UTIL_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <hdf5.h>

#include "absl/status/statusor.h"
#include "converter/keras/hdf5_validate.h"  // RawBytes
#include "ir/tensor.h"

namespace onnxsmith::converter::keras::h5 {

// An owned hid_t, closed with the function that matches its kind.
class Handle {
 public:
  Handle() = default;
  explicit Handle(hid_t id) : id_(id) {}
  ~Handle() { Reset(); }
  Handle(Handle&& other) noexcept : id_(other.id_) { other.id_ = -1; }
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      Reset();
      id_ = other.id_;
      other.id_ = -1;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  void Reset();

 private:
  hid_t id_ = -1;
};

// Turns HDF5's automatic error printing off (once per process).
void SilenceErrors();

// An open, read-only HDF5 file (on disk, or an image in memory that must
// outlive it).
struct File {
  // Declared first so that it outlives `file` (an image file reads from it).
  std::shared_ptr<RawBytes> raw;
  Handle file;
  int64_t size = 0;  // bytes of the file or image, bounds dataset sizes
  std::string what;  // for messages
};

absl::StatusOr<File> OpenFile(const std::string& path);
absl::StatusOr<File> OpenImage(const std::string& image, const std::string& what);

bool Exists(hid_t loc, const std::string& path);  // a link at `path` (each component checked)
bool IsGroup(hid_t loc, const std::string& path);
bool IsDataset(hid_t loc, const std::string& path);
// Names of the links directly below a group, in name order.
absl::StatusOr<std::vector<std::string>> ListChildren(hid_t loc, const std::string& group);

// A string attribute (scalar or 1-element) of object `obj` ("." = root),
// fixed or variable length.
absl::StatusOr<std::optional<std::string>> ReadStringAttr(const File& file, const std::string& obj,
                                                          const std::string& name);
// A list-of-strings attribute. Keras splits lists too big for one object
// header into name0, name1, ...: those are joined. An empty numeric array
// (how h5py stores []) is an empty list. nullopt if the attribute is absent.
absl::StatusOr<std::optional<std::vector<std::string>>> ReadStringListAttr(
    const File& file, const std::string& obj, const std::string& name);

// Reads a numeric dataset: floats of any width as float32, integers as int64,
// bools (h5py enums) as bool. Sizes are checked against the file size (and a
// compression ratio bound for filtered datasets) before anything is allocated.
absl::StatusOr<ir::Tensor> ReadDataset(const File& file, const std::string& path);

}  // namespace onnxsmith::converter::keras::h5

#endif  // ONNXSMITH_CONVERTER_KERAS_HDF5_UTIL_H_
