// Keras -> ONNX recurrent weight layout: gate reordering (LSTM i,f,c,o ->
// i,o,f,c; GRU z,r,h kept) and the [in, gates*units] -> [gates*units, in]
// transpose.
#include <vector>

#include "converter/keras/recurrent_weights.h"
#include "gtest/gtest.h"

namespace onnxsmith::converter::keras {
namespace {

TEST(RecurrentWeightsTest, LstmGatesReordered) {
  // One input row, two units per gate: Keras columns i0 i1 f0 f1 c0 c1 o0 o1.
  const std::vector<float> keras = {10, 11, 20, 21, 30, 31, 40, 41};
  EXPECT_EQ(KerasToOnnxGates(keras.data(), 1, 2, CellKind::kLstm),
            (std::vector<float>{10, 11, 40, 41, 20, 21, 30, 31}));  // i o f c
}

TEST(RecurrentWeightsTest, GruGatesKeptAndTransposed) {
  // Two input rows, one unit per gate: Keras [2, 3] = [[z0 r0 h0], [z1 r1 h1]].
  const std::vector<float> keras = {1, 2, 3, 4, 5, 6};
  EXPECT_EQ(KerasToOnnxGates(keras.data(), 2, 1, CellKind::kGru),
            (std::vector<float>{1, 4, 2, 5, 3, 6}));  // ONNX [3, 2]
}

TEST(RecurrentWeightsTest, KerasGateOf) {
  EXPECT_EQ(KerasGateOf(CellKind::kLstm, 0), 0);  // i
  EXPECT_EQ(KerasGateOf(CellKind::kLstm, 1), 3);  // o
  EXPECT_EQ(KerasGateOf(CellKind::kLstm, 2), 1);  // f
  EXPECT_EQ(KerasGateOf(CellKind::kLstm, 3), 2);  // c
  EXPECT_EQ(KerasGateOf(CellKind::kGru, 2), 2);
}

}  // namespace
}  // namespace onnxsmith::converter::keras
