#include <H5public.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <sstream>

#include "command.h"
#include "spiral/build_info.h"
#include "spiral/dist/mpi.h"
#include "spiral/dist/nccl.h"

namespace spiral::app {

std::string version_report() {
  unsigned hdf5_major = 0, hdf5_minor = 0, hdf5_release = 0;
  H5get_libversion(&hdf5_major, &hdf5_minor, &hdf5_release);
  const bool cuda = torch::cuda::is_available();
  std::ostringstream out;
  out << "spiral " << SPIRAL_VERSION << " (commit " << SPIRAL_GIT_COMMIT << ", "
      << SPIRAL_BUILD_TYPE << ")\n"
      << "LibTorch " << TORCH_VERSION << ", CUDA "
      << (cuda ? "available (" + std::to_string(torch::cuda::device_count()) + " device(s))"
               : std::string("not available"))
      << "\n"
      << "NCCL " << dist::nccl_version()
      << (dist::nccl_compiled_in() ? (cuda ? " (usable)" : " (compiled in; no GPU to run it)") : "")
      << "\n"
      << "MPI " << dist::mpi_library_version() << "\n"
      << "HDF5 " << hdf5_major << "." << hdf5_minor << "." << hdf5_release << "\n";
  return out.str();
}

}  // namespace spiral::app
