// `spiral data train-classifier`: trains the digit classifier that scores what agents paint.
#pragma once

#include "spiral/core/command.h"

namespace spiral::learn {

// The action: its options and entry point.
Command train_classifier_action();

}  // namespace spiral::learn
