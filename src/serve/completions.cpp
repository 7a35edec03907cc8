// POST /v1/completions (OpenAI legacy completions; `suffix` for DeepSeek fill-in-the-middle).
#include <chrono>

#include "serve/api_error.h"
#include "serve/response_builder.h"
#include "serve/server.h"
#include "serve/submission.h"

namespace fathom::serve {
namespace {

// DeepSeek's FIM markers (DeepSeek-Coder / V2 / V3 tokenizers): prefix, hole, suffix order.
constexpr const char* kFimBegin = "<｜fim▁begin｜>";
constexpr const char* kFimHole = "<｜fim▁hole｜>";
constexpr const char* kFimEnd = "<｜fim▁end｜>";

std::vector<int32_t> prompt_tokens(const Json& body, const text::Tokenizer& tokenizer,
                                   int64_t vocab) {
  if (!body.contains("prompt")) bad_field("prompt", "prompt is required");
  Json prompt = body["prompt"];
  if (prompt.is_array() && prompt.size() == 1 && (prompt[0].is_string() || prompt[0].is_array())) {
    prompt = prompt[0];
  }
  std::optional<std::string> suffix = string_field(body, "suffix");
  if (prompt.is_string()) {
    std::string text = prompt.get<std::string>();
    if (suffix) {
      for (const char* marker : {kFimBegin, kFimHole, kFimEnd}) {
        if (!tokenizer.token_to_id(marker)) {
          bad_field("suffix", std::string("suffix (fill-in-the-middle) needs the tokenizer's ") +
                                  marker + " token, which this model lacks");
        }
      }
      text = std::string(kFimBegin) + text + kFimHole + *suffix + kFimEnd;
    }
    try {
      return tokenizer.encode(text, /*add_special_tokens=*/true);
    } catch (const Error& e) {
      bad_field("prompt", e.what());
    }
  }
  if (suffix) bad_field("suffix", "suffix needs a text prompt");
  if (prompt.is_array() && !prompt.empty()) {
    std::vector<int32_t> ids;
    for (const Json& id : prompt) {
      if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() >= vocab) {
        if (id.is_string() || id.is_array()) {
          bad_field("prompt", "only one prompt per request is supported");
        }
        bad_field("prompt", "prompt token ids must be integers in [0, " + std::to_string(vocab) + ")");
      }
      ids.push_back(int32_t(id.get<int64_t>()));
    }
    return ids;
  }
  bad_field("prompt", "prompt must be a string or a non-empty array of token ids");
}

}  // namespace

HttpResponse Server::completions(const HttpRequest& http) {
  check_auth(http);
  const Json body = parse_body(http.body);
  auto known = generation_field_names();
  known.insert({"prompt", "suffix", "echo"});
  refuse_unknown_fields(body, known);
  if (bool_field(body, "echo").value_or(false)) bad_field("echo", "echo is not supported");
  const GenerationFields fields =
      parse_generation_fields(body, /*chat=*/false, options_.sampling_defaults);
  check_model(fields.model);
  Submission sub = submit_generation(scheduler_, tokenizer_,
                                     prompt_tokens(body, tokenizer_, model_.config().vocab_size),
                                     fields, stop_token_ids(), "prompt");
  const std::string id = new_id("cmpl-");
  const int64_t created = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch()).count();
  const std::string model = options_.model_name;
  const bool logprobs = fields.logprobs;

  if (!fields.stream) {
    std::string text;
    std::vector<TokenInfo> tokens;
    const RequestResult result = pump(sub, [&](ChannelEvent& e) {
      text += e.text;
      for (auto& t : e.tokens) tokens.push_back(std::move(t));
      return true;
    }, [] { return true; });
    if (result.finish_reason == "error") throw ApiError(500, "generation failed: " + result.error);
    OJson choice = {{"text", text}, {"index", 0},
                    {"logprobs", logprobs ? completion_logprobs_json(tokens, 0) : OJson(nullptr)},
                    {"finish_reason", finish_reason(result, false)}};
    OJson out = {{"id", id}, {"object", "text_completion"}, {"created", created}, {"model", model},
                 {"choices", OJson::array({choice})}, {"usage", usage_json(result)}};
    HttpResponse r;
    r.body = out.dump(-1, ' ', false, OJson::error_handler_t::replace);
    return r;
  }
  HttpResponse r;
  r.content_type = "text/event-stream";
  r.headers["Cache-Control"] = "no-cache";
  const bool include_usage = fields.include_usage;
  r.stream = [sub, id, created, model, logprobs, include_usage](StreamWriter& writer) {
    size_t offset = 0;
    auto chunk = [&](const std::string& text, OJson finish, OJson lp) {
      OJson choice = {{"text", text}, {"index", 0}, {"logprobs", std::move(lp)},
                      {"finish_reason", std::move(finish)}};
      return writer.write(sse({{"id", id}, {"object", "text_completion"}, {"created", created},
                               {"model", model}, {"choices", OJson::array({choice})}}));
    };
    const RequestResult result = pump(sub, [&](ChannelEvent& e) {
      if (e.text.empty() && (!logprobs || e.tokens.empty())) return true;
      OJson lp = logprobs ? completion_logprobs_json(e.tokens, offset) : OJson(nullptr);
      offset += e.text.size();
      return chunk(e.text, nullptr, std::move(lp));
    }, [&] { return writer.connected(); });
    if (result.finish_reason == "cancelled" || !writer.connected()) return;
    chunk("", finish_reason(result, false), nullptr);
    if (include_usage) {
      writer.write(sse({{"id", id}, {"object", "text_completion"}, {"created", created},
                        {"model", model}, {"choices", OJson::array()}, {"usage", usage_json(result)}}));
    }
    writer.write("data: [DONE]\n\n");
  };
  return r;
}

}  // namespace fathom::serve
