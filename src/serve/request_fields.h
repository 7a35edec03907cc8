// Reading the fields of an OpenAI-style request body: one message per bad field (ApiError 400
// naming it), unknown fields refused rather than silently ignored.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/sampler.h"

namespace fathom::serve {

using Json = nlohmann::json;

Json parse_body(const std::string& body);
// Refuses any key of `body` outside `known`.
void refuse_unknown_fields(const Json& body, const std::set<std::string>& known);

std::optional<double> number_field(const Json& body, const char* key, double lo, double hi);
std::optional<int64_t> integer_field(const Json& body, const char* key, int64_t lo, int64_t hi);
std::optional<bool> bool_field(const Json& body, const char* key);
std::optional<std::string> string_field(const Json& body, const char* key);

// Fields both endpoints share.
struct GenerationFields {
  SamplingParams sampling;
  std::optional<int64_t> max_tokens;  // max_tokens / max_completion_tokens
  std::vector<std::string> stop;
  bool stream = false;
  bool include_usage = false;         // stream_options.include_usage
  bool logprobs = false;
  int64_t top_logprobs = 0;
  std::string model;
};
// What a request that names no temperature / top_p gets: OpenAI's 1 and 1, unless the server was
// given the model's recommended sampling (generation_config.json).
struct SamplingDefaults {
  float temperature = 1.0f;
  float top_p = 1.0f;
};
GenerationFields parse_generation_fields(const Json& body, bool chat,
                                         const SamplingDefaults& defaults = {});

// The keys parse_generation_fields reads, for refuse_unknown_fields.
std::set<std::string> generation_field_names();

}  // namespace fathom::serve
