// Matrix ops: the diagonal family (Diag, DiagPart, MatrixDiag*,
// MatrixDiagPart*, MatrixSetDiag*), determinants, MatrixInverse, MatrixSolve,
// Cholesky and MatrixTriangularSolve.
//
// The diagonal ops move elements by an index table computed here from the
// static matrix dims: the batch's trailing dims are flattened, the sources
// (input, diagonals, padding) concatenated on that axis, and one Gather
// picks every output element. It handles every dtype, k ranges and
// alignments alike.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "converter/handlers/array_util.h"
#include "converter/handlers/node_context.h"
#include "converter/handlers/registry.h"
#include "ir/graph.h"
#include "ir/tensor.h"

namespace onnxsmith::converter {
namespace {

using ir::Attribute;
using ir::DataType;

// The static trailing `count` dims of input `i`, or an error naming them.
absl::StatusOr<std::vector<int64_t>> StaticInnerDims(const NodeContext& ctx, int i, int count,
                                                     const char* what) {
  const std::optional<std::vector<int64_t>> dims = ctx.input_dims(i);
  if (!dims) return ctx.Unsupported(absl::StrCat(what, " of unknown rank"));
  if (static_cast<int>(dims->size()) < count) {
    return ctx.Error(absl::StrCat(what, " must have rank at least ", count, ", got ", dims->size()));
  }
  std::vector<int64_t> inner(dims->end() - count, dims->end());
  for (int64_t d : inner) {
    if (d < 0) {
      return ctx.Unsupported(
          absl::StrCat(what, " with dynamic matrix dims (the index table needs them static)"));
    }
  }
  return inner;
}

int64_t Product(const std::vector<int64_t>& dims) {
  int64_t p = 1;
  for (int64_t d : dims) p *= d;
  return p;
}

// The leading dims of `x` (all but its last `inner`), as a 1-D int64 value.
std::string BatchShape(NodeContext& ctx, const std::string& x, int rank, int inner) {
  return ctx.AddNode("Slice", {ctx.AddNode("Shape", {x}), ctx.ConstInt64s({0}, "begin"),
                               ctx.ConstInt64s({rank - inner}, "end")});
}

std::string Cat(NodeContext& ctx, std::vector<std::string> parts, int64_t axis) {
  if (parts.size() == 1) return parts[0];
  return ctx.AddNode("Concat", std::move(parts), {Attribute::Int("axis", axis)});
}

// x [batch..., inner...] as [batch..., size] (`size` = the inner dims' product).
std::string FlattenInner(NodeContext& ctx, const std::string& x, const std::string& batch,
                         int64_t size) {
  return ctx.AddNode("Reshape", {x, Cat(ctx, {batch, ctx.ConstInt64s({size}, "size")}, 0)});
}

// A scalar `value` broadcast to [batch..., 1].
std::string PadColumn(NodeContext& ctx, const std::string& value, const std::string& batch) {
  return ctx.AddNode("Expand", {ctx.Reshape(value, {1}),
                                Cat(ctx, {batch, ctx.ConstInt64s({1}, "one")}, 0)});
}

// Gathers `table` from the last axis of [batch..., k] `flat`, then shapes the
// result [batch..., out_dims...].
std::string GatherTable(NodeContext& ctx, const std::string& flat, const std::string& batch,
                        const std::vector<int64_t>& table, const std::vector<int64_t>& out_dims) {
  const std::string picked = ctx.AddNode(
      "Gather", {flat, ctx.ConstInt64s(table, "table")}, {Attribute::Int("axis", -1)});
  return ctx.AddNode("Reshape", {picked, Cat(ctx, {batch, ctx.ConstInt64s(out_dims, "dims")}, 0)});
}

// A zero of `dtype` as a value (the padding of Diag and MatrixDiag V1).
absl::StatusOr<std::string> Zero(NodeContext& ctx, DataType dtype) {
  auto zero = ZeroOrOneTensor(dtype, false);
  if (!zero.ok()) return ctx.Unsupported(absl::StrCat("element type ", ir::DataTypeName(dtype)));
  return ctx.AddConst(*std::move(zero), "zero");
}

// --- the band of diagonals k0..k1 of a rows x cols matrix, TF's layout ---
struct Band {
  int64_t rows = 0, cols = 0, k0 = 0, k1 = 0, max_len = 0;
  bool right_super = false, right_sub = false;  // from align: superdiagonals / subdiagonals

