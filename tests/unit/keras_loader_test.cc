// Keras file readers: .h5 and .keras fixtures written by the test, the error
// paths (no model_config, missing zip member, truncation, non-Keras HDF5, zip
// bombs, hostile JSON, external HDF5 storage), and every Keras file of the
// shared corpus ($ONNXSMITH_CORPUS, default /work/shared/corpus; skipped when
// absent).
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "converter/keras/keras_converter.h"
#include "converter/keras/keras_file.h"
#include "converter/keras/keras_test_fixtures.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ir/model_io.h"
#include "ir/onnx_proto.h"

namespace onnxsmith::converter::keras {
namespace {

namespace fs = std::filesystem;
using ::onnxsmith::keras_test::H5Writer;
using ::onnxsmith::keras_test::MetadataJson;
using ::onnxsmith::keras_test::MlpConfigKeras3;
using ::onnxsmith::keras_test::ReadAll;
using ::onnxsmith::keras_test::TempPath;
using ::onnxsmith::keras_test::WriteAll;
using ::onnxsmith::keras_test::WriteMlpH5;
using ::onnxsmith::keras_test::WriteMlpKeras;
using ::onnxsmith::keras_test::WriteMlpV3Weights;
using ::onnxsmith::keras_test::WriteZip;
using ::testing::HasSubstr;

// Sets the uncompressed size of `member` in both its local header and its
// central directory entry (a lying archive).
void PatchDeclaredSize(std::string* zip, const std::string& member, uint32_t size) {
  auto put32 = [&](size_t at) {
    for (int i = 0; i < 4; ++i) (*zip)[at + i] = static_cast<char>((size >> (8 * i)) & 0xff);
  };
  auto get16 = [&](size_t at) {
    return static_cast<size_t>(static_cast<uint8_t>((*zip)[at])) |
           (static_cast<size_t>(static_cast<uint8_t>((*zip)[at + 1])) << 8);
  };
  for (size_t p = 0; p + 46 < zip->size(); ++p) {
    if (zip->compare(p, 4, "PK\x03\x04") == 0) {
      const size_t n = get16(p + 26);
      if (zip->compare(p + 30, n, member) == 0 && n == member.size()) put32(p + 22);
    } else if (zip->compare(p, 4, "PK\x01\x02") == 0) {
      const size_t n = get16(p + 28);
      if (zip->compare(p + 46, n, member) == 0 && n == member.size()) put32(p + 24);
    }
  }
}

// ---------------------------------------------------------------- good files

TEST(KerasSnakeCaseTest, MatchesKeras) {
  EXPECT_EQ(KerasSnakeCase("Dense"), "dense");
  EXPECT_EQ(KerasSnakeCase("Conv2D"), "conv2d");
  EXPECT_EQ(KerasSnakeCase("Conv2DTranspose"), "conv2d_transpose");
  EXPECT_EQ(KerasSnakeCase("BatchNormalization"), "batch_normalization");
  EXPECT_EQ(KerasSnakeCase("DepthwiseConv2D"), "depthwise_conv2d");
  EXPECT_EQ(KerasSnakeCase("ReLU"), "re_lu");
  EXPECT_EQ(KerasSnakeCase("PReLU"), "p_re_lu");
  EXPECT_EQ(KerasSnakeCase("GlobalAveragePooling2D"), "global_average_pooling2d");
  EXPECT_EQ(KerasSnakeCase("LSTM"), "lstm");
  EXPECT_EQ(KerasSnakeCase("MultiHeadAttention"), "multi_head_attention");
}

TEST(KerasLoaderTest, ReadsKeras2H5) {
  const std::string path = TempPath("mlp.h5");
  WriteMlpH5(path);
  auto file = ReadKeras(path);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->format, KerasModelFile::Format::kHdf5);
  EXPECT_EQ(file->keras_version, "2.4.0");
  EXPECT_EQ(file->keras_major(), 2);
  ASSERT_EQ(file->weights.count("dense"), 1u);
  ASSERT_EQ(file->weights.at("dense").size(), 2u);
  EXPECT_EQ(file->weights.at("dense")[0].name, "dense/kernel:0");
  EXPECT_EQ(file->weights.at("dense")[0].value.dims(), (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(file->weights.at("dense_1")[1].value.dims(), (std::vector<int64_t>{2}));
}

TEST(KerasLoaderTest, ReadsKeras3Archive) {
  const std::string path = TempPath("mlp.keras");
  ASSERT_TRUE(WriteMlpKeras(path));
  auto file = ReadKeras(path);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->format, KerasModelFile::Format::kKerasV3);
  EXPECT_EQ(file->keras_version, "3.8.0");
  EXPECT_EQ(file->keras_major(), 3);
  ASSERT_EQ(file->weights.count("dense_1"), 1u);
  EXPECT_EQ(file->weights.at("dense_1")[0].name, "vars/0");
  EXPECT_EQ(file->weights.at("dense_1")[0].value.dims(), (std::vector<int64_t>{4, 2}));
}

TEST(KerasLoaderTest, SniffsContentNotSuffix) {
  // An HDF5 model named .keras (as in the corpus' hls4ml file) and a zip named .h5.
  const std::string h5_named_keras = TempPath("really_h5.keras");
  WriteMlpH5(h5_named_keras);
  auto a = ReadKeras(h5_named_keras);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->format, KerasModelFile::Format::kHdf5);
  const std::string zip_named_h5 = TempPath("really_zip.h5");
  ASSERT_TRUE(WriteMlpKeras(zip_named_h5));
  auto b = ReadKeras(zip_named_h5);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->format, KerasModelFile::Format::kKerasV3);
}

