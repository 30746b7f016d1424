#include "optimizer/testing.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "ir/model_io.h"
#include "ir/onnx_proto.h"
#include "optimizer/registry.h"

namespace onnxsmith::optimizer::testing {

namespace {

using Dims = std::vector<int64_t>;

int64_t Numel(const Dims& d) {
  int64_t n = 1;
  for (int64_t x : d) n *= x;
  return n;
}

Dims Strides(const Dims& d) {
  Dims s(d.size(), 1);
  for (int i = static_cast<int>(d.size()) - 2; i >= 0; --i) s[i] = s[i + 1] * d[i + 1];
  return s;
}

absl::Status Err(const std::string& msg) { return absl::InvalidArgumentError(msg); }

std::vector<int64_t> IntsAttr(const ir::Node& n, const std::string& name) {
  const ir::Attribute* a = n.FindAttr(name);
  return a ? a->ints : std::vector<int64_t>{};
}

float FloatAttr(const ir::Node& n, const std::string& name, float def) {
  const ir::Attribute* a = n.FindAttr(name);
  return a ? a->f : def;
}

Array FromTensor(const ir::Tensor& t) {
  Array a;
  a.dims = t.dims();
  auto d = t.ToDoubles();
  if (d.ok()) a.v = *d;
  return a;
}

// Multidirectional broadcasting.
absl::StatusOr<Array> Broadcast(const std::vector<const Array*>& in,
                                const std::function<double(const std::vector<double>&)>& f) {
  size_t rank = 0;
  for (const Array* a : in) rank = std::max(rank, a->dims.size());
  Dims out(rank, 1);
  for (const Array* a : in) {
    for (size_t i = 0; i < a->dims.size(); ++i) {
      int64_t& o = out[rank - a->dims.size() + i];
      int64_t d = a->dims[i];
      if (d == o || d == 1) continue;
      if (o != 1) return Err("broadcast mismatch");
      o = d;
    }
  }
  std::vector<Dims> bstrides;
  for (const Array* a : in) {
    Dims s = Strides(a->dims);
    Dims b(rank, 0);
    for (size_t i = 0; i < a->dims.size(); ++i) {
      size_t j = rank - a->dims.size() + i;
      b[j] = a->dims[i] == 1 ? 0 : s[i];
    }
    bstrides.push_back(b);
  }
  Array r;
  r.dims = out;
  r.v.resize(Numel(out));
  Dims idx(rank, 0);
  std::vector<double> args(in.size());
  for (int64_t k = 0; k < Numel(out); ++k) {
    for (size_t j = 0; j < in.size(); ++j) {
      int64_t off = 0;
      for (size_t i = 0; i < rank; ++i) off += idx[i] * bstrides[j][i];
      args[j] = in[j]->v[off];
    }
    r.v[k] = f(args);
    for (int i = static_cast<int>(rank) - 1; i >= 0; --i) {
      if (++idx[i] < out[i]) break;
      idx[i] = 0;
    }
  }
  return r;
}

Array TransposeArr(const Array& a, const Dims& perm) {
  Array r;
  r.dims.resize(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) r.dims[i] = a.dims[perm[i]];
  r.v.resize(a.v.size());
  Dims s = Strides(a.dims);
  Dims idx(perm.size(), 0);
  for (int64_t k = 0; k < Numel(r.dims); ++k) {
    int64_t off = 0;
    for (size_t i = 0; i < perm.size(); ++i) off += idx[i] * s[perm[i]];
    r.v[k] = a.v[off];
    for (int i = static_cast<int>(perm.size()) - 1; i >= 0; --i) {
      if (++idx[i] < r.dims[i]) break;
      idx[i] = 0;
    }
  }
  return r;
}

std::vector<int64_t> AxesOrInput(const ir::Node& n, const std::vector<const Array*>& in,
                                 size_t slot, bool* present) {
  *present = false;
  if (const ir::Attribute* a = n.FindAttr("axes")) {
    *present = true;
    return a->ints;
  }
  if (in.size() > slot && in[slot]) {
    *present = true;
    std::vector<int64_t> v;
    for (double d : in[slot]->v) v.push_back(static_cast<int64_t>(d));
    return v;
  }
  return {};
}

absl::StatusOr<Array> Reduce(const ir::Node& n, const std::vector<const Array*>& in) {
  const Array& x = *in[0];
  const int64_t rank = static_cast<int64_t>(x.dims.size());
  bool present = false;
  std::vector<int64_t> axes = AxesOrInput(n, in, 1, &present);
  if (axes.empty()) {
    if (n.GetInt("noop_with_empty_axes", 0)) return x;
    for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
  }
  std::vector<bool> red(rank, false);
  for (int64_t a : axes) red[a < 0 ? a + rank : a] = true;
  Dims kept(rank);
  for (int64_t i = 0; i < rank; ++i) kept[i] = red[i] ? 1 : x.dims[i];
  Dims ks = Strides(kept);
  const std::string& op = n.op_type;
  double init = op == "ReduceMax" ? -std::numeric_limits<double>::infinity() : 0.0;
  std::vector<double> acc(Numel(kept), init);
  Dims idx(rank, 0);
  for (int64_t k = 0; k < Numel(x.dims); ++k) {
    int64_t o = 0;
    for (int64_t i = 0; i < rank; ++i) o += (red[i] ? 0 : idx[i]) * ks[i];
    if (op == "ReduceMax") {
      acc[o] = std::max(acc[o], x.v[k]);
    } else {
      acc[o] += x.v[k];
    }
    for (int64_t i = rank - 1; i >= 0; --i) {
      if (++idx[i] < x.dims[i]) break;
      idx[i] = 0;
    }
  }
  if (op == "ReduceMean") {
    const double cnt = static_cast<double>(Numel(x.dims)) / std::max<int64_t>(Numel(kept), 1);
    for (double& a : acc) a /= cnt;
  }
  Array r;
  r.v = acc;
  if (n.GetInt("keepdims", 1)) {
    r.dims = kept;
  } else {
    for (int64_t i = 0; i < rank; ++i) {
      if (!red[i]) r.dims.push_back(x.dims[i]);
    }
  }
  return r;
}

absl::StatusOr<Array> Conv(const ir::Node& n, const std::vector<const Array*>& in) {
  const Array& x = *in[0];
  const Array& w = *in[1];
  if (x.dims.size() != 4) return Err("test Conv is 2-D only");
  const int64_t N = x.dims[0], C = x.dims[1], H = x.dims[2], W = x.dims[3];
  const int64_t M = w.dims[0], CG = w.dims[1], KH = w.dims[2], KW = w.dims[3];
  const int64_t group = n.GetInt("group", 1);
  Dims pads = IntsAttr(n, "pads");
  if (pads.empty()) pads = {0, 0, 0, 0};
  Dims strides = IntsAttr(n, "strides");
  if (strides.empty()) strides = {1, 1};
  Dims dil = IntsAttr(n, "dilations");
  if (dil.empty()) dil = {1, 1};
  const int64_t OH = (H + pads[0] + pads[2] - dil[0] * (KH - 1) - 1) / strides[0] + 1;
  const int64_t OW = (W + pads[1] + pads[3] - dil[1] * (KW - 1) - 1) / strides[1] + 1;
  if (C != CG * group) return Err("channels mismatch");
  Array r;
  r.dims = {N, M, OH, OW};
  r.v.assign(Numel(r.dims), 0.0);
  const int64_t mg = M / group;
  for (int64_t b = 0; b < N; ++b)
    for (int64_t m = 0; m < M; ++m) {
      const int64_t g = m / mg;
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          double s = in.size() > 2 && in[2] ? in[2]->v[m] : 0.0;
          for (int64_t c = 0; c < CG; ++c)
            for (int64_t kh = 0; kh < KH; ++kh)
              for (int64_t kw = 0; kw < KW; ++kw) {
                const int64_t ih = oh * strides[0] - pads[0] + kh * dil[0];
                const int64_t iw = ow * strides[1] - pads[1] + kw * dil[1];
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                s += x.v[((b * C + g * CG + c) * H + ih) * W + iw] *
                     w.v[((m * CG + c) * KH + kh) * KW + kw];
              }
          r.v[((b * M + m) * OH + oh) * OW + ow] = s;
        }
    }
  return r;
}

absl::StatusOr<Array> Gemm(const Array& a0, const Array& b0, const Array* c, bool ta, bool tb,
                           double alpha, double beta) {
  Array a = ta ? TransposeArr(a0, {1, 0}) : a0;
  Array b = tb ? TransposeArr(b0, {1, 0}) : b0;
  if (a.dims.size() != 2 || b.dims.size() != 2 || a.dims[1] != b.dims[0]) {
    return Err("test MatMul is 2-D only");
  }
  const int64_t M = a.dims[0], K = a.dims[1], N = b.dims[1];
  Array r;
  r.dims = {M, N};
  r.v.assign(M * N, 0.0);
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double s = 0;
      for (int64_t k = 0; k < K; ++k) s += a.v[i * K + k] * b.v[k * N + j];
      r.v[i * N + j] = alpha * s;
    }
  if (c) {
    auto sum =
        Broadcast({&r, c}, [beta](const std::vector<double>& v) { return v[0] + beta * v[1]; });
    if (!sum.ok()) return sum.status();
    if (sum->dims != r.dims) return Err("Gemm C does not broadcast unidirectionally");
    return sum;
  }
  return r;
}

