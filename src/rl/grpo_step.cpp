// A GRPO policy update through the model (grpo_step.h).
#include "rl/grpo_step.h"

#include <algorithm>
#include <string>

#include "core/error.h"

namespace fathom::rl {

PolicyBatch make_policy_batch(std::span<const PolicySequence> sequences, int32_t pad_id,
                              int64_t seq_len) {
  PolicyBatch b;
  b.n_seq = int64_t(sequences.size());
  if (b.n_seq == 0) fail(ErrorKind::kInvalidArgument, "policy batch: no sequences");
  int64_t longest = 0;
  size_t with_old = 0;
  for (size_t n = 0; n < sequences.size(); ++n) {
    const PolicySequence& s = sequences[n];
    if (s.prompt.empty()) {
      fail(ErrorKind::kInvalidArgument, "policy batch: sequence " + std::to_string(n) +
                                            " has an empty prompt (its first completion token "
                                            "needs a position to be predicted from)");
    }
    if (!s.old_logprobs.empty() && s.old_logprobs.size() != s.completion.size()) {
      fail(ErrorKind::kInvalidArgument,
           "policy batch: sequence " + std::to_string(n) + " has " +
               std::to_string(s.old_logprobs.size()) + " old log-probs for " +
               std::to_string(s.completion.size()) + " completion tokens");
    }
    with_old += !s.old_logprobs.empty();
    longest = std::max<int64_t>(longest, int64_t(s.prompt.size() + s.completion.size()));
    b.max_completion = std::max<int64_t>(b.max_completion, int64_t(s.completion.size()));
  }
  if (with_old != 0 && with_old != sequences.size()) {
    fail(ErrorKind::kInvalidArgument,
         "policy batch: old log-probs given for some sequences and not others");
  }
  b.max_completion = std::max<int64_t>(b.max_completion, 1);
  const int64_t least = std::max<int64_t>(longest - 1, 2);  // TrainModel needs T ≥ 2
  if (seq_len != 0 && seq_len < least) {
    fail(ErrorKind::kInvalidArgument, "policy batch: seq_len " + std::to_string(seq_len) +
                                          " is shorter than the longest sequence needs (" +
                                          std::to_string(least) + ")");
  }
  b.seq_len = seq_len != 0 ? seq_len : least;
  const int64_t T = b.seq_len, L = b.max_completion, N = b.n_seq;
  b.ids.assign(size_t(N * (T + 1)), pad_id);
  b.first_row.resize(size_t(N));
  b.tokens.assign(size_t(N * L), pad_id);
  b.mask.assign(size_t(N * L), 0);
  b.rewards.resize(size_t(N));
  if (with_old != 0) b.old_logprobs.assign(size_t(N * L), 0.0f);
  for (int64_t n = 0; n < N; ++n) {
    const PolicySequence& s = sequences[size_t(n)];
    int32_t* row = &b.ids[size_t(n * (T + 1))];
    std::copy(s.prompt.begin(), s.prompt.end(), row);
    std::copy(s.completion.begin(), s.completion.end(), row + s.prompt.size());
    b.first_row[size_t(n)] = n * T + int64_t(s.prompt.size()) - 1;
    for (size_t j = 0; j < s.completion.size(); ++j) {
      b.tokens[size_t(n * L) + j] = s.completion[j];
      b.mask[size_t(n * L) + j] = 1;
      if (with_old != 0) b.old_logprobs[size_t(n * L) + j] = s.old_logprobs[j];
    }
    b.rewards[size_t(n)] = s.reward;
  }
  return b;
}

void gather_completion_logits(const PolicyBatch& b, const float* logits, int64_t vocab,
                              std::span<float> out) {
  const int64_t L = b.max_completion;
  if (int64_t(out.size()) != b.n_seq * L * vocab) {
    fail(ErrorKind::kInternal, "gather_completion_logits: output of the wrong size");
  }
  for (int64_t n = 0; n < b.n_seq; ++n) {
    for (int64_t j = 0; j < L; ++j) {
      float* dst = out.data() + (n * L + j) * vocab;
      if (b.mask[size_t(n * L + j)]) {
        const float* src = logits + (b.first_row[size_t(n)] + j) * vocab;
        std::copy(src, src + vocab, dst);
      } else {
        std::fill(dst, dst + vocab, 0.0f);
      }
    }
  }
}

std::vector<float> reference_logprobs(TrainModel& reference, const PolicyBatch& b) {
  LossWeights w;
  // The reference only needs its logits: a main loss that does nothing skips the cross entropy.
  w.main_loss = [](const float*, int64_t, int64_t, float*) { return 0.0; };
  reference.run(b.ids, b.n_seq, w, false);
  const int64_t V = int64_t(reference.logits().size()) / (reference.batch() * reference.seq_len());
  std::vector<float> gathered(size_t(b.n_seq * b.max_completion * V));
  gather_completion_logits(b, reference.logits().data(), V, gathered);
  std::vector<float> out(b.tokens.size());
  sampled_token_logprobs(gathered, b.tokens, b.mask, V, out);
  return out;
}

PolicyStep policy_loss(TrainModel& policy, const PolicyBatch& b, int64_t group_size,
                       const GrpoConfig& config, std::span<const float> ref_logprobs,
                       LossWeights weights, bool backward) {
  if (group_size < 1 || b.n_seq % group_size != 0) {
    fail(ErrorKind::kInvalidArgument, "policy_loss: " + std::to_string(b.n_seq) +
                                          " sequences do not split into groups of " +
                                          std::to_string(group_size));
  }
  PolicyStep step;
  const int64_t N = b.n_seq, L = b.max_completion;
  std::vector<float> gathered, dgathered, own_old;
  weights.main_loss = [&](const float* logits, int64_t rows, int64_t V, float* dlogits) {
    gathered.resize(size_t(N * L * V));
    gather_completion_logits(b, logits, V, gathered);
    std::span<const float> old = b.old_logprobs;
    if (old.empty()) {  // π_old = π_θ: this forward's own log-probs, held constant (ratio 1)
      own_old.resize(size_t(N * L));
      sampled_token_logprobs(gathered, b.tokens, b.mask, V, own_old);
      old = own_old;
    }
    GrpoBatch gb{.groups = N / group_size,
                 .group_size = group_size,
                 .max_len = L,
                 .vocab = V,
                 .logits = gathered,
                 .tokens = b.tokens,
                 .mask = b.mask,
                 .rewards = b.rewards,
                 .old_logprobs = old,
                 .ref_logprobs = ref_logprobs};
    dgathered.resize(gathered.size());
    step.grpo = grpo_loss(gb, config, dgathered);
    // Scatter d(loss)/d(logits) back to the completion rows; every other row gets zero.
    std::fill(dlogits, dlogits + rows * V, 0.0f);
    for (int64_t n = 0; n < N; ++n) {
      for (int64_t j = 0; j < L; ++j) {
        if (!b.mask[size_t(n * L + j)]) continue;
        const float* src = dgathered.data() + (n * L + j) * V;
        std::copy(src, src + V, dlogits + (b.first_row[size_t(n)] + j) * V);
      }
    }
    return step.grpo.loss;
  };
  step.losses = policy.run(b.ids, N, weights, backward);
  return step;
}

}  // namespace fathom::rl
