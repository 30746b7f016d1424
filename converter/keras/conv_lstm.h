// ConvLSTM1D / ConvLSTM2D / ConvLSTM3D as an ONNX Scan (conv_lstm.cc), also
// used by Bidirectional (recurrent_layers.cc) for each of its directions.
#ifndef ONNXSMITH_CONVERTER_KERAS_CONV_LSTM_H_
#define ONNXSMITH_CONVERTER_KERAS_CONV_LSTM_H_

#include "absl/status/status.h"
#include "converter/keras/layer_context.h"

namespace onnxsmith::converter::keras {

// Converts the ConvLSTM layer call `ctx` (its class and config the
// ConvLSTM's) with the weights of direction d of `dirs` (recurrent_weights.h:
// CellWeights); sets the layer's outputs (the output, then h and c with
// return_state).
absl::Status ConvertConvLstmDirection(LayerContext& ctx, int dirs, int d);

}  // namespace onnxsmith::converter::keras

#endif  // ONNXSMITH_CONVERTER_KERAS_CONV_LSTM_H_
