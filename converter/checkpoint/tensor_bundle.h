// Reader for TensorFlow's V2 checkpoint format ("tensor bundle"), the
// variables/ directory of a SavedModel:
//
//   PREFIX.index                   a table (see table_reader.h): key "" holds a
//                                  BundleHeaderProto, every other key a
//                                  BundleEntryProto (dtype, shape, shard, offset,
//                                  size, masked CRC-32C of the bytes)
//   PREFIX.data-00000-of-0000N     raw little-endian tensor bytes; a string
//                                  tensor is its varint64 lengths, a masked
//                                  CRC-32C of the lengths, then the bytes
//
// Nothing from the files is trusted: sizes are checked against dtype x shape
// and against the shard's real size before anything is allocated, and every
// tensor's checksum is verified.  Errors name the variable and the file.
#ifndef ONNXSMITH_CONVERTER_CHECKPOINT_TENSOR_BUNDLE_H_
#define ONNXSMITH_CONVERTER_CHECKPOINT_TENSOR_BUNDLE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "converter/tf/proto/tensor_bundle.pb.h"
#include "ir/tensor.h"

namespace onnxsmith::checkpoint {

class TensorBundleReader {
 public:
  // `prefix` is the path without suffix, e.g. "model/variables/variables".
  // Reads and checks the whole index; data shards are opened on Read().
  static absl::StatusOr<TensorBundleReader> Open(const std::string& prefix);

  // Variable names in key order.  Leaves out the header and the per-slice
  // entries of partitioned variables (whose keys are binary encodings).
  std::vector<std::string> Keys() const;
  bool Contains(const std::string& key) const;
  // The stored metadata (dtype, shape, location) of `key`.
  absl::StatusOr<const tf::BundleEntryProto*> Entry(const std::string& key) const;

  // Reads, checks and converts one variable.
  absl::StatusOr<ir::Tensor> Read(const std::string& key) const;

  const std::string& prefix() const { return prefix_; }
  const std::string& index_path() const { return index_path_; }
  const tf::BundleHeaderProto& header() const { return header_; }
  // PREFIX.data-SSSSS-of-NNNNN
  std::string ShardPath(int shard_id) const;

 private:
  std::string prefix_;
  std::string index_path_;
  tf::BundleHeaderProto header_;
  std::map<std::string, tf::BundleEntryProto> entries_;
};

}  // namespace onnxsmith::checkpoint

#endif  // ONNXSMITH_CONVERTER_CHECKPOINT_TENSOR_BUNDLE_H_