// LayerNormalization over the trailing axes from `axis`; Scale and B
// broadcast to the normalized shape (numpy rules).
absl::StatusOr<std::vector<Array>> LayerNorm(const ir::Node& n,
                                             const std::vector<const Array*>& in) {
  const Array& x = *in[0];
  const int64_t rank = static_cast<int64_t>(x.dims.size());
  int64_t axis = n.GetInt("axis", -1);
  if (axis < 0) axis += rank;
  const double eps = FloatAttr(n, "epsilon", 1e-5f);
  const int64_t inner = Numel(Dims(x.dims.begin() + axis, x.dims.end()));
  Array norm = x;
  for (int64_t o = 0; o * inner < x.size(); ++o) {
    double mean = 0, var = 0;
    for (int64_t i = 0; i < inner; ++i) mean += x.v[o * inner + i];
    mean /= inner;
    for (int64_t i = 0; i < inner; ++i) var += std::pow(x.v[o * inner + i] - mean, 2);
    var /= inner;
    for (int64_t i = 0; i < inner; ++i) {
      norm.v[o * inner + i] = (x.v[o * inner + i] - mean) / std::sqrt(var + eps);
    }
  }
  std::vector<const Array*> args = {&norm, in[1]};
  auto scaled = Broadcast(args, [](const std::vector<double>& v) { return v[0] * v[1]; });
  if (!scaled.ok()) return scaled.status();
  if (in.size() < 3 || !in[2]) return std::vector<Array>{*std::move(scaled)};
  args = {&*scaled, in[2]};
  auto out = Broadcast(args, [](const std::vector<double>& v) { return v[0] + v[1]; });
  if (!out.ok()) return out.status();
  return std::vector<Array>{*std::move(out)};
}

