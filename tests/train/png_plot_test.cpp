// loss.png (label unit): the PNG writer's container (signature, IHDR, chunk CRCs, IEND) and
// that zlib inflates IDAT back to the exact scanlines; the plot puts decreasing curves where they
// belong; loss.csv parsing keeps the last row of a repeated step and refuses malformed files.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <cstring>

#include "core/error.h"
#include "test_util.h"
#include "train/plot.h"
#include "train/plot_loss.h"
#include "train/png.h"

namespace fathom {
namespace {

uint32_t be32(const std::string& s, size_t at) {
  return uint32_t(uint8_t(s[at])) << 24 | uint32_t(uint8_t(s[at + 1])) << 16 |
         uint32_t(uint8_t(s[at + 2])) << 8 | uint32_t(uint8_t(s[at + 3]));
}

struct Chunk {
  std::string type, data;
};

// Splits a PNG into chunks, checking the signature and every CRC.
std::vector<Chunk> parse_png(const std::string& png) {
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  std::vector<Chunk> chunks;
  size_t at = 8;
  while (at + 12 <= png.size()) {
    const uint32_t len = be32(png, at);
    Chunk c{png.substr(at + 4, 4), png.substr(at + 8, len)};
    const uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(png.data() + at + 4), len + 4);
    EXPECT_EQ(be32(png, at + 8 + len), uint32_t(crc)) << "CRC of " << c.type;
    chunks.push_back(c);
    at += 12 + len;
  }
  EXPECT_EQ(at, png.size());
  return chunks;
}

// Decodes an image written by encode_png (filter 0 rows) back to pixels.
RgbImage decode(const std::string& png) {
  const std::vector<Chunk> chunks = parse_png(png);
  EXPECT_GE(chunks.size(), 3u);
  EXPECT_EQ(chunks.front().type, "IHDR");
  EXPECT_EQ(chunks.back().type, "IEND");
  const std::string& ihdr = chunks.front().data;
  EXPECT_EQ(ihdr.size(), 13u);
  const int w = int(be32(ihdr, 0)), h = int(be32(ihdr, 4));
  EXPECT_EQ(ihdr.substr(8), std::string("\x08\x02\x00\x00\x00", 5));  // 8-bit RGB
  std::string idat;
  for (const Chunk& c : chunks) {
    if (c.type == "IDAT") idat += c.data;
  }
  const size_t row = size_t(w) * 3 + 1;
  std::string raw(row * size_t(h), '\0');
  uLongf raw_size = raw.size();
  EXPECT_EQ(uncompress(reinterpret_cast<Bytef*>(raw.data()), &raw_size,
                       reinterpret_cast<const Bytef*>(idat.data()), idat.size()),
            Z_OK);
  EXPECT_EQ(raw_size, raw.size());
  RgbImage img(w, h);
  for (int y = 0; y < h; ++y) {
    EXPECT_EQ(raw[size_t(y) * row], 0) << "filter byte of row " << y;
    std::memcpy(&img.pixels[size_t(y) * (row - 1)], &raw[size_t(y) * row + 1], row - 1);
  }
  return img;
}

TEST(Png, RoundTripsThroughZlib) {
  RgbImage img(7, 5, 0x102030);
  img.set(0, 0, 0xff0000);
  img.set(6, 4, 0x00ff00);
  img.set(3, 2, 0x0000ff);
  img.set(9, 9, 0xffffff);  // outside: ignored
  const RgbImage back = decode(encode_png(img));
  ASSERT_EQ(back.width, 7);
  ASSERT_EQ(back.height, 5);
  EXPECT_EQ(back.pixels, img.pixels);
  EXPECT_EQ(back.get(6, 4), 0x00ff00u);
  EXPECT_EQ(back.get(1, 1), 0x102030u);
  EXPECT_THROW(RgbImage(0, 5), Error);
}

TEST(Plot, NiceTicks) {
  EXPECT_EQ(nice_ticks(0.93, 7.2, 6, false), (std::vector<double>{1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(nice_ticks(1, 120, 8, true),
            (std::vector<double>{10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120}));
  EXPECT_EQ(nice_ticks(0.0012, 0.0049, 6, false).size(), 7u);  // 0.0015 .. 0.0045 by 5e-4
  EXPECT_EQ(nice_ticks(0, 3, 8, true), (std::vector<double>{0, 1, 2, 3}));  // never 0.5 steps
}

// Pixels of a colour left of x_max (the legend sits further right), and their mean row left and
// right of x_split.
struct Extent {
  int pixels = 0;
  double left_y = 0, right_y = 0;
};
Extent find_colour(const RgbImage& img, uint32_t colour, int x_split, int x_max) {
  Extent e;
  double ly = 0, ry = 0;
  int ln = 0, rn = 0;
  for (int y = 0; y < img.height; ++y) {
    for (int x = 0; x < x_max; ++x) {
      if (img.get(x, y) != colour) continue;
      ++e.pixels;
      if (x < x_split) {
        ly += y;
        ++ln;
      } else {
        ry += y;
        ++rn;
      }
    }
  }
  e.left_y = ln ? ly / ln : NAN;
  e.right_y = rn ? ry / rn : NAN;
  return e;
}

TEST(Plot, LossCsvBecomesAPlotWithFallingCurves) {
  testing::TempDir dir;
  std::string csv = "step,lr,loss,main_ce,mtp_ce,balance,grad_norm,max_over_mean_load,val_ce\n";
  for (int s = 1; s <= 100; ++s) {
    const double ce = 1.0 + 4.0 * std::exp(-s / 20.0);
    csv += std::to_string(s) + ",0.001," + std::to_string(ce + 0.5) + "," + std::to_string(ce) +
           ",,0,1,1," + (s % 10 == 0 ? std::to_string(ce + 0.1) : "") + "\n";
  }
  // A resumed run repeating step 100 with a different value: the last row wins.
  csv += "100,0.001,9,9,,0,1,1,\n";
  testing::write_file(dir.file("loss.csv"), csv);
  write_loss_plot(dir.file("loss.csv"), dir.file("loss.png"));
  const RgbImage img = decode(testing::read_file(dir.file("loss.png")));
  EXPECT_EQ(img.width, 900);
  const Extent ce = find_colour(img, 0x1f77b4, img.width / 3, img.width * 2 / 3);
  const Extent val = find_colour(img, 0xe8590c, img.width / 3, img.width * 2 / 3);
  EXPECT_GT(ce.pixels, 500);
  EXPECT_GT(val.pixels, 100);
  // Falling curves: later steps sit lower on screen (larger y). (The jump to 9 at step 100 is
  // right of x_max.)
  EXPECT_LT(ce.left_y + 50, ce.right_y);
  EXPECT_LT(val.left_y + 50, val.right_y);
  int white = 0;
  for (int y = 0; y < img.height; ++y) {
    for (int x = 0; x < img.width; ++x) white += img.get(x, y) == 0xffffff;
  }
  EXPECT_GT(white, img.width * img.height / 2);  // mostly background: not a smeared image

  testing::write_file(dir.file("bad.csv"), "step,loss,main_ce,val_ce\n1,2,x,\n");
  try {
    write_loss_plot(dir.file("bad.csv"), dir.file("bad.png"));
    FAIL() << "malformed CSV accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.csv:2"), std::string::npos) << e.what();
  }
  testing::write_file(dir.file("nocol.csv"), "step,loss\n1,2\n");
  EXPECT_THROW(write_loss_plot(dir.file("nocol.csv"), dir.file("x.png")), Error);
}

// Two runs on one axis (fathom plot-loss): one colour per run, the lower run drawn lower, and
// the trailing mean smoothing a zig-zag away.
TEST(Plot, RunsCompareOnOneAxis) {
  testing::TempDir dir;
  auto write_run = [&](const std::string& name, double offset) {
    std::string csv = "step,main_ce,val_ce\n";
    for (int s = 1; s <= 200; ++s) {
      csv += std::to_string(s) + "," + std::to_string(2.0 + offset + (s % 2 ? 0.5 : -0.5)) + ",\n";
    }
    testing::write_file(dir.file(name), csv);
  };
  write_run("high.csv", 1.0);
  write_run("low.csv", 0.0);
  const std::vector<LossRun> runs = {{"high", dir.file("high.csv")}, {"low", dir.file("low.csv")}};
  write_loss_comparison_plot(runs, "main_ce", 10, dir.file("cmp.png"));
  const RgbImage img = decode(testing::read_file(dir.file("cmp.png")));
  const Extent high = find_colour(img, 0x1f77b4, img.width / 2, img.width * 3 / 4);
  const Extent low = find_colour(img, 0xe8590c, img.width / 2, img.width * 3 / 4);
  ASSERT_GT(high.pixels, 200);
  ASSERT_GT(low.pixels, 200);
  EXPECT_LT(high.left_y + 50, low.left_y);  // a whole nat apart on screen
  // Smoothed: each line is about as thin as drawn, not a ±0.5 band.
  EXPECT_LT(low.pixels, 3 * high.pixels);
  EXPECT_LT(high.pixels, 3 * low.pixels);
  int tall_columns = 0;
  for (int x = img.width / 2; x < img.width * 3 / 4; ++x) {
    int n = 0;
    for (int y = 0; y < img.height; ++y) n += img.get(x, y) == 0xe8590c;
    tall_columns += n > 12;
  }
  EXPECT_EQ(tall_columns, 0);

  EXPECT_THROW(write_loss_comparison_plot(runs, "nope", 10, dir.file("x.png")), Error);
  EXPECT_THROW(write_loss_comparison_plot({}, "main_ce", 10, dir.file("x.png")), Error);
  EXPECT_THROW(write_loss_comparison_plot(runs, "main_ce", 0, dir.file("x.png")), Error);
}

}  // namespace
}  // namespace fathom
