# The MuJoCo scene builder's tests (pixel level; EGL or OSMesa, whichever the machine has).
spiral_test(render_scene_test SOURCES render_scene_test.cc DEPS spiral_render LABELS unit)