absl::StatusOr<std::vector<Array>> Eval(const ir::Node& n, const std::vector<const Array*>& in) {
  const std::string& op = n.op_type;
  auto one = [](absl::StatusOr<Array> a) -> absl::StatusOr<std::vector<Array>> {
    if (!a.ok()) return a.status();
    return std::vector<Array>{*std::move(a)};
  };
  auto unary = [&](std::function<double(double)> f) {
    Array r = *in[0];
    for (double& v : r.v) v = f(v);
    return std::vector<Array>{r};
  };
  if (op == "Identity" || op == "Cast") return std::vector<Array>{*in[0]};
  if (op == "Dropout") {
    Array mask = *in[0];
    std::fill(mask.v.begin(), mask.v.end(), 1.0);
    return std::vector<Array>{*in[0], mask};
  }
  if (op == "Relu") return unary([](double v) { return v > 0 ? v : 0; });
  if (op == "Neg") return unary([](double v) { return -v; });
  if (op == "Abs") return unary([](double v) { return std::fabs(v); });
  if (op == "Exp") return unary([](double v) { return std::exp(v); });
  if (op == "Sqrt") return unary([](double v) { return std::sqrt(v); });
  if (op == "Reciprocal") return unary([](double v) { return 1.0 / v; });
  if (op == "Tanh") return unary([](double v) { return std::tanh(v); });
  if (op == "Sigmoid") return unary([](double v) { return 1.0 / (1.0 + std::exp(-v)); });
  if (op == "Erf") return unary([](double v) { return std::erf(v); });
  if (op == "Gelu") {
    const ir::Attribute* a = n.FindAttr("approximate");
    if (a && a->s == "tanh") {
      return unary([](double v) {
        return 0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)));
      });
    }
    return unary([](double v) { return 0.5 * v * (1 + std::erf(v * M_SQRT1_2)); });
  }
  if (op == "LayerNormalization") return LayerNorm(n, in);
  if (op == "LeakyRelu") {
    const double alpha = FloatAttr(n, "alpha", 0.01f);
    return unary([alpha](double v) { return v >= 0 ? v : alpha * v; });
  }
  if (op == "Clip") {
    double lo = -std::numeric_limits<double>::infinity(), hi = -lo;
    if (in.size() > 1 && in[1]) lo = in[1]->v[0];
    if (in.size() > 2 && in[2]) hi = in[2]->v[0];
    return unary([lo, hi](double v) { return std::min(hi, std::max(lo, v)); });
  }
  static const absl::flat_hash_map<std::string, std::function<double(const std::vector<double>&)>>
      kBinary = {
          {"Add", [](const std::vector<double>& v) { return v[0] + v[1]; }},
          {"Sub", [](const std::vector<double>& v) { return v[0] - v[1]; }},
          {"Mul", [](const std::vector<double>& v) { return v[0] * v[1]; }},
          {"Div", [](const std::vector<double>& v) { return v[0] / v[1]; }},
          {"Pow", [](const std::vector<double>& v) { return std::pow(v[0], v[1]); }},
          {"Max", [](const std::vector<double>& v) { return std::max(v[0], v[1]); }},
          {"Min", [](const std::vector<double>& v) { return std::min(v[0], v[1]); }},
          {"PRelu", [](const std::vector<double>& v) { return v[0] >= 0 ? v[0] : v[0] * v[1]; }},
      };
  if (auto it = kBinary.find(op); it != kBinary.end()) {
    if (in.size() != 2) return Err(absl::StrCat(op, " needs 2 inputs here"));
    return one(Broadcast(in, it->second));
  }
  if (op == "Where") {
    return one(Broadcast(in, [](const std::vector<double>& v) { return v[0] != 0 ? v[1] : v[2]; }));
  }
  if (op == "Transpose") {
    Dims perm = IntsAttr(n, "perm");
    if (perm.empty()) {
      for (int64_t i = static_cast<int64_t>(in[0]->dims.size()) - 1; i >= 0; --i) perm.push_back(i);
    }
    return std::vector<Array>{TransposeArr(*in[0], perm)};
  }
  if (op == "Reshape") {
    Array r = *in[0];
    Dims shape;
    for (double d : in[1]->v) shape.push_back(static_cast<int64_t>(d));
    int64_t known = 1, infer = -1;
    for (size_t i = 0; i < shape.size(); ++i) {
      if (shape[i] == 0 && !n.GetInt("allowzero", 0)) shape[i] = in[0]->dims[i];
      if (shape[i] == -1) {
        infer = static_cast<int64_t>(i);
      } else {
        known *= shape[i];
      }
    }
    if (infer >= 0) shape[infer] = Numel(in[0]->dims) / known;
    if (Numel(shape) != Numel(in[0]->dims)) return Err("bad reshape");
    r.dims = shape;
    return std::vector<Array>{r};
  }
  if (op == "Flatten") {
    int64_t axis = n.GetInt("axis", 1);
    const int64_t rank = static_cast<int64_t>(in[0]->dims.size());
    if (axis < 0) axis += rank;
    Array r = *in[0];
    int64_t a = 1;
    for (int64_t i = 0; i < axis; ++i) a *= in[0]->dims[i];
    r.dims = {a, Numel(in[0]->dims) / a};
    return std::vector<Array>{r};
  }
  if (op == "Squeeze" || op == "Unsqueeze") {
    bool present = false;
    Dims axes = AxesOrInput(n, in, 1, &present);
    Array r = *in[0];
    if (op == "Squeeze") {
      const int64_t rank = static_cast<int64_t>(r.dims.size());
      std::vector<bool> drop(rank, false);
      for (int64_t a : axes) drop[a < 0 ? a + rank : a] = true;
      Dims d;
      for (int64_t i = 0; i < rank; ++i) {
        if (drop[i]) {
          if (r.dims[i] != 1) return Err("squeeze of a dim > 1");
        } else {
          d.push_back(r.dims[i]);
        }
      }
      r.dims = d;
    } else {
      const int64_t rank = static_cast<int64_t>(r.dims.size() + axes.size());
      std::vector<bool> ins(rank, false);
      for (int64_t a : axes) ins[a < 0 ? a + rank : a] = true;
      Dims d;
      size_t k = 0;
      for (int64_t i = 0; i < rank; ++i) d.push_back(ins[i] ? 1 : r.dims[k++]);
      r.dims = d;
    }
    return std::vector<Array>{r};
  }
  if (op == "Concat") {
    const int64_t rank = static_cast<int64_t>(in[0]->dims.size());
    int64_t axis = n.GetInt("axis", 0);
    if (axis < 0) axis += rank;
    Array r;
    r.dims = in[0]->dims;
    r.dims[axis] = 0;
    for (const Array* a : in) r.dims[axis] += a->dims[axis];
    int64_t outer = 1;
    for (int64_t i = 0; i < axis; ++i) outer *= r.dims[i];
    for (int64_t o = 0; o < outer; ++o) {
      for (const Array* a : in) {
        const int64_t chunk = Numel(a->dims) / outer;
        r.v.insert(r.v.end(), a->v.begin() + o * chunk, a->v.begin() + (o + 1) * chunk);
      }
    }
    return std::vector<Array>{r};
  }
  if (op == "ReduceSum" || op == "ReduceMean" || op == "ReduceMax") return one(Reduce(n, in));
  if (op == "Pad") {
    const Array& x = *in[0];
    const int64_t rank = static_cast<int64_t>(x.dims.size());
    Dims pads = IntsAttr(n, "pads");
    if (pads.empty()) {
      for (double d : in[1]->v) pads.push_back(static_cast<int64_t>(d));
    }
    const double value = in.size() > 2 && in[2] ? in[2]->v[0] : 0.0;
    Array r;
    r.dims = x.dims;
    for (int64_t i = 0; i < rank; ++i) r.dims[i] += pads[i] + pads[rank + i];
    r.v.assign(Numel(r.dims), value);
    Dims rs = Strides(r.dims);
    Dims idx(rank, 0);
    for (int64_t k = 0; k < Numel(x.dims); ++k) {
      int64_t off = 0;
      for (int64_t i = 0; i < rank; ++i) off += (idx[i] + pads[i]) * rs[i];
      r.v[off] = x.v[k];
      for (int64_t i = rank - 1; i >= 0; --i) {
        if (++idx[i] < x.dims[i]) break;
        idx[i] = 0;
      }
    }
    return std::vector<Array>{r};
  }
  if (op == "Conv") return one(Conv(n, in));
  if (op == "MatMul") return one(Gemm(*in[0], *in[1], nullptr, false, false, 1, 0));
  if (op == "Gemm") {
    return one(Gemm(*in[0], *in[1], in.size() > 2 ? in[2] : nullptr, n.GetInt("transA", 0),
                    n.GetInt("transB", 0), FloatAttr(n, "alpha", 1), FloatAttr(n, "beta", 1)));
  }
  return absl::UnimplementedError(absl::StrCat("test interpreter: no ", op));
}

}  // namespace

