// Thread pool: one job slot, a generation counter the workers watch, and a countdown the caller
// watches. Both sides spin briefly (a decode step issues thousands of small parallel_for calls
// back to back, where a futex sleep/wake per call would dominate), then sleep in
// std::atomic::wait (a futex on Linux) so idle workers cost no CPU.
#include "core/thread_pool.h"

#include <atomic>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"

namespace fathom {
namespace {

constexpr int kSpinIterations = 1 << 14;  // ~50-100 µs of pause instructions
// Every this many pauses a spinner offers its core to another runnable thread. Alone on the
// machine sched_yield returns at once (~0.2 µs per ~10 µs of spinning); when cores are
// oversubscribed (two fathom processes, ctest -j), the thread being waited for may be the one
// without a core, and a spinner that never yields burns its whole time slice waiting for it:
// two concurrent trainings on 2 cores ran at a quarter of one's speed each before this.
constexpr int kYieldEvery = 256;

inline void spin_pause(int spin) {
  __builtin_ia32_pause();
  if (spin % kYieldEvery == kYieldEvery - 1) std::this_thread::yield();
}

// Set on pool workers, and on a caller while its parallel_for runs: nested calls run inline.
thread_local bool t_inside_worker = false;

class Pool {
 public:
  explicit Pool(int threads) : threads_(threads) {
    for (int i = 1; i < threads_; ++i) workers_.emplace_back([this, i] { worker(i); });
  }
  ~Pool() {
    stop_.store(true);
    generation_.fetch_add(1);
    generation_.notify_all();
    for (std::thread& t : workers_) t.join();
  }
  int threads() const { return threads_; }

  // Caller holds the run mutex.
  void run(int64_t n, int64_t grain, RangeFn fn, void* context, int ranges) {
    fn_ = fn;
    context_ = context;
    n_ = n;
    grain_ = grain;
    ranges_ = ranges;
    // Every worker acknowledges every job, even one with no range for it: a worker can then
    // never still be reading the previous job's fields when the next one is written.
    pending_.store(uint32_t(threads_ - 1), std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
    generation_.notify_all();
    run_range(0);
    for (int spin = 0; pending_.load(std::memory_order_acquire) != 0; ++spin) {
      if (spin < kSpinIterations) {
        spin_pause(spin);
      } else {
        const uint32_t left = pending_.load(std::memory_order_acquire);
        if (left != 0) pending_.wait(left, std::memory_order_acquire);
      }
    }
  }

 private:
  // Range i of `ranges_`: whole grains split as evenly as possible.
  void run_range(int i) {
    if (i >= ranges_) return;
    const int64_t grains = (n_ + grain_ - 1) / grain_;
    const int64_t g0 = grains * i / ranges_, g1 = grains * (i + 1) / ranges_;
    const int64_t b = g0 * grain_, e = g1 * grain_ < n_ ? g1 * grain_ : n_;
    if (b < e) fn_(context_, b, e);
  }

  void worker(int index) {
    t_inside_worker = true;
    uint32_t seen = 0;
    for (;;) {
      uint32_t now = generation_.load(std::memory_order_acquire);
      for (int spin = 0; now == seen && spin < kSpinIterations; ++spin) {
        spin_pause(spin);
        now = generation_.load(std::memory_order_acquire);
      }
      if (now == seen) {
        generation_.wait(seen, std::memory_order_acquire);
        continue;
      }
      seen = now;
      if (stop_.load()) return;
      run_range(index);
      if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) pending_.notify_one();
    }
  }

  const int threads_;
  std::vector<std::thread> workers_;
  std::atomic<uint32_t> generation_{0};
  std::atomic<uint32_t> pending_{0};
  std::atomic<bool> stop_{false};
  // The job; written by the caller before the generation bump (release), read after (acquire).
  RangeFn fn_ = nullptr;
  void* context_ = nullptr;
  int64_t n_ = 0, grain_ = 1;
  int ranges_ = 0;
};

}  // namespace

int threads_from_env(const char* env) {
  if (env != nullptr && *env != '\0') {
    char* end = nullptr;
    const long v = std::strtol(env, &end, 10);
    if (*end != '\0' || v < 1 || v > 1024) {
      fail(ErrorKind::kInvalidArgument,
           std::string("FATHOM_THREADS='") + env + "': expected an integer in [1, 1024]");
    }
    return int(v);
  }
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : int(hw);
}

namespace {

int default_threads() { return threads_from_env(std::getenv("FATHOM_THREADS")); }

std::mutex& run_mutex() {
  static std::mutex m;
  return m;
}

// Guarded by run_mutex(); created on first use so FATHOM_THREADS is read lazily.
std::unique_ptr<Pool>& pool_slot() {
  static std::unique_ptr<Pool> pool;
  return pool;
}

Pool& pool_locked() {
  std::unique_ptr<Pool>& p = pool_slot();
  if (!p) p = std::make_unique<Pool>(default_threads());
  return *p;
}

}  // namespace

int num_threads() {
  std::lock_guard<std::mutex> lock(run_mutex());
  return pool_locked().threads();
}

void set_num_threads(int n) {
  if (n < 1 || n > 1024) {
    fail(ErrorKind::kInvalidArgument,
         "set_num_threads(" + std::to_string(n) + "): expected an integer in [1, 1024]");
  }
  std::lock_guard<std::mutex> lock(run_mutex());
  std::unique_ptr<Pool>& p = pool_slot();
  if (p && p->threads() == n) return;
  p.reset();
  p = std::make_unique<Pool>(n);
}

void parallel_for(int64_t n, int64_t grain, RangeFn fn, void* context) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  const int64_t grains = (n + grain - 1) / grain;
  if (grains == 1 || t_inside_worker) {
    fn(context, 0, n);
    return;
  }
  std::unique_lock<std::mutex> lock(run_mutex(), std::try_to_lock);
  if (!lock.owns_lock()) {  // another thread is using the pool: do our share alone
    fn(context, 0, n);
    return;
  }
  Pool& pool = pool_locked();
  const int ranges = int(grains < pool.threads() ? grains : pool.threads());
  if (ranges == 1) {
    fn(context, 0, n);
    return;
  }
  // A parallel_for nested in the caller's own range runs inline (the mutex is not recursive).
  t_inside_worker = true;
  pool.run(n, grain, fn, context, ranges);
  t_inside_worker = false;
}

}  // namespace fathom
