// Finite-difference checks of every backward (label `unit`): each op on tiny shapes against
// central differences of a random linear functional of its output, and the whole model (MLA with
// and without the low-rank query, dense FFN, DeepSeekMoE with sigmoid/noaux_tc and
// softmax/greedy routing, balance loss, MTP, tied embedding/head) per tensor along its gradient.
// Forward passes are float32, so steps are ~1e-3 and tolerances ~1e-2 relative: far below
// the size of a wrong factor, sign or missing path.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <utility>

#include "core/thread_pool.h"
#include "model/config.h"
#include "model/rope.h"
#include "test_util.h"
#include "train/ops.h"
#include "train/train_model.h"

namespace fathom {
namespace {

using namespace train_ops;

std::vector<float> random_vector(size_t n, uint64_t seed, float scale = 1.0f) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  return v;
}

Param make_param(std::vector<int64_t> shape, uint64_t seed, float scale = 1.0f, float offset = 0.0f) {
  Param p;
  p.name = "test";
  p.shape = shape;
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  p.value = random_vector(size_t(n), seed, scale);
  for (float& v : p.value) v += offset;
  p.grad.assign(size_t(n), 0.0f);
  return p;
}

// Checks analytic[i] == d f / d v[i] for every element by central differences.
void expect_matches_fd(std::vector<float>& v, const std::vector<float>& analytic,
                       const std::function<double()>& f, const char* what, double h = 1e-3,
                       double tol = 1e-2) {
  ASSERT_EQ(v.size(), analytic.size());
  for (size_t i = 0; i < v.size(); ++i) {
    const float saved = v[i];
    v[i] = saved + float(h);
    const double up = f();
    v[i] = saved - float(h);
    const double down = f();
    v[i] = saved;
    const double fd = (up - down) / (2 * h);
    EXPECT_NEAR(analytic[i], fd, tol * (1.0 + std::fabs(fd))) << what << " element " << i;
  }
}

double weighted_sum(const std::vector<float>& y, const std::vector<float>& r) {
  double s = 0.0;
  for (size_t i = 0; i < y.size(); ++i) s += double(y[i]) * double(r[i]);
  return s;
}

TEST(FiniteDifference, Linear) {
  const int64_t n = 3, in = 5, out = 4;
  Param w = make_param({out, in}, 1, 0.5f);
  auto x = random_vector(size_t(n * in), 2);
  const auto r = random_vector(size_t(n * out), 3);
  std::vector<float> y(size_t(n * out)), dx(size_t(n * in), 0.0f);
  auto f = [&] { linear_forward(x.data(), n, w, y.data()); return weighted_sum(y, r); };
  linear_backward(x.data(), r.data(), n, w, dx.data(), true);
  expect_matches_fd(x, dx, f, "dx");
  const auto dw = w.grad;
  expect_matches_fd(w.value, dw, f, "dW");
}

// The threaded paths (transposed forward from 48 rows on, both dW orders, 4x4 transposes with
// ragged edges) against a double-precision reference on shapes larger than the FD checks use.
TEST(Ops, LinearMatchesReferenceOnEveryPath) {
  struct Shape {
    int64_t n, out, in;
  };
  for (const Shape s : {Shape{50, 37, 21}, Shape{67, 13, 90}, Shape{130, 70, 64}, Shape{5, 9, 7}}) {
    Param w = make_param({s.out, s.in}, 20, 0.3f);
    const auto x = random_vector(size_t(s.n * s.in), 21),
               dy = random_vector(size_t(s.n * s.out), 22);
    std::vector<float> y(size_t(s.n * s.out)), dx(size_t(s.n * s.in), 1.0f);
    linear_forward(x.data(), s.n, w, y.data());
    linear_backward(x.data(), dy.data(), s.n, w, dx.data(), true);
    double worst = 0.0;
    for (int64_t t = 0; t < s.n; ++t) {
      for (int64_t o = 0; o < s.out; ++o) {
        double want = 0.0;
        for (int64_t i = 0; i < s.in; ++i)
          want += double(x[size_t(t * s.in + i)]) * w.value[size_t(o * s.in + i)];
        worst = std::max(worst, std::fabs(y[size_t(t * s.out + o)] - want));
      }
      for (int64_t i = 0; i < s.in; ++i) {
        double want = 1.0;  // accumulated onto the initial 1
        for (int64_t o = 0; o < s.out; ++o)
          want += double(dy[size_t(t * s.out + o)]) * w.value[size_t(o * s.in + i)];
        worst = std::max(worst, std::fabs(dx[size_t(t * s.in + i)] - want));
      }
    }
    for (int64_t o = 0; o < s.out; ++o) {
      for (int64_t i = 0; i < s.in; ++i) {
        double want = 0.0;
        for (int64_t t = 0; t < s.n; ++t)
          want += double(dy[size_t(t * s.out + o)]) * x[size_t(t * s.in + i)];
        worst = std::max(worst, std::fabs(w.grad[size_t(o * s.in + i)] - want));
      }
    }
    EXPECT_LT(worst, 1e-4) << s.n << " x " << s.out << " x " << s.in;
  }
  for (const auto& [rows, cols] :
       {std::pair<int64_t, int64_t>{1, 1}, {7, 5}, {33, 70}, {64, 128}}) {
    const auto a = random_vector(size_t(rows * cols), 23);
    std::vector<float> at(a.size());
    transpose(a.data(), rows, cols, at.data());
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < cols; ++c) {
        ASSERT_EQ(at[size_t(c * rows + r)], a[size_t(r * cols + c)]) << rows << " x " << cols;
      }
    }
  }
}

