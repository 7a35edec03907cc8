#include "model/model.h"

#include "core/error.h"
#include "core/thread_pool.h"
#include "kernels/kernels.h"
#include "model/decoder_layer.h"

namespace fathom {

Model::Model(const std::string& dir)
    : config_(load_model_config(dir)),
      checkpoint_(dir),
      weights_(bind_model_weights(checkpoint_, config_)),
      rope_(make_rope_tables(config_)) {}

KVCache Model::make_cache(int64_t capacity) const {
  return KVCache(config_, config_.num_hidden_layers, capacity);
}

KVCache Model::make_mtp_cache(int64_t capacity) const { return KVCache(config_, 1, capacity); }

void Model::check_tokens(std::span<const int32_t> tokens) const {
  if (tokens.empty()) fail(ErrorKind::kInvalidArgument, "no tokens given");
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i] < 0 || tokens[i] >= config_.vocab_size) {
      fail(ErrorKind::kInvalidArgument,
           "token " + std::to_string(tokens[i]) + " at index " + std::to_string(i) +
               " is outside the vocabulary [0, " + std::to_string(config_.vocab_size) + ")");
    }
  }
}

void Model::check_room(const KVCache& cache, int64_t n) const {
  const int64_t needed = cache.length() + n;
  if (needed > cache.capacity()) {
    fail(ErrorKind::kInvalidArgument,
         std::to_string(needed) + " tokens exceed the context of " +
             std::to_string(cache.capacity()) + " tokens (--ctx)");
  }
  if (cache.position_base() + needed > config_.max_position_embeddings) {
    fail(ErrorKind::kInvalidArgument,
         "position " + std::to_string(cache.position_base() + needed - 1) +
             " is past max_position_embeddings " + std::to_string(config_.max_position_embeddings));
  }
}

void Model::embed(const MatrixRef& table, std::span<const int32_t> tokens, float* out) const {
  for (size_t i = 0; i < tokens.size(); ++i) {
    kernels().dequantize_row(table, tokens[i], out + i * size_t(config_.hidden_size));
  }
}

std::vector<float> Model::logits_for(const MatrixRef& head, const float* hidden, int64_t n,
                                     LogitsRows rows) const {
  if (rows == LogitsRows::kNone) return {};
  const int64_t d = config_.hidden_size;
  const int64_t first = rows == LogitsRows::kLast ? n - 1 : 0;
  std::vector<float> logits(size_t((n - first) * config_.vocab_size));
  kernels().linear(hidden + first * d, n - first, head, logits.data());
  return logits;
}

StepResult Model::step(std::span<const int32_t> tokens, KVCache& cache,
                       const StepOptions& options) const {
  const SequenceStep sequence{tokens, &cache, options.logits};
  return std::move(run_batch(std::span<const SequenceStep>(&sequence, 1), options.attention,
                             options.taps)[0]);
}

std::vector<StepResult> Model::step_batch(std::span<const SequenceStep> sequences,
                                          AttentionPath attention) const {
  return run_batch(sequences, attention, nullptr);
}

std::vector<StepResult> Model::run_batch(std::span<const SequenceStep> sequences,
                                         AttentionPath attention, const Taps* taps) const {
  const int64_t d = config_.hidden_size;
  int64_t rows = 0;
  for (const SequenceStep& s : sequences) {
    check_tokens(s.tokens);
    check_room(*s.cache, int64_t(s.tokens.size()));
    rows += int64_t(s.tokens.size());
  }
  std::vector<float> h(size_t(rows * d));  // residual stream [rows, hidden]
  std::vector<AttentionSegment> segments(sequences.size());
  for (size_t i = 0, row = 0; i < sequences.size(); ++i) {
    embed(weights_.embed_tokens, sequences[i].tokens, &h[row * size_t(d)]);
    row += sequences[i].tokens.size();
  }
  for (int64_t layer = 0; layer < config_.num_hidden_layers; ++layer) {
    for (size_t i = 0; i < sequences.size(); ++i) {
      KVCache& cache = *sequences[i].cache;
      segments[i] = {int64_t(sequences[i].tokens.size()), &cache.layer(layer), cache.length(),
                     cache.position_base()};
    }
    decoder_layer_forward(config_, weights_.layers[size_t(layer)], rope_, h.data(), segments,
                          attention);
    if (taps) taps->dump("hidden_layer" + std::to_string(layer), h.data(), rows * d);
  }

  std::vector<float> normed(size_t(rows * d));
  parallel_for(rows, 16, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      kernels().rms_norm(&h[size_t(t * d)], weights_.norm.data(), d, float(config_.rms_norm_eps),
                         &normed[size_t(t * d)]);
    }
  });
  if (taps) taps->dump("final_hidden", normed.data(), rows * d);
  std::vector<StepResult> results(sequences.size());
  if (sequences.size() == 1) {
    const int64_t n = int64_t(sequences[0].tokens.size());
    sequences[0].cache->advance(n);
    results[0].final_hidden = std::move(normed);
    results[0].logits =
        logits_for(weights_.lm_head, results[0].final_hidden.data(), n, sequences[0].logits);
    return results;
  }
  // Several sequences: the rows whose logits were asked for go through lm_head together, so its
  // weights are read once per step rather than once per sequence (a batch of decoding sequences
  // asks for one row each). Each row's arithmetic is the same either way.
  std::vector<float> picked;  // [rows asked for, hidden]
  for (size_t i = 0, row = 0; i < sequences.size(); ++i) {
    const int64_t n = int64_t(sequences[i].tokens.size());
    sequences[i].cache->advance(n);
    results[i].final_hidden.assign(normed.begin() + long(row * size_t(d)),
                                   normed.begin() + long((row + size_t(n)) * size_t(d)));
    const LogitsRows asked = sequences[i].logits;
    if (asked != LogitsRows::kNone) {
      const size_t first = asked == LogitsRows::kLast ? size_t(n - 1) : 0;
      picked.insert(picked.end(), results[i].final_hidden.begin() + long(first * size_t(d)),
                    results[i].final_hidden.end());
    }
    row += size_t(n);
  }
  const int64_t picked_rows = int64_t(picked.size()) / d;
  std::vector<float> logits = logits_for(weights_.lm_head, picked.data(), picked_rows,
                                         picked_rows > 0 ? LogitsRows::kAll : LogitsRows::kNone);
  const size_t V = size_t(config_.vocab_size);
  for (size_t i = 0, row = 0; i < sequences.size(); ++i) {
    const int64_t n = int64_t(sequences[i].tokens.size());
    const LogitsRows asked = sequences[i].logits;
    if (asked == LogitsRows::kNone) continue;
    const size_t asked_rows = asked == LogitsRows::kLast ? 1 : size_t(n);
    results[i].logits.assign(logits.begin() + long(row * V),
                             logits.begin() + long((row + asked_rows) * V));
    row += asked_rows;
  }
  return results;
}

