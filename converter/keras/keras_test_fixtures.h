// Fixture builders for the Keras unit tests (testonly): small Keras 2-style .h5 files and
// Keras 3-style .keras archives written with the HDF5 C API and libzip, so the
// tests need neither Python nor committed binaries.
#ifndef ONNXSMITH_CONVERTER_KERAS_KERAS_TEST_FIXTURES_H_
#define ONNXSMITH_CONVERTER_KERAS_KERAS_TEST_FIXTURES_H_

#include <hdf5.h>
#include <unistd.h>
#include <zip.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace onnxsmith::keras_test {

inline std::string TempDir() {
  const char* t = std::getenv("TEST_TMPDIR");
  std::string dir = t ? t : "/tmp";
  return dir;
}

inline std::string TempPath(const std::string& name) {
  static int counter = 0;
  return TempDir() + "/" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" + name;
}

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void WriteAll(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

// A writable HDF5 file, closed on destruction.
class H5Writer {
 public:
  explicit H5Writer(const std::string& path) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    file_ = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    lcpl_ = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl_, 1);
  }
  ~H5Writer() {
    H5Pclose(lcpl_);
    H5Fclose(file_);
  }
  bool ok() const { return file_ >= 0; }

  void Group(const std::string& path) {
    hid_t g = H5Gcreate2(file_, path.c_str(), lcpl_, H5P_DEFAULT, H5P_DEFAULT);
    H5Gclose(g);
  }
  // A scalar variable-length string attribute on object `obj` ("." = root).
  void StringAttr(const std::string& obj, const std::string& name, const std::string& value) {
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t attr = H5Acreate_by_name(file_, obj.c_str(), name.c_str(), type, space, H5P_DEFAULT,
                                   H5P_DEFAULT, H5P_DEFAULT);
    const char* p = value.c_str();
    H5Awrite(attr, type, &p);
    H5Aclose(attr);
    H5Sclose(space);
    H5Tclose(type);
  }
  // A list of fixed-length strings (how Keras 2 writes weight_names); an
  // empty list is an empty float64 array, as h5py writes [].
  void StringListAttr(const std::string& obj, const std::string& name,
                      const std::vector<std::string>& values) {
    hsize_t n = values.size();
    hid_t space = H5Screate_simple(1, &n, nullptr);
    if (values.empty()) {
      hid_t attr = H5Acreate_by_name(file_, obj.c_str(), name.c_str(), H5T_IEEE_F64LE, space,
                                     H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      H5Aclose(attr);
      H5Sclose(space);
      return;
    }
    size_t width = 1;
    for (const auto& v : values) width = std::max(width, v.size());
    std::string buf(width * values.size(), '\0');
    for (size_t i = 0; i < values.size(); ++i) buf.replace(i * width, values[i].size(), values[i]);
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, width);
    H5Tset_strpad(type, H5T_STR_NULLPAD);
    hid_t attr = H5Acreate_by_name(file_, obj.c_str(), name.c_str(), type, space, H5P_DEFAULT,
                                   H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(attr, type, buf.data());
    H5Aclose(attr);
    H5Tclose(type);
    H5Sclose(space);
  }
  void Floats(const std::string& path, const std::vector<hsize_t>& dims,
              const std::vector<float>& values) {
    hid_t space = dims.empty() ? H5Screate(H5S_SCALAR)
                               : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
    hid_t ds = H5Dcreate2(file_, path.c_str(), H5T_IEEE_F32LE, space, lcpl_, H5P_DEFAULT,
                          H5P_DEFAULT);
    H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
    H5Dclose(ds);
    H5Sclose(space);
  }

 private:
  hid_t file_ = -1;
  hid_t lcpl_ = -1;
};

inline std::vector<float> Ramp(size_t n, float scale) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = scale * (static_cast<float>(i % 7) - 3.0f);
  return v;
}

// Keras 2 model_config of Sequential: Dense(4, relu, input 3) -> Dense(2, softmax).
inline std::string MlpConfigKeras2() {
  return R"({"class_name": "Sequential", "config": {"name": "sequential", "layers": [
    {"class_name": "Dense", "config": {"name": "dense", "batch_input_shape": [null, 3],
      "dtype": "float32", "units": 4, "activation": "relu", "use_bias": true}},
    {"class_name": "Dense", "config": {"name": "dense_1", "units": 2, "activation": "softmax",
      "use_bias": true}}]}})";
}

