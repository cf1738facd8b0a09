#include "spiral/dist/buckets.h"

#include <stdexcept>

namespace spiral::dist {

std::vector<Bucket> plan_buckets(const std::vector<BucketItem>& items, size_t capacity) {
  if (capacity == 0) throw std::invalid_argument("plan_buckets: capacity must be positive");
  std::vector<Bucket> buckets;
  for (size_t i = 0; i < items.size(); ++i) {
    const BucketItem& item = items[i];
    const bool fits = !buckets.empty() && buckets.back().kind == item.kind &&
                      buckets.back().bytes + item.bytes <= capacity;
    if (fits) {
      buckets.back().end = i + 1;
      buckets.back().bytes += item.bytes;
    } else {
      buckets.push_back({i, i + 1, item.bytes, item.kind});
    }
  }
  return buckets;
}

}  // namespace spiral::dist
