// Rejection sampling for distillation (DeepSeek-R1 §2.3.3 "Rejection Sampling and Supervised
// Fine-Tuning", and §2.4's distillation of R1 into smaller dense models): sample K completions of
// each train-split problem from a teacher, keep those the rule-based reward marks correct and
// well formed, and write them as supervised examples for a student.
//
// A completion is accepted when its accuracy and format rewards are both 1 and it ended with the
// end-of-sequence token (one cut at max_new_tokens never showed where to stop). Duplicates — the
// same text for the same problem — are kept once. Each example is encoded as `fathom tasks
// --out-tokens` encodes a worked solution (problem_format.h training_ids): encode(prompt) ·
// encode(completion text) · eos, so the student sees the prompt exactly as a rollout does and the
// teacher's answer in the tokenizer's canonical segmentation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "model/model.h"
#include "rl/problem_format.h"
#include "rl/tasks.h"
#include "text/tokenizer.h"

namespace fathom::rl {

struct DistillOptions {
  int64_t samples = 8;  // K completions per problem
  int64_t max_new_tokens = 256;
  int64_t max_batch = 256;   // rollout KV-cache slots
  float temperature = 1.0f;  // > 0: K greedy samples would all be one
  float top_p = 1.0f;
  uint64_t seed = 1;
};

struct DistillExample {
  size_t problem = 0;        // index into the problems
  std::string completion;    // the teacher's text (no eos)
  std::vector<int32_t> ids;  // prompt · completion · eos
};

struct DistillStats {
  int64_t problems = 0;
  int64_t samples = 0;           // problems · K
  int64_t correct = 0;           // accuracy reward 1
  int64_t formatted = 0;         // format reward 1
  int64_t truncated = 0;         // correct and well formed but cut at max_new_tokens (rejected)
  int64_t accepted = 0;          // correct, well formed and stopped
  int64_t duplicates = 0;        // accepted but equal to an earlier completion of the same problem
  int64_t kept = 0;              // accepted − duplicates: the examples
  int64_t problems_covered = 0;  // problems with at least one example
  int64_t tokens = 0;            // ids over every example
  double seconds = 0.0;          // sampling and scoring
};

struct DistillResult {
  std::vector<DistillExample> examples;  // problem order, then sample order
  DistillStats stats;
};

// Throws Error(kInvalidArgument) for bad options or a tokenizer without an eos token.
DistillResult rejection_sample(const Model& teacher, const text::Tokenizer& tokenizer,
                               const ProblemFormat& format, std::span<const Problem> problems,
                               const DistillOptions& options);

}  // namespace fathom::rl
