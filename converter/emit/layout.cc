#include "converter/emit/layout.h"

#include <cstddef>

namespace onnxsmith::converter {

std::vector<int64_t> ChannelsLastToFirstPerm(int rank) {
  std::vector<int64_t> perm = {0, rank - 1};
  for (int i = 1; i < rank - 1; ++i) perm.push_back(i);
  return perm;
}

std::vector<int64_t> ChannelsFirstToLastPerm(int rank) {
  std::vector<int64_t> perm = {0};
  for (int i = 2; i < rank; ++i) perm.push_back(i);
  perm.push_back(1);
  return perm;
}

bool IsIdentityPerm(const std::vector<int64_t>& perm) {
  for (std::size_t i = 0; i < perm.size(); ++i) {
    if (perm[i] != static_cast<int64_t>(i)) return false;
  }
  return true;
}

}  // namespace onnxsmith::converter
