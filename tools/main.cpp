// fathom: DeepSeek-V3/R1 in C++. The entry point only dispatches to subcommands and turns
// errors into one clear line on stderr and a non-zero exit status.
#include <cstdio>
#include <vector>

#include "command.h"
#include "core/error.h"

int main(int argc, char** argv) {
  CLI::App app{"fathom: run, serve and train DeepSeek-family models (MLA, DeepSeekMoE, MTP)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "fathom 0.1.0");

  std::vector<fathom::cli::Command> commands = {
      fathom::cli::register_info(app),
      fathom::cli::register_logits(app),
      fathom::cli::register_generate(app),
      fathom::cli::register_serve(app),
      fathom::cli::register_run(app),
      fathom::cli::register_synth(app),
      fathom::cli::register_quantize(app),
      fathom::cli::register_bench(app),
      fathom::cli::register_tokenize(app),
      fathom::cli::register_template(app),
      fathom::cli::register_train_step(app),
      fathom::cli::register_train(app),
      fathom::cli::register_tokenizer(app),
      fathom::cli::register_tasks(app),
      fathom::cli::register_eval(app),
      fathom::cli::register_grpo(app),
      fathom::cli::register_distill(app),
      fathom::cli::register_plot_loss(app),
  };

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    for (auto& command : commands) {
      if (command.app->parsed()) return command.run();
    }
  } catch (const fathom::Error& e) {
    std::fprintf(stderr, "fathom: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fathom: internal error: %s\n", e.what());
    return 1;
  }
  return 1;
}
