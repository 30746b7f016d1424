// Special functions ONNX has no op for, built from its elementwise ops: each
// takes a floating value and returns one of the same shape, computed in
// double (so float32 results are good to ~1e-7 relative) and cast back to
// `t`. Declared where used (special_math_ops.cc): a new header under
// converter/ would change every dependent compile action's inputs.
#include "converter/emit/onnx_emitter.h"
#include "ir/graph.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace onnxsmith::converter::special {
namespace {

using ir::DataType;

constexpr double kPi = 3.14159265358979323846;
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

// Elementwise arithmetic in double over an emitter, briefly.
class Math {
 public:
  explicit Math(OnnxEmitter& e) : e_(e) {}
  std::string k(double v) { return e_.ConstScalar(DataType::kDouble, v, "k"); }
  std::string In(const std::string& x) { return e_.Cast(x, DataType::kDouble); }
  std::string Op(const std::string& op, const std::string& a) { return e_.AddNode(op, {a}); }
  std::string Op(const std::string& op, const std::string& a, const std::string& b) {
    return e_.AddNode(op, {a, b});
  }
  std::string Add(const std::string& a, const std::string& b) { return Op("Add", a, b); }
  std::string Sub(const std::string& a, const std::string& b) { return Op("Sub", a, b); }
  std::string Mul(const std::string& a, const std::string& b) { return Op("Mul", a, b); }
  std::string Div(const std::string& a, const std::string& b) { return Op("Div", a, b); }
  std::string Where(const std::string& c, const std::string& a, const std::string& b) {
    return e_.AddNode("Where", {c, a, b});
  }
  // c[0] x^(n-1) + ... + c[n-1], by Horner's rule.
  std::string Poly(const std::string& x, const std::vector<double>& c) {
    std::string acc = k(c[0]);
    for (size_t i = 1; i < c.size(); ++i) acc = Add(Mul(acc, x), k(c[i]));
    return acc;
  }
  std::string IsInteger(const std::string& x) { return Op("Equal", Op("Floor", x), x); }

 private:
  OnnxEmitter& e_;
};

// Acklam's rational approximation of the inverse normal CDF (relative error
// below 1.2e-9): `q` = p - 1/2 (given separately so that it keeps its
// precision near 1/2), `lo` = p and `hi` = 1 - p for the two tails.
std::string InverseNormal(Math& m, const std::string& q, const std::string& lo,
                          const std::string& hi) {
  static const std::vector<double> kA = {-3.969683028665376e+01, 2.209460984245205e+02,
                                         -2.759285104469687e+02, 1.383577518672690e+02,
                                         -3.066479806614716e+01, 2.506628277459239e+00};
  static const std::vector<double> kB = {-5.447609879822406e+01, 1.615858368580409e+02,
                                         -1.556989798598866e+02, 6.680131188771972e+01,
                                         -1.328068155288572e+01, 1.0};
  static const std::vector<double> kC = {-7.784894002430293e-03, -3.223964580411365e-01,
                                         -2.400758277161838e+00, -2.549732539343734e+00,
                                         4.374664141464968e+00,  2.938163982698783e+00};
  static const std::vector<double> kD = {7.784695709041462e-03, 3.224671290700398e-01,
                                         2.445134137142996e+00, 3.754408661907416e+00, 1.0};
  constexpr double kLow = 0.02425;
  const std::string r = m.Mul(q, q);
  const std::string central = m.Div(m.Mul(m.Poly(r, kA), q), m.Poly(r, kB));
  auto tail = [&](const std::string& p) {  // for p < kLow: negative
    const std::string s = m.Op("Sqrt", m.Mul(m.k(-2), m.Op("Log", p)));
    return m.Div(m.Poly(s, kC), m.Poly(s, kD));
  };
  const std::string lower = tail(m.Op("Max", lo, m.k(1e-300)));
  const std::string upper = m.Op("Neg", tail(m.Op("Max", hi, m.k(1e-300))));
  std::string y = m.Where(m.Op("Less", lo, m.k(kLow)), lower,
                          m.Where(m.Op("Less", hi, m.k(kLow)), upper, central));
  // The ends and outside the domain.
  y = m.Where(m.Op("Equal", lo, m.k(0)), m.k(-kInf), y);
  y = m.Where(m.Op("Equal", hi, m.k(0)), m.k(kInf), y);
  return m.Where(m.Op("Or", m.Op("Less", lo, m.k(0)), m.Op("Less", hi, m.k(0))), m.k(kNan), y);
}

}  // namespace