  int64_t num_diags() const { return k1 - k0 + 1; }
  int64_t DiagLen(int64_t d) const {
    return std::min(cols - std::max<int64_t>(d, 0), rows + std::min<int64_t>(d, 0));
  }
  // Where element 0 of diagonal d sits in its padded row of max_len.
  int64_t Offset(int64_t d) const {
    const bool right = (d >= 0 && right_super) || (d <= 0 && right_sub);
    return right ? max_len - DiagLen(d) : 0;
  }
  // The flat position in the [num_diags, max_len] diagonals of matrix
  // element (m, n), or -1 outside the band.
  int64_t DiagPosition(int64_t m, int64_t n) const {
    const int64_t d = n - m;
    if (d < k0 || d > k1) return -1;
    return (k1 - d) * max_len + n - std::max<int64_t>(d, 0) + Offset(d);
  }
  // Diagonal dims as TF shapes them: [max_len] for one diagonal.
  std::vector<int64_t> DiagDims() const {
    if (num_diags() == 1) return {max_len};
    return {num_diags(), max_len};
  }
};

absl::StatusOr<Band> ReadBand(const NodeContext& ctx, int k_input, const std::string& align) {
  Band band;
  if (k_input >= 0) {
    auto k = ctx.const_ints(k_input);
    if (!k.ok()) return k.status();
    if (k->empty() || k->size() > 2) return ctx.Error("k must hold one or two values");
    band.k0 = (*k)[0];
    band.k1 = k->back();
    if (band.k0 > band.k1) return ctx.Error("k[0] must not be above k[1]");
  }
  if (align == "RIGHT_LEFT" || align == "RIGHT_RIGHT") band.right_super = true;
  if (align == "LEFT_RIGHT" || align == "RIGHT_RIGHT") band.right_sub = true;
  if (align != "LEFT_LEFT" && align != "LEFT_RIGHT" && align != "RIGHT_LEFT" &&
      align != "RIGHT_RIGHT") {
    return ctx.Error(absl::StrCat("align '", align, "'"));
  }
  return band;
}

// V3 has 'align' (default RIGHT_LEFT); V2 packs LEFT_LEFT; V1 has one diagonal.
std::string AlignOf(const NodeContext& ctx) {
  return ctx.attr_string("align", ctx.op_type().back() == '3' ? "RIGHT_LEFT" : "LEFT_LEFT");
}

// The band of input `k_input` over input 0's static matrices.
absl::StatusOr<Band> ReadMatrixBand(const NodeContext& ctx, int k_input) {
  auto band = ReadBand(ctx, k_input, AlignOf(ctx));
  if (!band.ok()) return band.status();
  auto mn = StaticInnerDims(ctx, 0, 2, "input");
  if (!mn.ok()) return mn.status();
  band->rows = (*mn)[0];
  band->cols = (*mn)[1];
  return band;
}

// The value outside the band: zero for the V1 ops, else input `input`
// (padding_value).
absl::StatusOr<std::string> PaddingValue(NodeContext& ctx, bool v1, int input) {
  if (!v1) return ctx.input(input);
  return Zero(ctx, InputDType(ctx, 0));
}

// --- MatrixDiagPart (V1: k = 0, no padding), V2, V3 ---
absl::Status ConvertMatrixDiagPart(NodeContext& ctx) {
  const bool v1 = ctx.num_inputs() == 1;
  auto band = ReadMatrixBand(ctx, v1 ? -1 : 1);
  if (!band.ok()) return band.status();
  if ((band->rows > 0 && band->k0 <= -band->rows) || (band->cols > 0 && band->k1 >= band->cols)) {
    return ctx.Error("k is outside the matrix");
  }
  band->max_len = std::max<int64_t>(
      0, std::min(band->rows + std::min<int64_t>(band->k1, 0),
                  band->cols - std::max<int64_t>(band->k0, 0)));
  const int rank = *ctx.input_rank(0);
  const std::string batch = BatchShape(ctx, ctx.input(0), rank, 2);
  const int64_t size = band->rows * band->cols;
  ASSIGN_OR_RETURN(const std::string pad, PaddingValue(ctx, v1, 2));
  const std::string flat =
      Cat(ctx, {FlattenInner(ctx, ctx.input(0), batch, size), PadColumn(ctx, pad, batch)}, -1);
  std::vector<int64_t> table(static_cast<size_t>(band->num_diags() * band->max_len), size);
  for (int64_t m = 0; m < band->rows; ++m) {
    for (int64_t n = 0; n < band->cols; ++n) {
      const int64_t p = band->DiagPosition(m, n);
      if (p >= 0) table[static_cast<size_t>(p)] = m * band->cols + n;
    }
  }
  ctx.SetOutput(0, GatherTable(ctx, flat, batch, table, band->DiagDims()));
  return absl::OkStatus();
}

// Diagonals of `diag_input` as [batch..., num_diags * max_len] plus the
// band's max_len from its static last dim; checks the diagonal count.
absl::StatusOr<std::string> FlatDiagonals(NodeContext& ctx, int diag_input, Band& band,
                                          std::string* batch) {
  const int inner = band.num_diags() == 1 ? 1 : 2;
  auto dims = StaticInnerDims(ctx, diag_input, inner, "diagonal");
  if (!dims.ok()) return dims.status();
  if (inner == 2 && (*dims)[0] != band.num_diags()) {
    return ctx.Error(absl::StrCat("diagonal holds ", (*dims)[0], " diagonals, k asks for ",
                                  band.num_diags()));
  }
  band.max_len = dims->back();
  const int rank = *ctx.input_rank(diag_input);
  *batch = BatchShape(ctx, ctx.input(diag_input), rank, inner);
  return FlattenInner(ctx, ctx.input(diag_input), *batch, band.num_diags() * band.max_len);
}

// --- MatrixDiag (V1: k = 0, square), V2, V3: a matrix from its diagonals ---
absl::Status ConvertMatrixDiag(NodeContext& ctx) {
  const bool v1 = ctx.num_inputs() == 1;
  auto band = ReadBand(ctx, v1 ? -1 : 1, AlignOf(ctx));
  if (!band.ok()) return band.status();
  std::string batch;
  auto diags = FlatDiagonals(ctx, 0, *band, &batch);
  if (!diags.ok()) return diags.status();
  int64_t rows = -1, cols = -1;
  if (!v1) {
    auto r = ConstScalarInt(ctx, 2, "num_rows");
    if (!r.ok()) return r.status();
    auto c = ConstScalarInt(ctx, 3, "num_cols");
    if (!c.ok()) return c.status();
    rows = *r;
    cols = *c;
  }
  // TF's smallest matrix holding the band, as in its kernel.
  const int64_t min_rows = band->max_len - std::min<int64_t>(band->k1, 0);
  const int64_t min_cols = band->max_len + std::max<int64_t>(band->k0, 0);
  if (rows < 0 && cols < 0) rows = cols = std::max(min_rows, min_cols);
  if (rows < 0) rows = min_rows;
  if (cols < 0) cols = min_cols;
  band->rows = rows;
  band->cols = cols;
  // As TF's kernel: each at least its minimum, and one of them exactly it.
  if (rows < min_rows || cols < min_cols || (rows != min_rows && cols != min_cols)) {
    return ctx.Error(absl::StrCat("num_rows ", rows, " and num_cols ", cols,
                                  " do not fit diagonals of length ", band->max_len));
  }
  ASSIGN_OR_RETURN(const std::string pad, PaddingValue(ctx, v1, 4));
  const int64_t pad_index = band->num_diags() * band->max_len;
  const std::string flat = Cat(ctx, {*diags, PadColumn(ctx, pad, batch)}, -1);
  std::vector<int64_t> table;
  for (int64_t m = 0; m < rows; ++m) {
    for (int64_t n = 0; n < cols; ++n) {
      const int64_t p = band->DiagPosition(m, n);
      table.push_back(p >= 0 ? p : pad_index);
    }
  }
  ctx.SetOutput(0, GatherTable(ctx, flat, batch, table, {rows, cols}));
  return absl::OkStatus();
}

// --- MatrixSetDiag (V1: k = 0), V2, V3: the band replaced by the diagonals ---
absl::Status ConvertMatrixSetDiag(NodeContext& ctx) {
  const bool v1 = ctx.num_inputs() == 2;
  auto band = ReadMatrixBand(ctx, v1 ? -1 : 2);
  if (!band.ok()) return band.status();
  std::string diag_batch;
  auto diags = FlatDiagonals(ctx, 1, *band, &diag_batch);
  if (!diags.ok()) return diags.status();
  const int rank = *ctx.input_rank(0);
  const std::string batch = BatchShape(ctx, ctx.input(0), rank, 2);
  const int64_t size = band->rows * band->cols;
  const std::string flat =
      Cat(ctx, {FlattenInner(ctx, ctx.input(0), batch, size), *diags}, -1);
  std::vector<int64_t> table;
  for (int64_t m = 0; m < band->rows; ++m) {
    for (int64_t n = 0; n < band->cols; ++n) {
      const int64_t p = band->DiagPosition(m, n);
      table.push_back(p >= 0 ? size + p : m * band->cols + n);
    }
  }
  ctx.SetOutput(0, GatherTable(ctx, flat, batch, table, {band->rows, band->cols}));
  return absl::OkStatus();
}

// --- Diag (rank k -> 2k) and DiagPart (2k -> k) over all dims ---
absl::Status ConvertDiag(NodeContext& ctx) {
  const std::optional<int> rank = ctx.input_rank(0);
  if (!rank || *rank < 1) return ctx.Error("diagonal must have a known rank of at least 1");
  auto dims = StaticInnerDims(ctx, 0, *rank, "diagonal");
  if (!dims.ok()) return dims.status();
  auto zero = Zero(ctx, InputDType(ctx, 0));
  if (!zero.ok()) return zero.status();
  const int64_t p = Product(*dims);
  const std::string batch = ctx.ConstInt64s({}, "no_batch");
  const std::string flat = Cat(ctx, {ctx.Reshape(ctx.input(0), {p}), ctx.Reshape(*zero, {1})}, 0);
  std::vector<int64_t> table(static_cast<size_t>(p * p), p);
  for (int64_t i = 0; i < p; ++i) table[static_cast<size_t>(i * p + i)] = i;
  std::vector<int64_t> out = *dims;
  out.insert(out.end(), dims->begin(), dims->end());
  ctx.SetOutput(0, GatherTable(ctx, flat, batch, table, out));
  return absl::OkStatus();
}

absl::Status ConvertDiagPart(NodeContext& ctx) {
  const std::optional<int> rank = ctx.input_rank(0);
  if (!rank || *rank < 2 || *rank % 2 != 0) {
    return ctx.Error("input must have a known, even rank of at least 2");
  }
  auto dims = StaticInnerDims(ctx, 0, *rank, "input");
  if (!dims.ok()) return dims.status();
  const std::vector<int64_t> half(dims->begin(), dims->begin() + *rank / 2);
  if (!std::equal(half.begin(), half.end(), dims->begin() + *rank / 2)) {
    return ctx.Error("the input's second half of dims must equal its first");
  }
  const int64_t p = Product(half);
  const std::string batch = ctx.ConstInt64s({}, "no_batch");
  std::vector<int64_t> table;
  for (int64_t i = 0; i < p; ++i) table.push_back(i * p + i);
  ctx.SetOutput(0, GatherTable(ctx, ctx.Reshape(ctx.input(0), {p * p}), batch, table, half));
  return absl::OkStatus();
}

// --- MatrixDeterminant, MatrixInverse ---
absl::Status ConvertMatrixDeterminant(NodeContext& ctx) {
  ctx.SetOutput(0, ctx.AddNode("Det", {ctx.input(0)}));
  return absl::OkStatus();
}

// inverse = adjugate / det: the n*n cofactors are determinants of the
// (n-1)x(n-1) minors, which two Gathers cut and one Det evaluates. No pivot
// choices, so it is exact wherever Det is; singular input gives inf/nan as
// TF's kernel would fail. The n^4 minor elements bound n.
constexpr int64_t kMaxInverseDim = 16;

// The inverse of input 0 (of its transpose with `adjoint`).
absl::StatusOr<std::string> EmitInverse(NodeContext& ctx, bool adjoint) {
  auto nn = StaticInnerDims(ctx, 0, 2, "matrix");
  if (!nn.ok()) return nn.status();
  const int64_t n = (*nn)[0];
  if ((*nn)[1] != n) return ctx.Error("the matrices must be square");
  if (n < 1 || n > kMaxInverseDim) {
    return ctx.Unsupported(absl::StrCat(ctx.op_type(), " of ", n, "x", n, " matrices (1 to ",
                                        kMaxInverseDim, " convert; --custom-ops ", ctx.op_type(),
                                        " keeps it as a custom op)"));
  }
  const int rank = *ctx.input_rank(0);
  const DataType dtype = InputDType(ctx, 0);
  std::string x = ctx.input(0);
  if (adjoint) {
    std::vector<int64_t> perm;
    for (int a = 0; a < rank; ++a) perm.push_back(a);
    std::swap(perm[rank - 2], perm[rank - 1]);
    x = ctx.Transpose(x, perm);
  }
  const std::string det = ctx.AddNode("Det", {x});
  std::string adjugate;
  if (n == 1) {
    adjugate = ctx.AddNode("Div", {x, x});
  } else {
    std::vector<int64_t> keep;  // [n, n-1]: every index but i
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        if (j != i) keep.push_back(j);
      }
    }
    const std::string keep_v =
        ctx.AddConst(ir::Tensor::FromVector<int64_t>({n, n - 1}, keep), "keep");
    // [..., i, n-1 rows, n] then [..., i, n-1, j, n-1 cols].
    const std::string rows =
        ctx.AddNode("Gather", {x, keep_v}, {Attribute::Int("axis", rank - 2)});
    const std::string minors =
        ctx.AddNode("Gather", {rows, keep_v}, {Attribute::Int("axis", rank)});
    std::vector<int64_t> perm;
    for (int a = 0; a < rank - 2; ++a) perm.push_back(a);
    // cofactor (i, j) lands at adjugate (j, i): j goes first.
    for (int64_t a : {rank, rank - 2, rank - 1, rank + 1}) perm.push_back(a);
    const std::string cofactor_dets = ctx.AddNode("Det", {ctx.Transpose(minors, perm)});
    std::vector<double> signs;
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < n; ++j) signs.push_back((i + j) % 2 == 0 ? 1.0 : -1.0);
    }
    auto sign_t = ir::Tensor::FromVector<double>({n, n}, signs).CastTo(dtype);
    if (!sign_t.ok()) return ctx.Unsupported(absl::StrCat("element type ", ir::DataTypeName(dtype)));
    adjugate = ctx.AddNode("Mul", {cofactor_dets, ctx.AddConst(*std::move(sign_t), "signs")});
  }
  return ctx.AddNode("Div", {adjugate, ctx.Unsqueeze(det, {-1, -2})});
}