ForwardResult Model::forward(std::span<const int32_t> tokens, const Taps* taps) const {
  KVCache cache = make_cache(std::max<int64_t>(int64_t(tokens.size()), 1));
  StepOptions options;
  options.taps = taps;
  StepResult r = step(tokens, cache, options);
  return {std::move(r.logits), std::move(r.final_hidden)};
}

std::vector<float> Model::mtp_step(std::span<const int32_t> next_tokens, const float* hidden,
                                   KVCache& mtp_cache, LogitsRows rows, int64_t depth) const {
  if (depth < 0 || depth >= int64_t(weights_.mtp.size())) {
    fail(ErrorKind::kInvalidArgument,
         "the checkpoint has " + std::to_string(weights_.mtp.size()) +
             " MTP module(s) (num_nextn_predict_layers); depth " + std::to_string(depth) +
             " requested");
  }
  check_tokens(next_tokens);
  const KernelTable& k = kernels();
  const MtpWeights& m = weights_.mtp[size_t(depth)];
  const int64_t n = int64_t(next_tokens.size()), d = config_.hidden_size, start = mtp_cache.length();
  const float eps = float(config_.rms_norm_eps);
  check_room(mtp_cache, n);

  std::vector<float> embedded(size_t(n * d));
  embed(m.embed_tokens, next_tokens, embedded.data());
  std::vector<float> joined(size_t(n * 2 * d));  // [n, 2 * hidden] = [enorm(e) ; hnorm(h)]
  for (int64_t t = 0; t < n; ++t) {
    k.rms_norm(&embedded[size_t(t * d)], m.enorm.data(), d, eps, &joined[size_t(t * 2 * d)]);
    k.rms_norm(hidden + t * d, m.hnorm.data(), d, eps, &joined[size_t(t * 2 * d + d)]);
  }
  std::vector<float> h(size_t(n * d));
  k.linear(joined.data(), n, m.eh_proj, h.data());
  const AttentionSegment segment{n, &mtp_cache.layer(0), start, mtp_cache.position_base()};
  decoder_layer_forward(config_, m.block, rope_, h.data(), std::span(&segment, 1),
                        AttentionPath::kAuto);
  mtp_cache.advance(n);
  for (int64_t t = 0; t < n; ++t) {
    k.rms_norm(&h[size_t(t * d)], m.shared_head_norm.data(), d, eps, &h[size_t(t * d)]);
  }
  return logits_for(m.shared_head_head, h.data(), n, rows);
}

std::vector<float> Model::mtp_logits(std::span<const int32_t> tokens,
                                     const std::vector<float>& final_hidden, int64_t depth) const {
  if (tokens.size() < 2) fail(ErrorKind::kInvalidArgument, "MTP logits need at least 2 tokens");
  if (final_hidden.size() < (tokens.size() - 1) * size_t(config_.hidden_size)) {
    fail(ErrorKind::kInvalidArgument, "MTP logits need the main model's hidden states");
  }
  KVCache cache = make_mtp_cache(int64_t(tokens.size()) - 1);
  return mtp_step(tokens.subspan(1), final_hidden.data(), cache, LogitsRows::kAll, depth);
}

}  // namespace fathom
