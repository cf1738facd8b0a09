// Tests of the dist module's pure helpers: the bucket planner of the fused allreduce.
#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "spiral/dist/buckets.h"

namespace spiral::dist {
namespace {

// Every item is in exactly one bucket, in order, and no bucket mixes kinds.
void expect_partition(const std::vector<BucketItem>& items, const std::vector<Bucket>& buckets) {
  size_t next = 0;
  for (const Bucket& bucket : buckets) {
    ASSERT_EQ(bucket.begin, next);
    ASSERT_GT(bucket.end, bucket.begin);
    size_t bytes = 0;
    for (size_t i = bucket.begin; i < bucket.end; ++i) {
      EXPECT_EQ(items[i].kind, bucket.kind) << "item " << i;
      bytes += items[i].bytes;
    }
    EXPECT_EQ(bytes, bucket.bytes);
    next = bucket.end;
  }
  EXPECT_EQ(next, items.size());
}

TEST(PlanBuckets, EmptyListHasNoBuckets) { EXPECT_TRUE(plan_buckets({}, 100).empty()); }

TEST(PlanBuckets, FillsBucketsUpToTheCapacity) {
  const std::vector<BucketItem> items = {{40, 0}, {40, 0}, {20, 0}, {10, 0}, {60, 0}, {40, 0}};
  const std::vector<Bucket> buckets = plan_buckets(items, 100);
  expect_partition(items, buckets);
  ASSERT_EQ(buckets.size(), 3u);
  EXPECT_EQ(buckets[0].end, 3u);  // 40 + 40 + 20 = 100 fits exactly; + 10 would not
  EXPECT_EQ(buckets[0].bytes, 100u);
  EXPECT_EQ(buckets[1].bytes, 70u);  // 10 + 60; + 40 would pass 100
  EXPECT_EQ(buckets[2].bytes, 40u);
}

TEST(PlanBuckets, AnItemLargerThanTheCapacityGoesAlone) {
  const std::vector<BucketItem> items = {{10, 0}, {500, 0}, {10, 0}};
  const std::vector<Bucket> buckets = plan_buckets(items, 100);
  expect_partition(items, buckets);
  ASSERT_EQ(buckets.size(), 3u);
  EXPECT_EQ(buckets[1].begin, 1u);
  EXPECT_EQ(buckets[1].end, 2u);
  EXPECT_EQ(buckets[1].bytes, 500u);
}

TEST(PlanBuckets, KindsNeverShareABucket) {
  const std::vector<BucketItem> items = {{4, 1}, {8, 2}, {8, 2}, {4, 1}, {4, 1}};
  const std::vector<Bucket> buckets = plan_buckets(items, 1000);
  expect_partition(items, buckets);
  ASSERT_EQ(buckets.size(), 3u);
  EXPECT_EQ(buckets[0].kind, 1);
  EXPECT_EQ(buckets[1].kind, 2);
  EXPECT_EQ(buckets[1].end - buckets[1].begin, 2u);
  EXPECT_EQ(buckets[2].end - buckets[2].begin, 2u);
}

TEST(PlanBuckets, ZeroSizedItemsJoinTheCurrentBucket) {
  const std::vector<BucketItem> items = {{100, 0}, {0, 0}, {1, 0}};
  const std::vector<Bucket> buckets = plan_buckets(items, 100);
  expect_partition(items, buckets);
  ASSERT_EQ(buckets.size(), 2u);
  EXPECT_EQ(buckets[0].end, 2u);
}

TEST(PlanBuckets, ManyItemsArePartitioned) {
  std::vector<BucketItem> items;
  for (size_t i = 0; i < 1000; ++i)
    items.push_back({(i * 7919) % 300, static_cast<int>(i % 3 / 2)});
  for (size_t capacity : {1u, 64u, 299u, 1000u, 1u << 20}) {
    const std::vector<Bucket> buckets = plan_buckets(items, capacity);
    expect_partition(items, buckets);
    for (const Bucket& bucket : buckets) {
      if (bucket.end - bucket.begin > 1) {
        EXPECT_LE(bucket.bytes, capacity);
      }
    }
  }
}

TEST(PlanBuckets, ZeroCapacityIsRejected) {
  EXPECT_THROW(plan_buckets({{1, 0}}, 0), std::invalid_argument);
}

}  // namespace
}  // namespace spiral::dist
