// The OpenAI/DeepSeek-compatible API over one model: HTTP threads parse and validate, the
// Scheduler's engine thread generates (continuous batching, prefix cache), and results stream
// back per request (STYLE.md §7).
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "engine/scheduler.h"
#include "model/model.h"
#include "serve/http_server.h"
#include "serve/request_fields.h"
#include "text/chat_template.h"
#include "text/tokenizer.h"

namespace fathom::serve {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string model_name;     // what /v1/models lists and requests must name (or omit)
  std::string api_key;        // empty: no authentication
  SchedulerOptions scheduler;
  size_t max_body_bytes = 8u << 20;
  SamplingDefaults sampling_defaults;  // for requests that name no temperature / top_p
};

struct ServerCounters {
  std::atomic<int64_t> http_requests{0}, http_errors{0};
};

class Server {
 public:
  // The tokenizer must have a chat template for /v1/chat/completions (else that endpoint 400s).
  Server(const Model& model, const text::Tokenizer& tokenizer, const ServerOptions& options);
  ~Server();

  int bind();    // returns the port
  void serve();  // blocks until stop()
  void stop();

  // Endpoint implementations (public for the request-parser fuzz target and tests).
  HttpResponse chat_completions(const HttpRequest& request);
  HttpResponse completions(const HttpRequest& request);
  HttpResponse models(const HttpRequest& request);
  HttpResponse health(const HttpRequest& request);
  HttpResponse metrics(const HttpRequest& request);

 private:
  HttpResponse guarded(const HttpRequest& request, HttpResponse (Server::*handler)(const HttpRequest&));
  void check_auth(const HttpRequest& request) const;
  void check_model(const std::string& requested) const;
  std::vector<int32_t> stop_token_ids() const;

  const Model& model_;
  const text::Tokenizer& tokenizer_;
  ServerOptions options_;
  std::optional<text::ChatTemplate> chat_template_;
  std::string chat_template_error_;
  Scheduler scheduler_;
  HttpServer http_;
  ServerCounters counters_;
  int64_t created_;
};

}  // namespace fathom::serve