absl::Status ConvertMatrixInverse(NodeContext& ctx) {
  auto inverse = EmitInverse(ctx, ctx.attr_bool("adjoint", false));
  if (!inverse.ok()) return inverse.status();
  ctx.SetOutput(0, *inverse);
  return absl::OkStatus();
}

// Solves A x = b (A^T x = b with adjoint) as inverse(A) b.
absl::Status ConvertMatrixSolve(NodeContext& ctx) {
  auto inverse = EmitInverse(ctx, ctx.attr_bool("adjoint", false));
  if (!inverse.ok()) return inverse.status();
  ctx.SetOutput(0, ctx.AddNode("MatMul", {*inverse, ctx.input(1)}));
  return absl::OkStatus();
}

// sign(det) and log|det|.
absl::Status ConvertLogMatrixDeterminant(NodeContext& ctx) {
  const std::string det = ctx.AddNode("Det", {ctx.input(0)});
  ctx.SetOutput(0, ctx.AddNode("Sign", {det}));
  ctx.SetOutput(1, ctx.AddNode("Log", {ctx.AddNode("Abs", {det})}));
  return absl::OkStatus();
}

// --- Cholesky and MatrixTriangularSolve, unrolled over a static n ---
// The same steps as TF's kernels (column by column; substitution row by
// row), so no pivoting question arises; the node count grows with n^2 (n),
// which bounds n.
constexpr int64_t kMaxUnrolledDim = 32;

