#include "common/version.h"

namespace onnxsmith {

const char kVersion[] = "0.5.0";
const char kProducerName[] = "onnxsmith";

const char* BuildMode() {
#if defined(ONNXSMITH_COMPILATION_MODE)
  return ONNXSMITH_COMPILATION_MODE;
#elif defined(NDEBUG)
  return "opt";
#else
  return "dbg";
#endif
}

}  // namespace onnxsmith
