// `spiral bench delivery`: parameters from rank 0 to every other rank (the actors), directly and
// down a tree of nodes, as an asynchronous run sends them. Run it under mpirun.
#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "spiral/bench/actions.h"
#include "spiral/bench/util.h"
#include "spiral/core/errors.h"
#include "spiral/core/logging.h"
#include "spiral/dist/delivery.h"
#include "spiral/dist/fanout.h"
#include "spiral/dist/mpi.h"
#include "spiral/dist/relay.h"

namespace spiral::bench {
namespace {

// Tags of the benchmark's messages (apart from a run's).
enum BenchTag : int { kTagBenchParameters = 41, kTagBenchStop, kTagBenchReceived };

// The pause of a rank's polling loop when nothing has come (ranks share oversubscribed cores).
constexpr std::chrono::microseconds kPollPause(50);

// Rank 0: seconds from sending `bytes` until every actor said it has them.
double deliver(const dist::Communicator& world, dist::Fanout& fanout,
               std::shared_ptr<const std::string> bytes) {
  const auto start = std::chrono::steady_clock::now();
  fanout.offer(std::move(bytes));
  for (int waiting = world.size() - 1; waiting > 0;) {
    if (world.try_receive(MPI_ANY_SOURCE, kTagBenchReceived)) {
      --waiting;
      continue;
    }
    fanout.poll();
    std::this_thread::sleep_for(kPollPause);
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// An actor: takes messages (saying so to rank 0 each time) until the stop, passing them on when it
// leads its node.
void take(const dist::Communicator& world, const dist::DeliveryRoute& route) {
  dist::Relay relay(route, kTagBenchParameters, kTagBenchStop);
  for (bool stop = false; !stop;) {
    while (std::optional<dist::Message> message = relay.next()) {
      if (message->tag == kTagBenchStop) {
        stop = true;
        break;
      }
      world.send({}, 0, kTagBenchReceived);
    }
    relay.poll();
    std::this_thread::sleep_for(kPollPause);
  }
  while (!relay.passed_on()) std::this_thread::sleep_for(kPollPause);
}

int run_bench_delivery(const Config& config, CommandContext& context) {
  dist::MpiRuntime mpi(context.argc, context.argv);
  const dist::Communicator world = mpi.world();
  set_log_identity(world.rank(), "main");
  if (world.size() < 2)
    throw UserError("bench delivery needs at least 2 ranks (run it under mpirun)");
  const std::vector<double> sizes = parse_real_list("mb", config.get_text("mb"), 0, 2048);
  const std::vector<std::string> paths =
      parse_word_list("paths", config.get_text("paths"), {"direct", "tree"});
  const int per_node = static_cast<int>(config.get_int("ranks-per-node"));
  const int warmup = static_cast<int>(config.get_int("warmup"));
  const int repeats = static_cast<int>(config.get_int("repeats"));
  const bool root = world.rank() == 0;
  const int actors = world.size() - 1;
  if (root) {
    std::cout << "parameters from rank 0 to " << actors << " actor rank(s), " << repeats
              << " repeats after " << warmup << " warm-up; nodes: "
              << (per_node > 0 ? std::to_string(per_node) + " consecutive ranks each"
                               : std::string("as MPI reports them"))
              << "\n";
  }
  FigureTable table({"path", "mb", "actors", "nodes", "copies_from_rank0", "rank0_mb_sent",
                     "ms_per_delivery", "spread_pct", "delivered_mb_per_s", "repeats"});
  for (const std::string& name : paths) {
    const dist::DeliveryPath path = dist::parse_delivery_path(name);
    const dist::DeliveryRoute route(world, 1, path, per_node);
    if (!root) {
      take(world, route);  // every size's deliveries, until the stop
    } else {
      dist::Fanout fanout(route.downstream(), route.downstream_ranks(), kTagBenchParameters);
      const int64_t copies = static_cast<int64_t>(route.downstream_ranks().size());
      for (double mb : sizes) {
        const size_t size = static_cast<size_t>(mb * 1e6);
        std::vector<double> seconds;
        for (int i = 0; i < warmup + repeats; ++i) {
          // A fresh message each time, as a new policy version is.
          auto bytes = std::make_shared<const std::string>(size, static_cast<char>('a' + i % 26));
          const double took = deliver(world, fanout, std::move(bytes));
          if (i >= warmup) seconds.push_back(took);
        }
        const Timing timing = summarize(seconds);
        table.add_row(
            {name, fixed(mb, 2), std::to_string(actors),
             path == dist::DeliveryPath::kTree ? std::to_string(route.actor_nodes()) : "-",
             std::to_string(copies), fixed(mb * static_cast<double>(copies), 2),
             fixed(1000 * timing.median, 3), fixed(timing.spread_percent(), 1),
             fixed(mb * actors / timing.median, 1), std::to_string(timing.repeats)});
      }
      fanout.close({}, kTagBenchStop, /*flush=*/false);
      fanout.wait();
    }
    world.barrier();
  }
  if (root) emit_table(table, config.get_text("csv"));
  return 0;
}

}  // namespace

Command delivery_action() {
  return {"delivery",
          "Parameters from rank 0 to every other rank, directly and down a tree of nodes (ms per "
          "delivery, MB/s); run under mpirun.",
          {{"bench",
            {
                text_option("mb", "1,6.5,26", "Message sizes in MB (6.5: the paper-size policy)"),
                text_option("paths", "direct,tree", "Paths to measure: direct, tree"),
                int_option("ranks-per-node", 0, 0, 1 << 20, "ranks",
                           "Take each run of this many consecutive ranks as one node (0: the "
                           "nodes MPI reports)"),
                int_option("repeats", 20, 1, 100000, "repeats", "Timed deliveries per size"),
                int_option("warmup", 3, 0, 100000, "repeats", "Untimed deliveries first"),
                text_option("csv", "", "Also write the table to this CSV file (rank 0)"),
            }}},
          run_bench_delivery,
          {}};
}

}  // namespace spiral::bench