// Rows or columns [begin, end) of the last two axes.
std::string SliceAxis(NodeContext& ctx, const std::string& x, int64_t axis, int64_t begin,
                      int64_t end) {
  return ctx.AddNode("Slice", {x, ctx.ConstInt64s({begin}, "begin"), ctx.ConstInt64s({end}, "end"),
                               ctx.ConstInt64s({axis}, "axis")});
}

absl::StatusOr<int64_t> UnrolledDim(const NodeContext& ctx) {
  auto nn = StaticInnerDims(ctx, 0, 2, "matrix");
  if (!nn.ok()) return nn.status();
  if ((*nn)[0] != (*nn)[1]) return ctx.Error("the matrices must be square");
  if ((*nn)[0] < 1 || (*nn)[0] > kMaxUnrolledDim) {
    return ctx.Unsupported(absl::StrCat(ctx.op_type(), " of ", (*nn)[0], "x", (*nn)[0],
                                        " matrices (1 to ", kMaxUnrolledDim,
                                        " convert; --custom-ops ", ctx.op_type(),
                                        " keeps it as a custom op)"));
  }
  return (*nn)[0];
}

// L with L L^T = A, from A's lower triangle: column j is A's column j less
// the earlier columns' contributions, over the square root of its diagonal
// entry, zero above it.
absl::Status ConvertCholesky(NodeContext& ctx) {
  auto n = UnrolledDim(ctx);
  if (!n.ok()) return n.status();
  const DataType dtype = InputDType(ctx, 0);
  std::vector<std::string> cols;
  for (int64_t j = 0; j < *n; ++j) {
    std::string col = SliceAxis(ctx, ctx.input(0), -1, j, j + 1);  // [..., n, 1]
    for (int64_t k = 0; k < j; ++k) {
      col = ctx.AddNode("Sub", {col, ctx.AddNode("Mul", {cols[k], SliceAxis(ctx, cols[k], -2, j, j + 1)})});
    }
    std::vector<double> below(static_cast<size_t>(*n), 0.0);
    for (int64_t i = j; i < *n; ++i) below[static_cast<size_t>(i)] = 1.0;
    auto mask = ir::Tensor::FromVector<double>({*n, 1}, below).CastTo(dtype);
    if (!mask.ok()) return ctx.Unsupported(absl::StrCat("element type ", ir::DataTypeName(dtype)));
    const std::string pivot = ctx.AddNode("Sqrt", {SliceAxis(ctx, col, -2, j, j + 1)});
    cols.push_back(ctx.AddNode("Mul", {ctx.AddNode("Div", {col, pivot}),
                                       ctx.AddConst(*std::move(mask), "below")}));
  }
  ctx.SetOutput(0, Cat(ctx, cols, -1));
  return absl::OkStatus();
}

