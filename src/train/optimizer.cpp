#include "train/optimizer.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "core/error.h"
#include "core/thread_pool.h"

namespace fathom {

namespace {
// Elements per block of the threaded optimizer loops. The norm's partial sums are per block, so
// its summation order does not depend on the thread count.
constexpr int64_t kBlock = 1 << 14;
}  // namespace

double global_grad_norm(const ParamStore& store) {
  std::vector<const Param*> params;
  std::vector<int64_t> sizes;
  for (const Param* p : store.all()) {
    if (!p->trainable) continue;
    params.push_back(p);
    sizes.push_back(p->numel());
  }
  const std::vector<ParamChunk> chunks = param_chunks(sizes, kBlock);
  std::vector<double> partial(chunks.size());
  parallel_for(int64_t(chunks.size()), 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const ParamChunk& k = chunks[size_t(c)];
      const float* g = params[k.index]->grad.data();
      // 8 interleaved partial sums: a fixed order the compiler can vectorise.
      double s[8] = {};
      int64_t i = k.begin;
      for (; i + 8 <= k.end; i += 8) {
        for (int j = 0; j < 8; ++j) s[j] += double(g[i + j]) * double(g[i + j]);
      }
      for (; i < k.end; ++i) s[0] += double(g[i]) * double(g[i]);
      partial[size_t(c)] = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    }
  });
  double sum = 0.0;
  for (double s : partial) sum += s;
  return std::sqrt(sum);
}

namespace {
std::string describe(double value, const char* name) {
  std::ostringstream s;
  s << name << " = " << value;
  return s.str();
}
}  // namespace

void require_positive(double value, const char* name) {
  if (!(std::isfinite(value) && value > 0)) {
    fail(ErrorKind::kInvalidArgument, describe(value, name) + ": expected a finite value > 0");
  }
}

void require_non_negative(double value, const char* name) {
  if (!(std::isfinite(value) && value >= 0)) {
    fail(ErrorKind::kInvalidArgument, describe(value, name) + ": expected a finite value >= 0");
  }
}

void validate(const AdamWOptions& o) {
  require_non_negative(o.lr, "AdamW lr");
  for (const auto& [beta, name] :
       {std::pair{o.beta1, "AdamW beta1"}, std::pair{o.beta2, "AdamW beta2"}}) {
    if (!(beta >= 0 && beta < 1)) {
      fail(ErrorKind::kInvalidArgument, describe(beta, name) + ": expected 0 <= beta < 1");
    }
  }
  require_positive(o.eps, "AdamW eps");
  require_non_negative(o.weight_decay, "AdamW weight_decay");
}

double clip_coefficient(double norm, double max_norm) {
  return std::min(1.0, max_norm / (norm + 1e-6));
}

AdamW::AdamW(const ParamStore& store) {
  for (const Param* p : store.all()) {
    m_.emplace_back(p->value.size(), 0.0f);
    v_.emplace_back(p->value.size(), 0.0f);
  }
}

void AdamW::step(ParamStore& store, const AdamWOptions& o, double grad_scale) {
  ++step_;
  const double bc1 = 1.0 - std::pow(o.beta1, double(step_));
  const double bc2 = 1.0 - std::pow(o.beta2, double(step_));
  const double sqrt_bc2 = std::sqrt(bc2);
  // float32 moments and step as torch.optim.AdamW computes them for float32 parameters (the
  // step's relative error, ~1e-7 of lr, is far below a parameter's ulp); the decayed parameter
  // minus the step in double, rounded once. sqrt and / in float vectorise (optimizer.cpp is
  // built with -fno-math-errno, src/train/CMakeLists.txt), and the loop is memory-bound.
  const float b1 = float(o.beta1), b2 = float(o.beta2), c1 = float(1.0 - o.beta1),
              c2 = float(1.0 - o.beta2), gs = float(grad_scale), eps = float(o.eps),
              inv_sqrt_bc2 = float(1.0 / sqrt_bc2), step_size = float(o.lr / bc1);
  const std::vector<Param*> params = store.all();
  std::vector<int64_t> sizes;
  for (const Param* p : params) sizes.push_back(p->trainable ? p->numel() : 0);
  const std::vector<ParamChunk> chunks = param_chunks(sizes, kBlock);
  // The constants by value: copies the compiler knows no store in the loop can change.
  parallel_for(int64_t(chunks.size()), 1, [&, b1, b2, c1, c2, gs, eps, inv_sqrt_bc2,
                                             step_size](int64_t c0, int64_t c1_) {
    for (int64_t c = c0; c < c1_; ++c) {
      const ParamChunk& k = chunks[size_t(c)];
      Param& p = *params[k.index];
      const double decay = p.decay ? 1.0 - o.lr * o.weight_decay : 1.0;
      float* value = p.value.data();
      const float* grad = p.grad.data();
      float* mk = m_[k.index].data();
      float* vk = v_[k.index].data();
      for (int64_t i = k.begin; i < k.end; ++i) {
        const float g = grad[i] * gs;
        const float mi = b1 * mk[i] + c1 * g;
        const float vi = b2 * vk[i] + c2 * (g * g);
        mk[i] = mi;
        vk[i] = vi;
        const float step = step_size * mi / (std::sqrt(vi) * inv_sqrt_bc2 + eps);
        value[i] = float(double(value[i]) * decay - double(step));
      }
    }
  });
}

