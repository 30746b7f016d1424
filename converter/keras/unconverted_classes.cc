// Keras layer classes that exist but have no handler, with the reason: the
// converter's error says "not supported yet" (not "custom class") for them,
// and docs/keras_support.md lists them.
#include <map>
#include <string>

#include "converter/keras/layer_registry.h"

namespace onnxsmith::converter::keras {

const std::map<std::string, std::string> &UnconvertedKerasClasses() {
  static const auto *classes = [] {
    const std::string not_yet = "not converted yet";
    const std::string hashing =
        "hashes the string form of each value with FarmHash64 (SipHash64 with a salt); "
        "standard ONNX cannot read a string's bytes, so there is no ONNX expression: hash "
        "outside the model, or convert the model's SavedModel with --custom-ops mapping the "
        "hash op to a custom operator";
    const std::string python =
        "holds Python or another framework's code, not in the file";
    return new std::map<std::string, std::string>{
        {"LSTMCell", "only inside RNN (RNN(LSTMCell) converts)"},
        {"GRUCell", "only inside RNN (RNN(GRUCell) converts)"},
        {"SimpleRNNCell", "only inside RNN (RNN(SimpleRNNCell) converts)"},
        {"StackedRNNCells", "only inside RNN (RNN(StackedRNNCells) converts)"},
        {"LocallyConnected1D", "Keras 2 only; " + not_yet},
        {"LocallyConnected2D", "Keras 2 only; " + not_yet},
        {"Hashing", hashing},
        {"HashedCrossing", hashing},
        {"Wrapper", "abstract base class"},
        {"TorchModuleWrapper", python},
        {"JaxLayer", python},
        {"FlaxLayer", python},
        {"TFSMLayer", "wraps a SavedModel: convert that with --saved-model"},
        {"Merge", "abstract base class"},
        {"Conv2DTransposeV1", "not a Keras 3 class (not in keras.layers of Keras 3.x); Conv2DTranspose converts"},
        {"ContrastLimitedAdaptiveHistogramEqualization",
         not_yet + " (applied at inference: per-tile clipped histograms with bilinear blending "
                   "between tiles)"},
        {"CuDNNRNN", "abstract base class"},
    };
  }();
  return *classes;
}

const std::map<std::string, std::string> &UnconvertedKerasOps() {
  static const auto *ops = [] {
    const std::string not_yet = "not converted yet";
    auto *ops = new std::map<std::string, std::string>();
    for (const char *op : {"AssociativeScan", "Cond", "ForiLoop", "JVP", "Map",
                           "Scan", "Switch", "VectorizedMap", "WhileLoop"}) {
      (*ops)[op] = "takes a Python function, which the file does not hold";
    }
    for (const char *op :
         {"Angle", "FFT", "FFT2", "IFFT2", "IRFFT", "ISTFT", "Imag", "Polar",
          "RFFT", "STFT", "ViewAsComplex", "ViewAsReal"}) {
      (*ops)[op] = "complex numbers (the converter has no complex tensors)";
    }
    for (const char *op :
         {"Cholesky", "CholeskyInverse", "Eig", "Eigh", "Inv", "Logdet",
          "Lstsq", "LuFactor", "MatrixRank", "Pinv", "Qr", "SVD", "Slogdet",
          "Solve", "SolveTriangular"}) {
      (*ops)[op] = "a matrix factorization or solve (no ONNX operator)";
    }
    for (const char *op : {"Nonzero", "Unique"}) {
      (*ops)[op] = "the output shape depends on the data";
    }
    (*ops)["SegmentReduction"] = "abstract base class (SegmentSum, SegmentMax, ... convert)";
    (*ops)["Arange"] = "only recorded with tensor bounds, whose output length depends on the data";
    for (const char *op : {"BinaryCrossentropy", "CTCDecode", "CTCLoss",
                           "CategoricalCrossentropy", "PSNR", "SSIM",
                           "SparseCategoricalCrossentropy"}) {
      (*ops)[op] =
          "a loss or metric (not an inference computation); not converted yet";
    }
    for (const char *op :
         {"AdaptiveAveragePool", "AdaptiveMaxPool", "BatchNorm", "ConvTranspose",
          "DotProductAttention", "LayerNorm", "MultiHot", "SeparableConv"}) {
      (*ops)[op] = not_yet + " (the layer classes of the same name convert)";
    }
    for (const char *op : {"AffineTransform",
                           "Argpartition",

                           "Bincount",

                           "CDist",
                           "Corrcoef",
                           "Correlate",


                           "ElasticTransform",
                           "ExtractPatches",
                           "Fold",
                           "GaussianBlur",
                           "Gcd",
                           "Histogram",
                           "I0",
                           "InTopK",

                           "Lcm",
                           "MapCoordinates",

                           "Nanargmax",
                           "Nanargmin",
                           "Nancumprod",

                           "Nanmedian",
                           "Nanpercentile",
                           "Nanquantile",

                           "Nextafter",
                           "PerspectiveTransform",

                           "Resize",

                           "SaturateCast",
                           "ScaleAndTranslate",

                           "SobelEdges",

                           "Trapezoid",
                           "Unfold",
                           "UnravelIndex",
                           "View"}) {
      (*ops)[op] = not_yet;
    }
    return ops;
  }();
  return *ops;
}

} // namespace onnxsmith::converter::keras
