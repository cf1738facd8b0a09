#include "spiral/dist/delivery.h"

#include <cassert>

#include "spiral/core/errors.h"

namespace spiral::dist {
namespace {

// The world ranks of ranks 0..size-1 of `comm`.
std::vector<int> world_ranks(const Communicator& comm, const Communicator& world) {
  MPI_Group group = MPI_GROUP_NULL;
  MPI_Group world_group = MPI_GROUP_NULL;
  check_mpi(MPI_Comm_group(comm.raw(), &group), "MPI_Comm_group");
  check_mpi(MPI_Comm_group(world.raw(), &world_group), "MPI_Comm_group");
  std::vector<int> ranks(static_cast<size_t>(comm.size()));
  std::vector<int> translated(ranks.size());
  for (size_t r = 0; r < ranks.size(); ++r) ranks[r] = static_cast<int>(r);
  const int code = MPI_Group_translate_ranks(group, static_cast<int>(ranks.size()), ranks.data(),
                                             world_group, translated.data());
  MPI_Group_free(&group);
  MPI_Group_free(&world_group);
  check_mpi(code, "MPI_Group_translate_ranks");
  return translated;
}

// The ranks of `comm` with `member` set, ordered by rank (MPI_COMM_NULL elsewhere); collective.
OwnedCommunicator split_members(const Communicator& comm, bool member) {
  MPI_Comm part = MPI_COMM_NULL;
  check_mpi(MPI_Comm_split(comm.raw(), member ? 0 : MPI_UNDEFINED, comm.rank(), &part),
            "MPI_Comm_split");
  return OwnedCommunicator(part);
}

}  // namespace

const char* delivery_path_name(DeliveryPath path) {
  return path == DeliveryPath::kTree ? "tree" : "direct";
}

DeliveryPath parse_delivery_path(const std::string& text) {
  if (text == "tree") return DeliveryPath::kTree;
  if (text == "direct") return DeliveryPath::kDirect;
  throw UserError("--parameter-delivery '" + text + "': expected tree or direct");
}

OwnedCommunicator split_nodes(const Communicator& comm, int ranks_per_node) {
  MPI_Comm node = MPI_COMM_NULL;
  if (ranks_per_node > 0) {
    check_mpi(MPI_Comm_split(comm.raw(), comm.rank() / ranks_per_node, comm.rank(), &node),
              "MPI_Comm_split");
  } else {
    check_mpi(
        MPI_Comm_split_type(comm.raw(), MPI_COMM_TYPE_SHARED, comm.rank(), MPI_INFO_NULL, &node),
        "MPI_Comm_split_type");
  }
  return OwnedCommunicator(node);
}

DeliveryRoute::DeliveryRoute(const Communicator& world, int first_actor, DeliveryPath path,
                             int ranks_per_node)
    : path_(path), node_(MPI_COMM_NULL), node_actors_(MPI_COMM_NULL), leaders_(MPI_COMM_NULL) {
  assert(first_actor >= 1);  // rank 0 is the source
  const int rank = world.rank();
  const bool actor = rank >= first_actor;
  if (path == DeliveryPath::kDirect) {
    if (actor) {
      upstream_ = world;
      upstream_rank_ = upstream_world_rank_ = 0;
    }
    if (rank == 0) {
      downstream_ = world;
      for (int r = first_actor; r < world.size(); ++r) downstream_ranks_.push_back(r);
      downstream_world_ranks_ = downstream_ranks_;
    }
    return;
  }
  node_ = split_nodes(world, ranks_per_node);
  node_actors_ = split_members(node_.get(), actor);
  const bool leader = actor && node_actors_.get().rank() == 0;
  leaders_ = split_members(world, rank == 0 || leader);
  // Passes on to ranks 1.. of `comm`.
  const auto pass_on_to = [&](const Communicator& comm) {
    downstream_ = comm;
    const std::vector<int> in_world = world_ranks(comm, world);
    for (int r = 1; r < comm.size(); ++r) {
      downstream_ranks_.push_back(r);
      downstream_world_ranks_.push_back(in_world[static_cast<size_t>(r)]);
    }
  };
  if (rank == 0) {
    pass_on_to(leaders_.get());
    actor_nodes_ = leaders_.get().size() - 1;
  } else if (leader) {
    upstream_ = leaders_.get();
    upstream_rank_ = upstream_world_rank_ = 0;
    pass_on_to(node_actors_.get());
  } else if (actor) {
    upstream_ = node_actors_.get();
    upstream_rank_ = 0;
    upstream_world_rank_ = world_ranks(upstream_, world).front();
  }
}

}  // namespace spiral::dist
