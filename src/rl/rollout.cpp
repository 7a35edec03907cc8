// Batched rollouts (rollout.h): prompts prefilled once per problem, G samples per problem decoded
// together over KV-cache slots, refilled as sequences finish.
#include "rl/rollout.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <optional>

#include "core/error.h"
#include "core/thread_pool.h"
#include "engine/sequence_state.h"
#include "rl/rng.h"

namespace fathom::rl {
namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// One problem's prompt: prefilled once into its own cache, then copied into each sample's slot.
struct Prompt {
  std::vector<int32_t> ids;
  bool opens_think = false;
  std::unique_ptr<KVCache> cache;  // alive from prefill until its G samples have slots
  std::vector<float> logits;       // the last prompt position's logits: the first token's
  bool scheduled = false, ready = false;
  int64_t started = 0;  // samples that have taken a slot
};

// A KV-cache slot and the completion it is generating.
struct Slot {
  explicit Slot(KVCache c) : cache(std::move(c)) {}
  KVCache cache;
  int64_t completion = -1;  // index into the completions; -1 when free
  std::optional<Sampler> sampler;
  std::optional<TokenHistory> history;
  std::vector<float> probs;
  int32_t pending = 0;  // the last sampled token, fed at the next step
  bool live = false;    // decoding (has a pending token)
};

// The first `length` positions of `from` into `to` (every layer's latent and rope key rows).
void copy_prefix(KVCache& from, KVCache& to, int64_t length, const ModelConfig& c) {
  to.truncate(0);
  const size_t latent = size_t(length * c.kv_lora_rank), rope = size_t(length * c.qk_rope_head_dim);
  for (int64_t l = 0; l < from.layers(); ++l) {
    const LayerKVCache& src = from.layer(l);
    LayerKVCache& dst = to.layer(l);
    std::copy(src.latent.begin(), src.latent.begin() + long(latent), dst.latent.begin());
    std::copy(src.rope_key.begin(), src.rope_key.begin() + long(rope), dst.rope_key.begin());
  }
  to.advance(length);
}

class Runner {
 public:
  Runner(const Model& model, const text::Tokenizer& tokenizer, const ProblemFormat& format,
         std::span<const Problem> problems, const RolloutOptions& options)
      : model_(model),
        tokenizer_(tokenizer),
        problems_(problems),
        o_(options),
        vocab_(model.config().vocab_size),
        stop_ids_(end_of_sequence_ids(model.config().eos_token_id, tokenizer.eos_id())) {
    validate();
    if (stop_ids_.empty()) {
      fail(ErrorKind::kInvalidArgument,
           "rollout: no end-of-sequence id (config.json eos_token_id, tokenizer eos_token)");
    }
    int64_t longest = 0;
    for (const Problem& p : problems) {
      Prompt prompt;
      const std::string text = format.prompt(p);
      prompt.ids = tokenizer.encode(text);
      prompt.opens_think = prompt_opens_think(text);
      longest = std::max<int64_t>(longest, int64_t(prompt.ids.size()));
      prompts_.push_back(std::move(prompt));
    }
    context_ = longest + o_.max_new_tokens;
    if (context_ > model.config().max_position_embeddings) {
      fail(ErrorKind::kInvalidArgument, "rollout: the longest prompt (" + std::to_string(longest) +
                                            " tokens) + " + std::to_string(o_.max_new_tokens) +
                                            " new tokens exceed max_position_embeddings " +
                                            std::to_string(model.config().max_position_embeddings));
    }
    const int64_t total = int64_t(problems.size()) * o_.group_size;
    completions_.resize(size_t(total));
    for (int64_t i = 0; i < total; ++i) {
      completions_[size_t(i)].problem = size_t(i / o_.group_size);
      completions_[size_t(i)].sample = i % o_.group_size;
    }
    for (int64_t i = 0; i < std::min(o_.max_batch, total); ++i) {
      slots_.push_back(std::make_unique<Slot>(model.make_cache(context_)));
    }
    stats_.sequences = total;
  }

  RolloutResult run() {
    const double start = now_seconds();
    for (;;) {
      admit();
      if (!step()) break;
    }
    finalize();
    stats_.seconds = now_seconds() - start;
    return {std::move(completions_), stats_};
  }

 private:
  void validate() const {
    auto require = [](bool ok, const std::string& message) {
      if (!ok) fail(ErrorKind::kInvalidArgument, "rollout: " + message);
    };
    require(o_.group_size >= 1, "group_size must be >= 1");
    require(o_.max_new_tokens >= 1, "max_new_tokens must be >= 1");
    require(o_.max_batch >= 1, "max_batch must be >= 1");
    validate_sampling_params(o_.sampling);
  }

  // Fills free slots with the next pending completions, in completion order. A completion whose
  // prompt is prefilled starts now; otherwise its prompt joins the next step's prefill segments.
  void admit() {
    const int64_t total = int64_t(completions_.size());
    for (auto& slot : slots_) {
      while (slot->completion < 0 && next_ < total) {
        const int64_t i = next_++;
        Prompt& prompt = prompts_[size_t(i / o_.group_size)];
        slot->completion = i;
        if (prompt.ready) {
          start(*slot);
        } else if (!prompt.scheduled) {
          prompt.scheduled = true;
          prompt.cache = std::make_unique<KVCache>(
              model_.make_cache(std::max<int64_t>(int64_t(prompt.ids.size()), 1)));
          prefill_.push_back(i / o_.group_size);
        }
      }
    }
  }

