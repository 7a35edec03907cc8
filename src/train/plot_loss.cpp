#include "train/plot_loss.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <iterator>
#include <fstream>
#include <map>
#include <vector>

#include "core/error.h"
#include "train/plot.h"

namespace fathom {
namespace {

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> fields(1);
  for (char c : line) {
    if (c == ',') {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  return fields;
}

// NaN for an empty field (val_ce is only written on evaluation steps).
double parse_field(const std::string& s, const std::string& where) {
  if (s.empty()) return NAN;
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || errno == ERANGE) {
    fail(ErrorKind::kCorruptFile, where + ": \"" + s + "\" is not a number");
  }
  return v;
}

// Columns `names` of a loss.csv by step; a step listed twice (a resumed run) keeps its last row.
std::map<double, std::vector<double>> read_loss_columns(const std::string& csv_path,
                                                        const std::vector<std::string>& names) {
  std::ifstream in(csv_path);
  if (!in) fail(ErrorKind::kNotFound, "cannot open " + csv_path);
  std::string line;
  if (!std::getline(in, line)) fail(ErrorKind::kCorruptFile, csv_path + ": empty");
  const std::vector<std::string> header = split_csv_line(line);
  auto column = [&](const std::string& name) {
    for (size_t i = 0; i < header.size(); ++i) {
      if (header[i] == name) return i;
    }
    fail(ErrorKind::kCorruptFile, csv_path + ":1: no \"" + name + "\" column");
  };
  const size_t c_step = column("step");
  std::vector<size_t> cols;
  for (const std::string& name : names) cols.push_back(column(name));
  std::map<double, std::vector<double>> rows;
  for (int n = 2; std::getline(in, line); ++n) {
    if (line.empty()) continue;
    const std::string where = csv_path + ":" + std::to_string(n);
    const std::vector<std::string> f = split_csv_line(line);
    if (f.size() != header.size()) {
      fail(ErrorKind::kCorruptFile, where + ": " + std::to_string(f.size()) + " fields, expected " +
                                        std::to_string(header.size()));
    }
    const double step = parse_field(f[c_step], where);
    if (!std::isfinite(step)) fail(ErrorKind::kCorruptFile, where + ": no step");
    std::vector<double>& row = rows[step];
    row.clear();
    for (size_t c : cols) row.push_back(parse_field(f[c], where));
  }
  if (rows.empty()) fail(ErrorKind::kCorruptFile, csv_path + ": no rows to plot");
  return rows;
}

}  // namespace

void write_loss_plot(const std::string& csv_path, const std::string& png_path) {
  const auto rows = read_loss_columns(csv_path, {"loss", "main_ce", "val_ce"});
  PlotSpec spec;
  spec.title = "fathom train: loss";
  spec.x_label = "step";
  spec.y_label = "loss (nats)";
  PlotSeries total{"train loss", 0xb8b8b8, {}, false, 2};
  PlotSeries ce{"train ce", 0x1f77b4, {}, false, 2};
  PlotSeries val{"val ce", 0xe8590c, {}, true, 2};
  for (const auto& [step, r] : rows) {
    total.points.emplace_back(step, r[0]);
    ce.points.emplace_back(step, r[1]);
    if (std::isfinite(r[2])) val.points.emplace_back(step, r[2]);
  }
  spec.series = {total, ce};
  if (!val.points.empty()) spec.series.push_back(val);
  write_png(png_path, render_plot(spec));
}

void write_loss_comparison_plot(const std::vector<LossRun>& runs, const std::string& column,
                                int64_t smooth, const std::string& png_path) {
  if (runs.empty()) fail(ErrorKind::kInvalidArgument, "no runs to compare");
  if (smooth < 1) fail(ErrorKind::kInvalidArgument, "smoothing window must be at least 1");
  static constexpr uint32_t kColors[] = {0x1f77b4, 0xe8590c, 0x2ca02c, 0x9467bd, 0x8c564b,
                                         0xd62728, 0x7f7f7f, 0x17becf};
  PlotSpec spec;
  spec.title = "fathom train: " + column + (smooth > 1 ? ", mean of " + std::to_string(smooth) +
                                                             " steps" : "");
  spec.x_label = "step";
  spec.y_label = column + " (nats)";
  std::map<std::string, size_t> label_colour;  // runs sharing a label share a colour and a row
  for (size_t i = 0; i < runs.size(); ++i) {
    const auto rows = read_loss_columns(runs[i].csv_path, {column});
    const auto [at, first] = label_colour.emplace(runs[i].label, label_colour.size());
    PlotSeries series{first ? runs[i].label : "", kColors[at->second % std::size(kColors)], {},
                      false, 2};
    // Trailing mean over the last `smooth` finite values (steps with no value, e.g. val_ce
    // between evaluations, are skipped).
    std::vector<double> window;
    double sum = 0;
    for (const auto& [step, r] : rows) {
      if (!std::isfinite(r[0])) continue;
      window.push_back(r[0]);
      sum += r[0];
      if (int64_t(window.size()) > smooth) {
        sum -= window[window.size() - size_t(smooth) - 1];
      }
      series.points.emplace_back(step, sum / double(std::min<int64_t>(smooth, int64_t(window.size()))));
    }
    spec.series.push_back(std::move(series));
  }
  write_png(png_path, render_plot(spec));
}

}  // namespace fathom
