#include "fuzz/fuzz_util.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "ir/model_io.h"
#include "ir/onnx_proto.h"
#include "optimizer/registry.h"

namespace onnxsmith::fuzz {
namespace fs = std::filesystem;

namespace {
struct Scratch {
  std::string path;
  Scratch() {
    const char* tmp = std::getenv("TEST_TMPDIR");
    if (tmp == nullptr) tmp = std::getenv("TMPDIR");
    std::string templ = std::string(tmp ? tmp : "/tmp") + "/onnxsmith-fuzz-XXXXXX";
    if (mkdtemp(templ.data()) == nullptr) {
      std::perror("mkdtemp");
      std::abort();
    }
    path = templ;
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};
}  // namespace

const std::string& ScratchDir() {
  static Scratch* scratch = new Scratch();
  static bool registered = [] {
    std::atexit([] { delete scratch; });
    return true;
  }();
  (void)registered;
  return scratch->path;
}

std::string WriteScratch(const std::string& name, absl::string_view data) {
  fs::path path = fs::path(ScratchDir()) / name;
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!out) {
    std::fprintf(stderr, "fuzz harness: cannot write %s\n", path.c_str());
    std::abort();
  }
  return path.string();
}

void ClearScratch() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(ScratchDir(), ec)) fs::remove_all(entry.path(), ec);
}

std::vector<absl::string_view> SplitParts(const uint8_t* data, size_t size, int parts) {
  std::vector<absl::string_view> out;
  const char* p = reinterpret_cast<const char*>(data);
  size_t left = size;
  for (int i = 0; i < parts; ++i) {
    if (left < 4) {
      out.emplace_back();
      left = 0;
      continue;
    }
    uint32_t n = uint32_t(uint8_t(p[0])) | uint32_t(uint8_t(p[1])) << 8 |
                 uint32_t(uint8_t(p[2])) << 16 | uint32_t(uint8_t(p[3])) << 24;
    p += 4;
    left -= 4;
    if (n > left) n = static_cast<uint32_t>(left);
    out.emplace_back(p, n);
    p += n;
    left -= n;
  }
  return out;
}

std::string JoinParts(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& part : parts) {
    uint32_t n = static_cast<uint32_t>(part.size());
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
    out += part;
  }
  return out;
}

void ExportModel(const ir::Model& model) {
  onnx::ModelProto proto = ir::ToModelProto(model);
  (void)ir::ValidateModel(&proto);
  std::string bytes;
  (void)proto.SerializeToString(&bytes);
}

void OptimizeAndExport(ir::Model& model) {
  if (!optimizer::Optimize(model).ok()) return;
  ExportModel(model);
}

}  // namespace onnxsmith::fuzz