std::string Ndtri(OnnxEmitter& e, const std::string& p, DataType t) {
  Math m(e);
  const std::string x = m.In(p);
  return e.Cast(InverseNormal(m, m.Sub(x, m.k(0.5)), x, m.Sub(m.k(1), x)), t);
}

// erfinv(x) = ndtri((1 + x) / 2) / sqrt(2); the halvings are exact in double.
std::string Erfinv(OnnxEmitter& e, const std::string& x, DataType t) {
  Math m(e);
  const std::string v = m.In(x);
  const std::string lo = m.Mul(m.Add(m.k(1), v), m.k(0.5));
  const std::string hi = m.Mul(m.Sub(m.k(1), v), m.k(0.5));
  const std::string y = InverseNormal(m, m.Mul(v, m.k(0.5)), lo, hi);
  return e.Cast(m.Mul(y, m.k(1 / std::sqrt(2.0))), t);
}

// Below |x| = 12 the power series I_n(x) = (x/2)^n sum_k (x^2/4)^k / (k! (k+n)!)
// (28 terms: below 1e-16 relative), above it Hankel's asymptotic expansion
// I_n(x) e^-x ~ (2 pi x)^-1/2 sum_k (-1)^k a_k(n) / x^k (14 terms: ~1e-10).
std::string BesselI(OnnxEmitter& e, const std::string& x, DataType t, int order, bool scaled) {
  Math m(e);
  const std::string v = m.In(x);
  const std::string ax = m.Op("Abs", v);
  constexpr double kSwitch = 12;
  // Series in s = x^2 / 4, for |x| below the switch.
  const std::string small = m.Op("Min", ax, m.k(kSwitch));
  const std::string s = m.Mul(m.Mul(small, small), m.k(0.25));
  std::vector<double> series;  // highest power first
  double c = 1;
  for (int j = 1; j <= order; ++j) c /= j;
  std::vector<double> coef = {c};
  for (int k = 1; k < 28; ++k) {
    c /= static_cast<double>(k) * (k + order);
    coef.push_back(c);
  }
  series.assign(coef.rbegin(), coef.rend());
  std::string near = m.Poly(s, series);
  if (order == 1) near = m.Mul(near, m.Mul(small, m.k(0.5)));
  // Asymptotic series in 1 / |x|, for |x| at or above the switch.
  const std::string big = m.Op("Max", ax, m.k(kSwitch));
  const double mu = 4.0 * order * order;
  std::vector<double> terms = {1};
  double a = 1;
  for (int k = 1; k < 14; ++k) {
    a *= -(mu - (2.0 * k - 1) * (2.0 * k - 1)) / (8.0 * k);
    terms.push_back(a);
  }
  std::vector<double> asym(terms.rbegin(), terms.rend());
  const std::string inv = m.Div(m.k(1), big);
  const std::string far_scaled =
      m.Div(m.Poly(inv, asym), m.Op("Sqrt", m.Mul(big, m.k(2 * kPi))));
  const std::string use_far = m.Op("GreaterOrEqual", ax, m.k(kSwitch));
  std::string y;
  if (scaled) {
    y = m.Where(use_far, far_scaled, m.Mul(near, m.Op("Exp", m.Op("Neg", small))));
  } else {
    y = m.Where(use_far, m.Mul(far_scaled, m.Op("Exp", big)), near);
  }
  if (order == 1) y = m.Mul(y, m.Op("Sign", v));  // I1 is odd
  if (scaled) {
    // The asymptotic form's sqrt at |x| = inf gives 0 already; NaN stays NaN.
    y = m.Where(m.Op("IsInf", v), m.k(0), y);
  }
  return e.Cast(y, t);
}

