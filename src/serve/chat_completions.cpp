// POST /v1/chat/completions (OpenAI Chat Completions, with the DeepSeek API's
// reasoning_content and prompt-cache usage fields).
#include <chrono>

#include "serve/api_error.h"
#include "serve/chat_request.h"
#include "serve/json_constraint.h"
#include "serve/response_builder.h"
#include "serve/server.h"
#include "serve/submission.h"

namespace fathom::serve {
namespace {

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

HttpResponse Server::chat_completions(const HttpRequest& http) {
  check_auth(http);
  const ChatRequest req = parse_chat_request(http.body, options_.sampling_defaults);
  check_model(req.fields.model);
  if (!chat_template_) {
    throw ApiError(400, "this model has no usable chat template (" + chat_template_error_ +
                            "); use /v1/completions");
  }
  text::ChatOptions chat_options;
  chat_options.add_generation_prompt = true;
  chat_options.thinking = req.thinking;
  std::string prompt_text;
  try {
    prompt_text = chat_template_->render(req.conversation, chat_options);
  } catch (const Error& e) {
    throw ApiError(400, std::string("the chat template rejected the conversation: ") + e.what(), "messages");
  }
  const bool starts_in_reasoning = prompt_opens_thinking(prompt_text);
  std::shared_ptr<TokenConstraint> constraint;
  if (req.json_object) {
    if (starts_in_reasoning) {
      throw ApiError(400, "response_format json_object cannot be combined with thinking", "response_format");
    }
    constraint = std::make_shared<JsonObjectConstraint>(tokenizer_, stop_token_ids());
  }
  Submission sub = submit_generation(scheduler_, tokenizer_, tokenizer_.encode(prompt_text),
                                     req.fields, stop_token_ids(), "messages", constraint);

  const std::string id = new_id("chatcmpl-");
  const int64_t created = unix_now();
  const std::string model = options_.model_name;
  auto output = std::make_shared<ChatOutput>(starts_in_reasoning, req.parse_tool_calls);

  if (!req.fields.stream) {
    std::string reasoning, content;
    std::vector<TokenInfo> tokens;
    const RequestResult result = pump(sub, [&](ChannelEvent& e) {
      const TextDelta d = output->push(e.text);
      reasoning += d.reasoning;
      content += d.content;
      for (auto& t : e.tokens) tokens.push_back(std::move(t));
      return true;
    }, [] { return true; });
    if (result.finish_reason == "error") throw ApiError(500, "generation failed: " + result.error);
    const TextDelta last = output->finish();
    reasoning += last.reasoning;
    content += last.content;
    const bool has_calls = !output->tool_calls().empty();
    OJson message = {{"role", "assistant"},
                     {"content", content.empty() && has_calls ? OJson(nullptr) : OJson(content)}};
    if (starts_in_reasoning || !reasoning.empty()) message["reasoning_content"] = reasoning;
    if (has_calls) message["tool_calls"] = tool_calls_json(output->tool_calls(), false);
    OJson choice = {{"index", 0}, {"message", message},
                    {"logprobs", req.fields.logprobs ? chat_logprobs_json(tokens) : OJson(nullptr)},
                    {"finish_reason", finish_reason(result, has_calls)}};
    OJson body = {{"id", id}, {"object", "chat.completion"}, {"created", created}, {"model", model},
                  {"choices", OJson::array({choice})}, {"usage", usage_json(result)}};
    HttpResponse r;
    r.body = body.dump(-1, ' ', false, OJson::error_handler_t::replace);
    return r;
  }

  HttpResponse r;
  r.content_type = "text/event-stream";
  r.headers["Cache-Control"] = "no-cache";
  const bool logprobs = req.fields.logprobs, include_usage = req.fields.include_usage;
  r.stream = [sub, output, id, created, model, logprobs, include_usage](StreamWriter& writer) {
    auto chunk = [&](OJson delta, OJson finish, OJson lp = nullptr) {
      OJson choice = {{"index", 0}, {"delta", std::move(delta)}, {"logprobs", std::move(lp)},
                      {"finish_reason", std::move(finish)}};
      OJson c = {{"id", id}, {"object", "chat.completion.chunk"}, {"created", created},
                 {"model", model}, {"choices", OJson::array({choice})}};
      if (include_usage) c["usage"] = nullptr;
      return writer.write(sse(c));
    };
    auto send_delta = [&](const TextDelta& d, OJson lp) {
      OJson delta = OJson::object();
      if (!d.reasoning.empty()) delta["reasoning_content"] = d.reasoning;
      if (!d.content.empty()) delta["content"] = d.content;
      if (delta.empty() && lp.is_null()) return true;
      return chunk(delta, nullptr, std::move(lp));
    };
    if (!chunk({{"role", "assistant"}, {"content", ""}}, nullptr)) {
      sub.request->cancelled = true;
    }
    const RequestResult result = pump(sub, [&](ChannelEvent& e) {
      return send_delta(output->push(e.text), logprobs && !e.tokens.empty()
                                                  ? chat_logprobs_json(e.tokens) : OJson(nullptr));
    }, [&] { return writer.connected(); });
    if (result.finish_reason == "cancelled" || !writer.connected()) return;
    send_delta(output->finish(), nullptr);
    const bool has_calls = !output->tool_calls().empty();
    if (has_calls) chunk({{"tool_calls", tool_calls_json(output->tool_calls(), true)}}, nullptr);
    if (result.finish_reason == "error") {
      writer.write("data: " + OJson{{"error", {{"message", "generation failed: " + result.error},
                                               {"type", "server_error"}}}}.dump() + "\n\n");
    } else {
      chunk(OJson::object(), finish_reason(result, has_calls));
    }
    if (include_usage) {
      writer.write(sse({{"id", id}, {"object", "chat.completion.chunk"}, {"created", created},
                        {"model", model}, {"choices", OJson::array()}, {"usage", usage_json(result)}}));
    }
    writer.write("data: [DONE]\n\n");
  };
  return r;
}

}  // namespace fathom::serve