// Solves A X = B (A^T X = B with adjoint) for triangular A by substitution;
// an upper triangle is solved as the lower one of the matrix with rows and
// columns reversed.
absl::Status ConvertMatrixTriangularSolve(NodeContext& ctx) {
  auto n = UnrolledDim(ctx);
  if (!n.ok()) return n.status();
  const int rank = *ctx.input_rank(0);
  std::string a = ctx.input(0);
  std::string b = ctx.input(1);
  bool lower = ctx.attr_bool("lower", true);
  if (ctx.attr_bool("adjoint", false)) {
    std::vector<int64_t> perm;
    for (int k = 0; k < rank; ++k) perm.push_back(k);
    std::swap(perm[rank - 2], perm[rank - 1]);
    a = ctx.Transpose(a, perm);
    lower = !lower;
  }
  auto reverse = [&](const std::string& x, std::vector<int64_t> axes) {
    const std::vector<int64_t> starts(axes.size(), -1);
    const std::vector<int64_t> ends(axes.size(), std::numeric_limits<int64_t>::min());
    const std::vector<int64_t> steps(axes.size(), -1);
    return ctx.AddNode("Slice", {x, ctx.ConstInt64s(starts, "starts"), ctx.ConstInt64s(ends, "ends"),
                                 ctx.ConstInt64s(axes, "axes"), ctx.ConstInt64s(steps, "steps")});
  };
  if (!lower) {
    a = reverse(a, {-2, -1});
    b = reverse(b, {-2});
  }
  std::vector<std::string> rows;  // x_i: [..., 1, k]
  for (int64_t i = 0; i < *n; ++i) {
    const std::string a_row = SliceAxis(ctx, a, -2, i, i + 1);  // [..., 1, n]
    std::string rhs = SliceAxis(ctx, b, -2, i, i + 1);
    if (i > 0) {
      const std::string done = ctx.AddNode(
          "MatMul", {SliceAxis(ctx, a_row, -1, 0, i), Cat(ctx, rows, -2)});
      rhs = ctx.AddNode("Sub", {rhs, done});
    }
    rows.push_back(ctx.AddNode("Div", {rhs, SliceAxis(ctx, a_row, -1, i, i + 1)}));
  }
  std::string x = Cat(ctx, rows, -2);
  if (!lower) x = reverse(x, {-2});
  ctx.SetOutput(0, x);
  return absl::OkStatus();
}

}  // namespace

