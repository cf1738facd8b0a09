// How the policy's parameters travel from learner 0 to the actors of an asynchronous run: to each
// actor directly, or down a tree of nodes (one copy per node to its leader, which passes it on).
#pragma once

#include <string>
#include <vector>

#include "spiral/dist/mpi.h"

namespace spiral::dist {

// The path of parameters to the actors.
enum class DeliveryPath { kDirect, kTree };

// "direct" or "tree".
const char* delivery_path_name(DeliveryPath path);

// The path `text` names; UserError for another word.
DeliveryPath parse_delivery_path(const std::string& text);

// The communicator of the ranks of `comm` on this rank's node (collective over `comm`), ordered by
// rank: MPI_Comm_split_type(MPI_COMM_TYPE_SHARED), or, when `ranks_per_node` > 0, each run of that
// many consecutive ranks taken as one node (to study or test several nodes on one machine).
OwnedCommunicator split_nodes(const Communicator& comm, int ranks_per_node);

// One rank's place on the path of parameters: whom it hears them from and whom it passes them on
// to. Ranks from `first_actor` on are actors; rank 0 is the source. With the tree, the actors of
// each node form a group whose first rank (the node's leader) hears from rank 0 and passes each
// message on to the others; rank 0 and the leaders form a communicator of their own.
class DeliveryRoute {
 public:
  // Collective over `world`: every rank calls it with the same arguments.
  DeliveryRoute(const Communicator& world, int first_actor, DeliveryPath path, int ranks_per_node);
  DeliveryRoute(const DeliveryRoute&) = delete;
  DeliveryRoute& operator=(const DeliveryRoute&) = delete;

  DeliveryPath path() const { return path_; }
  // Actors: the communicator and rank that parameters and the stop come from.
  Communicator upstream() const { return upstream_; }
  int upstream_rank() const { return upstream_rank_; }
  // That rank's rank in the world.
  int upstream_world_rank() const { return upstream_world_rank_; }
  // Rank 0 and node leaders: the communicator and its ranks this rank passes messages on to
  // (empty for others).
  Communicator downstream() const { return downstream_; }
  const std::vector<int>& downstream_ranks() const { return downstream_ranks_; }
  // The same ranks in the world.
  const std::vector<int>& downstream_world_ranks() const { return downstream_world_ranks_; }
  // Rank 0 on the tree: the nodes that hold actors (0 otherwise).
  int actor_nodes() const { return actor_nodes_; }

 private:
  DeliveryPath path_;
  OwnedCommunicator node_;         // every rank of this node (tree)
  OwnedCommunicator node_actors_;  // the actors of this node (tree; actors only)
  OwnedCommunicator leaders_;      // rank 0 and the node leaders (tree; those only)
  Communicator upstream_{MPI_COMM_NULL};
  int upstream_rank_ = -1;
  int upstream_world_rank_ = -1;
  Communicator downstream_{MPI_COMM_NULL};
  std::vector<int> downstream_ranks_;
  std::vector<int> downstream_world_ranks_;
  int actor_nodes_ = 0;
};

}  // namespace spiral::dist