TEST(FiniteDifference, RmsNorm) {
  const int64_t n = 3, d = 6;
  Param w = make_param({d}, 4, 0.2f, 1.0f);
  auto x = random_vector(size_t(n * d), 5);
  const auto r = random_vector(size_t(n * d), 6);
  std::vector<float> y(x.size()), rstd(static_cast<size_t>(n)), dx(x.size(), 0.0f);
  auto f = [&] { rms_norm_forward(x.data(), n, d, w, 1e-6f, y.data(), rstd.data()); return weighted_sum(y, r); };
  f();
  rms_norm_backward_accum(x.data(), rstd.data(), r.data(), n, d, w, dx.data());
  expect_matches_fd(x, dx, f, "dx");
  const auto dw = w.grad;
  expect_matches_fd(w.value, dw, f, "dw");
}

TEST(FiniteDifference, SwiGlu) {
  const int64_t n = 12;
  auto g = random_vector(size_t(n), 7, 2.0f), u = random_vector(size_t(n), 8);
  const auto r = random_vector(size_t(n), 9);
  std::vector<float> h(static_cast<size_t>(n)), dg(h), du(h);
  auto f = [&] { swiglu_forward(g.data(), u.data(), n, h.data()); return weighted_sum(h, r); };
  swiglu_backward(g.data(), u.data(), r.data(), n, dg.data(), du.data());
  expect_matches_fd(g, dg, f, "dg");
  expect_matches_fd(u, du, f, "du");
}

TEST(FiniteDifference, RopeYarn) {
  ModelConfig c = parse_model_config(testing::read_file(testing::source_path(
                                         "tests/golden_train/v3-tiny-train/config.json")),
                                     "config.json");
  const RopeTables rope = make_rope_tables(c);
  auto x = random_vector(size_t(c.qk_rope_head_dim), 10);
  const auto r = random_vector(x.size(), 11);
  for (int64_t pos : {0, 3, 17}) {
    auto f = [&] {
      std::vector<float> y = x;
      apply_rope_interleaved(y.data(), pos, rope);
      return weighted_sum(y, r);
    };
    std::vector<float> dx = r;
    rope_backward_inplace(dx.data(), pos, rope);
    expect_matches_fd(x, dx, f, "rope dx");
  }
}

TEST(FiniteDifference, CrossEntropy) {
  const int64_t n = 3, vocab = 7;
  auto z = random_vector(size_t(n * vocab), 12, 2.0f);
  const std::vector<int32_t> targets = {1, 6, 0};
  std::vector<float> dz(z.size()), scratch(z.size());
  auto f = [&] {
    return cross_entropy_forward_backward(z.data(), targets.data(), n, vocab, 0.5f, scratch.data()) * 0.5;
  };
  cross_entropy_forward_backward(z.data(), targets.data(), n, vocab, 0.5f, dz.data());
  expect_matches_fd(z, dz, f, "dlogits");
}

