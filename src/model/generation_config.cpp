// generation_config.json's sampling fields (generation_config.h).
#include "model/generation_config.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/mapped_file.h"

namespace fathom {

GenerationDefaults read_generation_defaults(const std::string& model_dir) {
  const std::filesystem::path path = std::filesystem::path(model_dir) / "generation_config.json";
  GenerationDefaults d;
  if (!std::filesystem::exists(path)) return d;
  const std::string where = path.string();
  const nlohmann::json j = nlohmann::json::parse(read_text_file(where), nullptr, false);
  if (j.is_discarded() || !j.is_object()) fail(ErrorKind::kCorruptFile, where + ": not a JSON object");
  const auto number = [&](const char* key, double lo, double hi) -> std::optional<float> {
    if (!j.contains(key) || j[key].is_null()) return std::nullopt;
    if (!j[key].is_number() || j[key].get<double>() < lo || j[key].get<double>() > hi) {
      fail(ErrorKind::kCorruptFile, where + ": " + key + " must be a number in [" +
                                        std::to_string(lo) + ", " + std::to_string(hi) + "]");
    }
    return float(j[key].get<double>());
  };
  d.temperature = number("temperature", 0.0, 100.0);
  d.top_p = number("top_p", 0.0, 1.0);
  if (j.contains("do_sample")) {
    if (!j["do_sample"].is_boolean()) fail(ErrorKind::kCorruptFile, where + ": do_sample must be true or false");
    if (!j["do_sample"].get<bool>()) d.temperature = 0.0f;  // Hugging Face: greedy decoding
  }
  return d;
}

}  // namespace fathom