TEST(KerasLoaderTest, ReadsUnzippedDirectory) {
  const std::string dir = TempPath("unzipped");
  fs::create_directories(dir);
  WriteAll(dir + "/config.json", MlpConfigKeras3());
  WriteAll(dir + "/metadata.json", MetadataJson());
  WriteMlpV3Weights(dir + "/model.weights.h5");
  auto file = ReadKeras(dir);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->weights.size(), 2u);
}

// ---------------------------------------------------------------- bad files

TEST(KerasLoaderErrorTest, H5WithoutModelConfig) {
  const std::string path = TempPath("weights_only.h5");
  WriteMlpH5(path, "", /*with_config=*/false);
  {
    H5Writer w(path + ".2");  // also: layer_names at the root, as save_weights writes
    w.StringListAttr(".", "layer_names", {"dense"});
  }
  auto file = ReadKeras(path);
  ASSERT_FALSE(file.ok());
  EXPECT_THAT(std::string(file.status().message()), HasSubstr("model_config"));
  auto weights_only = ReadKeras(path + ".2");
  ASSERT_FALSE(weights_only.ok());
  EXPECT_THAT(std::string(weights_only.status().message()), HasSubstr("weights only"));
}

TEST(KerasLoaderErrorTest, NonKerasHdf5) {
  const std::string path = TempPath("plain.h5");
  {
    H5Writer w(path);
    w.Floats("data", {4}, {1, 2, 3, 4});
  }
  auto file = ReadKeras(path);
  ASSERT_FALSE(file.ok());
  EXPECT_THAT(std::string(file.status().message()), HasSubstr("not a whole Keras model"));
}

TEST(KerasLoaderErrorTest, ZipWithMissingMember) {
  const std::string path = TempPath("missing.keras");
  ASSERT_TRUE(WriteZip(path, {{"metadata.json", MetadataJson()}, {"config.json", MlpConfigKeras3()}}));
  auto file = ReadKeras(path);
  ASSERT_FALSE(file.ok());
  EXPECT_THAT(std::string(file.status().message()), HasSubstr("model.weights.h5"));
  EXPECT_THAT(std::string(file.status().message()), HasSubstr("config.json"));  // lists members

  const std::string no_config = TempPath("no_config.keras");
  ASSERT_TRUE(WriteZip(no_config, {{"metadata.json", MetadataJson()}}));
  auto file2 = ReadKeras(no_config);
  ASSERT_FALSE(file2.ok());
  EXPECT_THAT(std::string(file2.status().message()), HasSubstr("no member 'config.json'"));
}

