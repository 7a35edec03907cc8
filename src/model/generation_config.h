// A checkpoint's recommended sampling, from generation_config.json (the Hugging Face file beside
// config.json: DeepSeek-V3 ships temperature 0.6 / top_p 0.95; fathom-tiny ships greedy). `fathom
// run` uses it for the options the user did not set.
#pragma once

#include <optional>
#include <string>

namespace fathom {

struct GenerationDefaults {
  std::optional<float> temperature;  // 0: greedy ("do_sample": false)
  std::optional<float> top_p;
};

// Nothing when the directory has no generation_config.json; Error(kCorruptFile) naming the file
// for malformed JSON or a field of the wrong type or range.
GenerationDefaults read_generation_defaults(const std::string& model_dir);

}  // namespace fathom
