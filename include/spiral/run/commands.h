// The commands that use what runs leave behind: agents of a checkpoint (reconstruct, sample) and
// run folders (inspect), each with its options and entry point.
#pragma once

#include "spiral/core/command.h"

namespace spiral::run {

// `spiral reconstruct`: held-out images reconstructed by a conditional agent, scored.
Command reconstruct_command();

// `spiral sample`: an unconditional agent's samples, scored by the digit classifier if given.
Command sample_command();

// `spiral inspect`: a run folder summarised.
Command inspect_command();

}  // namespace spiral::run