TEST(KerasLoaderErrorTest, TruncatedFiles) {
  const std::string h5 = TempPath("mlp.h5");
  WriteMlpH5(h5);
  const std::string data = ReadAll(h5);
  for (size_t keep : {data.size() / 2, size_t{600}, size_t{8}}) {
    const std::string cut = TempPath("truncated.h5");
    WriteAll(cut, data.substr(0, keep));
    auto file = ReadKeras(cut);
    EXPECT_FALSE(file.ok()) << "kept " << keep << " of " << data.size() << " bytes";
  }
  const std::string keras = TempPath("mlp.keras");
  ASSERT_TRUE(WriteMlpKeras(keras));
  const std::string zdata = ReadAll(keras);
  for (size_t keep : {zdata.size() - 10, zdata.size() / 2, size_t{4}}) {
    const std::string cut = TempPath("truncated.keras");
    WriteAll(cut, zdata.substr(0, keep));
    auto file = ReadKeras(cut);
    EXPECT_FALSE(file.ok()) << "kept " << keep << " of " << zdata.size() << " bytes";
  }
}

TEST(KerasLoaderErrorTest, TruncatedWeightsInsideArchive) {
  const std::string weights = TempPath("w.h5");
  WriteMlpV3Weights(weights);
  const std::string w = ReadAll(weights);
  const std::string path = TempPath("cut_weights.keras");
  ASSERT_TRUE(WriteZip(path, {{"metadata.json", MetadataJson()},
                              {"config.json", MlpConfigKeras3()},
                              {"model.weights.h5", w.substr(0, w.size() / 2)}}));
  auto file = ReadKeras(path);
  EXPECT_FALSE(file.ok());
}

TEST(KerasLoaderErrorTest, MemberDeclaringHugeSizeIsRefused) {
  const std::string path = TempPath("declares_huge.keras");
  ASSERT_TRUE(WriteMlpKeras(path));
  std::string zip = ReadAll(path);
  PatchDeclaredSize(&zip, "config.json", 0xFFFFFFF0u);
  WriteAll(path, zip);
  auto file = ReadKeras(path);
  ASSERT_FALSE(file.ok());
  EXPECT_THAT(std::string(file.status().message()), HasSubstr("refusing to extract"));
}

TEST(KerasLoaderErrorTest, ZipBombOverTheLimitIsRefused) {
  // 8 MiB of zeros deflate to a few KiB; with a 1 MiB budget it must be refused.
  const std::string path = TempPath("bomb.keras");
  ASSERT_TRUE(WriteZip(path, {{"metadata.json", MetadataJson()},
                              {"config.json", MlpConfigKeras3()},
                              {"model.weights.h5", std::string(8 << 20, '\0')}}));
  EXPECT_LT(fs::file_size(path), 64u << 10);
  KerasReadOptions options;
  options.max_total_bytes = 1 << 20;
  auto file = ReadKeras(path, options);
  ASSERT_FALSE(file.ok());
  EXPECT_THAT(std::string(file.status().message()), HasSubstr("decompression bomb"));
}

TEST(KerasLoaderErrorTest, MemberDecompressingPastItsDeclaredSize) {
  const std::string path = TempPath("lying.keras");
  std::string big_config = MlpConfigKeras3();
  big_config.insert(big_config.size() - 1, std::string(100000, ' '));
  ASSERT_TRUE(WriteZip(path, {{"metadata.json", MetadataJson()}, {"config.json", big_config}}));
  std::string zip = ReadAll(path);
  PatchDeclaredSize(&zip, "config.json", 100);
  WriteAll(path, zip);
  auto file = ReadKeras(path);
  ASSERT_FALSE(file.ok());
}

TEST(KerasLoaderErrorTest, BadJson) {
  const std::string weights = TempPath("w.h5");
  WriteMlpV3Weights(weights);
  const std::string path = TempPath("badjson.keras");
  ASSERT_TRUE(WriteZip(path, {{"metadata.json", MetadataJson()},
                              {"config.json", "{\"class_name\": \"Sequential\", "},
                              {"model.weights.h5", ReadAll(weights)}}));
  auto file = ReadKeras(path);
  ASSERT_FALSE(file.ok());
  EXPECT_THAT(std::string(file.status().message()), HasSubstr("not valid JSON"));

  const std::string deep = TempPath("deep.keras");
  ASSERT_TRUE(WriteZip(deep, {{"metadata.json", MetadataJson()},
                              {"config.json", std::string(100000, '[') + std::string(100000, ']')},
                              {"model.weights.h5", ReadAll(weights)}}));
  auto deep_file = ReadKeras(deep);
  ASSERT_FALSE(deep_file.ok());
  EXPECT_THAT(std::string(deep_file.status().message()), HasSubstr("nested deeper"));
}