// psi(x) for x > 0: psi(x + 6) - sum_{k<6} 1 / (x + k), psi(z) for z >= 6 by
// its asymptotic series; below 0 by reflection, psi(1 - x) - pi / tan(pi x).
std::string Digamma(OnnxEmitter& e, const std::string& x, DataType t) {
  Math m(e);
  const std::string v = m.In(x);
  const std::string reflect = m.Op("Less", v, m.k(0));
  const std::string z0 = m.Where(reflect, m.Sub(m.k(1), v), v);
  std::string shift = m.Div(m.k(1), z0);
  for (int k = 1; k < 6; ++k) shift = m.Add(shift, m.Div(m.k(1), m.Add(z0, m.k(k))));
  const std::string z = m.Add(z0, m.k(6));
  const std::string inv2 = m.Div(m.k(1), m.Mul(z, z));
  // ln z - 1/(2z) - sum B_2k / (2k z^2k)
  const std::string tail = m.Mul(inv2, m.Poly(inv2, {-691.0 / 32760, 1.0 / 132,
                                                      -1.0 / 240, 1.0 / 252, -1.0 / 120,
                                                      1.0 / 12}));
  const std::string psi_z =
      m.Sub(m.Sub(m.Op("Log", z), m.Div(m.k(0.5), z)), tail);
  const std::string psi = m.Sub(psi_z, shift);
  const std::string reflected =
      m.Sub(psi, m.Div(m.k(kPi), m.Op("Tan", m.Mul(v, m.k(kPi)))));
  std::string y = m.Where(reflect, reflected, psi);
  // The poles (0 and the negative integers) and -inf are NaN, as TF's kernel gives.
  const std::string pole = m.Op("And", m.Op("LessOrEqual", v, m.k(0)), m.IsInteger(v));
  y = m.Where(m.Op("Or", pole, m.Op("Equal", v, m.k(-kInf))), m.k(kNan), y);
  return e.Cast(y, t);
}

// Euler-Maclaurin summation: the first 9 terms, then the integral of the
// rest, half its first term and 12 Bernoulli corrections at w = q + 9.
std::string Zeta(OnnxEmitter& e, const std::string& x, const std::string& q, DataType t) {
  Math m(e);
  const std::string s = m.In(x);
  const std::string a = m.In(q);
  constexpr int kTerms = 9;
  std::string sum;
  for (int k = 0; k < kTerms; ++k) {
    const std::string term = m.Op("Pow", m.Add(a, m.k(k)), m.Op("Neg", s));
    sum = k == 0 ? term : m.Add(sum, term);
  }
  const std::string w = m.Add(a, m.k(kTerms));
  const std::string w_s = m.Op("Pow", w, m.Op("Neg", s));  // w^-s
  sum = m.Add(sum, m.Div(m.Mul(w_s, w), m.Sub(s, m.k(1))));
  sum = m.Add(sum, m.Mul(w_s, m.k(0.5)));
  // B_2j / (2j)!, j = 1..12.
  static const double kBernoulli[] = {1.0 / 6,         -1.0 / 30,    1.0 / 42,
                                      -1.0 / 30,       5.0 / 66,     -691.0 / 2730,
                                      7.0 / 6,         -3617.0 / 510, 43867.0 / 798,
                                      -174611.0 / 330, 854513.0 / 138, -236364091.0 / 2730};
  const std::string inv_w = m.Div(m.k(1), w);
  const std::string inv_w2 = m.Mul(inv_w, inv_w);
  // fac_j = s (s + 1) ... (s + 2j - 2) w^(-s - 2j + 1)
  std::string fac = m.Mul(m.Mul(s, w_s), inv_w);
  double factorial = 1;
  for (int j = 1; j <= 12; ++j) {
    factorial *= (2.0 * j - 1) * (2.0 * j);
    sum = m.Add(sum, m.Mul(fac, m.k(kBernoulli[j - 1] / factorial)));
    fac = m.Mul(m.Mul(fac, inv_w2),
                m.Mul(m.Add(s, m.k(2.0 * j - 1)), m.Add(s, m.k(2.0 * j))));
  }
  // TF's domain: inf at x = 1 and at q a non-positive integer, NaN for
  // x < 1 and for q < 0 with x not an integer.
  const std::string q_pole = m.Op("And", m.Op("LessOrEqual", a, m.k(0)), m.IsInteger(a));
  const std::string nan = m.Op("Or", m.Op("Less", s, m.k(1)),
                               m.Op("And", m.Op("Less", a, m.k(0)),
                                    m.Op("Not", m.IsInteger(s))));
  std::string y = m.Where(m.Op("Or", m.Op("Equal", s, m.k(1)), q_pole), m.k(kInf), sum);
  y = m.Where(nan, m.k(kNan), y);
  return e.Cast(y, t);
}

