#include "train/plot.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

#include "core/error.h"

namespace fathom {
namespace {

// 5x7 glyphs, one byte per row, bit 4 = leftmost column (drawn from ASCII art in the style of the
// classic HD44780 character ROM).
struct Glyph {
  char c;
  std::array<uint8_t, 7> rows;
};
constexpr Glyph kFont[] = {
    {'0', {0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e}},
    {'1', {0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e}},
    {'2', {0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f}},
    {'3', {0x1e, 0x01, 0x01, 0x0e, 0x01, 0x01, 0x1e}},
    {'4', {0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02}},
    {'5', {0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e}},
    {'6', {0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e}},
    {'7', {0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08}},
    {'8', {0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e}},
    {'9', {0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c}},
    {'.', {0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x0c}},
    {'-', {0x00, 0x00, 0x00, 0x1f, 0x00, 0x00, 0x00}},
    {'+', {0x00, 0x04, 0x04, 0x1f, 0x04, 0x04, 0x00}},
    {':', {0x00, 0x0c, 0x0c, 0x00, 0x0c, 0x0c, 0x00}},
    {'(', {0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02}},
    {')', {0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08}},
    {'/', {0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00}},
    {',', {0x00, 0x00, 0x00, 0x00, 0x0c, 0x04, 0x08}},
    {'a', {0x00, 0x00, 0x0e, 0x01, 0x0f, 0x11, 0x0f}},
    {'b', {0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x1e}},
    {'c', {0x00, 0x00, 0x0e, 0x10, 0x10, 0x11, 0x0e}},
    {'d', {0x01, 0x01, 0x0d, 0x13, 0x11, 0x11, 0x0f}},
    {'e', {0x00, 0x00, 0x0e, 0x11, 0x1f, 0x10, 0x0e}},
    {'f', {0x06, 0x09, 0x08, 0x1c, 0x08, 0x08, 0x08}},
    {'g', {0x00, 0x0f, 0x11, 0x11, 0x0f, 0x01, 0x0e}},
    {'h', {0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x11}},
    {'i', {0x04, 0x00, 0x0c, 0x04, 0x04, 0x04, 0x0e}},
    {'j', {0x02, 0x00, 0x06, 0x02, 0x02, 0x12, 0x0c}},
    {'k', {0x10, 0x10, 0x12, 0x14, 0x18, 0x14, 0x12}},
    {'l', {0x0c, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0e}},
    {'m', {0x00, 0x00, 0x1a, 0x15, 0x15, 0x11, 0x11}},
    {'n', {0x00, 0x00, 0x16, 0x19, 0x11, 0x11, 0x11}},
    {'o', {0x00, 0x00, 0x0e, 0x11, 0x11, 0x11, 0x0e}},
    {'p', {0x00, 0x1e, 0x11, 0x11, 0x1e, 0x10, 0x10}},
    {'q', {0x00, 0x00, 0x0d, 0x13, 0x0f, 0x01, 0x01}},
    {'r', {0x00, 0x00, 0x16, 0x19, 0x10, 0x10, 0x10}},
    {'s', {0x00, 0x00, 0x0e, 0x10, 0x0e, 0x01, 0x1e}},
    {'t', {0x08, 0x08, 0x1c, 0x08, 0x08, 0x09, 0x06}},
    {'u', {0x00, 0x00, 0x11, 0x11, 0x11, 0x13, 0x0d}},
    {'v', {0x00, 0x00, 0x11, 0x11, 0x11, 0x0a, 0x04}},
    {'w', {0x00, 0x00, 0x11, 0x11, 0x15, 0x15, 0x0a}},
    {'x', {0x00, 0x00, 0x11, 0x0a, 0x04, 0x0a, 0x11}},
    {'y', {0x00, 0x00, 0x11, 0x11, 0x0f, 0x01, 0x0e}},
    {'z', {0x00, 0x00, 0x1f, 0x02, 0x04, 0x08, 0x1f}},
    {'_', {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1f}},
    {'=', {0x00, 0x00, 0x1f, 0x00, 0x1f, 0x00, 0x00}},
    {'%', {0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03}},
};

constexpr int kGlyphW = 5, kGlyphH = 7, kAdvance = 6;

const Glyph* find_glyph(char c) {
  for (const Glyph& g : kFont) {
    if (g.c == c) return &g;
  }
  return nullptr;
}

int text_width(const std::string& s, int scale) { return int(s.size()) * kAdvance * scale - scale; }

void draw_text(RgbImage& img, int x, int y, const std::string& s, uint32_t color, int scale) {
  for (char c : s) {
    if (const Glyph* g = find_glyph(c)) {
      for (int r = 0; r < kGlyphH; ++r) {
        for (int col = 0; col < kGlyphW; ++col) {
          if (!((g->rows[size_t(r)] >> (kGlyphW - 1 - col)) & 1)) continue;
          for (int dy = 0; dy < scale; ++dy) {
            for (int dx = 0; dx < scale; ++dx)
              img.set(x + col * scale + dx, y + r * scale + dy, color);
          }
        }
      }
    }
    x += kAdvance * scale;
  }
}

void fill_rect(RgbImage& img, int x0, int y0, int x1, int y1, uint32_t color) {
  for (int y = y0; y <= y1; ++y) {
    for (int x = x0; x <= x1; ++x) img.set(x, y, color);
  }
}

// Bresenham's line drawn with a square pen of side `thickness`.
void draw_line(RgbImage& img, int x0, int y0, int x1, int y1, uint32_t color, int thickness) {
  const int dx = std::abs(x1 - x0), dy = -std::abs(y1 - y0);
  const int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
  const int lo = -(thickness - 1) / 2, hi = thickness / 2;
  int err = dx + dy;
  while (true) {
    fill_rect(img, x0 + lo, y0 + lo, x0 + hi, y0 + hi, color);
    if (x0 == x1 && y0 == y1) break;
    const int e2 = 2 * err;
    if (e2 >= dy) {
      err += dy;
      x0 += sx;
    }
    if (e2 <= dx) {
      err += dx;
      y0 += sy;
    }
  }
}

std::string format_tick(double v, double step) {
  const int decimals = std::max(0, int(-std::floor(std::log10(step) + 1e-9)));
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, std::fabs(v) < step * 1e-6 ? 0.0 : v);
  return buf;
}

}  // namespace