TEST(KerasLoaderErrorTest, NotAKerasFileAtAll) {
  const std::string text = TempPath("notes.h5");
  WriteAll(text, "hello, I am not a model\n");
  auto a = ReadKeras(text);
  ASSERT_FALSE(a.ok());
  EXPECT_THAT(std::string(a.status().message()), HasSubstr("neither an HDF5 file"));
  const std::string empty = TempPath("empty.keras");
  WriteAll(empty, "");
  EXPECT_FALSE(ReadKeras(empty).ok());
  EXPECT_FALSE(ReadKeras(TempPath("does_not_exist.h5")).ok());
  const std::string dir = TempPath("emptydir");
  fs::create_directories(dir);
  EXPECT_FALSE(ReadKeras(dir).ok());
}

TEST(KerasLoaderErrorTest, ExternalDatasetStorageIsRefused) {
  // A dataset whose bytes live in another file could read anything on disk.
  const std::string path = TempPath("external.h5");
  {
    H5Writer w(path);
    w.StringAttr(".", "model_config", keras_test::MlpConfigKeras2());
    w.Group("model_weights/dense");
    w.StringListAttr("model_weights/dense", "weight_names", {"kernel"});
  }
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  const std::string ext = path + ".bin";
  H5Pset_external(dcpl, ext.c_str(), 0, 12 * 4);
  hsize_t dims[2] = {3, 4};
  hid_t space = H5Screate_simple(2, dims, nullptr);
  hid_t ds = H5Dcreate2(f, "model_weights/dense/kernel", H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl,
                        H5P_DEFAULT);
  std::vector<float> zeros(12, 0);
  H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, zeros.data());
  H5Dclose(ds);
  H5Sclose(space);
  H5Pclose(dcpl);
  H5Fclose(f);
  auto file = ReadKeras(path);
  ASSERT_FALSE(file.ok());
  EXPECT_THAT(std::string(file.status().message()), HasSubstr("outside the file"));
}

TEST(KerasLoaderErrorTest, DamagedGlobalHeapIsRefusedNotFollowed) {
  // Variable-length strings (model_config here) live in a global heap;
  // libhdf5 1.10 hangs or crashes on some damaged heaps and heap IDs, so the
  // reader checks both before libhdf5 reads them.
  const std::string path = TempPath("mlp.h5");
  WriteMlpH5(path);
  const std::string data = ReadAll(path);
  const size_t gcol = data.find("GCOL");
  ASSERT_NE(gcol, std::string::npos);

  std::string bad_size = data;  // first object's size field, past the collection's end
  bad_size[gcol + 16 + 8] = '\x77';
  bad_size[gcol + 16 + 9] = '\x77';
  const std::string p1 = TempPath("bad_heap.h5");
  WriteAll(p1, bad_size);
  auto a = ReadKeras(p1);
  ASSERT_FALSE(a.ok());
  EXPECT_THAT(std::string(a.status().message()), HasSubstr("damaged HDF5 file"));

  // A heap ID (collection address, object index) naming a missing object.
  std::string addr(8, '\0');
  for (int i = 0; i < 8; ++i) addr[i] = static_cast<char>((gcol >> (8 * i)) & 0xff);
  std::string bad_id = data;
  size_t patched = 0;
  for (size_t at = bad_id.find(addr); at != std::string::npos; at = bad_id.find(addr, at + 1)) {
    if (at < gcol && at + 12 <= bad_id.size() && bad_id[at + 8] != 0) {
      bad_id[at + 9] = '\x7d';  // object index += 0x7d00
      ++patched;
    }
  }
  ASSERT_GT(patched, 0u);
  const std::string p2 = TempPath("bad_heap_id.h5");
  WriteAll(p2, bad_id);
  auto b = ReadKeras(p2);
  ASSERT_FALSE(b.ok());
  EXPECT_THAT(std::string(b.status().message()), HasSubstr("damaged"));
}

