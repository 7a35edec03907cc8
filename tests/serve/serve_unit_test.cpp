#include <gtest/gtest.h>

#include "serve/api_error.h"
#include "serve/chat_request.h"
#include "serve/reasoning.h"
#include "serve/tool_calls.h"

namespace fathom::serve {
namespace {

TEST(ReasoningSplitter, SplitsThinkBlockAcrossChunks) {
  ReasoningSplitter s(/*starts_in_reasoning=*/false);
  TextDelta all;
  for (const char* chunk : {"\n<th", "ink>I should ", "add.</th", "ink>\n\nThe answer", " is 4."}) {
    const TextDelta d = s.push(chunk);
    all.reasoning += d.reasoning;
    all.content += d.content;
  }
  const TextDelta end = s.finish();
  EXPECT_EQ(all.reasoning + end.reasoning, "I should add.");
  EXPECT_EQ(all.content + end.content, "The answer is 4.");
}

TEST(ReasoningSplitter, TemplateThatOpenedThinkStartsInside) {
  EXPECT_TRUE(prompt_opens_thinking("<｜User｜>hi<｜Assistant｜><think>\n"));
  EXPECT_FALSE(prompt_opens_thinking("<｜Assistant｜></think>"));
  EXPECT_FALSE(prompt_opens_thinking("<｜Assistant｜>"));
  ReasoningSplitter s(/*starts_in_reasoning=*/true);
  const TextDelta d = s.push("hmm</think>ok");
  EXPECT_EQ(d.reasoning, "hmm");
  EXPECT_EQ(d.content, "ok");
}

TEST(ReasoningSplitter, PlainAnswerIsContent) {
  ReasoningSplitter s(false);
  TextDelta d = s.push("Hello <b>");
  const TextDelta e = s.finish();
  EXPECT_EQ(d.content + e.content, "Hello <b>");
  EXPECT_EQ(d.reasoning + e.reasoning, "");
}

TEST(ToolCalls, ParsesDeepSeekV3Format) {
  const std::string section =
      "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n"
      "{\"city\": \"Paris\"}\n```<｜tool▁call▁end｜>\n<｜tool▁call▁begin｜>function<｜tool▁sep｜>"
      "get_time\n```json\n{}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>";
  const auto calls = parse_tool_calls(section);
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].name, "get_weather");
  EXPECT_EQ(calls[0].arguments, "{\"city\": \"Paris\"}");
  EXPECT_EQ(calls[1].name, "get_time");
}

TEST(ToolCalls, ParsesDeepSeekV31Format) {
  const auto calls = parse_tool_calls(
      "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>search<｜tool▁sep｜>{\"q\": \"fathom\"}"
      "<｜tool▁call▁end｜><｜tool▁calls▁end｜>");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].name, "search");
  EXPECT_EQ(calls[0].arguments, "{\"q\": \"fathom\"}");
}

TEST(ToolCalls, SplitterKeepsMarkersOutOfContent) {
  ToolCallSplitter s;
  std::string shown;
  for (const char* chunk : {"Let me check.", "<｜tool▁calls", "▁begin｜><｜tool▁call▁begin｜>x<｜tool▁sep｜>{}"}) {
    shown += s.push(chunk);
  }
  shown += s.finish_content();
  EXPECT_EQ(shown, "Let me check.");
  EXPECT_TRUE(s.found());
  EXPECT_EQ(parse_tool_calls(s.section()).size(), 1u);
}

std::string chat_error(const std::string& body) {
  try {
    parse_chat_request(body);
  } catch (const ApiError& e) {
    return e.param() + ": " + e.what();
  }
  return "";
}

TEST(ChatRequest, SamplingDefaultsFillWhatTheRequestLeavesOut) {
  const std::string bare = R"({"messages": [{"role": "user", "content": "Hi"}]})";
  EXPECT_FLOAT_EQ(parse_chat_request(bare).fields.sampling.temperature, 1.0f);  // OpenAI's
  const SamplingDefaults greedy{.temperature = 0.0f, .top_p = 0.9f};
  const ChatRequest r = parse_chat_request(bare, greedy);
  EXPECT_FLOAT_EQ(r.fields.sampling.temperature, 0.0f);
  EXPECT_FLOAT_EQ(r.fields.sampling.top_p, 0.9f);
  const ChatRequest asked = parse_chat_request(
      R"({"messages": [{"role": "user", "content": "Hi"}], "temperature": 0.7})", greedy);
  EXPECT_FLOAT_EQ(asked.fields.sampling.temperature, 0.7f);
}

