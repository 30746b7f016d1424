#include "converter/keras/keras_file.h"

#include <sys/stat.h>
#include <zip.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/file_util.h"
#include "common/status_macros.h"
#include "converter/keras/hdf5_util.h"
#include "converter/keras/keras_model.h"

namespace onnxsmith::converter::keras {

namespace {

constexpr char kConfigMember[] = "config.json";
constexpr char kMetadataMember[] = "metadata.json";
constexpr char kWeightsMember[] = "model.weights.h5";

using WeightMap = std::map<std::string, std::vector<KerasWeight>>;

std::string ReadHead(const std::string& path, size_t n) {
  std::string head;
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return head;
  head.resize(n);
  head.resize(std::fread(head.data(), 1, n, f));
  std::fclose(f);
  return head;
}

// --- .h5 (Keras 2, tf.keras, and Keras 3's legacy save) ---

struct PendingWeight {
  std::vector<std::string> rel;  // name components still to route
  KerasWeight weight;
};

// Routes the weights a nested model's group holds to its layers, by the
// layer name that leads each weight name ("inner/in_d/kernel" in Keras 3,
// "in_d/kernel:0" in Keras 2).
absl::Status SplitNested(const Json& model_entry, const std::string& model_name,
                         std::vector<PendingWeight> pending, const std::string& prefix,
                         WeightMap* out, int depth) {
  if (depth > 32) return absl::InvalidArgumentError("models nested too deeply");
  auto layers = ConfigLayers(model_entry);
  if (!layers.ok()) return layers.status();
  absl::flat_hash_map<std::string, const ConfigLayer*> by_name;
  for (const ConfigLayer& l : *layers) by_name[l.name] = &l;
  std::map<std::string, std::vector<PendingWeight>> nested;
  for (PendingWeight& p : pending) {
    if (p.rel.size() > 2 && p.rel[0] == model_name && !by_name.count(p.rel[0])) {
      p.rel.erase(p.rel.begin());
    }
    auto it = p.rel.empty() ? by_name.end() : by_name.find(p.rel[0]);
    if (it == by_name.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "weight '", p.weight.name, "' of nested model '", prefix.substr(0, prefix.size() - 1),
          "' names no layer of that model"));
    }
    const ConfigLayer& layer = *it->second;
    if (IsModelClass(layer.class_name)) {
      p.rel.erase(p.rel.begin());
      nested[layer.name].push_back(std::move(p));
    } else {
      (*out)[prefix + layer.name].push_back(std::move(p.weight));
    }
  }
  for (auto& [name, list] : nested) {
    auto s = SplitNested(*by_name[name]->entry, name, std::move(list), prefix + name + "/", out,
                         depth + 1);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<KerasModelFile> ReadHdf5(const std::string& path, const KerasReadOptions& options) {
  auto file = h5::OpenFile(path);
  if (!file.ok()) return file.status();
  const hid_t root = file->file.get();
  KerasModelFile out;
  out.format = KerasModelFile::Format::kHdf5;
  out.path = path;

  auto config_text = h5::ReadStringAttr(*file, ".", "model_config");
  if (!config_text.ok()) return config_text.status();
  if (!config_text->has_value()) {
    auto layer_names = h5::ReadStringListAttr(*file, ".", "layer_names");
    const bool weights_only = layer_names.ok() && layer_names->has_value();
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": this HDF5 file has no 'model_config' attribute, so it is not a whole Keras model",
        weights_only ? " (it holds weights only, as model.save_weights writes them)" : "",
        "; save the full model with model.save(\"model.h5\") or model.save(\"model.keras\")"));
  }
  ASSIGN_OR_RETURN(out.config, ParseJson(**config_text, path + ": model_config",
                                         options.max_json_depth));
  if (auto v = h5::ReadStringAttr(*file, ".", "keras_version"); v.ok() && v->has_value()) {
    out.keras_version = **v;
  }
  if (auto v = h5::ReadStringAttr(*file, ".", "backend"); v.ok() && v->has_value()) {
    out.backend = **v;
  }
  auto layers = ConfigLayers(out.config);
  if (!layers.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", layers.status().message()));
  if (!h5::IsGroup(root, "model_weights")) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": the file has a model_config but no 'model_weights' group"));
  }
  for (const ConfigLayer& layer : *layers) {
    const std::string group = "model_weights/" + layer.name;
    if (!h5::IsGroup(root, group)) continue;  // weightless layers may have no group
    auto names = h5::ReadStringListAttr(*file, group, "weight_names");
    if (!names.ok()) return names.status();
    if (!names->has_value()) continue;
    std::vector<PendingWeight> pending;
    for (const std::string& wname : **names) {
      auto value = h5::ReadDataset(*file, group + "/" + wname);
      if (!value.ok()) {
        return absl::Status(value.status().code(),
                            absl::StrCat("weight '", wname, "' of layer '", layer.name,
                                         "': ", value.status().message()));
      }
      out.weight_bytes += static_cast<int64_t>(value->raw().size());
      PendingWeight p;
      p.rel = absl::StrSplit(wname, '/', absl::SkipEmpty());
      p.weight = KerasWeight{wname, *std::move(value)};
      pending.push_back(std::move(p));
    }
    if (IsModelClass(layer.class_name)) {
      auto s = SplitNested(*layer.entry, layer.name, std::move(pending), layer.name + "/",
                           &out.weights, 0);
      if (!s.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", s.message()));
    } else {
      auto& list = out.weights[layer.name];
      for (PendingWeight& p : pending) list.push_back(std::move(p.weight));
    }
  }
  return out;
}

