#include "train/train_step.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"
#include "io/token_ids.h"

namespace fathom {

std::vector<int32_t> read_batch_file(const std::string& path, int64_t& n_seq, int64_t& seq_len) {
  std::ifstream in(path);
  if (!in) fail(ErrorKind::kNotFound, "cannot open batch file " + path);
  std::vector<int32_t> ids;
  std::string line;
  int64_t row_len = -1, rows = 0, line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const auto row = parse_token_ids(line, path + ":" + std::to_string(line_no));
    if (row_len >= 0 && int64_t(row.size()) != row_len) {
      fail(ErrorKind::kInvalidArgument, path + ":" + std::to_string(line_no) + ": " +
                                            std::to_string(row.size()) + " ids, expected " +
                                            std::to_string(row_len) + " like the first line");
    }
    row_len = int64_t(row.size());
    ids.insert(ids.end(), row.begin(), row.end());
    ++rows;
  }
  if (rows == 0 || row_len < 3) {
    fail(ErrorKind::kInvalidArgument, path + ": need at least one line of >= 3 ids (T >= 2)");
  }
  n_seq = rows;
  seq_len = row_len - 1;
  return ids;
}

namespace {

void write_param_file(const std::filesystem::path& dir, const std::string& name,
                      const std::vector<float>& values) {
  write_f32_file((dir / (name + ".f32")).string(), values.data(), values.size());
}

void write_json(const std::filesystem::path& path, const nlohmann::json& j) {
  std::ofstream out(path, std::ios::trunc);
  out << j.dump(2) << "\n";
  if (!out) fail(ErrorKind::kIo, "cannot write " + path.string());
}

}  // namespace

void validate(const TrainStepOptions& o) {
  validate(o.loss);
  validate(o.adamw);
  require_non_negative(o.gamma, "gamma");
  require_positive(o.max_grad_norm, "max_grad_norm");
}

void run_train_step(const std::string& model_dir, const std::string& batch_file,
                    const std::string& out_dir, const TrainStepOptions& o) {
  validate(o);
  int64_t n_seq = 0, seq_len = 0;
  const std::vector<int32_t> ids = read_batch_file(batch_file, n_seq, seq_len);
  ParamStore store =
      ParamStore::load(model_dir, o.untie_mtp ? MtpTying::kUntied : MtpTying::kTied);
  TrainModel model(store, n_seq, seq_len);
  store.zero_grads();
  const StepLosses losses = model.run(ids, n_seq, o.loss, true);
  const double norm = global_grad_norm(store);
  const double coef = clip_coefficient(norm, o.max_grad_norm);

  const std::filesystem::path out(out_dir);
  std::filesystem::create_directories(out / "grads");
  std::filesystem::create_directories(out / "adamw_step");
  for (const Param* p : store.all()) {
    if (p->trainable) write_param_file(out / "grads", p->name, p->grad);
  }

  nlohmann::json loss;
  loss["main_ce"] = losses.main_ce;
  loss["mtp_ce"] = losses.mtp_ce ? nlohmann::json(*losses.mtp_ce) : nlohmann::json(nullptr);
  loss["balance"] = losses.balance;
  loss["total"] = losses.total;
  loss["lambda_mtp"] = o.loss.lambda_mtp;
  loss["alpha"] = o.loss.alpha;
  loss["balance_count"] = balance_count_name(o.loss.balance_count);
  loss["mtp_balance"] = o.loss.mtp_balance;
  nlohmann::json per_layer = nlohmann::json::object();
  for (const auto& [name, v] : losses.balance_per_layer) per_layer[name] = v;
  loss["balance_per_layer"] = per_layer;
  loss["grad_norm"] = norm;
  loss["max_grad_norm"] = o.max_grad_norm;
  loss["clip_coef"] = coef;
  loss["B"] = n_seq;
  loss["T"] = seq_len;
  write_json(out / "loss.json", loss);

  // Bias update from this forward pass's loads (the bias before the update), then AdamW.
  nlohmann::json layers = nlohmann::json::array();
  for (const LayerLoad& l : model.loads()) {
    nlohmann::json e;
    e["layer"] = l.layer;
    e["mtp_layer"] = l.mtp_layer;
    e["tokens"] = l.tokens;
    e["counts"] = l.counts;
    double mean = 0.0;
    for (int64_t c : l.counts) mean += double(c);
    e["mean_load"] = mean / double(l.counts.size());
    if (l.bias != nullptr) {
      std::vector<double> before(l.bias->value.begin(), l.bias->value.end());
      std::vector<int> sign;
      for (int64_t c : l.counts) {
        const double diff = mean / double(l.counts.size()) - double(c);
        sign.push_back(diff > 0 ? 1 : (diff < 0 ? -1 : 0));
      }
      const std::vector<double> after = update_expert_bias(l, o.gamma);
      e["name"] = l.bias->name;
      e["sign"] = sign;
      e["bias_before"] = before;
      e["bias_after"] = after;
      e["bias_after_f32"] = std::vector<double>(l.bias->value.begin(), l.bias->value.end());
    } else {
      e["name"] = nullptr;
    }
    layers.push_back(e);
  }
  nlohmann::json bias;
  bias["gamma"] = o.gamma;
  bias["rule"] = "b_i <- b_i + gamma * sign(mean_load - load_i), sign(0) = 0 (DeepSeek-V3 report 2.1.2)";
  bias["layers"] = layers;
  write_json(out / "bias_update.json", bias);

  AdamW adamw(store);
  adamw.step(store, o.adamw, coef);
  for (const Param* p : store.all()) {
    if (p->trainable) write_param_file(out / "adamw_step", p->name, p->value);
  }
}

}  // namespace fathom
