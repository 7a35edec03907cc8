// Rollouts for RL and evaluation: G sampled completions for each of P task problems, all P·G
// decoded together through Model::step_batch (continuous batching over a fixed set of KV-cache
// slots), each scored by the rule-based rewards (reward.h).
//
//   ProblemFormat format(text::ChatTemplate::from_tokenizer(tokenizer));
//   RolloutOptions o{.group_size = 8, .max_new_tokens = 256};
//   o.sampling.temperature = 1.0f;  o.sampling.seed = 42;
//   RolloutResult r = rollout(model, tokenizer, format, problems, o);
//   // r.completions[p * 8 + g]: ids, logprobs, text, finish_reason, reward
//
// How it runs. Each problem's prompt is prefilled once (a prefill segment in the same batched
// step as the decoding sequences) and its KV rows are copied into the slots of its G samples,
// which then decode one token per step; a slot that finishes is refilled with the next pending
// sample. Slots hold max_batch sequences at once, bounding the KV memory.
//
// Determinism. Completion i = p·G + g draws from its own generator, seeded by mix(seed, i), so its
// tokens depend only on its own logits. The kernels split work by output element and keep each
// element's arithmetic in one thread (core/thread_pool.h), so the logits, and therefore every
// result here, are the same for any thread count. The schedule (which sequences share a step)
// depends only on the sampled tokens and max_batch; a row's arithmetic does not depend on the
// other rows of its step, so max_batch does not change the completions either (the rollout test
// checks all three: seeds, thread counts, 2 slots against 15).
//
// Log-probabilities. GRPO's importance ratio needs log π_old(o_t) of every sampled token
// (grpo_loss.h: old_logprobs). `logprobs` is log_softmax of the raw logits at the sampled token:
// the policy at temperature 1 with no truncation, what the trainer's forward recomputes. When
// sampling at a temperature T ≠ 1 or with top_p < 1 the tokens come from a different (behaviour)
// distribution; `sampling_logprobs` gives log q(o_t) under that distribution (penalties,
// temperature, top-p, as engine/sampler.h builds it; 0 when greedy). At T = 1 without truncation
// the two agree up to float rounding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/sampler.h"
#include "model/model.h"
#include "rl/problem_format.h"
#include "rl/reward.h"
#include "rl/tasks.h"
#include "text/tokenizer.h"

namespace fathom::rl {

struct RolloutOptions {
  int64_t group_size = 1;        // G completions per problem
  int64_t max_new_tokens = 256;  // a completion ends at end of sequence or after this many tokens
  int64_t max_batch = 256;       // sequences decoded together (KV-cache slots)
  SamplingParams sampling{.temperature = 1.0f, .top_p = 1.0f};  // .seed seeds every completion
  RewardOptions reward;  // prompt_opens_think is set from the rendered prompt
};

struct Completion {
  size_t problem = 0;  // index into the problems
  int64_t sample = 0;  // 0 .. G−1
  std::vector<int32_t> prompt_ids;
  // Sampled ids; when finish_reason is "stop" the last one is the end-of-sequence token (the
  // policy's decision to stop, which the RL loss must see).
  std::vector<int32_t> ids;
  std::vector<float> logprobs;           // [ids.size()] log π(o_t) at temperature 1 (see above)
  std::vector<float> sampling_logprobs;  // [ids.size()] log q(o_t), the distribution sampled
  // Decoded ids without the end-of-sequence token (ids past the tokenizer's vocabulary, which a
  // padded model vocabulary can sample, decode to nothing); what the reward scored.
  std::string text;
  std::string finish_reason;  // "stop" (end of sequence) | "length" (max_new_tokens)
  Reward reward;
  // Completion tokens without the end-of-sequence token.
  int64_t length() const { return int64_t(ids.size()) - (finish_reason == "stop" ? 1 : 0); }
};

struct RolloutStats {
  int64_t sequences = 0;         // P·G
  int64_t prompt_tokens = 0;     // prefilled: each problem's prompt once
  int64_t generated_tokens = 0;  // sampled, end-of-sequence tokens included
  int64_t steps = 0;             // batched forward steps
  double seconds = 0.0;          // the whole rollout, scoring included
  double forward_seconds = 0.0;  // inside Model::step_batch
  double tokens_per_second() const { return seconds > 0 ? double(generated_tokens) / seconds : 0; }
};

struct RolloutResult {
  std::vector<Completion> completions;  // P·G, problem-major: completions[p·G + g]
  RolloutStats stats;
};

// Throws Error(kInvalidArgument) for bad options, a prompt that does not fit the model's
// max_position_embeddings with max_new_tokens, or no end-of-sequence id (config.json
// eos_token_id nor tokenizer eos token).
RolloutResult rollout(const Model& model, const text::Tokenizer& tokenizer,
                      const ProblemFormat& format, std::span<const Problem> problems,
                      const RolloutOptions& options);

}  // namespace fathom::rl
