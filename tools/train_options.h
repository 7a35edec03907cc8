// Options shared by `fathom train-step` and `fathom train`.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "train/optimizer.h"

namespace fathom::cli {

// AdamW and balance-loss options shared by `train-step` and `train` (names and defaults as the
// training oracle's make_train_case.py). Values are validated by the training library, which
// reports a bad one as a "fathom:" error.
inline void add_adamw_and_balance_options(CLI::App* sub, AdamWOptions& adamw,
                                          std::string& balance_count, bool& no_mtp_balance) {
  sub->add_option("--beta1", adamw.beta1, "AdamW first-moment decay")->capture_default_str();
  sub->add_option("--beta2", adamw.beta2, "AdamW second-moment decay")->capture_default_str();
  sub->add_option("--adam-eps", adamw.eps, "AdamW epsilon (added to sqrt(v-hat))")
      ->capture_default_str();
  sub->add_option("--balance-count", balance_count,
                  "What f_i of the balance loss counts: topk (top-K of the unbiased scores, V3 "
                  "eq. 18) or routed (the dispatched experts)")
      ->capture_default_str();
  sub->add_flag("--no-mtp-balance", no_mtp_balance,
                "Leave the MTP layer's MoE out of the balance loss");
}

}  // namespace fathom::cli