std::vector<double> nice_ticks(double lo, double hi, int target, bool integer_only) {
  const double rough = (hi - lo) / double(std::max(1, target));
  const double mag = std::pow(10.0, std::floor(std::log10(rough)));
  const double norm = rough / mag;
  double step = (norm < 1.5 ? 1.0 : norm < 3.0 ? 2.0 : norm < 7.0 ? 5.0 : 10.0) * mag;
  if (integer_only) step = std::max(1.0, std::round(step));
  std::vector<double> ticks;
  for (double t = std::ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) {
    ticks.push_back(t);
  }
  return ticks;
}

RgbImage render_plot(const PlotSpec& spec) {
  double x_lo = INFINITY, x_hi = -INFINITY, y_lo = INFINITY, y_hi = -INFINITY;
  for (const PlotSeries& s : spec.series) {
    for (const auto& [x, y] : s.points) {
      if (!std::isfinite(x) || !std::isfinite(y)) continue;
      x_lo = std::min(x_lo, x);
      x_hi = std::max(x_hi, x);
      y_lo = std::min(y_lo, y);
      y_hi = std::max(y_hi, y);
    }
  }
  if (!std::isfinite(x_lo)) fail(ErrorKind::kInvalidArgument, "plot: no finite points to draw");
  if (x_hi - x_lo < 1e-12) {  // one point: give it some room
    x_lo -= 1.0;
    x_hi += 1.0;
  }
  const double y_pad = y_hi - y_lo < 1e-12 ? 0.5 : 0.05 * (y_hi - y_lo);
  y_lo -= y_pad;
  y_hi += y_pad;

  constexpr uint32_t kInk = 0x202020, kGrid = 0xe4e4e4;
  constexpr int kScale = 2;  // text: 10x14 pixel glyphs
  RgbImage img(spec.width, spec.height);
  const int left = 110, right = spec.width - 30, top = 60, bottom = spec.height - 70;
  if (right - left < 50 || bottom - top < 50) {
    fail(ErrorKind::kInvalidArgument, "plot: image too small for axes");
  }
  auto px = [&](double x) {
    return left + int(std::lround((x - x_lo) / (x_hi - x_lo) * (right - left)));
  };
  auto py = [&](double y) {
    return bottom - int(std::lround((y - y_lo) / (y_hi - y_lo) * (bottom - top)));
  };

  // Grid and tick labels first so the curves draw over them.
  const std::vector<double> yt = nice_ticks(y_lo, y_hi, 6, false);
  const double ystep = yt.size() > 1 ? yt[1] - yt[0] : 1.0;
  for (double t : yt) {
    const int y = py(t);
    draw_line(img, left, y, right, y, kGrid, 1);
    draw_line(img, left - 6, y, left, y, kInk, 1);
    const std::string label = format_tick(t, ystep);
    draw_text(img, left - 12 - text_width(label, kScale), y - kGlyphH * kScale / 2, label, kInk,
              kScale);
  }
  const std::vector<double> xt = nice_ticks(x_lo, x_hi, 8, spec.integer_x);
  const double xstep = xt.size() > 1 ? xt[1] - xt[0] : 1.0;
  for (double t : xt) {
    const int x = px(t);
    draw_line(img, x, top, x, bottom, kGrid, 1);
    draw_line(img, x, bottom, x, bottom + 6, kInk, 1);
    const std::string label = format_tick(t, xstep);
    draw_text(img, x - text_width(label, kScale) / 2, bottom + 12, label, kInk, kScale);
  }
  draw_line(img, left, top, left, bottom, kInk, 2);
  draw_line(img, left, bottom, right, bottom, kInk, 2);
  draw_text(img, (left + right - text_width(spec.title, kScale)) / 2, 18, spec.title, kInk, kScale);
  draw_text(img, (left + right - text_width(spec.x_label, kScale)) / 2, spec.height - 28,
            spec.x_label, kInk, kScale);
  draw_text(img, 12, top - 30, spec.y_label, kInk, kScale);

  for (const PlotSeries& s : spec.series) {
    bool have_prev = false;
    int prev_x = 0, prev_y = 0;
    for (const auto& [x, y] : s.points) {
      if (!std::isfinite(x) || !std::isfinite(y)) {
        have_prev = false;
        continue;
      }
      const int cx = px(x), cy = py(y);
      if (have_prev) draw_line(img, prev_x, prev_y, cx, cy, s.color, s.thickness);
      if (s.markers) fill_rect(img, cx - 3, cy - 3, cx + 3, cy + 3, s.color);
      prev_x = cx;
      prev_y = cy;
      have_prev = true;
    }
  }

  // Legend, top right inside the axes, on a white box so it stays readable over the curves.
  // Unnamed series (more runs of a named one) get no row.
  std::vector<const PlotSeries*> legend;
  for (const PlotSeries& s : spec.series) {
    if (!s.name.empty()) legend.push_back(&s);
  }
  if (legend.empty()) return img;
  int legend_w = 0;
  for (const PlotSeries* s : legend) legend_w = std::max(legend_w, text_width(s->name, kScale));
  const int row_h = 22, box_w = legend_w + 56, box_h = int(legend.size()) * row_h + 10;
  const int bx = right - box_w - 10, by = top + 10;
  fill_rect(img, bx, by, bx + box_w, by + box_h, 0xffffff);
  draw_line(img, bx, by, bx + box_w, by, kGrid, 1);
  draw_line(img, bx, by + box_h, bx + box_w, by + box_h, kGrid, 1);
  draw_line(img, bx, by, bx, by + box_h, kGrid, 1);
  draw_line(img, bx + box_w, by, bx + box_w, by + box_h, kGrid, 1);
  for (size_t i = 0; i < legend.size(); ++i) {
    const PlotSeries& s = *legend[i];
    const int y = by + 8 + int(i) * row_h + kGlyphH * kScale / 2;
    draw_line(img, bx + 8, y, bx + 36, y, s.color, s.thickness + 1);
    if (s.markers) fill_rect(img, bx + 19, y - 3, bx + 25, y + 3, s.color);
    draw_text(img, bx + 46, y - kGlyphH * kScale / 2, s.name, kInk, kScale);
  }
  return img;
}

}  // namespace fathom
