// fathom run: chat with a model in the terminal. Streams the answer, shows the model's thinking
// apart from it (dimmed on a terminal), keeps the conversation, and reports tokens/s.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "command.h"
#include "core/error.h"
#include "engine/generator.h"
#include "default_model.h"
#include "model/generation_config.h"
#include "model/model.h"
#include "serve/reasoning.h"
#include "text/chat_template.h"
#include "text/detokenizer.h"
#include "text/tokenizer.h"
#include "warm_up.h"

namespace fathom::cli {
namespace {

struct RunOptions {
  std::string model, prompt, system;
  int64_t ctx = 4096, max_tokens = 0;
  std::optional<uint64_t> seed;
  bool interactive = false, no_think = false;
  SamplingParams sampling{.temperature = 0.6f, .top_p = 0.95f};
  bool temperature_given = false, top_p_given = false;
};

const char* kHelp =
    "  /reset          forget the conversation\n"
    "  /system TEXT    set the system prompt (and reset)\n"
    "  /think on|off   ask the model to think first (templates with a thinking switch)\n"
    "  /help           this list;  /exit or Ctrl-D to leave\n"
    "  End a line with \\ to continue it on the next line.\n";

class ChatSession {
 public:
  ChatSession(const RunOptions& o, const Model& model, const text::Tokenizer& tokenizer)
      : o_(o), model_(model), tokenizer_(tokenizer),
        template_(text::ChatTemplate::from_tokenizer(tokenizer)),
        generator_(model, std::min(o.ctx, model.config().max_position_embeddings)),
        tty_(isatty(STDOUT_FILENO)), thinking_(!o.no_think) {
    reset();
  }

  void reset() {
    messages_ = nlohmann::ordered_json::array();
    if (!system_.empty()) messages_.push_back({{"role", "system"}, {"content", system_}});
  }
  void set_system(std::string text) {
    system_ = std::move(text);
    reset();
  }
  void set_thinking(bool on) { thinking_ = on; }

  void reply(const std::string& user_text) {
    messages_.push_back({{"role", "user"}, {"content", user_text}});
    text::ChatOptions chat;
    chat.add_generation_prompt = true;
    chat.thinking = thinking_;
    const std::string prompt_text = template_.render({{"messages", messages_}}, chat);
    const std::vector<int32_t> prompt = tokenizer_.encode(prompt_text);
    const int64_t room = generator_.context() - int64_t(prompt.size());
    if (room < 1) {
      messages_.erase(messages_.end() - 1);
      fail(ErrorKind::kInvalidArgument,
           "the conversation (" + std::to_string(prompt.size()) + " tokens) fills the context of " +
               std::to_string(generator_.context()) + " tokens: /reset, or use a larger --ctx");
    }
    GenerateOptions options;
    options.max_new_tokens = o_.max_tokens > 0 ? std::min(o_.max_tokens, room) : room;
    options.sampling = o_.sampling;
    options.sampling.seed = o_.seed ? *o_.seed + turn_++ : std::random_device{}();
    options.stop_token_ids = end_of_sequence_ids(model_.config().eos_token_id, tokenizer_.eos_id());

    text::Detokenizer detokenizer(tokenizer_);
    serve::ReasoningSplitter splitter(serve::prompt_opens_thinking(prompt_text));
    std::string answer;
    bool in_thinking = false;
    auto show = [&](const serve::TextDelta& d) {
      if (!d.reasoning.empty()) {
        if (!in_thinking) std::fputs(tty_ ? "\033[2m" : "[thinking] ", stdout);
        in_thinking = true;
        std::fputs(d.reasoning.c_str(), stdout);
      }
      if (!d.content.empty()) {
        if (in_thinking) std::fputs(tty_ ? "\033[0m\n" : "\n[answer] ", stdout);
        in_thinking = false;
        std::fputs(d.content.c_str(), stdout);
        answer += d.content;
      }
      std::fflush(stdout);
    };
    const GenerateStats stats = generator_.generate(prompt, options, [&](const GeneratedToken& t) {
      show(splitter.push(detokenizer.push(t.token)));
      return true;
    });
    show(splitter.push(detokenizer.finish()));
    show(splitter.finish());
    if (in_thinking && tty_) std::fputs("\033[0m", stdout);
    std::fputs("\n", stdout);
    messages_.push_back({{"role", "assistant"}, {"content", answer}});
    const double rate = stats.generated_tokens > 1
                            ? double(stats.generated_tokens - 1) / std::max(stats.decode_seconds, 1e-9) : 0.0;
    std::fprintf(stderr, "%s[%lld tokens, %.1f tok/s, prompt %lld tokens at %.1f tok/s%s]%s\n",
                 isatty(STDERR_FILENO) ? "\033[2m" : "", (long long)stats.generated_tokens, rate,
                 (long long)stats.prompt_tokens,
                 double(stats.prompt_tokens) / std::max(stats.prefill_seconds, 1e-9),
                 stats.finish_reason == "length" ? ", stopped at the token limit" : "",
                 isatty(STDERR_FILENO) ? "\033[0m" : "");
  }

