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

namespace fathom::cli {
namespace {

struct BenchOptions {
  std::string model;
  int64_t prompt = 512, generate = 128, depth = 0;
  int reps = 3;
  bool json = false;
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
  if (o.json) {
    nlohmann::ordered_json j = {{"model", o.model}, {"file_bytes", storage.file_bytes},
                                {"params_total", params.total}, {"params_active", params.active},
                                {"n_prompt", o.prompt}, {"n_gen", o.generate}, {"n_depth", o.depth},
                                {"reps", o.reps},
                                {"pp_tok_s", p.median}, {"pp_tok_s_min", p.min}, {"pp_tok_s_max", p.max},
                                {"tg_tok_s", g.median}, {"tg_tok_s_min", g.min}, {"tg_tok_s_max", g.max},
                                {"peak_rss_bytes", peak_rss}, {"isa", kernels().isa},
                                {"threads", num_threads()}};
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
  add_threads_option(sub);
  return {sub, [o] { return run_bench(*o); }};
}

}  // namespace fathom::cli