namespace {
void write_floats(const std::filesystem::path& path, const std::vector<float>& v) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(v.data()), std::streamsize(v.size() * 4));
  if (!out) fail(ErrorKind::kIo, "cannot write " + path.string());
}
void read_floats(const std::filesystem::path& path, std::vector<float>& v) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorKind::kNotFound, "optimizer state: cannot open " + path.string());
  in.seekg(0, std::ios::end);
  const auto size = size_t(in.tellg());
  if (size != v.size() * 4) {
    fail(ErrorKind::kCorruptFile, path.string() + ": " + std::to_string(size) + " bytes, expected " +
                                      std::to_string(v.size() * 4));
  }
  in.seekg(0);
  in.read(reinterpret_cast<char*>(v.data()), std::streamsize(size));
}
}  // namespace

void AdamW::save(const std::string& dir, const ParamStore& store) const {
  std::filesystem::create_directories(dir);
  const auto params = store.all();
  for (size_t k = 0; k < params.size(); ++k) {
    write_floats(std::filesystem::path(dir) / (params[k]->name + ".m.f32"), m_[k]);
    write_floats(std::filesystem::path(dir) / (params[k]->name + ".v.f32"), v_[k]);
  }
  std::ofstream out(std::filesystem::path(dir) / "step.txt", std::ios::trunc);
  out << step_ << "\n";
  if (!out) fail(ErrorKind::kIo, "cannot write " + dir + "/step.txt");
}

void AdamW::load(const std::string& dir, const ParamStore& store) {
  const auto params = store.all();
  for (size_t k = 0; k < params.size(); ++k) {
    read_floats(std::filesystem::path(dir) / (params[k]->name + ".m.f32"), m_[k]);
    read_floats(std::filesystem::path(dir) / (params[k]->name + ".v.f32"), v_[k]);
  }
  std::ifstream in(std::filesystem::path(dir) / "step.txt");
  if (!(in >> step_) || step_ < 0) fail(ErrorKind::kCorruptFile, dir + "/step.txt: bad step count");
}

double warmup_cosine_lr(int64_t step, int64_t total_steps, int64_t warmup_steps, double peak,
                        double min_lr) {
  if (step < warmup_steps) return peak * double(step + 1) / double(warmup_steps);
  const int64_t span = std::max<int64_t>(1, total_steps - warmup_steps);
  const double progress = std::min(1.0, double(step - warmup_steps) / double(span));
  return min_lr + (peak - min_lr) * 0.5 * (1.0 + std::cos(M_PI * progress));
}

std::vector<double> update_expert_bias(const LayerLoad& load, double gamma) {
  if (load.bias == nullptr) return {};
  double mean = 0.0;
  for (int64_t c : load.counts) mean += double(c);
  mean /= double(load.counts.size());
  std::vector<double> out(load.counts.size());
  for (size_t i = 0; i < load.counts.size(); ++i) {
    const double diff = mean - double(load.counts[i]);
    const double sign = diff > 0 ? 1.0 : (diff < 0 ? -1.0 : 0.0);
    out[i] = double(load.bias->value[i]) + gamma * sign;
    load.bias->value[i] = float(out[i]);
  }
  return out;
}

}  // namespace fathom