// A Keras 2 .h5 of MlpConfigKeras2 (or `config` with the same weights).
inline void WriteMlpH5(const std::string& path, const std::string& config = MlpConfigKeras2(),
                       bool with_config = true) {
  H5Writer w(path);
  if (with_config) {
    w.StringAttr(".", "model_config", config);
    w.StringAttr(".", "keras_version", "2.4.0");
    w.StringAttr(".", "backend", "tensorflow");
  }
  w.Group("model_weights");
  w.StringListAttr("model_weights", "layer_names", {"dense", "dense_1"});
  w.Group("model_weights/dense");
  w.StringListAttr("model_weights/dense", "weight_names", {"dense/kernel:0", "dense/bias:0"});
  w.Floats("model_weights/dense/dense/kernel:0", {3, 4}, Ramp(12, 0.1f));
  w.Floats("model_weights/dense/dense/bias:0", {4}, Ramp(4, 0.01f));
  w.Group("model_weights/dense_1");
  w.StringListAttr("model_weights/dense_1", "weight_names", {"dense_1/kernel:0", "dense_1/bias:0"});
  w.Floats("model_weights/dense_1/dense_1/kernel:0", {4, 2}, Ramp(8, 0.2f));
  w.Floats("model_weights/dense_1/dense_1/bias:0", {2}, Ramp(2, 0.01f));
}

// Keras 3 config.json of the same MLP.
inline std::string MlpConfigKeras3() {
  return R"({"module": "keras", "class_name": "Sequential", "config": {"name": "sequential",
    "layers": [
      {"module": "keras.layers", "class_name": "InputLayer",
       "config": {"batch_shape": [null, 3], "dtype": "float32", "name": "input_layer"}},
      {"module": "keras.layers", "class_name": "Dense",
       "config": {"name": "dense", "units": 4, "activation": "relu", "use_bias": true}},
      {"module": "keras.layers", "class_name": "Dense",
       "config": {"name": "dense_1", "units": 2, "activation": "softmax", "use_bias": true}}]}})";
}

// Keras 3 model.weights.h5 for MlpConfigKeras3.
inline void WriteMlpV3Weights(const std::string& path) {
  H5Writer w(path);
  w.Group("layers/dense/vars");
  w.StringAttr("layers/dense/vars", "name", "dense");
  w.Floats("layers/dense/vars/0", {3, 4}, Ramp(12, 0.1f));
  w.Floats("layers/dense/vars/1", {4}, Ramp(4, 0.01f));
  w.Group("layers/dense_1/vars");
  w.StringAttr("layers/dense_1/vars", "name", "dense_1");
  w.Floats("layers/dense_1/vars/0", {4, 2}, Ramp(8, 0.2f));
  w.Floats("layers/dense_1/vars/1", {2}, Ramp(2, 0.01f));
  w.Group("vars");
}

// Writes a zip of (name, data) members; `compress` deflates them.
inline bool WriteZip(const std::string& path,
                     const std::vector<std::pair<std::string, std::string>>& members,
                     bool compress = true) {
  int err = 0;
  zip_t* za = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
  if (za == nullptr) return false;
  for (const auto& [name, data] : members) {
    // The buffer must live until zip_close: copy it to malloc'd memory owned by the source.
    void* copy = std::malloc(data.size() + 1);
    std::memcpy(copy, data.data(), data.size());
    zip_source_t* src = zip_source_buffer(za, copy, data.size(), /*freep=*/1);
    const zip_int64_t idx = zip_file_add(za, name.c_str(), src, ZIP_FL_OVERWRITE);
    if (idx < 0) {
      zip_source_free(src);
      zip_discard(za);
      return false;
    }
    zip_set_file_compression(za, static_cast<zip_uint64_t>(idx),
                             compress ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0);
  }
  return zip_close(za) == 0;
}

inline std::string MetadataJson(const std::string& version = "3.8.0") {
  return R"({"keras_version": ")" + version + R"(", "date_saved": "2025-01-01@00:00:00"})";
}

// A complete .keras archive of the MLP.
inline bool WriteMlpKeras(const std::string& path) {
  const std::string weights = path + ".weights.h5";
  WriteMlpV3Weights(weights);
  const bool ok = WriteZip(path, {{"metadata.json", MetadataJson()},
                                  {"config.json", MlpConfigKeras3()},
                                  {"model.weights.h5", ReadAll(weights)}});
  std::filesystem::remove(weights);
  return ok;
}

}  // namespace onnxsmith::keras_test

#endif  // ONNXSMITH_CONVERTER_KERAS_KERAS_TEST_FIXTURES_H_
