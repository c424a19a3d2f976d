#include "framework/config/sweep.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <filesystem>

#include "framework/config/overrides.hpp"
#include "framework/core/errors.hpp"
#include "framework/core/rng.hpp"
#include "framework/core/text.hpp"

namespace runner {

std::vector<std::string> Trial::overrides() const {
  std::vector<std::string> out;
  for (const auto& [path, value] : assignments) {
    out.push_back(path + "=" + value);
  }
  return out;
}

bool is_sweep_file(const std::string& path) {
  const YAML::Node root = load_yaml_file(path);
  return root.IsMap() && root["sweep"].IsDefined();
}

namespace {
std::string value_text(const YAML::Node& node) {
  if (node.IsScalar()) {
    return node.Scalar();
  }
  YAML::Emitter out;
  out << YAML::Flow << node;
  return out.c_str();
}

void read_parameters(MapReader& s, Sweep& sweep) {
  Diagnostics& diag = s.diagnostics();
  MapReader params(s.child("parameters"), "sweep.parameters", diag);
  if (!s.has("parameters")) {
    diag.error(s.node(), "sweep", "missing required key 'parameters'");
    return;
  }
  for (const auto& entry : params.node()) {
    const std::string path = entry.first.Scalar();
    params.accept(path);
    SweepParameter p;
    p.path = path;
    p.where = diag.locate(entry.first, "sweep.parameters." + path);
    const YAML::Node& v = entry.second;
    if (v.IsSequence() && v.size() > 0) {
      for (const auto& item : v) {
        p.values.push_back(value_text(item));
      }
    } else if (v.IsMap()) {
      MapReader range(v, "sweep.parameters." + path, diag);
      p.min = range.require<double>("min", 0.0);
      p.max = range.require<double>("max", 1.0);
      p.log_scale = range.get_or<bool>("log", false);
      range.reject_unknown();
      if (*p.min > *p.max || (p.log_scale && *p.min <= 0)) {
        diag.error(v, "sweep.parameters." + path,
                   fmt::format("expected min <= max{}, got min {} and max {}",
                               p.log_scale ? " and min > 0 (log scale)" : "", *p.min, *p.max));
      }
    } else {
      diag.error(v, "sweep.parameters." + path,
                 "expected a non-empty list of values or a range {min, max}, got " + describe(v));
      continue;
    }
    sweep.parameters.push_back(p);
  }
}

// Applies each parameter's first value to the base experiment: a wrong path or value is
// reported at the parameter, not in the base file.
void check_against_base(const Sweep& sweep, Diagnostics& diag) {
  const YAML::Node base = load_yaml_file(sweep.base);
  for (const auto& p : sweep.parameters) {
    const std::string value = p.values.empty() ? fmt::format("{}", *p.min) : p.values.front();
    std::vector<std::string> overrides = sweep.fixed;
    overrides.push_back(p.path + "=" + value);
    try {
      (void)parse_experiment(YAML::Clone(base), sweep.base, overrides);
    } catch (const ConfigError& e) {
      std::string message = e.what();
      // Drop our own "--set path=value: " prefix: the position is the parameter's.
      const std::string prefix = "--set " + p.path + "=" + value + ": ";
      if (message.starts_with(prefix)) {
        message = message.substr(prefix.size());
      }
      diag.error(p.where, "sweep.parameters." + p.path, message);
    }
  }
}
}  // namespace

Sweep load_sweep(const std::string& path, const std::vector<std::string>& overrides) {
  const YAML::Node root = load_yaml_file(path);
  Diagnostics diag(path);
  Sweep sweep;
  sweep.file = path;
  MapReader top(root, "", diag);
  MapReader s(top.child("sweep"), "sweep", diag);
  top.reject_unknown();
  sweep.name = s.require<std::string>("name", "sweep", folder_name());
  const std::string base = s.require<std::string>("base", "");
  sweep.base = (std::filesystem::path(path).parent_path() / base).lexically_normal().string();
  sweep.method = s.get_or<std::string>("method", "grid", one_of({"grid", "random"}));
  sweep.max_trials =
      s.get_or<std::int64_t>("max_trials", Sweep::kDefaultMaxTrials, between(1, Sweep::kMaxTrials));
  sweep.trials = s.get_or<std::int64_t>("trials", 0, at_least(1));
  sweep.seed = static_cast<std::uint32_t>(s.get_or<std::int64_t>("seed", 0, at_least(0)));
  sweep.metric = s.get_or<std::string>("metric", "val_loss");
  sweep.minimize =
      s.get_or<std::string>("goal", "minimize", one_of({"minimize", "maximize"})) == "minimize";
  sweep.concurrency = s.get_or<std::int64_t>("concurrency", 1, positive());
  sweep.fixed = s.get_or<std::vector<std::string>>("set", {});
  sweep.fixed.insert(sweep.fixed.end(), overrides.begin(), overrides.end());
  read_parameters(s, sweep);
  s.reject_unknown();
  if (sweep.method == "random" && sweep.trials == 0) {
    diag.error(s.node(), "sweep", "method random needs 'trials'");
  }
  // Counted before anything is expanded: a grid of 9 parameters x 100 values is 10^18 trials.
  const std::uint64_t count = trial_count(sweep);
  if (count > static_cast<std::uint64_t>(sweep.max_trials)) {
    diag.error(s.child(sweep.method == "random" ? "trials" : "parameters"), "sweep",
               fmt::format("{} trials, more than max_trials ({}); set sweep.max_trials (at most "
                           "{}) to run that many",
                           count == UINT64_MAX ? "over 1.8e19"
                                               : with_thousands(static_cast<long long>(count)),
                           sweep.max_trials, Sweep::kMaxTrials));
  }
  for (const auto& p : sweep.parameters) {
    if (sweep.method == "grid" && p.values.empty()) {
      diag.error(p.where, "sweep.parameters." + p.path,
                 "a range {min, max} needs method: random (grid needs a list of values)");
    }
  }
  if (!base.empty() && !std::filesystem::exists(sweep.base)) {
    diag.error(s.child("base"), "sweep.base", fmt::format("no such file: {}", sweep.base));
  }
  diag.throw_if_any();
  check_against_base(sweep, diag);
  diag.throw_if_any();
  return sweep;
}

std::uint64_t trial_count(const Sweep& sweep) {
  if (sweep.method != "grid") {
    return static_cast<std::uint64_t>(std::max<std::int64_t>(sweep.trials, 0));
  }
  std::uint64_t count = 1;
  for (const auto& p : sweep.parameters) {
    const std::uint64_t n = p.values.size();
    if (n != 0 && count > UINT64_MAX / n) {
      return UINT64_MAX;  // saturates: far above any limit
    }
    count *= n;
  }
  return count;
}

std::vector<Trial> expand_trials(const Sweep& sweep) {
  std::vector<Trial> trials;
  if (sweep.method == "grid") {
    trials.emplace_back();
    for (const auto& p : sweep.parameters) {
      std::vector<Trial> next;
      for (const auto& t : trials) {
        for (const auto& v : p.values) {
          Trial extended = t;
          extended.assignments.emplace_back(p.path, v);
          next.push_back(std::move(extended));
        }
      }
      trials = std::move(next);
    }
    return trials;
  }
  Rng rng(derive_seed(sweep.seed, 0x5EED));
  for (std::int64_t i = 0; i < sweep.trials; ++i) {
    Trial t;
    for (const auto& p : sweep.parameters) {
      if (!p.values.empty()) {
        t.assignments.emplace_back(p.path, p.values[rng.below(p.values.size())]);
        continue;
      }
      const double u = rng.uniform();
      const double value =
          p.log_scale ? std::exp(std::log(*p.min) + u * (std::log(*p.max) - std::log(*p.min)))
                      : *p.min + u * (*p.max - *p.min);
      t.assignments.emplace_back(p.path, fmt::format("{:.6g}", value));
    }
    trials.push_back(std::move(t));
  }
  return trials;
}

}  // namespace runner
