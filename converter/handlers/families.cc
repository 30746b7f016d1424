// The handler table of every op family (handlers/registry.h): the list lives
// in //converter, which links every family (the TF op families here and the
// control-flow ones of //converter/control_flow), while the registry class
// itself is in //converter:handler_api, which the families depend on.
#include "converter/control_flow/control_flow_ops.h"
#include "converter/handlers/registry.h"

namespace onnxsmith::converter {

// Families of issue 14's op breadth, declared here beside their one use.
void RegisterMatrixOps(HandlerRegistry& r);         // diagonals, Det, MatrixInverse, MatrixSolve
void RegisterMiscOps(HandlerRegistry& r);           // Cumprod, ListDiff, CTC decoder, xent losses
void RegisterImageColorOps(HandlerRegistry& r);     // HSV conversions, Adjust*
void RegisterImageResampleOps(HandlerRegistry& r);  // ResizeArea, CropAndResize, patches, argmax pool
void RegisterSignalOps(HandlerRegistry& r);         // FFT family (DFT), complex parts
void RegisterRnnCellOps(HandlerRegistry& r);        // LSTMBlockCell, BlockLSTM(V2), GRUBlockCell
void RegisterSetOps(HandlerRegistry& r);            // DenseToDenseSetOperation
void RegisterCudnnRnnOps(HandlerRegistry& r);       // CudnnRNN(V2/V3) -> ONNX LSTM/GRU/RNN
void RegisterLinalgOps(HandlerRegistry& r);         // Cross, TridiagonalMatMul
void RegisterStatelessRandomOps(HandlerRegistry& r);  // tf.random.stateless_*
void RegisterScaleTranslateOps(HandlerRegistry& r);  // ScaleAndTranslate (antialiased resize)
void RegisterSpecialMathOps(HandlerRegistry& r);  // Erfinv, Ndtri, Bessel I, Digamma, Zeta
void RegisterArrayExtraOps(HandlerRegistry& r);  // LinSpace, BroadcastArgs, searchsorted, InTopKV2

absl::Span<const HandlerFamily> HandlerFamilies() {
  static constexpr HandlerFamily kFamilies[] = {
      {"graph", RegisterGraphOps},   {"math", RegisterMathOps},
      {"reduce", RegisterReduceOps}, {"nn", RegisterNnOps},
      {"conv", RegisterConvOps},     {"shape", RegisterShapeOps},
      {"join_split", RegisterJoinSplitOps}, {"slice", RegisterSliceOps},
      {"pad", RegisterPadOps},       {"fill", RegisterFillOps},
      {"index", RegisterIndexOps},   {"image", RegisterImageOps},
      {"einsum", RegisterEinsumOps},
      {"fake_quant", RegisterFakeQuantOps},
      {"bitwise", RegisterBitwiseOps},
      {"math_special", RegisterMathSpecialOps},
      {"special_math", RegisterSpecialMathOps},
      {"space_batch", RegisterSpaceBatchOps},
      {"scatter", RegisterScatterOps},
      {"reorder", RegisterReorderOps},
      {"random", RegisterRandomOps},
      {"stateless_random", RegisterStatelessRandomOps},
      {"array_extra", RegisterArrayExtraOps},
      {"selection", RegisterSelectionOps},
      {"matrix", RegisterMatrixOps},
      {"misc", RegisterMiscOps},
      {"image_color", RegisterImageColorOps},
      {"image_resample", RegisterImageResampleOps},
      {"scale_translate", RegisterScaleTranslateOps},
      {"signal", RegisterSignalOps},
      {"rnn_cell", RegisterRnnCellOps},
      {"cudnn_rnn", RegisterCudnnRnnOps},
      {"linalg", RegisterLinalgOps},
      {"set", RegisterSetOps},
      {"sparse", RegisterSparseOps},
      {"string", RegisterStringOps},
      {"ragged", RegisterRaggedOps},
      {"lookup", RegisterLookupOps},
      {"control_flow", RegisterControlFlowOps},
      {"tensor_list", RegisterTensorListOps},
  };
  return kFamilies;
}

const HandlerRegistry& HandlerRegistry::Global() {
  static const HandlerRegistry* registry = new HandlerRegistry(RegistryFromFamilies(HandlerFamilies()));
  return *registry;
}

}  // namespace onnxsmith::converter