// A micro DeepSeek config derived from the committed v3-tiny-train config.json.
std::string micro_config(bool v2_style) {
  auto j = nlohmann::json::parse(testing::read_file(
      testing::source_path("tests/golden_train/v3-tiny-train/config.json")));
  j["vocab_size"] = 16;
  j["hidden_size"] = 8;
  j["num_hidden_layers"] = 2;
  j["first_k_dense_replace"] = 1;
  j["num_attention_heads"] = 2;
  j["num_key_value_heads"] = 2;
  j["kv_lora_rank"] = 4;
  j["qk_nope_head_dim"] = 4;
  j["qk_rope_head_dim"] = 4;
  j["v_head_dim"] = 4;
  j["intermediate_size"] = 12;
  j["moe_intermediate_size"] = 4;
  j["n_routed_experts"] = 4;
  j["num_experts_per_tok"] = 2;
  j["n_shared_experts"] = 1;
  j["n_group"] = 2;
  j["topk_group"] = 1;
  if (v2_style) {  // V2-Lite-like: direct q_proj, softmax, greedy, no normalisation, no MTP
    j["model_type"] = "deepseek_v2";
    j["q_lora_rank"] = nullptr;
    j["scoring_func"] = "softmax";
    j["topk_method"] = "greedy";
    j["n_group"] = 1;
    j["topk_group"] = 1;
    j["norm_topk_prob"] = false;
    j["routed_scaling_factor"] = 2.0;
    j.erase("num_nextn_predict_layers");
  } else {
    j["q_lora_rank"] = 6;
  }
  return j.dump();
}

void check_model_gradients(bool v2_style) {
  const std::string text = micro_config(v2_style);
  const ModelConfig c = parse_model_config(text, "micro config");
  ParamStore store = ParamStore::init(c, text, 7);
  for (Param* p : store.all()) {
    if (!p->trainable) p->value = random_vector(p->value.size(), 99, 0.05f);  // selection bias
    if (p->shape.size() == 1 && p->trainable) p->value = random_vector(p->value.size(), 98, 0.2f);
    if (p->shape.size() == 1 && p->trainable) for (float& v : p->value) v += 1.0f;
  }
  const int64_t B = 2, T = 5;
  std::vector<int32_t> ids(size_t(B * (T + 1)));
  std::mt19937 rng(3);
  for (auto& id : ids) id = int32_t(rng() % 16);
  TrainModel model(store, B, T);
  LossWeights w;
  w.alpha = 0.1;  // large enough that the balance gradient is visible
  store.zero_grads();
  const StepLosses base = model.run(ids, B, w, true);
  ASSERT_TRUE(std::isfinite(base.total));
  EXPECT_EQ(base.mtp_ce.has_value(), !v2_style);
  EXPECT_GT(base.balance, 0.0);
  int checked = 0;
  for (Param* p : store.all()) {
    if (!p->trainable) {
      for (float g : p->grad) EXPECT_EQ(g, 0.0f) << p->name << " must get no gradient";
      continue;
    }
    double norm = 0.0;
    for (float g : p->grad) norm += double(g) * g;
    norm = std::sqrt(norm);
    if (norm == 0.0) continue;  // an expert no token reached
    // Directional derivative along g/|g| (its exact value is |g|).
    const std::vector<float> saved = p->value, grad = p->grad;
    const double h = 1e-3;
    auto loss_at = [&](double step) {
      for (size_t i = 0; i < saved.size(); ++i) p->value[i] = saved[i] + float(step * grad[i] / norm);
      const double v = model.run(ids, B, w, false).total;
      p->value = saved;
      return v;
    };
    const double fd = (loss_at(h) - loss_at(-h)) / (2 * h);
    EXPECT_NEAR(fd, norm, 2e-2 * norm + 2e-3) << p->name;
    ++checked;
  }
  EXPECT_GT(checked, 30);
}

TEST(FiniteDifference, WholeModelV3WithMtp) { check_model_gradients(false); }

// That a training step does not depend on the thread count is checked for every GEMM precision,
// fp32 included, by PrecisionTraining.StepDoesNotDependOnThreadCount (fp8_training_test.cpp).

TEST(FiniteDifference, WholeModelV2Style) { check_model_gradients(true); }

}  // namespace
}  // namespace fathom