// x plus or minus one unit in the last place of type t: 2^(e - mantissa bits)
// for 2^e <= |x| < 2^(e+1) (e floored at the smallest normal exponent),
// half that when stepping towards zero from a power of two.
std::string NextAfter(OnnxEmitter& e, const std::string& x, const std::string& y, DataType t) {
  Math m(e);
  const bool is_double = t == DataType::kDouble;
  const double mantissa = is_double ? 52 : 23;
  const double min_exp = is_double ? -1022 : -126;
  const double max_value =
      is_double ? std::numeric_limits<double>::max() : std::numeric_limits<float>::max();
  const std::string a = m.In(x);
  const std::string b = m.In(y);
  const std::string ax = m.Op("Abs", a);
  const std::string two = m.k(2);
  // e = floor(log2 |x|), corrected where the logarithm rounds across a power.
  std::string ex = m.Op("Floor", m.Div(m.Op("Log", m.Op("Max", ax, m.k(1e-300))),
                                       m.k(std::log(2.0))));
  ex = m.Op("Min", m.Op("Max", ex, m.k(min_exp)), m.k(is_double ? 1023 : 127));
  const std::string p = m.Op("Pow", two, ex);
  ex = m.Where(m.Op("Greater", p, ax), m.Sub(ex, m.k(1)), ex);
  ex = m.Where(m.Op("LessOrEqual", m.Mul(m.Op("Pow", two, ex), two), ax), m.Add(ex, m.k(1)), ex);
  ex = m.Op("Max", ex, m.k(min_exp));
  const std::string pe = m.Op("Pow", two, ex);
  const std::string ulp = m.Op("Pow", two, m.Sub(ex, m.k(mantissa)));
  const std::string up = m.Op("Greater", b, a);  // the direction
  const std::string away = m.Op("Equal", up, m.Op("Greater", a, m.k(0)));  // |x| grows
  const std::string at_power =
      m.Op("And", m.Op("Equal", ax, pe), m.Op("Greater", ex, m.k(min_exp)));
  const std::string step =
      m.Where(m.Op("And", m.Op("Not", away), at_power), m.Mul(ulp, m.k(0.5)), ulp);
  const std::string sign = m.Where(up, m.k(1), m.k(-1));
  std::string r = m.Add(a, m.Mul(sign, step));
  // From zero: the smallest subnormal towards y; from +-inf: +-max.
  r = m.Where(m.Op("Equal", a, m.k(0)),
              m.Mul(sign, m.k(is_double ? std::numeric_limits<double>::denorm_min()
                                        : std::numeric_limits<float>::denorm_min())),
              r);
  r = m.Where(m.Op("IsInf", a), m.Mul(m.Op("Sign", a), m.k(max_value)), r);
  // Equal operands give y; a NaN operand gives NaN (x + y).
  r = m.Where(m.Op("Equal", a, b), b, r);
  const std::string any_nan = m.Op("Or", m.Op("IsNaN", a), m.Op("IsNaN", b));
  r = m.Where(any_nan, m.Add(a, b), r);
  return e.Cast(r, t);
}

}  // namespace onnxsmith::converter::special