// --- .keras (Keras 3) ---

// One zip member read into memory, bounded by `limit` (declared and actual).
absl::StatusOr<std::string> ReadMember(zip_t* za, const std::string& path, const char* member,
                                       int64_t limit, int64_t* budget) {
  const zip_int64_t index = zip_name_locate(za, member, 0);
  if (index < 0) return absl::NotFoundError(member);
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat_index(za, static_cast<zip_uint64_t>(index), 0, &st) != 0 ||
      !(st.valid & ZIP_STAT_SIZE)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": cannot read the zip entry of ", member, ": ", zip_strerror(za)));
  }
  const int64_t cap = std::min(limit, *budget);
  if (st.size > static_cast<zip_uint64_t>(cap)) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": zip member ", member, " declares ", st.size, " bytes uncompressed, over the ",
        cap, "-byte limit (a damaged archive or a decompression bomb); refusing to extract it"));
  }
  zip_file_t* zf = zip_fopen_index(za, static_cast<zip_uint64_t>(index), 0);
  if (zf == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": cannot open zip member ", member, ": ", zip_strerror(za)));
  }
  std::string data;
  data.resize(static_cast<size_t>(st.size));
  zip_uint64_t got = 0;
  absl::Status status;
  while (true) {
    // Read one byte past the declared size to catch a member that lies.
    char* dst = got < st.size ? data.data() + got : nullptr;
    char spill[1];
    const zip_uint64_t want = got < st.size ? std::min<zip_uint64_t>(st.size - got, 1 << 20) : 1;
    const zip_int64_t n = zip_fread(zf, dst != nullptr ? dst : spill, want);
    if (n < 0) {
      status = absl::InvalidArgumentError(absl::StrCat(
          path, ": zip member ", member, " is damaged: ", zip_file_strerror(zf)));
      break;
    }
    if (n == 0) break;
    if (dst == nullptr) {
      status = absl::InvalidArgumentError(absl::StrCat(
          path, ": zip member ", member, " decompresses to more than its declared ", st.size,
          " bytes (a damaged archive or a decompression bomb)"));
      break;
    }
    got += static_cast<zip_uint64_t>(n);
  }
  const int close_err = zip_fclose(zf);
  if (!status.ok()) return status;
  if (close_err != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": zip member ", member, " is damaged (checksum or format error)"));
  }
  if (got != st.size) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": zip member ", member, " holds ", got,
                                                   " bytes, not the declared ", st.size));
  }
  *budget -= static_cast<int64_t>(got);
  return data;
}

std::vector<std::string> MemberNames(zip_t* za) {
  std::vector<std::string> names;
  const zip_int64_t n = zip_get_num_entries(za, 0);
  for (zip_int64_t i = 0; i < n && i < 50; ++i) {
    const char* name = zip_get_name(za, static_cast<zip_uint64_t>(i), 0);
    if (name != nullptr) names.push_back(name);
  }
  return names;
}

struct V3Sources {
  std::string config;
  std::string metadata;  // may be empty
  std::string weights;   // the HDF5 image (empty if `weights_path` is used)
  std::string weights_path;
  std::map<std::string, std::string> assets;  // below assets/
};

