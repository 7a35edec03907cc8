// A small line-plot renderer for training curves: axes with "nice" ticks (1, 2, 5 x 10^k), a
// light grid, tick labels in a built-in 5x7 bitmap font, one polyline per series and a legend,
// drawn into an RgbImage (png.h). Self-contained so `fathom train` needs no plotting program.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "train/png.h"

namespace fathom {

struct PlotSeries {
  std::string name;  // legend text; empty: no legend row (e.g. further runs of a named series)
  uint32_t color = 0x1f77b4;                      // 0xRRGGBB
  std::vector<std::pair<double, double>> points;  // (x, y) in x order; non-finite y breaks the line
  bool markers = false;  // a small square at every point (for sparse series)
  int thickness = 2;
};

struct PlotSpec {
  std::string title, x_label, y_label;
  std::vector<PlotSeries> series;
  int width = 900, height = 540;
  bool integer_x = true;  // x ticks at whole numbers (steps)
};

// Renders the plot. Text uses the characters of the built-in font (digits, lowercase letters,
// " .,:-+()/_=%"); others are drawn as blanks. Throws Error(kInvalidArgument) if no series has a
// finite point.
RgbImage render_plot(const PlotSpec& spec);

// "Nice" tick positions covering [lo, hi]: a step of 1, 2 or 5 x 10^k giving about `target`
// intervals (at least 1 when integer_only). Exposed for tests.
std::vector<double> nice_ticks(double lo, double hi, int target, bool integer_only);

}  // namespace fathom
