// POST /v1/chat/completions: validation of the body and the conversation handed to the model's
// chat template.
#pragma once

#include <optional>
#include <string>

#include "serve/request_fields.h"

namespace fathom::serve {

struct ChatRequest {
  GenerationFields fields;
  nlohmann::ordered_json conversation;  // {"messages": [...], "tools": [...]} for the template
  std::optional<bool> thinking;         // DeepSeek `thinking`, chat_template_kwargs.thinking
  bool parse_tool_calls = false;        // tools given and tool_choice != none
  bool json_object = false;             // response_format {"type": "json_object"}
};

ChatRequest parse_chat_request(const std::string& body, const SamplingDefaults& defaults = {});

}  // namespace fathom::serve
