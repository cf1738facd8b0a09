# Finds every external dependency and fails at configure time with the Debian package to install.

# spiral_require(FOUND_VAR WHAT PACKAGES): stop with one line naming the Debian packages.
function(spiral_require found what packages)
  if(NOT ${found})
    message(FATAL_ERROR "${what} not found: install the Debian package(s) '${packages}' "
                        "(bash scripts/setup.sh installs everything)")
  endif()
endfunction()

find_package(Threads REQUIRED)
find_package(PkgConfig QUIET)
spiral_require(PKG_CONFIG_FOUND "pkg-config" "pkg-config")

# LibTorch: Debian's libtorch-dev (1.13, CPU) here, PyTorch's LibTorch (CUDA) on GPU machines.
find_package(Torch 1.13 QUIET)
spiral_require(Torch_FOUND "LibTorch >= 1.13 (find_package(Torch))" "libtorch-dev")
set(SPIRAL_TORCH_VERSION "${Torch_VERSION}")

# MPI (C API only; Open MPI's C++ bindings are not wanted).
find_package(MPI QUIET COMPONENTS C)
spiral_require(MPI_C_FOUND "MPI (C)" "libopenmpi-dev openmpi-bin")
find_program(SPIRAL_MPIEXEC NAMES mpirun mpiexec HINTS ${MPIEXEC_EXECUTABLE})
spiral_require(SPIRAL_MPIEXEC "mpirun" "openmpi-bin")

# HDF5 (C API, serial).
find_package(HDF5 QUIET COMPONENTS C)
spiral_require(HDF5_FOUND "HDF5 (C)" "libhdf5-dev")
add_library(spiral_hdf5 INTERFACE)
target_include_directories(spiral_hdf5 SYSTEM INTERFACE ${HDF5_C_INCLUDE_DIRS})
target_link_libraries(spiral_hdf5 INTERFACE ${HDF5_C_LIBRARIES})
target_compile_definitions(spiral_hdf5 INTERFACE ${HDF5_C_DEFINITIONS})

find_package(Boost 1.74 QUIET COMPONENTS program_options)
spiral_require(Boost_FOUND "Boost.Program_options" "libboost-program-options-dev")

find_package(nlohmann_json 3 QUIET)
spiral_require(nlohmann_json_FOUND "nlohmann JSON" "nlohmann-json3-dev")

# MuJoCo 2.2, by its library and header: Debian's CMake config also demands every qhull library
# it was built with, which unpacked packages on other distributions may lack.
find_library(SPIRAL_MUJOCO_LIBRARY mujoco)
find_path(SPIRAL_MUJOCO_INCLUDE mujoco/mujoco.h)
spiral_require(SPIRAL_MUJOCO_LIBRARY "MuJoCo (libmujoco)" "libmujoco-dev")
spiral_require(SPIRAL_MUJOCO_INCLUDE "MuJoCo headers (mujoco/mujoco.h)" "libmujoco-dev")
add_library(mujoco::mujoco UNKNOWN IMPORTED)
set_target_properties(mujoco::mujoco PROPERTIES IMPORTED_LOCATION "${SPIRAL_MUJOCO_LIBRARY}"
                      INTERFACE_INCLUDE_DIRECTORIES "${SPIRAL_MUJOCO_INCLUDE}")

# libmypaint: its pkg-config file needs glib's.
pkg_check_modules(MYPAINT QUIET IMPORTED_TARGET libmypaint)
spiral_require(MYPAINT_FOUND "libmypaint (pkg-config libmypaint)" "libmypaint-dev libglib2.0-dev")
find_path(SPIRAL_BRUSHES_DIR classic/dry_brush.myb
          HINTS ENV MYPAINT_BRUSHES_DIR PATHS /usr/share/mypaint-data/2.0/brushes
                /usr/share/mypaint-data/1.0/brushes)
spiral_require(SPIRAL_BRUSHES_DIR "mypaint brushes (classic/dry_brush.myb)" "mypaint-brushes")

# Off-screen OpenGL: EGL (Mesa's surfaceless platform or NVIDIA's device) and OSMesa.
find_package(OpenGL QUIET COMPONENTS OpenGL EGL)
spiral_require(OpenGL_EGL_FOUND "EGL" "libegl-dev libegl-mesa0")
spiral_require(OpenGL_OpenGL_FOUND "OpenGL" "libgl-dev")
# OSMesa is optional: without its header, scenes render through EGL only.
pkg_check_modules(OSMESA QUIET IMPORTED_TARGET osmesa)
if(NOT OSMESA_FOUND)
  message(STATUS "OSMesa (libosmesa6-dev) not found: MuJoCo scenes will render through EGL only")
endif()

find_package(PNG QUIET)
spiral_require(PNG_FOUND "libpng" "libpng-dev")
find_package(JPEG QUIET)
spiral_require(JPEG_FOUND "libjpeg" "libjpeg-dev")
find_package(ZLIB QUIET)
spiral_require(ZLIB_FOUND "zlib" "zlib1g-dev")

# NCCL: optional. Where found, the NCCL code is compiled and linked even if no GPU can run it.
find_path(SPIRAL_NCCL_INCLUDE_DIR nccl.h HINTS ENV NCCL_ROOT ENV CUDA_HOME
          PATH_SUFFIXES include PATHS /usr/local/cuda /usr)
find_library(SPIRAL_NCCL_LIBRARY nccl HINTS ENV NCCL_ROOT ENV CUDA_HOME
             PATH_SUFFIXES lib64 lib PATHS /usr/local/cuda /usr)
find_path(SPIRAL_CUDA_RUNTIME_INCLUDE_DIR cuda_runtime_api.h HINTS ENV CUDA_HOME
          PATH_SUFFIXES include PATHS /usr/local/cuda)
if(SPIRAL_NCCL_INCLUDE_DIR AND SPIRAL_NCCL_LIBRARY AND SPIRAL_CUDA_RUNTIME_INCLUDE_DIR)
  set(SPIRAL_HAVE_NCCL ON)
  add_library(spiral_nccl INTERFACE)
  target_include_directories(spiral_nccl SYSTEM INTERFACE ${SPIRAL_NCCL_INCLUDE_DIR}
                                                          ${SPIRAL_CUDA_RUNTIME_INCLUDE_DIR})
  target_link_libraries(spiral_nccl INTERFACE ${SPIRAL_NCCL_LIBRARY})
  target_compile_definitions(spiral_nccl INTERFACE SPIRAL_HAVE_NCCL=1)
  message(STATUS "NCCL: ${SPIRAL_NCCL_LIBRARY}")
else()
  set(SPIRAL_HAVE_NCCL OFF)
  message(STATUS "NCCL: not found (optional; GPU gradient allreduce disabled)")
endif()

find_package(Python3 QUIET COMPONENTS Interpreter)
find_program(SPIRAL_CLANG_FORMAT NAMES clang-format clang-format-14)

message(STATUS "LibTorch ${SPIRAL_TORCH_VERSION}, MPI ${MPI_C_VERSION} (${SPIRAL_MPIEXEC}), "
               "HDF5 ${HDF5_VERSION}, Boost ${Boost_VERSION}, MuJoCo ${mujoco_VERSION}, "
               "libmypaint ${MYPAINT_VERSION}, brushes ${SPIRAL_BRUSHES_DIR}")

# libzip: the data module reads Omniglot's zips in place.
pkg_check_modules(LIBZIP QUIET IMPORTED_TARGET libzip)
spiral_require(LIBZIP_FOUND "libzip (pkg-config libzip)" "libzip-dev")
