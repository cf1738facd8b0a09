// Grouping of a list of tensors into buckets for fused collectives (no LibTorch needed).
#pragma once

#include <cstddef>
#include <vector>

namespace spiral::dist {

// Default bucket capacity of the fused gradient allreduce: 25 MiB.
inline constexpr size_t kDefaultBucketBytes = size_t{25} << 20;

// What the planner needs to know of one tensor.
struct BucketItem {
  size_t bytes = 0;  // size of its data
  int kind = 0;      // tensors of different kinds (dtype, device) never share a bucket
};

// A run of consecutive items [begin, end) that one collective reduces together.
struct Bucket {
  size_t begin = 0;
  size_t end = 0;
  size_t bytes = 0;  // sum of the items' bytes
  int kind = 0;
};

// Splits `items`, in order, into buckets of consecutive items of one kind whose sizes add up to
// at most `capacity` bytes; an item larger than `capacity` gets a bucket of its own. Every item is
// in exactly one bucket and the buckets cover the list in order. Throws std::invalid_argument when
// `capacity` is 0.
std::vector<Bucket> plan_buckets(const std::vector<BucketItem>& items, size_t capacity);

}  // namespace spiral::dist
