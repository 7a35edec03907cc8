#include "serve/request_fields.h"

#include <cmath>
#include <random>

#include "serve/api_error.h"

namespace fathom::serve {

Json parse_body(const std::string& body) {
  Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw ApiError(400, "the request body is not valid JSON");
  if (!j.is_object()) throw ApiError(400, "the request body must be a JSON object");
  return j;
}

void refuse_unknown_fields(const Json& body, const std::set<std::string>& known) {
  for (auto it = body.begin(); it != body.end(); ++it) {
    if (!known.count(it.key())) bad_field(it.key(), "unsupported field '" + it.key() + "'");
  }
}

std::optional<double> number_field(const Json& body, const char* key, double lo, double hi) {
  if (!body.contains(key) || body[key].is_null()) return std::nullopt;
  if (!body[key].is_number()) bad_field(key, std::string(key) + " must be a number");
  const double v = body[key].get<double>();
  if (!(v >= lo && v <= hi)) {
    bad_field(key, std::string(key) + " must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  }
  return v;
}

std::optional<int64_t> integer_field(const Json& body, const char* key, int64_t lo, int64_t hi) {
  if (!body.contains(key) || body[key].is_null()) return std::nullopt;
  if (!body[key].is_number_integer()) bad_field(key, std::string(key) + " must be an integer");
  const int64_t v = body[key].get<int64_t>();
  if (v < lo || v > hi) {
    bad_field(key, std::string(key) + " must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  }
  return v;
}

std::optional<bool> bool_field(const Json& body, const char* key) {
  if (!body.contains(key) || body[key].is_null()) return std::nullopt;
  if (!body[key].is_boolean()) bad_field(key, std::string(key) + " must be true or false");
  return body[key].get<bool>();
}

std::optional<std::string> string_field(const Json& body, const char* key) {
  if (!body.contains(key) || body[key].is_null()) return std::nullopt;
  if (!body[key].is_string()) bad_field(key, std::string(key) + " must be a string");
  return body[key].get<std::string>();
}

std::set<std::string> generation_field_names() {
  return {"model", "temperature", "top_p", "top_k", "min_p", "max_tokens", "max_completion_tokens",
          "stop", "stream", "stream_options", "seed", "presence_penalty", "frequency_penalty",
          "repetition_penalty", "logprobs", "top_logprobs", "n", "user"};
}

GenerationFields parse_generation_fields(const Json& body, bool chat,
                                         const SamplingDefaults& defaults) {
  GenerationFields f;
  f.model = string_field(body, "model").value_or("");
  SamplingParams& s = f.sampling;
  s.temperature = float(number_field(body, "temperature", 0.0, 2.0).value_or(defaults.temperature));
  s.top_p = float(number_field(body, "top_p", 0.0, 1.0).value_or(defaults.top_p));
  if (s.top_p <= 0.0f) bad_field("top_p", "top_p must be greater than 0");
  s.top_k = integer_field(body, "top_k", 0, 1 << 20).value_or(0);
  s.min_p = float(number_field(body, "min_p", 0.0, 1.0).value_or(0.0));
  s.presence_penalty = float(number_field(body, "presence_penalty", -2.0, 2.0).value_or(0.0));
  s.frequency_penalty = float(number_field(body, "frequency_penalty", -2.0, 2.0).value_or(0.0));
  s.repetition_penalty = float(number_field(body, "repetition_penalty", 0.01, 10.0).value_or(1.0));
  const auto seed = integer_field(body, "seed", INT64_MIN, INT64_MAX);
  s.seed = seed ? uint64_t(*seed) : std::random_device{}();

  f.max_tokens = integer_field(body, "max_completion_tokens", 1, INT32_MAX);
  if (!f.max_tokens) f.max_tokens = integer_field(body, "max_tokens", 1, INT32_MAX);
  if (const auto n = integer_field(body, "n", 1, 128); n && *n != 1) {
    bad_field("n", "n > 1 is not supported: send one request per completion");
  }
  if (body.contains("stop") && !body["stop"].is_null()) {
    const Json& stop = body["stop"];
    if (stop.is_string()) {
      f.stop.push_back(stop.get<std::string>());
    } else if (stop.is_array() && stop.size() <= 16) {
      for (const Json& s2 : stop) {
        if (!s2.is_string()) bad_field("stop", "stop must be a string or an array of strings");
        f.stop.push_back(s2.get<std::string>());
      }
    } else {
      bad_field("stop", "stop must be a string or an array of up to 16 strings");
    }
    for (const auto& s2 : f.stop) {
      if (s2.empty()) bad_field("stop", "stop strings must not be empty");
    }
  }
  f.stream = bool_field(body, "stream").value_or(false);
  if (body.contains("stream_options") && !body["stream_options"].is_null()) {
    const Json& o = body["stream_options"];
    if (!o.is_object()) bad_field("stream_options", "stream_options must be an object");
    if (!f.stream) bad_field("stream_options", "stream_options is only allowed with stream: true");
    f.include_usage = bool_field(o, "include_usage").value_or(false);
  }
  if (chat) {
    f.logprobs = bool_field(body, "logprobs").value_or(false);
    f.top_logprobs = integer_field(body, "top_logprobs", 0, 20).value_or(0);
    if (f.top_logprobs > 0 && !f.logprobs) {
      bad_field("top_logprobs", "top_logprobs requires logprobs: true");
    }
  } else if (const auto lp = integer_field(body, "logprobs", 0, 5)) {  // completions: an integer
    f.logprobs = true;
    f.top_logprobs = *lp;
  }
  return f;
}

}  // namespace fathom::serve
