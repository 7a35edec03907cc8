// fathom serve: the OpenAI/DeepSeek-compatible HTTP API on one model.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "command.h"
#include "core/error.h"
#include "default_model.h"
#include "model/generation_config.h"
#include "model/model.h"
#include "serve/server.h"
#include "text/tokenizer.h"

namespace fathom::cli {
namespace {

struct ServeOptions {
  std::string model, host = "127.0.0.1", api_key, model_name;
  int port = 8080;
  int64_t parallel = 4, ctx = 4096, queue = 64;
  size_t max_body_mb = 8;
};

serve::Server* g_server = nullptr;

extern "C" void stop_on_signal(int) {
  if (g_server) g_server->stop();  // httplib's stop() only flips flags and shuts the socket
}

int run_serve(ServeOptions o) {
  o.model = model_or_builtin(o.model);
  const Model model(o.model);
  if (!std::filesystem::exists(std::filesystem::path(o.model) / "tokenizer.json")) {
    fail(ErrorKind::kInvalidArgument, o.model + " has no tokenizer.json: the server needs one");
  }
  const text::Tokenizer tokenizer = text::Tokenizer::load(o.model);
  serve::ServerOptions options;
  // The model's recommended sampling (generation_config.json) for requests that name none, as
  // vLLM does; OpenAI's temperature 1 / top_p 1 otherwise.
  const GenerationDefaults recommended = read_generation_defaults(o.model);
  if (recommended.temperature) options.sampling_defaults.temperature = *recommended.temperature;
  if (recommended.top_p) options.sampling_defaults.top_p = *recommended.top_p;
  options.host = o.host;
  options.port = o.port;
  options.api_key = !o.api_key.empty() ? o.api_key
                    : std::getenv("FATHOM_API_KEY") ? std::getenv("FATHOM_API_KEY") : "";
  options.model_name = !o.model_name.empty()
                           ? o.model_name
                           : std::filesystem::path(o.model).lexically_normal().filename().string();
  if (options.model_name.empty()) options.model_name = "fathom";
  options.scheduler.slots = o.parallel;
  options.scheduler.context = std::min(o.ctx, model.config().max_position_embeddings);
  options.scheduler.max_queue = o.queue;
  options.max_body_bytes = o.max_body_mb << 20;

  serve::Server server(model, tokenizer, options);
  const int port = server.bind();
  g_server = &server;
  std::signal(SIGINT, stop_on_signal);
  std::signal(SIGTERM, stop_on_signal);
  std::fprintf(stderr, "fathom: serving %s as \"%s\" on http://%s:%d (%lld slots x %lld tokens%s)\n",
               o.model.c_str(), options.model_name.c_str(), o.host.c_str(), port,
               (long long)options.scheduler.slots, (long long)options.scheduler.context,
               options.api_key.empty() ? "" : ", API key required");
  std::fflush(stderr);
  server.serve();
  g_server = nullptr;
  std::fprintf(stderr, "fathom: server stopped\n");
  return 0;
}

}  // namespace

Command register_serve(CLI::App& app) {
  auto o = std::make_shared<ServeOptions>();
  CLI::App* sub = app.add_subcommand(
      "serve", "OpenAI-compatible HTTP API: /v1/chat/completions, /v1/completions, /v1/models, "
               "/health, /metrics");
  sub->add_option("--model", o->model,
                  "Checkpoint directory with tokenizer.json (default: the built-in model, "
                  "models/fathom-tiny, or $FATHOM_MODEL)");
  sub->add_option("--host", o->host, "Address to listen on")->capture_default_str();
  sub->add_option("--port", o->port, "Port (0: any free port, printed at start)")
      ->capture_default_str()->check(CLI::Range(0, 65535));
  sub->add_option("--parallel", o->parallel, "Sequences decoded together (KV-cache slots)")
      ->capture_default_str()->check(CLI::Range(1, 256));
  sub->add_option("--ctx", o->ctx, "Context per slot: prompt + completion tokens")
      ->capture_default_str()->check(CLI::Range(16, 1 << 24));
  sub->add_option("--queue", o->queue, "Requests waiting beyond the slots before 429")
      ->capture_default_str()->check(CLI::Range(0, 100000));
  sub->add_option("--api-key", o->api_key,
                  "Require Authorization: Bearer KEY (default: $FATHOM_API_KEY, else none)");
  sub->add_option("--model-name", o->model_name,
                  "Model id clients use (default: the checkpoint directory's name)");
  sub->add_option("--max-body-mb", o->max_body_mb, "Largest request body accepted (413 above)")
      ->capture_default_str()->check(CLI::Range(1, 1024));
  add_threads_option(sub);
  return {sub, [o] { return run_serve(*o); }};
}

}  // namespace fathom::cli