 private:
  const RunOptions& o_;
  const Model& model_;
  const text::Tokenizer& tokenizer_;
  text::ChatTemplate template_;
  Generator generator_;
  bool tty_, thinking_;
  std::string system_;
  nlohmann::ordered_json messages_;
  uint64_t turn_ = 0;
};

// Reads one message: lines ending in a backslash continue. False at end of input.
bool read_message(std::string& out) {
  out.clear();
  std::string line;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\\') {
      out += line.substr(0, line.size() - 1) + "\n";
      continue;
    }
    out += line;
    return true;
  }
  return !out.empty();
}

int interactive(ChatSession& session) {
  const bool tty = isatty(STDIN_FILENO);
  if (tty) std::fprintf(stderr, "Type a message (/help for commands, Ctrl-D to quit).\n");
  std::string message;
  for (;;) {
    if (tty) std::fputs("\n> ", stderr);
    if (!read_message(message)) break;
    if (message.empty()) continue;
    if (message == "/exit" || message == "/quit") break;
    if (message == "/help") {
      std::fputs(kHelp, stderr);
    } else if (message == "/reset") {
      session.reset();
      std::fputs("(conversation cleared)\n", stderr);
    } else if (message.rfind("/system", 0) == 0) {
      session.set_system(message.size() > 8 ? message.substr(8) : "");
      std::fputs("(system prompt set; conversation cleared)\n", stderr);
    } else if (message == "/think on" || message == "/think off") {
      session.set_thinking(message == "/think on");
      std::fprintf(stderr, "(thinking %s)\n", message == "/think on" ? "on" : "off");
    } else if (message[0] == '/') {
      std::fprintf(stderr, "unknown command %s\n%s", message.c_str(), kHelp);
    } else {
      try {
        session.reply(message);
      } catch (const Error& e) {
        std::fprintf(stderr, "fathom: %s\n", e.what());
      }
    }
  }
  return 0;
}

int run_chat(RunOptions o) {
  o.model = model_or_builtin(o.model);
  // The checkpoint's recommended sampling fills in what the command line left out.
  const GenerationDefaults recommended = read_generation_defaults(o.model);
  if (!o.temperature_given && recommended.temperature) o.sampling.temperature = *recommended.temperature;
  if (!o.top_p_given && recommended.top_p) o.sampling.top_p = *recommended.top_p;
  if (!std::filesystem::exists(std::filesystem::path(o.model) / "tokenizer.json")) {
    fail(ErrorKind::kInvalidArgument, o.model + " has no tokenizer.json: fathom run needs one to chat");
  }
  const Model model(o.model);
  warm_up(model.checkpoint(), isatty(STDERR_FILENO));
  const text::Tokenizer tokenizer = text::Tokenizer::load(o.model);
  ChatSession session(o, model, tokenizer);
  if (!o.system.empty()) session.set_system(o.system);
  if (!o.prompt.empty()) {
    session.reply(o.prompt);
    return 0;
  }
  if (o.interactive || isatty(STDIN_FILENO)) return interactive(session);
  std::ostringstream all;  // a pipe: the whole input is one message
  all << std::cin.rdbuf();
  std::string text = all.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (text.empty()) fail(ErrorKind::kInvalidArgument, "no message on standard input");
  session.reply(text);
  return 0;
}

}  // namespace

Command register_run(CLI::App& app) {
  auto o = std::make_shared<RunOptions>();
  CLI::App* sub = app.add_subcommand("run", "Chat with a model in the terminal");
  sub->add_option("prompt", o->prompt, "Ask this once and exit (also when standard input is a pipe)");
  sub->add_option("--model", o->model,
                  "Checkpoint directory with tokenizer.json (default: the built-in model, "
                  "models/fathom-tiny, or $FATHOM_MODEL)");
  sub->add_option("--system", o->system, "System prompt");
  sub->add_option_function<float>(
         "--temperature",
         [o](float t) {
           o->sampling.temperature = t;
           o->temperature_given = true;
         },
         "Sampling temperature; 0 = greedy (default: the model's generation_config.json, else 0.6)")
      ->check(CLI::Range(0.0, 100.0));
  sub->add_option_function<float>(
         "--top-p",
         [o](float p) {
           o->sampling.top_p = p;
           o->top_p_given = true;
         },
         "Nucleus sampling mass (default: the model's generation_config.json, else 0.95)")
      ->check(CLI::Range(0.0, 1.0));
  sub->add_option("--seed", o->seed, "Random seed (reproducible replies)");
  sub->add_option("-n,--max-tokens", o->max_tokens, "Longest reply in tokens (default: the rest of the context)");
  sub->add_option("--ctx", o->ctx, "Context size in tokens")->capture_default_str()->check(CLI::Range(16, 1 << 24));
  sub->add_flag("--no-think", o->no_think, "Ask templates with a thinking switch not to think");
  sub->add_flag("--interactive", o->interactive, "Chat line by line even when standard input is a pipe");
  add_threads_option(sub);
  sub->footer(std::string("Commands in the chat:\n") + kHelp);
  return {sub, [o] { return run_chat(*o); }};
}

}  // namespace fathom::cli
