#include "serve/chat_request.h"

#include "serve/api_error.h"

namespace fathom::serve {
namespace {

using OJson = nlohmann::ordered_json;

// OpenAI content: a string, or an array of {"type": "text", "text": ...} parts.
std::string message_text(const Json& content, const std::string& param) {
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array()) bad_field(param, param + " must be a string or an array of text parts");
  std::string text;
  for (const Json& part : content) {
    if (!part.is_object() || part.value("type", "") != "text" || !part.contains("text") ||
        !part["text"].is_string()) {
      bad_field(param, param + ": only {\"type\": \"text\"} parts are supported");
    }
    text += part["text"].get<std::string>();
  }
  return text;
}

OJson tool_calls_for_template(const Json& calls, const std::string& param) {
  if (!calls.is_array()) bad_field(param, param + " must be an array");
  OJson out = OJson::array();
  for (size_t i = 0; i < calls.size(); ++i) {
    const Json& c = calls[i];
    const std::string p = param + "[" + std::to_string(i) + "]";
    if (!c.is_object() || !c.contains("function") || !c["function"].is_object() ||
        !c["function"].contains("name") || !c["function"]["name"].is_string()) {
      bad_field(p, p + " must be {\"type\": \"function\", \"function\": {\"name\", \"arguments\"}}");
    }
    const Json& args = c["function"].value("arguments", Json("{}"));
    OJson call = {{"id", c.value("id", "")},
                  {"type", "function"},
                  {"function", {{"name", c["function"]["name"]},
                                {"arguments", args.is_string() ? args.get<std::string>() : args.dump()}}}};
    out.push_back(std::move(call));
  }
  return out;
}

OJson convert_messages(const Json& messages) {
  if (!messages.is_array() || messages.empty()) bad_field("messages", "messages must be a non-empty array");
  OJson out = OJson::array();
  for (size_t i = 0; i < messages.size(); ++i) {
    const std::string p = "messages[" + std::to_string(i) + "]";
    const Json& m = messages[i];
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string()) {
      bad_field(p, p + " must be an object with a role");
    }
    std::string role = m["role"].get<std::string>();
    if (role == "developer") role = "system";  // OpenAI's newer name for the system role
    if (role != "system" && role != "user" && role != "assistant" && role != "tool") {
      bad_field(p + ".role", p + ".role must be system, user, assistant or tool");
    }
    OJson message = {{"role", role}};
    const bool has_calls = role == "assistant" && m.contains("tool_calls") && !m["tool_calls"].is_null();
    if (!m.contains("content") || m["content"].is_null()) {
      if (!has_calls) bad_field(p + ".content", p + ".content is required");
      message["content"] = nullptr;
    } else {
      message["content"] = message_text(m["content"], p + ".content");
    }
    if (has_calls) message["tool_calls"] = tool_calls_for_template(m["tool_calls"], p + ".tool_calls");
    if (role == "tool" && m.contains("tool_call_id")) message["tool_call_id"] = m["tool_call_id"];
    out.push_back(std::move(message));
  }
  return out;
}

}  // namespace

ChatRequest parse_chat_request(const std::string& body_text, const SamplingDefaults& defaults) {
  const Json body = parse_body(body_text);
  auto known = generation_field_names();
  known.insert({"messages", "tools", "tool_choice", "parallel_tool_calls", "response_format",
                "thinking", "chat_template_kwargs", "metadata", "store"});
  refuse_unknown_fields(body, known);

  ChatRequest r;
  r.fields = parse_generation_fields(body, /*chat=*/true, defaults);
  if (!body.contains("messages")) bad_field("messages", "messages is required");
  r.conversation["messages"] = convert_messages(body["messages"]);

  if (body.contains("tools") && !body["tools"].is_null()) {
    const Json& tools = body["tools"];
    if (!tools.is_array()) bad_field("tools", "tools must be an array");
    for (size_t i = 0; i < tools.size(); ++i) {
      if (!tools[i].is_object() || tools[i].value("type", "") != "function" ||
          !tools[i].contains("function") || !tools[i]["function"].is_object() ||
          !tools[i]["function"].contains("name")) {
        bad_field("tools[" + std::to_string(i) + "]",
                  "tools[" + std::to_string(i) + "] must be {\"type\": \"function\", \"function\": {\"name\", ...}}");
      }
    }
    r.conversation["tools"] = OJson::parse(tools.dump());
    r.parse_tool_calls = !tools.empty();
  }
  if (body.contains("tool_choice") && !body["tool_choice"].is_null()) {
    const Json& choice = body["tool_choice"];
    if (choice.is_string()) {
      const std::string c = choice.get<std::string>();
      if (c == "none") {
        r.parse_tool_calls = false;
      } else if (c != "auto" && c != "required") {
        bad_field("tool_choice", "tool_choice must be none, auto, required or a function");
      }
    } else if (!choice.is_object()) {
      bad_field("tool_choice", "tool_choice must be none, auto, required or a function");
    }
  }
  if (body.contains("response_format") && !body["response_format"].is_null()) {
    const Json& format = body["response_format"];
    const std::string type = format.is_object() ? format.value("type", "") : "";
    if (type != "text" && type != "json_object") {
      bad_field("response_format",
                "response_format must be {\"type\": \"text\"} or {\"type\": \"json_object\"} "
                "(json_schema is not supported)");
    }
    r.json_object = type == "json_object";
  }
  // Thinking switch: DeepSeek's {"thinking": {"type": "enabled" | "disabled"}} or
  // chat_template_kwargs {"thinking": bool} / {"enable_thinking": bool}.
  if (body.contains("thinking") && !body["thinking"].is_null()) {
    const Json& t = body["thinking"];
    const std::string type = t.is_object() ? t.value("type", "") : "";
    if (type != "enabled" && type != "disabled") {
      bad_field("thinking", "thinking must be {\"type\": \"enabled\"} or {\"type\": \"disabled\"}");
    }
    r.thinking = type == "enabled";
  }
  if (body.contains("chat_template_kwargs") && !body["chat_template_kwargs"].is_null()) {
    const Json& kw = body["chat_template_kwargs"];
    if (!kw.is_object()) bad_field("chat_template_kwargs", "chat_template_kwargs must be an object");
    for (auto it = kw.begin(); it != kw.end(); ++it) {
      if (it.key() == "thinking" || it.key() == "enable_thinking") {
        if (!it.value().is_boolean()) bad_field("chat_template_kwargs." + it.key(), "must be true or false");
        r.thinking = it.value().get<bool>();
      } else if (it.key() == "messages" || it.key() == "tools" ||
                 it.key() == "add_generation_prompt") {
        bad_field("chat_template_kwargs." + it.key(), "chat_template_kwargs may not set " + it.key());
      } else {
        r.conversation[it.key()] = OJson::parse(it.value().dump());
      }
    }
  }
  return r;
}

}  // namespace fathom::serve
