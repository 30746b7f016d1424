// Keras layer classes that exist but have no handler, with the reason: the
// converter's error says "not supported yet" (not "custom class") for them,
// and docs/keras_support.md lists them.
#include <map>
#include <string>

#include "converter/keras/layer_registry.h"

namespace onnxsmith::converter::keras {

const std::map<std::string, std::string>& UnconvertedKerasClasses() {
  static const auto* classes = [] {
    const std::string not_yet = "not converted yet";
    const std::string strings =
        "works on strings; the vocabulary is in .keras assets (not .h5), string tensors are not "
        "converted yet";
    const std::string python = "holds Python or another framework's code, not in the file";
    return new std::map<std::string, std::string>{
        {"ConvLSTM1D", not_yet + " (a static unrolling would do)"},
        {"ConvLSTM2D", not_yet + " (a static unrolling would do)"},
        {"ConvLSTM3D", not_yet + " (a static unrolling would do)"},
        {"LSTMCell", "only inside RNN (RNN(LSTMCell) converts)"},
        {"GRUCell", "only inside RNN (RNN(GRUCell) converts)"},
        {"SimpleRNNCell", "only inside RNN (RNN(SimpleRNNCell) converts)"},
        {"StackedRNNCells", not_yet + " (RNN over stacked cells)"},
        {"GroupedQueryAttention", not_yet},
        {"GroupQueryAttention", not_yet},
        {"LocallyConnected1D", "Keras 2 only; " + not_yet},
        {"LocallyConnected2D", "Keras 2 only; " + not_yet},
        {"Hashing", "FarmHash64 of strings or ints has no ONNX expression"},
        {"HashedCrossing", "FarmHash64 of crossed features has no ONNX expression"},
        {"StringLookup", strings},
        {"IntegerLookup", "the vocabulary is in .keras assets (not .h5); " + not_yet},
        {"TextVectorization", strings},
        {"SpectralNormalization", not_yet + " (inference is the wrapped layer)"},
        {"Wrapper", "abstract base class"},
        {"TorchModuleWrapper", python},
        {"JaxLayer", python},
        {"FlaxLayer", python},
        {"TFSMLayer", "wraps a SavedModel: convert that with --saved-model"},
        {"Merge", "abstract base class"},
        {"AutoContrast", not_yet + " (per-image min/max rescaling)"},
        {"Solarization", not_yet},
        {"Equalization", not_yet + " (per-image histogram equalization)"},
        {"Pipeline", not_yet},
        {"MelSpectrogram", not_yet + " (ONNX STFT + MelWeightMatrix would do)"},
        {"STFTSpectrogram", not_yet},
        {"ReversibleEmbedding", not_yet},
        {"Conv2DTransposeV1", not_yet},
        {"CuDNNRNN", "abstract base class"},
    };
  }();
  return *classes;
}

}  // namespace onnxsmith::converter::keras
