// fathom bench: prompt-processing and generation throughput of a checkpoint, in the spirit of
// llama-bench (pp = one prefill of -p tokens, tg = -n single-token decode steps, both after -d
// tokens already in the cache, as llama-bench's n_depth), with peak RSS.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <vector>

#include "command.h"
#include "engine/sampler.h"
#include "model/model.h"
#include "model/model_info.h"
#include "kernels/kernels.h"
#include "kernels/peaks.h"

namespace fathom::cli {
namespace {

struct BenchOptions {
  std::string model;
  int64_t prompt = 512, generate = 128, depth = 0;
  int reps = 3;
  bool json = false;
  bool ceilings = true;
};

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

struct Stat {
  double median = 0, min = 0, max = 0;
};
Stat stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v.front(), v.back()};
}

int run_bench(const BenchOptions& o) {
  // Ceilings (kernels/peaks.h), measured before the model is mapped: with a model that fills most
  // of RAM resident, the bandwidth probe's buffer competes with it for memory and reads low.
  MachinePeaks peaks;
  if (o.ceilings) peaks = measure_peaks(num_threads());
  const Model model(o.model);
  const int64_t vocab = model.config().vocab_size;
  std::vector<int32_t> prompt(static_cast<size_t>(o.prompt)), context(static_cast<size_t>(o.depth));
  for (int64_t i = 0; i < o.prompt; ++i) prompt[size_t(i)] = int32_t((i * 7919 + 13) % vocab);
  for (int64_t i = 0; i < o.depth; ++i) context[size_t(i)] = int32_t((i * 104729 + 7) % vocab);
  // A cache holding the -d context tokens (untimed), with room for `more`.
  auto cache_at_depth = [&](int64_t more) {
    KVCache cache = model.make_cache(o.depth + more);
    StepOptions none;
    none.logits = LogitsRows::kNone;
    if (o.depth > 0) model.step(context, cache, none);
    return cache;
  };
  std::vector<double> pp, tg;
  for (int r = 0; r < o.reps; ++r) {
    if (o.prompt > 0) {
      KVCache cache = cache_at_depth(o.prompt);
      StepOptions last;
      last.logits = LogitsRows::kLast;
      const auto start = std::chrono::steady_clock::now();
      model.step(prompt, cache, last);
      pp.push_back(double(o.prompt) / seconds_since(start));
    }
    if (o.generate > 0) {
      KVCache cache = cache_at_depth(o.generate + 1);
      StepOptions last;
      last.logits = LogitsRows::kLast;
      int32_t token = model.config().bos_token_id.value_or(0);
      const auto start = std::chrono::steady_clock::now();
      for (int64_t i = 0; i < o.generate; ++i) {
        const auto result = model.step(std::span<const int32_t>(&token, 1), cache, last);
        token = argmax(result.logits.data(), vocab);
      }
      tg.push_back(double(o.generate) / seconds_since(start));
    }
  }
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  const int64_t peak_rss = int64_t(usage.ru_maxrss) * 1024;
  const ParamCounts params = count_parameters(model.config());
  const StorageSummary storage = summarize_storage(model.checkpoint());
  const Stat p = pp.empty() ? Stat{} : stats(pp), g = tg.empty() ? Stat{} : stats(tg);
  const double active_bytes = active_weight_bytes(model.checkpoint(), model.config());
  const double tg_ceiling = peaks.read_bytes_per_s / active_bytes;
  const double pp_flops = o.prompt > 0 ? prefill_flops(model.config(), o.prompt, o.depth) / double(o.prompt) * p.median : 0;
  auto fraction = [](double value, double peak) { return peak > 0 ? value / peak : 0.0; };
  if (o.json) {
    nlohmann::ordered_json j = {{"model", o.model}, {"file_bytes", storage.file_bytes},
                                {"params_total", params.total}, {"params_active", params.active},
                                {"n_prompt", o.prompt}, {"n_gen", o.generate}, {"n_depth", o.depth},
                                {"reps", o.reps},
                                {"pp_tok_s", p.median}, {"pp_tok_s_min", p.min}, {"pp_tok_s_max", p.max},
                                {"tg_tok_s", g.median}, {"tg_tok_s_min", g.min}, {"tg_tok_s_max", g.max},
                                {"peak_rss_bytes", peak_rss}, {"isa", kernels().isa},
                                {"threads", num_threads()}, {"active_weight_bytes", active_bytes},
                                {"pp_flops_per_s", pp_flops}};
    if (o.ceilings) {
      j["read_bytes_per_s"] = peaks.read_bytes_per_s;
      j["fma_flops_per_s"] = peaks.fma_flops_per_s;
      j["int8_ops_per_s"] = peaks.int8_ops_per_s;
      j["bf16_flops_per_s"] = peaks.bf16_flops_per_s;
      j["tg_ceiling_tok_s"] = tg_ceiling;
      j["tg_fraction_of_ceiling"] = fraction(g.median, tg_ceiling);
      j["pp_fraction_of_fma_peak"] = fraction(pp_flops, peaks.fma_flops_per_s);
      j["pp_fraction_of_int8_peak"] = fraction(pp_flops, peaks.int8_ops_per_s);
    }
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("| model | size | params | test | t/s (median) | min | max |\n|---|---|---|---|---|---|---|\n");
  auto row = [&](const char* test, int64_t n, const Stat& s) {
    const std::string depth = o.depth > 0 ? " @ d" + std::to_string(o.depth) : "";
    std::printf("| %s | %.3f GB | %.3f B | %s%lld%s | %.2f | %.2f | %.2f |\n", o.model.c_str(),
                double(storage.file_bytes) / 1e9, double(params.total) / 1e9, test, (long long)n,
                depth.c_str(), s.median, s.min, s.max);
  };
  if (!pp.empty()) row("pp", o.prompt, p);
  if (!tg.empty()) row("tg", o.generate, g);
  std::printf("peak RSS %.1f MiB, %d rep(s), kernels: %s, %d thread(s)\n", double(peak_rss) / (1 << 20),
              o.reps, kernels().isa, num_threads());
  if (!o.ceilings) return 0;
  std::printf("machine (%d thread(s)): read %.1f GB/s, f32 FMA %.0f GFLOP/s", peaks.threads,
              peaks.read_bytes_per_s / 1e9, peaks.fma_flops_per_s / 1e9);
  if (peaks.int8_ops_per_s > 0) std::printf(", int8 VNNI %.0f GOP/s", peaks.int8_ops_per_s / 1e9);
  if (peaks.bf16_flops_per_s > 0) std::printf(", bf16 %.0f GFLOP/s", peaks.bf16_flops_per_s / 1e9);
  std::printf("\n");
  if (!tg.empty()) {
    std::printf("tg: %.3f GB of weights per token -> ceiling %.2f tok/s; median %.2f = %.0f%% of it\n",
                active_bytes / 1e9, tg_ceiling, g.median, 100 * fraction(g.median, tg_ceiling));
  }
  if (!pp.empty()) {
    std::printf("pp: %.1f GFLOP/s = %.0f%% of f32 FMA peak", pp_flops / 1e9,
                100 * fraction(pp_flops, peaks.fma_flops_per_s));
    if (peaks.int8_ops_per_s > 0) std::printf(", %.0f%% of int8 VNNI peak", 100 * fraction(pp_flops, peaks.int8_ops_per_s));
    std::printf("\n");
  }
  return 0;
}

}  // namespace