constexpr char kAssetsDir[] = "assets/";
constexpr int kMaxAssets = 4096;

absl::StatusOr<V3Sources> ReadZip(const std::string& path, const KerasReadOptions& options) {
  int err = 0;
  std::unique_ptr<zip_t, void (*)(zip_t*)> za(zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &err),
                                             [](zip_t* z) { if (z) zip_discard(z); });
  if (!za) {
    zip_error_t ze;
    zip_error_init_with_code(&ze, err);
    std::string msg = zip_error_strerror(&ze);
    zip_error_fini(&ze);
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a readable zip archive (damaged or truncated?): ", msg));
  }
  int64_t budget = options.max_total_bytes;
  V3Sources src;
  auto missing = [&](const char* member) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": this Keras 3 archive has no member '", member, "' (members: ",
        absl::StrJoin(MemberNames(za.get()), ", "),
        "); a .keras file holds config.json, metadata.json and model.weights.h5"));
  };
  auto config = ReadMember(za.get(), path, kConfigMember, options.max_json_bytes, &budget);
  if (absl::IsNotFound(config.status())) return missing(kConfigMember);
  if (!config.ok()) return config.status();
  src.config = *std::move(config);
  auto metadata = ReadMember(za.get(), path, kMetadataMember, options.max_json_bytes, &budget);
  if (absl::IsNotFound(metadata.status())) return missing(kMetadataMember);
  if (!metadata.ok()) return metadata.status();
  src.metadata = *std::move(metadata);
  auto weights = ReadMember(za.get(), path, kWeightsMember, options.max_total_bytes, &budget);
  if (absl::IsNotFound(weights.status())) {
    if (zip_name_locate(za.get(), "model.weights.json", 0) >= 0) {
      return absl::UnimplementedError(absl::StrCat(
          path, ": the archive holds sharded weights (model.weights.json), which are not "
                "supported; save the model unsharded"));
    }
    return missing(kWeightsMember);
  }
  if (!weights.ok()) return weights.status();
  src.weights = *std::move(weights);
  const zip_int64_t n = zip_get_num_entries(za.get(), 0);
  for (zip_int64_t i = 0; i < n; ++i) {
    const char* name = zip_get_name(za.get(), static_cast<zip_uint64_t>(i), 0);
    if (name == nullptr) continue;
    const absl::string_view member(name);
    if (!absl::StartsWith(member, kAssetsDir) || absl::EndsWith(member, "/")) continue;
    if (src.assets.size() >= kMaxAssets) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": more than ", kMaxAssets, " assets"));
    }
    auto text = ReadMember(za.get(), path, name, options.max_json_bytes, &budget);
    if (!text.ok()) return text.status();
    src.assets[std::string(member.substr(strlen(kAssetsDir)))] = *std::move(text);
  }
  return src;
}

