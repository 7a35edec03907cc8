// fathom quantize: rewrite a checkpoint in bf16, Q8_0 or Q4_0 (model/quantized_checkpoint.h).
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "command.h"
#include "model/quantized_checkpoint.h"

namespace fathom::cli {

Command register_quantize(CLI::App& app) {
  struct Options {
    std::string model, out, type = "q8";
    double shard_gb = 4.0;
  };
  auto o = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "quantize", "Rewrite a checkpoint as q8 (Q8_0), q4 (Q4_0), bf16 or fp8: an HF-layout directory "
                  "that loads by mmap with no conversion step");
  sub->add_option("--model", o->model, "Source checkpoint directory (any format fathom loads, FP8 included)")
      ->required();
  sub->add_option("--out", o->out, "Output directory (created; files in it are overwritten)")->required();
  sub->add_option("--type", o->type,
                  "q8: every matrix Q8_0 (int8, 32-value groups, f16 scale: 8.5 bits/weight); "
                  "q4: projections Q4_0 (4.5 bits/weight), embedding/head/MTP eh_proj Q8_0; "
                  "bf16; fp8 (e4m3, 128x128 block scales, DeepSeek-V3's format); f32. Norms, the router and its bias are copied as stored; a matrix "
                  "whose width is not a multiple of 32 is written bf16")
      ->capture_default_str()->check(CLI::IsMember({"q8", "q4", "bf16", "fp8", "f32"}));
  sub->add_option("--shard-gb", o->shard_gb, "Largest shard in GB (more become an index)")
      ->capture_default_str()->check(CLI::Range(0.001, 1000.0));
  add_threads_option(sub);
  return {sub, [o] {
            QuantizeOptions options;
            options.format = *weight_format_from_name(o->type);
            options.shard_bytes = uint64_t(o->shard_gb * double(1ull << 30));
            const bool tty = isatty(STDERR_FILENO);
            int last = -1;
            const auto start = std::chrono::steady_clock::now();
            const QuantizeSummary s = write_quantized_checkpoint(
                o->model, o->out, options, [&](uint64_t done, uint64_t total) {
                  const int percent = int(100.0 * double(done) / double(total));
                  if (tty && percent != last) {
                    last = percent;
                    std::fprintf(stderr, "\rwriting %s: %3d%% of %.2f GB", o->out.c_str(), percent,
                                 double(total) / 1e9);
                  }
                });
            if (tty) std::fprintf(stderr, "\n");
            const double seconds =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            std::fprintf(stderr,
                         "wrote %s (%s): %.3f GB of weights from %.3f GB, %.2f bits/parameter, %.1f s",
                         o->out.c_str(), o->type.c_str(), double(s.bytes_out) / 1e9,
                         double(s.bytes_in) / 1e9, 8.0 * double(s.bytes_out) / double(s.params), seconds);
            std::fprintf(stderr, "; copied %zu tokenizer/config files\n", s.copied_files.size());
            return 0;
          }};
}

}  // namespace fathom::cli
