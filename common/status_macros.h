// Status propagation helpers shared by every module.
#ifndef ONNXSMITH_COMMON_STATUS_MACROS_H_
#define ONNXSMITH_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define ONNXSMITH_CONCAT_INNER(a, b) a##b
#define ONNXSMITH_CONCAT(a, b) ONNXSMITH_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                      \
  do {                                             \
    ::absl::Status _status = (expr);               \
    if (!_status.ok()) return _status;             \
  } while (0)

#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()

#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(ONNXSMITH_CONCAT(_statusor_, __LINE__), lhs, expr)

#endif  // ONNXSMITH_COMMON_STATUS_MACROS_H_
