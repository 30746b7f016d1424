// Whole-file reads and writes and scratch directories, shared by the tests
// that build or corrupt model files on disk.
#ifndef ONNXSMITH_TESTS_UNIT_FILE_TEST_UTIL_H_
#define ONNXSMITH_TESTS_UNIT_FILE_TEST_UTIL_H_

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "gtest/gtest.h"

namespace onnxsmith::test_files {

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void WriteAll(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// A fresh, empty directory `rel` under the test's temp dir.
inline std::string ScratchDir(const std::string& rel) {
  std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) / rel;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

}  // namespace onnxsmith::test_files

#endif  // ONNXSMITH_TESTS_UNIT_FILE_TEST_UTIL_H_
