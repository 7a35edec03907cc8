// Each `fathom` subcommand lives in its own cmd_*.cpp: it declares its options on a CLI11
// subcommand and, when chosen, calls into the libraries. Subcommands never hold model logic.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "core/thread_pool.h"

namespace fathom::cli {

// Registers the subcommand on `app`; returns the action to run if it is chosen.
using Action = std::function<int()>;
struct Command {
  CLI::App* app;
  Action run;
};

// --threads N for subcommands that run a model (applied while parsing, before the command runs).
inline void add_threads_option(CLI::App* sub) {
  sub->add_option_function<int>(
         "--threads", [](const int& n) { fathom::set_num_threads(n); },
         "Worker threads for the kernels (default: every core, or $FATHOM_THREADS)")
      ->check(CLI::Range(1, 1024));
}

Command register_info(CLI::App& app);
Command register_logits(CLI::App& app);
Command register_generate(CLI::App& app);
Command register_serve(CLI::App& app);
Command register_run(CLI::App& app);
Command register_synth(CLI::App& app);
Command register_quantize(CLI::App& app);
Command register_bench(CLI::App& app);
Command register_tokenize(CLI::App& app);
Command register_template(CLI::App& app);
Command register_train_step(CLI::App& app);
Command register_train(CLI::App& app);
Command register_tokenizer(CLI::App& app);
Command register_tasks(CLI::App& app);
Command register_eval(CLI::App& app);
Command register_grpo(CLI::App& app);
Command register_distill(CLI::App& app);
Command register_plot_loss(CLI::App& app);

}  // namespace fathom::cli
