// The dataset actions of `spiral data`: describe a dataset (info) and generate MuJoCo scene
// datasets (generate-scenes), each with its options and entry point.
#pragma once

#include "spiral/core/command.h"

namespace spiral::data {

// `spiral data info SPEC`: a dataset's size, shapes, value range, labels and split.
Command info_action();

// `spiral data generate-scenes`: random MuJoCo scenes with the objects that were rendered.
Command generate_scenes_action();

}  // namespace spiral::data