Command register_bench(CLI::App& app) {
  auto o = std::make_shared<BenchOptions>();
  CLI::App* sub = app.add_subcommand("bench", "Prompt-processing and generation tokens/s, peak RSS");
  sub->add_option("--model", o->model, "Checkpoint directory")->required();
  sub->add_option("-p,--n-prompt", o->prompt, "Prompt tokens processed in one prefill (0: skip)")
      ->capture_default_str()->check(CLI::Range(int64_t(0), int64_t(1) << 20));
  sub->add_option("-n,--n-gen", o->generate, "Tokens generated one at a time (0: skip)")
      ->capture_default_str()->check(CLI::Range(int64_t(0), int64_t(1) << 20));
  sub->add_option("-d,--n-depth", o->depth,
                  "Tokens already in the KV cache before pp and tg (filled untimed)")
      ->capture_default_str()->check(CLI::Range(int64_t(0), int64_t(1) << 20));
  sub->add_option("--reps", o->reps, "Repetitions (median, min and max reported)")
      ->capture_default_str()->check(CLI::Range(1, 1000));
  sub->add_flag("--json", o->json, "One JSON object: pp_tok_s, tg_tok_s (medians), peak_rss_bytes, ...");
  sub->add_flag("!--no-ceilings", o->ceilings,
                "Skip measuring this machine's read bandwidth and compute peaks (about a second) "
                "and the fractions of them: tg against bandwidth / active weight bytes per token, "
                "pp against the f32 FMA and int8 VNNI peaks");
  add_threads_option(sub);
  return {sub, [o] { return run_bench(*o); }};
}

}  // namespace fathom::cli