int64_t Array::size() const { return Numel(dims); }

Array Random(const std::vector<int64_t>& dims, uint32_t seed) {
  Array a;
  a.dims = dims;
  a.v.resize(Numel(dims));
  uint32_t s = seed * 2654435761u + 12345u;
  for (double& v : a.v) {
    s = s * 1664525u + 1013904223u;
    v = (static_cast<double>(s >> 8) / static_cast<double>(1u << 24)) * 4.0 - 2.0;
  }
  return a;
}

ir::Tensor FloatTensor(const Array& a) {
  std::vector<float> f(a.v.begin(), a.v.end());
  return ir::Tensor::FromVector<float>(a.dims, f);
}

ir::Tensor RandomFloatTensor(const std::vector<int64_t>& dims, uint32_t seed) {
  return FloatTensor(Random(dims, seed));
}

namespace {
ir::ValueType MakeType(const std::vector<int64_t>& dims, ir::DataType dtype) {
  ir::ValueType t;
  t.dtype = dtype;
  std::vector<ir::Dim> d;
  for (int64_t x : dims) d.push_back({x, ""});
  t.shape = std::move(d);
  return t;
}
}  // namespace

GraphBuilder& GraphBuilder::Input(const std::string& name, std::vector<int64_t> dims,
                                  ir::DataType dtype) {
  g_.inputs.push_back({name, MakeType(dims, dtype)});
  return *this;
}