  // Copies the prompt's cache into the slot and samples the completion's first token.
  void start(Slot& slot) {
    const int64_t i = slot.completion;
    Prompt& prompt = prompts_[size_t(i / o_.group_size)];
    copy_prefix(*prompt.cache, slot.cache, int64_t(prompt.ids.size()), model_.config());
    SamplingParams sampling = o_.sampling;
    sampling.seed = mix64(mix64(o_.sampling.seed) + uint64_t(i));
    slot.sampler.emplace(sampling, vocab_);
    slot.history.emplace(vocab_);
    for (int32_t t : prompt.ids) slot.history->add_prompt(t);
    completions_[size_t(i)].prompt_ids = prompt.ids;
    sample(slot, prompt.logits.data());
    if (!slot.live) slot.completion = -1;
    if (++prompt.started == o_.group_size) {  // the last sample: the prompt's state is done
      prompt.cache.reset();
      prompt.logits = {};
    }
  }

  // Draws the next token of the slot's completion from `logits`; ends it at a stop id or the
  // token budget. Touches only this slot and its completion (safe in parallel across slots).
  void sample(Slot& slot, const float* logits) {
    Completion& c = completions_[size_t(slot.completion)];
    slot.sampler->distribution(logits, *slot.history, slot.probs);
    const int32_t token = slot.sampler->sample(slot.probs);
    c.ids.push_back(token);
    c.logprobs.push_back(token_logprob(logits, vocab_, token));
    c.sampling_logprobs.push_back(std::log(std::max(slot.probs[size_t(token)], 1e-30f)));
    slot.history->add_generated(token);
    slot.pending = token;
    slot.live = true;
    if (std::find(stop_ids_.begin(), stop_ids_.end(), token) != stop_ids_.end()) {
      c.finish_reason = "stop";
      slot.live = false;
    } else if (int64_t(c.ids.size()) >= o_.max_new_tokens) {
      c.finish_reason = "length";
      slot.live = false;
    }
  }

  // One batched forward: the prompts waiting for prefill and one token of every live slot.
  // False when nothing is left to run.
  bool step() {
    std::vector<Slot*> live;
    for (auto& slot : slots_) {
      if (slot->completion >= 0 && slot->live) live.push_back(slot.get());
    }
    if (live.empty() && prefill_.empty()) return false;
    std::vector<SequenceStep> batch;
    for (size_t p : prefill_) {
      batch.push_back({prompts_[p].ids, prompts_[p].cache.get(), LogitsRows::kLast});
      stats_.prompt_tokens += int64_t(prompts_[p].ids.size());
    }
    for (Slot* s : live) batch.push_back({std::span(&s->pending, 1), &s->cache, LogitsRows::kLast});
    const double t0 = now_seconds();
    std::vector<StepResult> results = model_.step_batch(batch);
    stats_.forward_seconds += now_seconds() - t0;
    ++stats_.steps;

    const size_t first_live = prefill_.size();
    parallel_for(int64_t(live.size()), 1, [&](int64_t b, int64_t e) {
      for (int64_t j = b; j < e; ++j)
        sample(*live[size_t(j)], results[first_live + size_t(j)].logits.data());
    });
    for (Slot* s : live) {
      if (!s->live) s->completion = -1;
    }
    // The prefilled prompts: their waiting slots start, in slot order.
    for (size_t j = 0; j < prefill_.size(); ++j) {
      Prompt& prompt = prompts_[prefill_[j]];
      prompt.logits = std::move(results[j].logits);
      prompt.ready = true;
    }
    prefill_.clear();
    for (auto& slot : slots_) {
      if (slot->completion >= 0 && !slot->live &&
          completions_[size_t(slot->completion)].ids.empty()) {
        start(*slot);
      }
    }
    return true;
  }

  // Text and rewards, once every completion has ended.
  void finalize() {
    const int64_t known = int64_t(tokenizer_.vocab_size());
    for (Completion& c : completions_) {
      std::vector<int32_t> ids(c.ids.begin(), c.ids.begin() + long(c.length()));
      // A model vocabulary padded past the tokenizer's: ids it cannot name decode to nothing.
      std::erase_if(ids, [&](int32_t t) { return t >= known; });
      c.text = tokenizer_.decode(ids);
      RewardOptions reward = o_.reward;
      reward.prompt_opens_think = prompts_[c.problem].opens_think;
      c.reward = score_completion(problems_[c.problem], c.text, reward);
      stats_.generated_tokens += int64_t(c.ids.size());
    }
  }

  const Model& model_;
  const text::Tokenizer& tokenizer_;
  std::span<const Problem> problems_;
  const RolloutOptions& o_;
  const int64_t vocab_;
  const std::vector<int32_t> stop_ids_;
  int64_t context_ = 0;
  std::vector<Prompt> prompts_;
  std::vector<Completion> completions_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::vector<size_t> prefill_;  // problems whose prompts the next step prefills
  int64_t next_ = 0;             // the next completion to admit
  RolloutStats stats_;
};

}  // namespace

RolloutResult rollout(const Model& model, const text::Tokenizer& tokenizer,
                      const ProblemFormat& format, std::span<const Problem> problems,
                      const RolloutOptions& options) {
  return Runner(model, tokenizer, format, problems, options).run();
}

}  // namespace fathom::rl