void RegisterMatrixOps(HandlerRegistry& r) {
  r.Register({"MatrixDiagPart"}, kMinOpset, Inputs(1), ConvertMatrixDiagPart);
  r.Register({"MatrixDiagPartV2", "MatrixDiagPartV3"}, kMinOpset, Inputs(3), ConvertMatrixDiagPart);
  r.Register({"MatrixDiag"}, kMinOpset, Inputs(1), ConvertMatrixDiag);
  r.Register({"MatrixDiagV2", "MatrixDiagV3"}, kMinOpset, Inputs(5), ConvertMatrixDiag);
  r.Register({"MatrixSetDiag"}, kMinOpset, Inputs(2), ConvertMatrixSetDiag);
  r.Register({"MatrixSetDiagV2", "MatrixSetDiagV3"}, kMinOpset, Inputs(3), ConvertMatrixSetDiag);
  r.Register({"Diag"}, kMinOpset, Inputs(1), ConvertDiag);
  r.Register({"DiagPart"}, kMinOpset, Inputs(1), ConvertDiagPart);
  r.Register({"MatrixDeterminant"}, kMinOpset, Inputs(1), ConvertMatrixDeterminant);
  r.Register({"MatrixInverse"}, kMinOpset, Inputs(1), ConvertMatrixInverse);
  r.Register({"MatrixSolve"}, kMinOpset, Inputs(2), ConvertMatrixSolve);
  r.Register({"LogMatrixDeterminant"}, kMinOpset, Inputs(1), ConvertLogMatrixDeterminant);
  r.Register({"Cholesky"}, kMinOpset, Inputs(1), ConvertCholesky);
  r.Register({"MatrixTriangularSolve"}, kMinOpset, Inputs(2), ConvertMatrixTriangularSolve);
}

}  // namespace onnxsmith::converter
