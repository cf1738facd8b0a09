# The MuJoCo scene builder. libEGL and libOSMesa are opened at run time (dlopen), never linked:
# MuJoCo 2.2 binds its GL functions to whichever GL library is loaded (see gl_context.h), so only
# their headers are used here.
set(SPIRAL_SCENE_SOURCES
    gl_context.cc
    gl_context_egl.cc
    scene_model.cc
    scene_renderer.cc
    scene_builder.cc
    scene_parse.cc
    scene_bench.cc)
if(OSMESA_FOUND)
  list(APPEND SPIRAL_SCENE_SOURCES gl_context_osmesa.cc)
else()
  list(APPEND SPIRAL_SCENE_SOURCES gl_context_without_osmesa.cc)
endif()
add_library(spiral_gl_headers INTERFACE)
target_include_directories(spiral_gl_headers SYSTEM INTERFACE ${OPENGL_EGL_INCLUDE_DIRS}
                                                              ${OSMESA_INCLUDE_DIRS})
set(SPIRAL_SCENE_DEPS mujoco::mujoco spiral_gl_headers ${CMAKE_DL_LIBS})
