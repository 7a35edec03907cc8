// Where the built-in model lives: `fathom run` and `fathom serve` use it when no --model is given.
#pragma once

#include <string>

namespace fathom::cli {

inline constexpr const char* kBuiltinModelName = "fathom-tiny";

// The checkpoint directory of the built-in model: $FATHOM_MODEL when set, else the first that
// holds a config.json of: models/fathom-tiny beside the executable's directory (the source tree's build/
// layout) or under ../share/fathom (an installed layout); the source tree this binary was built
// from. Error(kNotFound) listing where it looked.
std::string builtin_model_dir();

// `model` when given, else the built-in model (announced on stderr).
std::string model_or_builtin(const std::string& model);

}  // namespace fathom::cli