TEST(ChatRequest, AcceptsAnOpenAiRequest) {
  const ChatRequest r = parse_chat_request(R"({
    "model": "m", "messages": [{"role": "system", "content": "Be brief."},
                               {"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
    "temperature": 0.2, "top_p": 0.9, "max_tokens": 20, "stop": ["\n\n"], "seed": 7,
    "stream": true, "stream_options": {"include_usage": true}, "logprobs": true, "top_logprobs": 2,
    "tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": "auto",
    "chat_template_kwargs": {"thinking": true}})");
  EXPECT_EQ(r.conversation["messages"][1]["content"], "Hi");
  EXPECT_FLOAT_EQ(r.fields.sampling.temperature, 0.2f);
  EXPECT_EQ(r.fields.max_tokens, 20);
  EXPECT_EQ(r.fields.stop, std::vector<std::string>{"\n\n"});
  EXPECT_EQ(r.fields.sampling.seed, 7u);
  EXPECT_TRUE(r.fields.include_usage);
  EXPECT_TRUE(r.parse_tool_calls);
  EXPECT_EQ(r.thinking, true);
}

TEST(ChatRequest, BadFieldsAreNamed) {
  EXPECT_EQ(chat_error("[]"), ": the request body must be a JSON object");
  EXPECT_EQ(chat_error(R"({"messages": []})"), "messages: messages must be a non-empty array");
  EXPECT_EQ(chat_error(R"({"messages": [{"role": "robot", "content": "x"}]})"),
            "messages[0].role: messages[0].role must be system, user, assistant or tool");
  EXPECT_NE(chat_error(R"({"messages": [{"role": "user", "content": "x"}], "temperature": "hot"})")
                .find("temperature:"), std::string::npos);
  EXPECT_NE(chat_error(R"({"messages": [{"role": "user", "content": "x"}], "frobnicate": 1})")
                .find("unsupported field 'frobnicate'"), std::string::npos);
  EXPECT_NE(chat_error(R"({"messages": [{"role": "user", "content": "x"}], "top_logprobs": 2})")
                .find("top_logprobs requires logprobs"), std::string::npos);
  EXPECT_NE(chat_error(R"({"messages": [{"role": "user"}]})").find("messages[0].content"),
            std::string::npos);
}

}  // namespace
}  // namespace fathom::serve

#include <future>
#include <nlohmann/json.hpp>

#include "engine/scheduler.h"
#include "model/model.h"
#include "serve/json_constraint.h"
#include "test_util.h"
#include "text/json_prefix.h"

namespace fathom::serve {
namespace {

TEST(JsonPrefix, AcceptsObjectsAndRejectsWhatCannotContinue) {
  for (const char* ok : {R"({})", R"({"a": 1, "b": [true, false, null, -0.5e+3, "x\"\u00e9"]})",
                         R"({"nested": {"deep": [[], {}]}})"}) {
    text::JsonPrefix p;
    EXPECT_TRUE(p.feed(ok)) << ok;
    EXPECT_TRUE(p.complete()) << ok;
    EXPECT_FALSE(p.feed(" ")) << "nothing may follow the object";
  }
  for (const char* prefix : {R"({"a": [1, 2)", R"({"k)", R"({"a": tr)", R"({"a": -)"}) {
    text::JsonPrefix p;
    EXPECT_TRUE(p.feed(prefix)) << prefix;
    EXPECT_FALSE(p.complete()) << prefix;
  }
  for (const char* bad : {"[1]", " {}", R"({"a" 1})", R"({"a": 01})", R"({"a": tru })", R"({,})",
                          "{\"a\": \"\x01\"}", R"({"a": 1,})", R"({"a": "\q"})"}) {
    text::JsonPrefix p;
    EXPECT_FALSE(p.feed(bad)) << bad;
    EXPECT_FALSE(p.complete());
  }
  text::JsonPrefix p;
  EXPECT_TRUE(p.feed("{"));
  EXPECT_FALSE(p.feed("}}"));  // refused as a whole: the state is unchanged
  EXPECT_TRUE(p.feed("}"));
  EXPECT_TRUE(p.complete());
}

TEST(JsonObjectConstraint, EndTokenOnlyAfterACompleteObject) {
  const auto tokenizer = text::Tokenizer::load(testing::golden_dir("tokenizer"));
  JsonObjectConstraint c(tokenizer, {1});
  EXPECT_FALSE(c.allows(1));
  EXPECT_FALSE(c.allows(0));  // special tokens never
  for (int32_t t : tokenizer.encode(R"({"sea": [1, 2.5], "ok": true})")) {
    ASSERT_TRUE(c.allows(t)) << tokenizer.token_bytes(t);
    EXPECT_FALSE(c.allows(1));
    c.accept(t);
  }
  EXPECT_TRUE(c.allows(1));
  EXPECT_FALSE(c.allows(tokenizer.encode(" ")[0]));
}

// Constrained decoding on the golden model: whatever the random weights want, the text is a
// JSON prefix at every token, and an answer that ends by itself is one JSON object.
TEST(JsonObjectConstraint, GenerationStaysValidJson) {
  const Model model(testing::golden_dir("v3"));
  const auto tokenizer = text::Tokenizer::load(testing::golden_dir("tokenizer"));
  Scheduler scheduler(model, {.slots = 2, .context = 256});
  int finished_objects = 0;
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    auto request = std::make_shared<Request>();
    request->prompt = tokenizer.encode("Reply in JSON:", true);
    request->sampling.temperature = 1.0f;
    request->sampling.seed = seed;
    request->limits.max_new_tokens = 120;
    request->limits.stop_token_ids = {1};
    request->constraint = std::make_shared<JsonObjectConstraint>(tokenizer, std::vector<int32_t>{1});
    std::string text;
    text::JsonPrefix check;
    bool valid = true;
    request->on_token = [&](const GeneratedToken& t) {
      text += tokenizer.token_bytes(t.token);
      valid = valid && check.feed(tokenizer.token_bytes(t.token));
      return true;
    };
    std::promise<RequestResult> done;
    request->on_finish = [&](const RequestResult& r) { done.set_value(r); };
    ASSERT_TRUE(scheduler.submit(request));
    const RequestResult r = done.get_future().get();
    EXPECT_TRUE(valid) << text;
    ASSERT_FALSE(text.empty());
    EXPECT_EQ(text[0], '{');
    if (r.finish_reason == "stop") {
      EXPECT_TRUE(check.complete()) << text;
      EXPECT_TRUE(nlohmann::json::parse(text, nullptr, false).is_object()) << text;
      ++finished_objects;
    }
  }
  RecordProperty("finished_objects", finished_objects);
}

}  // namespace
}  // namespace fathom::serve
