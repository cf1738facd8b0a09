# Pixel-level tests of the libmypaint painter, its action spec and its SVG export.
spiral_test(render_painter_test SOURCES render_painter_test.cc DEPS spiral_render LABELS unit)