GraphBuilder& GraphBuilder::Output(const std::string& name) {
  ir::ValueInfo v;
  v.name = name;
  v.type.dtype = ir::DataType::kFloat;
  g_.outputs.push_back(v);
  return *this;
}

GraphBuilder& GraphBuilder::Init(const std::string& name, ir::Tensor t) {
  g_.initializers[name] = std::move(t);
  return *this;
}

GraphBuilder& GraphBuilder::Type(const std::string& name, std::vector<int64_t> dims,
                                 ir::DataType dtype) {
  g_.value_types[name] = MakeType(dims, dtype);
  return *this;
}

ir::Node* GraphBuilder::Add(const std::string& op, std::vector<std::string> inputs,
                            std::vector<std::string> outputs, std::vector<ir::Attribute> attrs) {
  ir::Node n;
  n.name = absl::StrCat(op, "_", g_.nodes.size());
  n.op_type = op;
  n.inputs = std::move(inputs);
  n.outputs = std::move(outputs);
  n.attributes = std::move(attrs);
  return g_.AddNode(std::move(n));
}

absl::StatusOr<std::map<std::string, Array>> Run(const ir::Graph& graph,
                                                 const std::map<std::string, Array>& feeds) {
  absl::flat_hash_map<std::string, Array> env;
  for (const auto& [name, t] : graph.initializers) env[name] = FromTensor(t);
  for (const auto& [name, a] : feeds) env[name] = a;
  for (const auto& n : graph.nodes) {
    std::vector<const Array*> in;
    for (const auto& v : n->inputs) {
      if (v.empty()) {
        in.push_back(nullptr);
        continue;
      }
      auto it = env.find(v);
      if (it == env.end()) return Err(absl::StrCat("value '", v, "' not computed before use"));
      in.push_back(&it->second);
    }
    auto out = Eval(*n, in);
    if (!out.ok()) return out.status();
    for (size_t i = 0; i < n->outputs.size() && i < out->size(); ++i) {
      if (!n->outputs[i].empty()) env[n->outputs[i]] = (*out)[i];
    }
  }
  std::map<std::string, Array> result;
  for (const auto& o : graph.outputs) {
    auto it = env.find(o.name);
    if (it == env.end()) return Err(absl::StrCat("output '", o.name, "' not computed"));
    result[o.name] = it->second;
  }
  return result;
}

