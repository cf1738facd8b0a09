# Helpers that give every target of ours the same flags, include paths and precompiled headers.

add_library(spiral_flags INTERFACE)
target_compile_options(spiral_flags INTERFACE -Wall -Wextra -Werror)
target_compile_definitions(spiral_flags INTERFACE OMPI_SKIP_MPICXX=1 MPICH_SKIP_MPICXX=1)
target_include_directories(spiral_flags INTERFACE ${PROJECT_SOURCE_DIR}/include
                                                  ${PROJECT_BINARY_DIR}/generated)
if(SPIRAL_SANITIZE)
  target_compile_options(spiral_flags INTERFACE -fsanitize=address,undefined
                                                -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(spiral_flags INTERFACE -fsanitize=address,undefined)
endif()

# The LibTorch precompiled header (<torch/torch.h>), built once, only when a target reuses it.
# Loading it still costs about 12 s per translation unit here, so targets that need only small
# LibTorch headers (<torch/version.h>, <ATen/Parallel.h>) link `torch` without it.
add_library(spiral_torch_pch OBJECT EXCLUDE_FROM_ALL ${PROJECT_SOURCE_DIR}/cmake/torch_pch.cc)
target_link_libraries(spiral_torch_pch PUBLIC spiral_flags torch)
target_precompile_headers(spiral_torch_pch PRIVATE <torch/torch.h>)

# spiral_use_torch(TARGET): link LibTorch and reuse the precompiled <torch/torch.h>.
function(spiral_use_torch target)
  target_link_libraries(${target} PUBLIC torch)
  target_precompile_headers(${target} REUSE_FROM spiral_torch_pch)
endfunction()

# spiral_module(NAME SOURCES file... [DEPS target...] [TORCH]): the static library spiral_NAME.
function(spiral_module name)
  cmake_parse_arguments(ARG "TORCH" "" "SOURCES;DEPS" ${ARGN})
  add_library(spiral_${name} STATIC ${ARG_SOURCES})
  target_link_libraries(spiral_${name} PUBLIC spiral_flags ${ARG_DEPS})
  if(ARG_TORCH)
    spiral_use_torch(spiral_${name})
  endif()
endfunction()
