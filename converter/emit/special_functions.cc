#include "converter/emit/special_functions.h"

#include <string>
#include <vector>

namespace onnxsmith::converter {
namespace {

// Horner's rule: coefficients from the highest power down.
std::string Polynomial(OnnxEmitter& e, const std::string& w, const std::vector<double>& coeffs,
                       ir::DataType t) {
  std::string p = e.ConstScalar(t, coeffs[0], "c");
  for (size_t k = 1; k < coeffs.size(); ++k) {
    p = e.AddNode("Add", {e.ConstScalar(t, coeffs[k], "c"), e.AddNode("Mul", {p, w})});
  }
  return p;
}

}  // namespace

std::string EmitErfinv(OnnxEmitter& e, const std::string& x, ir::DataType t) {
  auto c = [&](double v) { return e.ConstScalar(t, v, "c"); };
  const std::string one = c(1.0);
  const std::string w = e.AddNode(
      "Neg", {e.AddNode("Log", {e.AddNode("Mul", {e.AddNode("Sub", {one, x}),
                                                  e.AddNode("Add", {one, x})})})});
  // Central region (w < 5) and tails.
  const std::string central = Polynomial(
      e, e.AddNode("Sub", {w, c(2.5)}),
      {2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
       -0.00125372503, -0.00417768164, 0.246640727, 1.50140941},
      t);
  const std::string tail = Polynomial(
      e, e.AddNode("Sub", {e.AddNode("Sqrt", {w}), c(3.0)}),
      {-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
       -0.0076224613, 0.00943887047, 1.00167406, 2.83297682},
      t);
  const std::string p = e.AddNode("Where", {e.AddNode("Less", {w, c(5.0)}), central, tail});
  return e.AddNode("Mul", {p, x});
}

}  // namespace onnxsmith::converter