double MaxAbsDiff(const std::map<std::string, Array>& a, const std::map<std::string, Array>& b) {
  double m = 0;
  if (a.size() != b.size()) return std::numeric_limits<double>::infinity();
  for (const auto& [name, x] : a) {
    auto it = b.find(name);
    if (it == b.end() || it->second.dims != x.dims) return std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < x.v.size(); ++i) m = std::max(m, std::fabs(x.v[i] - it->second.v[i]));
  }
  return m;
}

int CountOp(const ir::Graph& g, const std::string& op_type) {
  int n = 0;
  for (const auto& node : g.nodes) n += node->op_type == op_type;
  return n;
}

ir::Graph Clone(const ir::Graph& g) {
  ir::Graph c;
  c.name = g.name;
  c.inputs = g.inputs;
  c.outputs = g.outputs;
  c.value_types = g.value_types;
  c.initializers = g.initializers;
  for (const auto& n : g.nodes) {
    ir::Node copy = *n;
    for (auto& a : copy.attributes) {
      if (a.kind == ir::Attribute::Kind::kGraph && a.g) {
        a.g = std::make_shared<ir::Graph>(Clone(*a.g));
      }
    }
    c.AddNode(std::move(copy));
  }
  return c;
}

std::map<std::string, Array> RandomFeeds(const ir::Graph& g, uint32_t seed) {
  std::map<std::string, Array> feeds;
  for (const auto& in : g.inputs) {
    std::vector<int64_t> dims;
    if (in.type.shape) {
      for (const auto& d : *in.type.shape) dims.push_back(d.known() ? d.size : 2);
    }
    feeds[in.name] = Random(dims, seed++);
  }
  return feeds;
}

absl::StatusOr<double> NumericDiff(const ir::Graph& a, const ir::Graph& b, uint32_t seed) {
  auto feeds = RandomFeeds(a, seed);
  auto ra = Run(a, feeds);
  if (!ra.ok()) return ra.status();
  auto rb = Run(b, feeds);
  if (!rb.ok()) return rb.status();
  return MaxAbsDiff(*ra, *rb);
}

absl::StatusOr<PipelineReport> RunPasses(ir::Graph& g, const std::vector<std::string>& passes,
                                         int64_t opset) {
  OptimizeOptions options;
  options.passes = passes;
  auto pipeline = BuildPipeline(options);
  if (!pipeline.ok()) return pipeline.status();
  return pipeline->Run(g, opset);
}

absl::Status CheckWithOnnx(const ir::Graph& g, int64_t opset) {
  ir::Model model;
  model.opset_imports[""] = opset;
  model.ir_version = ir::IrVersionForOpset(opset);
  model.graph = Clone(g);
  onnx::ModelProto proto = ir::ToModelProto(model);
  auto report = ir::ValidateModel(&proto);
  if (!report.ok()) return report.status();
  return absl::OkStatus();
}

}  // namespace onnxsmith::optimizer::testing
