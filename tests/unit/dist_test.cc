// Tests of the dist module's pure helpers: the bucket planner of the fused allreduce and the role
// layout of asynchronous runs.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "spiral/core/errors.h"
#include "spiral/dist/buckets.h"
#include "spiral/dist/layout.h"

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

// ---- Role layout of --mode async ----

TEST(RoleLayout, ParsesAnyOrderAndNumbersLearnersFirst) {
  const RoleLayout layout = parse_layout("replay:2,actors:5,learners:2", 9);
  EXPECT_EQ(layout.learners, 2);
  EXPECT_EQ(layout.replay, 2);
  EXPECT_EQ(layout.actors, 5);
  EXPECT_EQ(layout.role(0), Role::kLearner);
  EXPECT_EQ(layout.role(1), Role::kLearner);
  EXPECT_EQ(layout.role(2), Role::kReplay);
  EXPECT_EQ(layout.role(4), Role::kActor);
  EXPECT_EQ(layout.index(3), 1);
  EXPECT_EQ(layout.index(8), 4);
  EXPECT_EQ(layout.holder_of_actor(0), 2);
  EXPECT_EQ(layout.holder_of_actor(3), 3);
  EXPECT_EQ(layout.actors_of_holder(0), (std::vector<int>{0, 2, 4}));
  EXPECT_EQ(layout.actors_of_holder(1), (std::vector<int>{1, 3}));
  EXPECT_EQ(layout.to_string(), "actors:5,replay:2,learners:2");
  EXPECT_EQ(parse_layout(layout.to_string(), 9).to_string(), layout.to_string());
  EXPECT_EQ(layout.describe(),
            "learners: ranks 0-1 (rank 0 writes the run's files)\n"
            "replay holder: rank 2, episodes of actor rank(s) 4,6,8\n"
            "replay holder: rank 3, episodes of actor rank(s) 5,7\n"
            "actors: ranks 4-8");
}

// The message of the UserError `text` on `world` ranks raises ("" when none).
std::string layout_error(const std::string& text, int world) {
  try {
    parse_layout(text, world);
  } catch (const UserError& error) {
    return error.what();
  }
  return "";
}

TEST(RoleLayout, RefusesBadLayoutsWithOneClearLine) {
  EXPECT_NE(layout_error("actors:2,replay:1", 3).find("every role needs at least one rank"),
            std::string::npos);
  EXPECT_NE(layout_error("actors:2,replay:1,learners:0", 3).find("at least one rank"),
            std::string::npos);
  EXPECT_NE(layout_error("actors:4,replay:1,learners:1", 4).find("has 6 ranks, the job has 4"),
            std::string::npos);
  EXPECT_NE(layout_error("actors:1,replay:1,learners:1", 4).find("has 3 ranks, the job has 4"),
            std::string::npos);
  EXPECT_NE(layout_error("actors:2,critics:1,learners:1", 4).find("unknown role 'critics'"),
            std::string::npos);
  EXPECT_NE(layout_error("actors:2,replay,learners:1", 4).find("'replay' is not role:count"),
            std::string::npos);
  EXPECT_NE(layout_error("actors:x,replay:1,learners:1", 3).find("'x' is not a rank count"),
            std::string::npos);
  EXPECT_NE(layout_error("actors:1,actors:1,replay:1,learners:1", 4).find("given twice"),
            std::string::npos);
  EXPECT_NE(layout_error("", 2).find("at least 3 ranks"), std::string::npos);
}

TEST(RoleLayout, DefaultHasOneLearnerAndAHolderPer16Actors) {
  EXPECT_EQ(default_layout(3).to_string(), "actors:1,replay:1,learners:1");
  EXPECT_EQ(default_layout(4).to_string(), "actors:2,replay:1,learners:1");
  EXPECT_EQ(default_layout(18).to_string(), "actors:16,replay:1,learners:1");
  EXPECT_EQ(default_layout(19).to_string(), "actors:16,replay:2,learners:1");
  EXPECT_EQ(parse_layout("", 64).to_string(), "actors:59,replay:4,learners:1");
  for (int world = 3; world < 200; ++world) {
    const RoleLayout layout = default_layout(world);
    EXPECT_EQ(layout.size(), world);
    EXPECT_LE(layout.actors, 16 * layout.replay);
    EXPECT_GE(layout.actors, 1);
  }
}

}  // namespace
}  // namespace spiral::dist
