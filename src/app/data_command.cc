#include "command.h"

namespace spiral::app {

Command data_command() {
  return not_built("data", "Inspect datasets and generate MuJoCo scene datasets.");
}

}  // namespace spiral::app
