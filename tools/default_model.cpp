// Finding the built-in model (default_model.h).
#include "default_model.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "core/error.h"

namespace fathom::cli {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> candidates() {
  std::vector<fs::path> out;
  // An explicit choice is the only candidate: a wrong FATHOM_MODEL is an error, not a fallback.
  if (const char* env = std::getenv("FATHOM_MODEL"); env != nullptr && *env != '\0') {
    out.emplace_back(env);
    return out;
  }
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path dir = exe.parent_path();
    out.push_back(dir.parent_path() / "models" / kBuiltinModelName);  // <repo>/build/fathom
    out.push_back(dir.parent_path() / "share" / "fathom" / "models" / kBuiltinModelName);
  }
#ifdef FATHOM_SOURCE_DIR
  out.push_back(fs::path(FATHOM_SOURCE_DIR) / "models" / kBuiltinModelName);
#endif
  return out;
}

}  // namespace

std::string builtin_model_dir() {
  std::string looked;
  std::vector<fs::path> seen;
  for (const fs::path& candidate : candidates()) {
    const fs::path dir = candidate.lexically_normal();
    if (std::find(seen.begin(), seen.end(), dir) != seen.end()) continue;
    seen.push_back(dir);
    std::error_code ec;
    if (fs::exists(dir / "config.json", ec)) return dir.string();
    looked += (looked.empty() ? "" : ", ") + dir.string();
  }
  fail(ErrorKind::kNotFound,
       std::string("no --model given and the built-in model (") + kBuiltinModelName +
           ") is not where fathom looks for it (" + looked +
           "): pass --model DIR (a Hugging Face checkpoint directory) or set FATHOM_MODEL");
}

std::string model_or_builtin(const std::string& model) {
  if (!model.empty()) return model;
  const std::string dir = builtin_model_dir();
  std::fprintf(stderr, "fathom: no --model given; using the built-in model %s (%s)\n",
               kBuiltinModelName, dir.c_str());
  return dir;
}

}  // namespace fathom::cli
