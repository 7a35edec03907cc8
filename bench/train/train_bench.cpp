// Training throughput of a ~10M-parameter DeepSeek-V3-style model (MLA + DeepSeekMoE + MTP):
// tokens/s and achieved FLOP/s of full training steps (forward, backward, AdamW).
// FLOPs per step are counted as 6 · (active matmul parameters) · tokens (Kaplan et al. 2020,
// forward 2 + backward 4 per multiply-add), plus attention's 6 · 2 · heads · (qk + v) · T²/2 per
// sequence per layer; active = dense + shared + top-k routed experts, not all experts. The best
// and median step (wall and process CPU time) are printed too: on a shared machine the best step
// is the least disturbed measurement.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <ctime>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/kernels.h"
#include "kernels/peaks.h"
#include "train/ops.h"
#include "train/optimizer.h"
#include "train/train_model.h"

int main(int argc, char** argv) {
  CLI::App app{"fathom training benchmark"};
  std::string base = std::string(FATHOM_SOURCE_DIR) + "/tests/golden_train/v3-tiny-train/config.json";
  int64_t steps = 5, batch = 8, seq_len = 128;
  app.add_option("--steps", steps)->capture_default_str();
  app.add_option("--batch", batch)->capture_default_str();
  app.add_option("--seq-len", seq_len)->capture_default_str();
  std::string precision_name = "fp32";
  app.add_option("--precision", precision_name, "GEMM inputs in the blocks: fp32, bf16 or fp8")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  const fathom::GemmPrecision precision = fathom::parse_gemm_precision(precision_name);

  std::ifstream in(base);
  nlohmann::json j = nlohmann::json::parse(in);
  // ~10M parameters: hidden 256, 4 layers (1 dense), 16 experts of width 128, vocab 4096.
  j["vocab_size"] = 4096; j["hidden_size"] = 256; j["num_hidden_layers"] = 4;
  j["num_attention_heads"] = 4; j["num_key_value_heads"] = 4; j["q_lora_rank"] = 128;
  j["kv_lora_rank"] = 64; j["qk_nope_head_dim"] = 32; j["qk_rope_head_dim"] = 16;
  j["v_head_dim"] = 32; j["intermediate_size"] = 768; j["moe_intermediate_size"] = 128;
  j["n_routed_experts"] = 16; j["num_experts_per_tok"] = 2; j["n_group"] = 4; j["topk_group"] = 2;
  const std::string text = j.dump();
  const fathom::ModelConfig c = fathom::parse_model_config(text, "bench config");
  fathom::ParamStore store = fathom::ParamStore::init(c, text, 1);
  int64_t total = 0, active = 0;
  const int64_t expert = 3 * c.hidden_size * c.moe_intermediate_size;
  for (const fathom::Param* p : store.all()) {
    total += p->numel();
    if (p->shape.size() == 2 && p->name.find("embed_tokens") == std::string::npos &&
        p->name.find(".experts.") == std::string::npos) active += p->numel();
  }
  const int64_t moe_layers = c.num_layers_with_mtp() - c.first_k_dense_replace;
  active += moe_layers * c.num_experts_per_tok * expert;
  fathom::TrainModel model(store, batch, seq_len, precision);
  fathom::AdamW adamw(store);
  std::mt19937 rng(1);
  std::vector<int32_t> ids(size_t(batch * (seq_len + 1)));
  for (auto& id : ids) id = int32_t(rng() % uint32_t(c.vocab_size));
  const double attn = double(c.num_layers_with_mtp()) * batch * 6.0 * 2.0 * c.num_attention_heads *
                      double(c.qk_head_dim() + c.v_head_dim) * seq_len * seq_len / 2.0;
  const double flops_per_step = 6.0 * double(active) * double(batch * seq_len) + attn;
  // Process CPU time counts all threads (spinning pool workers included) but not time spent
  // waiting for a core.
  auto cpu_now = [] {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
  };
  std::vector<double> step_sec, step_cpu;
  fathom::train_ops::reset_gemm_tally();
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t s = 0; s < steps; ++s) {
    const auto s0 = std::chrono::steady_clock::now();
    const double c0 = cpu_now();
    store.zero_grads();
    model.run(ids, batch, fathom::LossWeights{}, true);
    adamw.step(store, fathom::AdamWOptions{},
               fathom::clip_coefficient(fathom::global_grad_norm(store), 1.0));
    step_cpu.push_back(cpu_now() - c0);
    step_sec.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - s0).count());
  }
  const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::sort(step_sec.begin(), step_sec.end());
  std::sort(step_cpu.begin(), step_cpu.end());
  std::printf("params %.2fM (active matmul %.2fM), batch %lld x %lld, %lld steps in %.2fs\n",
              total / 1e6, active / 1e6, (long long)batch, (long long)seq_len, (long long)steps,
              sec);
  const double achieved = flops_per_step * double(steps) / sec;
  const fathom::MachinePeaks peaks = fathom::measure_peaks(fathom::num_threads());
  const double peak = peaks.fma_flops_per_s;
  std::printf(
      "step wall time best %.1f ms, median %.1f ms (%.0f / %.0f tokens/s, best step %.1f%% of "
      "peak); CPU time best %.1f ms, median %.1f ms\n",
      1e3 * step_sec.front(), 1e3 * step_sec[step_sec.size() / 2],
      double(batch * seq_len) / step_sec.front(),
      double(batch * seq_len) / step_sec[step_sec.size() / 2],
      peak > 0 ? 100.0 * flops_per_step / step_sec.front() / peak : 0.0, 1e3 * step_cpu.front(),
      1e3 * step_cpu[step_cpu.size() / 2]);
  std::printf(
      "%.0f tokens/s, %.2f GFLOP/s achieved (%.2f GFLOP per step), %.1f%% of the measured "
      "%s FMA peak (%.0f GFLOP/s); kernels %s, %d thread(s)\n",
      double(steps * batch * seq_len) / sec, achieved / 1e9, flops_per_step / 1e9,
      peak > 0 ? 100.0 * achieved / peak : 0.0, peaks.fma_isa, peak / 1e9, fathom::kernels().isa,
      fathom::num_threads());
  // The matmuls alone: linear layers' FLOPs over the time spent in them (attention's score and
  // value products, done per head inside the attention core, are not in this tally).
  const fathom::train_ops::GemmTally g = fathom::train_ops::gemm_tally();
  const double bf16_peak = peaks.bf16_flops_per_s;
  std::printf("matmuls (linear layers, %s inputs): %.2f GFLOP per step in %.1f ms per step, %.2f "
              "GFLOP/s = %.1f%% of the f32 FMA peak", precision_name.c_str(),
              g.flops / double(steps) / 1e9, 1e3 * g.seconds / double(steps),
              g.flops / g.seconds / 1e9, 100.0 * g.flops / g.seconds / peak);
  if (bf16_peak > 0) {
    std::printf(", %.1f%% of the bf16 dot peak (%.0f GFLOP/s)", 100.0 * g.flops / g.seconds / bf16_peak,
                bf16_peak / 1e9);
  }
  std::printf("; %.0f%% of the step\n", 100.0 * g.seconds / sec);
  return 0;
}