// ---------------------------------------------------------------- the shared corpus

std::string CorpusDir() {
  const char* env = std::getenv("ONNXSMITH_CORPUS");
  const std::string dir = env && *env ? env : "/work/shared/corpus";
  std::error_code ec;
  return fs::is_directory(dir + "/keras_h5", ec) ? dir : "";
}

std::vector<std::string> CorpusKerasFiles(const std::string& corpus) {
  std::vector<std::string> files;
  for (const char* sub : {"keras_h5", "keras_v3"}) {
    std::error_code ec;
    for (const auto& model : fs::directory_iterator(corpus + "/" + sub, ec)) {
      for (const auto& f : fs::directory_iterator(model.path(), ec)) {
        const std::string name = f.path().filename().string();
        if (absl::StrContains(name, "inputs_and_outputs")) continue;  // reference data
        if (absl::EndsWith(name, ".h5") || absl::EndsWith(name, ".hdf5") ||
            absl::EndsWith(name, ".keras")) {
          files.push_back(f.path().string());
        }
      }
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(KerasCorpusTest, EveryFileLoadsAndConvertsOrNamesWhatIsMissing) {
  const std::string corpus = CorpusDir();
  if (corpus.empty()) GTEST_SKIP() << "model corpus not found (set ONNXSMITH_CORPUS)";
  const std::vector<std::string> files = CorpusKerasFiles(corpus);
  ASSERT_FALSE(files.empty());
  for (const std::string& path : files) {
    SCOPED_TRACE(path);
    auto file = ReadKeras(path);
    ASSERT_TRUE(file.ok()) << file.status();
    EXPECT_FALSE(file->weights.empty());
    ConvertOptions options;
    auto result = ConvertKerasModel(*file, options);
    ASSERT_TRUE(result.ok()) << result.status();  // recurrent layers included
    onnx::ModelProto proto = ir::ToModelProto(result->model);
    auto report = ir::ValidateModel(&proto);
    EXPECT_TRUE(report.ok()) << report.status();
  }
}

TEST(KerasCorpusTest, KnownLayouts) {
  const std::string corpus = CorpusDir();
  if (corpus.empty()) GTEST_SKIP() << "model corpus not found (set ONNXSMITH_CORPUS)";
  // Keras 2.0.6 Sequential (config is a bare list, no InputLayer).
  auto lstm = ReadKeras(corpus + "/keras_h5/dl4j_simple_lstm/simple_lstm_tf_keras_2_model.h5");
  ASSERT_TRUE(lstm.ok()) << lstm.status();
  ASSERT_EQ(lstm->weights.count("lstm_1"), 1u);
  EXPECT_EQ(lstm->weights.at("lstm_1").size(), 3u);
  // HDF5 inside a .keras name; variable-length weight names; a GRU cell's weights.
  auto gru = ReadKeras(corpus + "/keras_h5/hls4ml_conv1d_gru/keras_model.keras");
  ASSERT_TRUE(gru.ok()) << gru.status();
  EXPECT_EQ(gru->format, KerasModelFile::Format::kHdf5);
  ASSERT_EQ(gru->weights.count("gru"), 1u);
  EXPECT_EQ(gru->weights.at("gru")[0].name, "gru/gru_cell/kernel:0");
  // Keras 3 archive: the LSTM's variables live under layers/lstm/cell/vars.
  auto masking = ReadKeras(corpus + "/keras_v3/keras_masking_lstm/model.keras");
  ASSERT_TRUE(masking.ok()) << masking.status();
  EXPECT_EQ(masking->keras_version, "3.8.0");
  ASSERT_EQ(masking->weights.count("lstm"), 1u);
  ASSERT_EQ(masking->weights.at("lstm").size(), 3u);
  EXPECT_EQ(masking->weights.at("lstm")[0].name, "cell/vars/0");
  EXPECT_EQ(masking->weights.at("lstm")[0].value.dims(), (std::vector<int64_t>{2, 4}));
}

}  // namespace
}  // namespace onnxsmith::converter::keras