absl::StatusOr<V3Sources> ReadV3Directory(const std::string& dir) {
  V3Sources src;
  for (const char* member : {kConfigMember, kMetadataMember}) {
    const std::string p = dir + "/" + member;
    if (!PathExists(p)) {
      return absl::InvalidArgumentError(absl::StrCat(dir, ": the directory has no ", member));
    }
    auto text = ReadFile(p);
    if (!text.ok()) return text.status();
    (member == std::string(kConfigMember) ? src.config : src.metadata) = *std::move(text);
  }
  src.weights_path = dir + "/" + kWeightsMember;
  if (!PathExists(src.weights_path)) {
    return absl::InvalidArgumentError(absl::StrCat(dir, ": the directory has no ", kWeightsMember));
  }
  const std::filesystem::path assets = std::filesystem::path(dir) / "assets";
  std::error_code ec;
  if (!std::filesystem::is_directory(assets, ec)) return src;
  for (auto it = std::filesystem::recursive_directory_iterator(assets, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    if (src.assets.size() >= kMaxAssets) {
      return absl::InvalidArgumentError(absl::StrCat(dir, ": more than ", kMaxAssets, " assets"));
    }
    auto text = ReadFile(it->path().string());
    if (!text.ok()) return text.status();
    src.assets[std::filesystem::relative(it->path(), assets, ec).generic_string()] =
        *std::move(text);
  }
  return src;
}

// Every dataset below `group`, paths relative to `base`: own vars (by index)
// first, then sub-objects in name order.
absl::Status CollectDatasets(const h5::File& file, const std::string& base,
                             const std::string& rel, std::vector<KerasWeight>* out,
                             int64_t* bytes, int depth) {
  if (depth > 16) return absl::InvalidArgumentError(absl::StrCat("'", base, "' nested too deeply"));
  const std::string group = rel.empty() ? base : base + "/" + rel;
  auto children = h5::ListChildren(file.file.get(), group);
  if (!children.ok()) return children.status();
  std::vector<std::pair<int64_t, std::string>> numbered;
  std::vector<std::string> others;
  for (const std::string& c : *children) {
    int64_t k;
    if (absl::SimpleAtoi(c, &k)) {
      numbered.emplace_back(k, c);
    } else {
      others.push_back(c);
    }
  }
  std::sort(numbered.begin(), numbered.end());
  std::vector<std::string> order;
  for (auto& [k, c] : numbered) order.push_back(c);
  // "vars" before other sub-objects.
  std::stable_sort(others.begin(), others.end(),
                   [](const std::string& a, const std::string& b) {
                     return (a == "vars") > (b == "vars");
                   });
  for (auto& c : others) order.push_back(c);
  for (const std::string& c : order) {
    const std::string child_rel = rel.empty() ? c : rel + "/" + c;
    const std::string child = base + "/" + child_rel;
    if (h5::IsDataset(file.file.get(), child)) {
      auto value = h5::ReadDataset(file, child);
      if (!value.ok()) return value.status();
      *bytes += static_cast<int64_t>(value->raw().size());
      out->push_back({child_rel, *std::move(value)});
    } else if (h5::IsGroup(file.file.get(), child)) {
      auto s = CollectDatasets(file, base, child_rel, out, bytes, depth + 1);
      if (!s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

// Maps the layers of a (nested) model to their groups below `container`
// ("layers", "layers/functional/layers", ...). Keras 3 names each group after
// the layer's class in snake case, numbered in layer order; recent versions
// also record the layer name in the vars group's "name" attribute, which is
// used to check (and, if they disagree, to decide).
absl::Status ResolveV3(const h5::File& file, const Json& model, const std::string& container,
                       const std::string& prefix, KerasModelFile* out, int64_t* bytes,
                       int depth) {
  if (depth > 32) return absl::InvalidArgumentError("models nested too deeply");
  auto layers = ConfigLayers(model);
  if (!layers.ok()) return layers.status();
  const Json* cls = Find(model, "class_name");
  const bool sequential = cls && cls->is_string() && cls->get<std::string>() == "Sequential";
  const hid_t root = file.file.get();
  absl::flat_hash_map<std::string, std::string> by_attr;  // layer name -> group
  if (h5::IsGroup(root, container)) {
    auto children = h5::ListChildren(root, container);
    if (!children.ok()) return children.status();
    for (const std::string& c : *children) {
      auto name = h5::ReadStringAttr(file, container + "/" + c + "/vars", "name");
      if (name.ok() && name->has_value()) by_attr.emplace(**name, container + "/" + c);
    }
  }
  absl::flat_hash_map<std::string, int> used;
  for (const ConfigLayer& layer : *layers) {
    if (sequential && layer.class_name == "InputLayer") continue;
    std::string snake = KerasSnakeCase(layer.class_name);
    auto [it, fresh] = used.emplace(snake, 0);
    if (!fresh) snake = absl::StrCat(snake, "_", ++it->second);
    std::string group = container + "/" + snake;
    auto attr = h5::ReadStringAttr(file, group + "/vars", "name");
    const bool attr_matches = attr.ok() && attr->has_value() && **attr == layer.name;
    const bool attr_differs = attr.ok() && attr->has_value() && **attr != layer.name;
    if (!attr_matches) {
      auto found = by_attr.find(layer.name);
      if (found != by_attr.end()) {
        group = found->second;
      } else if (attr_differs || !h5::IsGroup(root, group)) {
        out->layer_dirs[prefix + layer.name] = group;  // assets are named as Keras saves them
        continue;  // no variables saved for this layer
      }
    }
    out->layer_dirs[prefix + layer.name] = group;
    if (IsModelClass(layer.class_name)) {
      std::vector<KerasWeight> own;
      if (h5::IsGroup(root, group + "/vars")) {
        auto s = CollectDatasets(file, group, "vars", &own, bytes, 0);
        if (!s.ok()) return s;
      }
      if (!own.empty()) out->weights[prefix + layer.name] = std::move(own);
      auto s = ResolveV3(file, *layer.entry, group + "/layers", prefix + layer.name + "/", out,
                         bytes, depth + 1);
      if (!s.ok()) return s;
      continue;
    }
    std::vector<KerasWeight> weights;
    auto s = CollectDatasets(file, group, "", &weights, bytes, 0);
    if (!s.ok()) return s;
    if (!weights.empty()) out->weights[prefix + layer.name] = std::move(weights);
  }
  return absl::OkStatus();
}

absl::StatusOr<KerasModelFile> ReadV3(const std::string& path, V3Sources src,
                                      const KerasReadOptions& options) {
  KerasModelFile out;
  out.format = KerasModelFile::Format::kKerasV3;
  out.path = path;
  ASSIGN_OR_RETURN(out.config, ParseJson(src.config, path + ": config.json", options.max_json_depth));
  if (!src.metadata.empty()) {
    auto metadata = ParseJson(src.metadata, path + ": metadata.json", options.max_json_depth);
    if (!metadata.ok()) return metadata.status();
    if (const Json* v = Find(*metadata, "keras_version"); v && v->is_string()) {
      out.keras_version = v->get<std::string>();
    }
  }
  if (out.keras_version.empty()) out.keras_version = "3";
  auto file = src.weights_path.empty()
                  ? h5::OpenImage(src.weights, path + ": model.weights.h5")
                  : h5::OpenFile(src.weights_path);
  if (!file.ok()) return file.status();
  out.assets = std::move(src.assets);
  auto s = ResolveV3(*file, out.config, "layers", "", &out, &out.weight_bytes, 0);
  if (!s.ok()) {
    return absl::Status(s.code(), absl::StrCat(path, ": model.weights.h5: ", s.message()));
  }
  return out;
}

}  // namespace

int KerasModelFile::keras_major() const {
  int major = 0;
  for (char c : keras_version) {
    if (!std::isdigit(static_cast<unsigned char>(c))) break;
    major = major * 10 + (c - '0');
    if (major > 1000) break;
  }
  return major == 0 ? 2 : major;
}

std::string KerasSnakeCase(const std::string& class_name) {
  std::string s;
  for (char c : class_name) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') s += c;
  }
  auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  auto lower = [](char c) { return c >= 'a' && c <= 'z'; };
  // re.sub("(.)([A-Z][a-z]+)", r"\1_\2", s)
  std::string a;
  for (size_t i = 0; i < s.size();) {
    if (i + 2 < s.size() && upper(s[i + 1]) && lower(s[i + 2])) {
      size_t j = i + 2;
      while (j < s.size() && lower(s[j])) ++j;
      a += s[i];
      a += '_';
      a.append(s, i + 1, j - i - 1);
      i = j;
    } else {
      a += s[i++];
    }
  }
  // re.sub("([a-z])([A-Z])", r"\1_\2", a).lower()
  std::string b;
  for (size_t i = 0; i < a.size();) {
    if (i + 1 < a.size() && lower(a[i]) && upper(a[i + 1])) {
      b += a[i];
      b += '_';
      b += a[i + 1];
      i += 2;
    } else {
      b += a[i++];
    }
  }
  for (char& c : b) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return b;
}

absl::StatusOr<KerasModelFile> ReadKeras(const std::string& path, const KerasReadOptions& options) {
  h5::SilenceErrors();
  if (IsDirectory(path)) {
    if (PathExists(path + "/config.json")) {
      auto src = ReadV3Directory(path);
      if (!src.ok()) return src.status();
      return ReadV3(path, *std::move(src), options);
    }
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": a directory, but not an unzipped Keras 3 model (no config.json); for a "
              "SavedModel directory use --saved-model"));
  }
  if (!PathExists(path)) return absl::NotFoundError(absl::StrCat(path, ": no such file"));
  const std::string head = ReadHead(path, 8);
  switch (SniffFormat(path, head)) {
    case FileFormat::kHdf5: return ReadHdf5(path, options);
    case FileFormat::kZip: {
      auto src = ReadZip(path, options);
      if (!src.ok()) return src.status();
      return ReadV3(path, *std::move(src), options);
    }
    default: break;
  }
  if (head.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": empty file"));
  return absl::InvalidArgumentError(absl::StrCat(
      path, ": neither an HDF5 file (Keras .h5) nor a zip archive (Keras 3 .keras); the format "
            "is recognized by content, not by the file name"));
}

}  // namespace onnxsmith::converter::keras
