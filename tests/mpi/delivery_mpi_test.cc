// The path of parameters to the actors on real MPI ranks: the route each rank takes for a given
// node split, and bit-identical delivery of a stream of messages, directly and down a tree of
// simulated nodes (run with 4 and 6 ranks by CTest).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "spiral/dist/delivery.h"
#include "spiral/dist/fanout.h"
#include "spiral/dist/relay.h"

namespace spiral::dist {
namespace {

constexpr int kTag = 21;
constexpr int kStopTag = 22;
constexpr int kFirstActor = 2;  // rank 0 the source, rank 1 neither (as a replay holder)

Communicator world() { return Communicator(MPI_COMM_WORLD); }

// FNV-1a over every byte.
uint64_t hash_of(const std::string& bytes) {
  uint64_t hash = 1469598103934665603ULL;
  for (unsigned char c : bytes) hash = (hash ^ c) * 1099511628211ULL;
  return hash;
}

// Message `version`: the version (int64) and `size` pseudo-random bytes that differ per version.
std::string message_of(int64_t version, size_t size) {
  std::string bytes(sizeof version + size, '\0');
  std::memcpy(bytes.data(), &version, sizeof version);
  uint64_t state = 0x9E3779B97F4A7C15ULL * static_cast<uint64_t>(version + 1);
  for (size_t i = sizeof version; i < bytes.size(); ++i) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    bytes[i] = static_cast<char>(state >> 56);
  }
  return bytes;
}

// The leader of actor `rank` when each `ranks_per_node` consecutive ranks are a node.
int leader_of(int rank, int ranks_per_node) {
  return std::max(kFirstActor, rank / ranks_per_node * ranks_per_node);
}

class RouteTest : public ::testing::TestWithParam<int> {};

TEST_P(RouteTest, EachActorHearsFromItsNodesLeaderAndLeadersFromRankZero) {
  const Communicator comm = world();
  const int per_node = GetParam();
  const DeliveryRoute route(comm, kFirstActor, DeliveryPath::kTree, per_node);
  const int rank = comm.rank();
  if (rank == 0) {
    std::vector<int> leaders;
    for (int r = kFirstActor; r < comm.size(); ++r) {
      if (leader_of(r, per_node) == r) leaders.push_back(r);
    }
    EXPECT_EQ(route.downstream_world_ranks(), leaders);
    EXPECT_EQ(route.actor_nodes(), static_cast<int>(leaders.size()));
  } else if (rank < kFirstActor) {
    EXPECT_TRUE(route.downstream_ranks().empty());
    EXPECT_EQ(route.upstream_rank(), -1);
  } else {
    const int leader = leader_of(rank, per_node);
    EXPECT_EQ(route.upstream_world_rank(), leader == rank ? 0 : leader);
    std::vector<int> members;
    if (leader == rank) {
      for (int r = rank + 1; r < comm.size() && leader_of(r, per_node) == rank; ++r) {
        members.push_back(r);
      }
    }
    EXPECT_EQ(route.downstream_world_ranks(), members);
  }
}

INSTANTIATE_TEST_SUITE_P(RanksPerNode, RouteTest, ::testing::Values(1, 2, 3));

TEST(Route, OneMachineIsOneNodeWithOneLeader) {
  const Communicator comm = world();
  const DeliveryRoute route(comm, kFirstActor, DeliveryPath::kTree, 0);  // MPI's own split
  if (comm.rank() == 0) {
    EXPECT_EQ(route.downstream_world_ranks(), std::vector<int>{kFirstActor});
  } else if (comm.rank() > kFirstActor) {
    EXPECT_EQ(route.upstream_world_rank(), kFirstActor);
  }
}

TEST(Route, DirectSendsFromRankZeroToEveryActor) {
  const Communicator comm = world();
  const DeliveryRoute route(comm, kFirstActor, DeliveryPath::kDirect, 2);
  if (comm.rank() == 0) {
    std::vector<int> actors;
    for (int r = kFirstActor; r < comm.size(); ++r) actors.push_back(r);
    EXPECT_EQ(route.downstream_world_ranks(), actors);
  } else if (comm.rank() >= kFirstActor) {
    EXPECT_EQ(route.upstream_world_rank(), 0);
    EXPECT_TRUE(route.downstream_ranks().empty());
  }
}

TEST(Route, UnknownPathNamesTheChoices) {
  EXPECT_EQ(parse_delivery_path("tree"), DeliveryPath::kTree);
  EXPECT_EQ(parse_delivery_path("direct"), DeliveryPath::kDirect);
  EXPECT_THROW(parse_delivery_path("ring"), std::exception);
}

// (path, ranks per node)
class DeliveryTest : public ::testing::TestWithParam<std::tuple<DeliveryPath, int>> {};

// Rank 0 sends kVersions messages of about 1 MiB (each once its previous copies are sent, so that
// none is skipped at the source), then the stop. Every actor checks the hash of every version it
// received against rank 0's, and ends with the last version.
TEST_P(DeliveryTest, EveryActorGetsBitIdenticalMessagesAndTheLast) {
  const Communicator comm = world();
  const auto [path, per_node] = GetParam();
  const DeliveryRoute route(comm, kFirstActor, path, per_node);
  constexpr int64_t kVersions = 6;
  constexpr size_t kSize = (1 << 20) + 13;
  const int rank = comm.rank();
  // Per rank: received (version, hash) pairs, then copies passed on.
  std::vector<int64_t> mine;
  int64_t passed_on = 0;
  if (rank == 0) {
    Fanout fanout(route.downstream(), route.downstream_ranks(), kTag);
    for (int64_t v = 1; v <= kVersions; ++v) {
      fanout.offer(std::make_shared<const std::string>(message_of(v, kSize)));
      while (!fanout.idle()) std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    fanout.close("stop", kStopTag, /*flush=*/false);
    fanout.wait();
    passed_on = fanout.copies_sent();
    EXPECT_EQ(fanout.copies_sent(), kVersions * static_cast<int64_t>(fanout.destinations().size()));
    EXPECT_EQ(fanout.bytes_sent(), fanout.copies_sent() * static_cast<int64_t>(kSize + 8));
  } else if (rank >= kFirstActor) {
    Relay relay(route, kTag, kStopTag);
    for (bool stop = false; !stop;) {
      while (std::optional<Message> message = relay.next()) {
        if (message->tag == kStopTag) {
          EXPECT_EQ(message->bytes, "stop");
          stop = true;
          break;
        }
        EXPECT_EQ(message->tag, kTag);  // no ASSERT: every rank must reach the gather below
        int64_t version = 0;
        std::memcpy(&version, message->bytes.data(), sizeof version);
        mine.push_back(version);
        mine.push_back(static_cast<int64_t>(hash_of(message->bytes)));
      }
      relay.poll();
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    while (!relay.passed_on()) std::this_thread::sleep_for(std::chrono::microseconds(100));
    passed_on = relay.copies_passed_on();
  }
  mine.push_back(passed_on);
  const std::vector<std::string> all =
      comm.gather(std::string(reinterpret_cast<const char*>(mine.data()), mine.size() * 8), 0);
  if (rank != 0) return;
  int64_t copies = 0;    // sent by every rank
  int64_t received = 0;  // by every actor
  for (int r = 0; r < comm.size(); ++r) {
    std::vector<int64_t> got(all[static_cast<size_t>(r)].size() / 8);
    std::memcpy(got.data(), all[static_cast<size_t>(r)].data(), got.size() * 8);
    copies += got.back();
    got.pop_back();
    if (r < kFirstActor) {
      EXPECT_TRUE(got.empty()) << "rank " << r << " is no actor";
      continue;
    }
    received += static_cast<int64_t>(got.size() / 2);
    EXPECT_GE(got.size(), 2U) << "actor rank " << r << " received nothing";
    int64_t last = 0;
    for (size_t i = 0; i < got.size(); i += 2) {
      EXPECT_GT(got[i], last) << "actor rank " << r << ": versions out of order";
      last = got[i];
      EXPECT_EQ(static_cast<uint64_t>(got[i + 1]), hash_of(message_of(got[i], kSize)))
          << "actor rank " << r << ": version " << got[i] << " differs from rank 0's";
    }
    EXPECT_EQ(last, kVersions) << "actor rank " << r << " missed the last version";
  }
  // Every copy sent was received once; each actor hears each version at most once; rank 0 sent
  // every version to each of its destinations, leaders at least the last to each of theirs.
  const int64_t actors = comm.size() - kFirstActor;
  const int64_t first_hop = static_cast<int64_t>(route.downstream_ranks().size());
  EXPECT_EQ(first_hop, path == DeliveryPath::kDirect ? actors : route.actor_nodes());
  EXPECT_EQ(received, copies);
  EXPECT_LE(copies, kVersions * actors);
  EXPECT_GE(copies, kVersions * first_hop + (actors - first_hop));
}

INSTANTIATE_TEST_SUITE_P(Paths, DeliveryTest,
                         ::testing::Values(std::make_tuple(DeliveryPath::kDirect, 0),
                                           std::make_tuple(DeliveryPath::kTree, 0),
                                           std::make_tuple(DeliveryPath::kTree, 1),
                                           std::make_tuple(DeliveryPath::kTree, 2),
                                           std::make_tuple(DeliveryPath::kTree, 3)));

}  // namespace
}  // namespace spiral::dist
