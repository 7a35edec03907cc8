// fathom synth: a random-weight checkpoint of any config, for benchmarks at real shapes.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "command.h"
#include "core/error.h"
#include "core/mapped_file.h"
#include "model/synthetic_checkpoint.h"

namespace fathom::cli {

Command register_synth(CLI::App& app) {
  struct Options {
    std::string config, type = "bf16", out;
    uint64_t seed = 0;
    double shard_gb = 4.0;
  };
  auto o = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "synth", "Write a random-weight checkpoint of a config.json (streaming, for benchmarks)");
  sub->add_option("--config", o->config, "A DeepSeek config.json (e.g. DeepSeek-V2-Lite's)")->required();
  sub->add_option("--type", o->type,
                  "Weight format: f32, bf16, fp8 (e4m3, 128x128 block scales), q8 (Q8_0) or q4 (Q4_0 "
                  "projections, Q8_0 embedding/head); see `fathom quantize --help`")
      ->capture_default_str()->check(CLI::IsMember({"f32", "bf16", "fp8", "q8", "q4"}));
  sub->add_option("--out", o->out, "Output directory")->required();
  sub->add_option("--seed", o->seed, "Random seed")->capture_default_str();
  sub->add_option("--shard-gb", o->shard_gb, "Largest shard in GB (more become an index)")
      ->capture_default_str()->check(CLI::Range(0.001, 1000.0));
  return {sub, [o] {
            const nlohmann::json config = nlohmann::json::parse(read_text_file(o->config), nullptr, false);
            if (config.is_discarded() || !config.is_object()) {
              fail(ErrorKind::kCorruptFile, o->config + ": not a JSON object");
            }
            SynthOptions options;
            options.format = *weight_format_from_name(o->type);
            options.seed = o->seed;
            options.shard_bytes = uint64_t(o->shard_gb * double(1ull << 30));
            const bool tty = isatty(STDERR_FILENO);
            int last = -1;
            write_synthetic_checkpoint(config, o->out, options, [&](uint64_t done, uint64_t total) {
              const int percent = int(100.0 * double(done) / double(total));
              if (tty && percent != last) {
                last = percent;
                std::fprintf(stderr, "\rwriting %s: %3d%% of %.2f GB", o->out.c_str(), percent, double(total) / 1e9);
              }
            });
            if (tty) std::fprintf(stderr, "\n");
            std::fprintf(stderr, "wrote %s (%s)\n", o->out.c_str(), o->type.c_str());
            return 0;
          }};
}

}  // namespace fathom::cli
