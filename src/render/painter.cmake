# The libmypaint painter's sources (relative to src/render) and the libraries they need.
set(SPIRAL_PAINTER_SOURCES painter.cc painter_spec.cc painter_svg.cc painter_bench.cc)
set(SPIRAL_PAINTER_DEPS PkgConfig::MYPAINT)
