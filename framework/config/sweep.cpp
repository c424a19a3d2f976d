#include "framework/config/sweep.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <set>

#include "framework/config/overrides.hpp"
#include "framework/core/errors.hpp"
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

std::vector<std::string> value_list(const YAML::Node& node) {
  std::vector<std::string> out;
  if (node.IsSequence()) {
    for (const auto& item : node) {
      out.push_back(value_text(item));
    }
  } else if (node.IsDefined() && !node.IsNull()) {
    out.push_back(value_text(node));
  }
  return out;
}

// `{min, max, log, step, type}` or `{values: [...]}`, either with `when: {parent: values}`.
void read_range(MapReader& range, const std::string& key_path, SearchParameter& p,
                Diagnostics& diag) {
  Distribution& d = p.distribution;
  if (range.has("values")) {
    const YAML::Node values = range.child("values");
    d.choices = value_list(values);
    if (!values.IsSequence() || d.choices.empty()) {
      diag.error(values, key_path + ".values", "expected a non-empty list of values");
    }
    return;
  }
  const bool is_int = range.get_or<std::string>("type", "float", one_of({"float", "int"})) == "int";
  d.kind = is_int ? Distribution::Kind::kInt : Distribution::Kind::kFloat;
  d.low = range.require<double>("min", 0.0);
  d.high = range.require<double>("max", 1.0);
  d.log = range.get_or<bool>("log", false);
  if (range.has("step")) {
    d.step = range.get_or<double>("step", 1.0, positive_real());
  } else if (is_int) {
    d.step = 1.0;
  }
  const YAML::Node where = range.node();
  if (d.low > d.high) {
    diag.error(where, key_path,
               fmt::format("expected min <= max, got min {} and max {}", d.low, d.high));
  } else if (d.log && d.low <= 0) {
    diag.error(where, key_path, fmt::format("a log range needs min > 0, got {}", d.low));
  }
  if (is_int && (d.low != std::floor(d.low) || d.high != std::floor(d.high) ||
                 (d.step && *d.step != std::floor(*d.step)))) {
    diag.error(where, key_path, "type int needs whole numbers for min, max and step");
  }
  if (d.log && range.has("step") && d.step != 1.0) {
    diag.error(where, key_path, "a log range cannot have a step (as in Optuna)");
  }
}

void read_condition(MapReader& range, const std::string& key_path, SearchParameter& p,
                    Diagnostics& diag) {
  if (!range.has("when")) {
    return;
  }
  const YAML::Node when = range.child("when");
  if (!when.IsMap() || when.size() != 1) {
    diag.error(when, key_path + ".when",
               "expected one parameter and its value(s), e.g. {compile.optimizer.type: sgd}");
    return;
  }
  const auto entry = *when.begin();
  p.condition = Condition{entry.first.Scalar(), value_list(entry.second)};
}

void read_parameters(MapReader& s, Sweep& sweep) {
  Diagnostics& diag = s.diagnostics();
  if (!s.has("parameters")) {
    diag.error(s.node(), "sweep", "missing required key 'parameters'");
    return;
  }
  MapReader params(s.child("parameters"), "sweep.parameters", diag);
  for (const auto& entry : params.node()) {
    const std::string path = entry.first.Scalar();
    const std::string key_path = "sweep.parameters." + path;
    params.accept(path);
    SearchParameter p;
    p.path = path;
    const YAML::Node& v = entry.second;
    if (v.IsSequence() && v.size() > 0) {
      p.distribution.choices = value_list(v);
    } else if (v.IsMap()) {
      MapReader range(v, key_path, diag);
      read_range(range, key_path, p, diag);
      read_condition(range, key_path, p, diag);
      range.reject_unknown();
    } else {
      diag.error(v, key_path,
                 "expected a non-empty list of values or a range {min, max}, got " + describe(v));
      continue;
    }
    if (sweep.space.find(path) != nullptr) {
      diag.error(entry.first, key_path, "given twice");
      continue;
    }
    sweep.space.parameters.push_back(p);
    sweep.parameter_where.push_back(diag.locate(entry.first, key_path));
  }
  // A condition names an earlier parameter with choices, and some of those choices.
  for (std::size_t i = 0; i < sweep.space.parameters.size(); ++i) {
    const auto& p = sweep.space.parameters[i];
    if (!p.condition) {
      continue;
    }
    std::vector<std::string> earlier;
    const SearchParameter* parent = nullptr;
    for (std::size_t j = 0; j < i; ++j) {
      earlier.push_back(sweep.space.parameters[j].path);
      if (sweep.space.parameters[j].path == p.condition->parent) {
        parent = &sweep.space.parameters[j];
      }
    }
    const SourceLocation& where = sweep.parameter_where[i];
    const std::string key_path = "sweep.parameters." + p.path + ".when";
    if (parent == nullptr) {
      diag.error(where, key_path,
                 fmt::format("'{}' is not a parameter listed before this one{}",
                             p.condition->parent, did_you_mean(p.condition->parent, earlier)));
    } else if (!parent->distribution.categorical()) {
      diag.error(where, key_path,
                 fmt::format("'{}' is a range; a condition needs a parameter with a list of "
                             "values",
                             p.condition->parent));
    } else {
      for (const auto& value : p.condition->values) {
        const auto& choices = parent->distribution.choices;
        if (std::find(choices.begin(), choices.end(), value) == choices.end()) {
          diag.error(where, key_path,
                     fmt::format("'{}' is not one of {}'s values ({}){}", value, parent->path,
                                 fmt::join(choices, ", "), did_you_mean(value, choices)));
        }
      }
    }
  }
}

// The assignments that make `p` exist: its conditions' parents (first allowed value), then it.
std::vector<std::string> enabling_overrides(const Sweep& sweep, const SearchParameter& p,
                                            const std::string& value) {
  std::vector<std::string> out{p.path + "=" + value};
  const SearchParameter* current = &p;
  for (std::size_t depth = 0; current->condition && depth < sweep.space.parameters.size();
       ++depth) {
    const SearchParameter* parent = sweep.space.find(current->condition->parent);
    if (parent == nullptr || current->condition->values.empty()) {
      break;
    }
    out.insert(out.begin(), parent->path + "=" + current->condition->values.front());
    current = parent;
  }
  return out;
}

// Applies each parameter's first value (its low end for a range) to the base experiment: a
// wrong path or value is reported at the parameter, not in the base file.
void check_against_base(const Sweep& sweep, Diagnostics& diag) {
  const YAML::Node base = load_yaml_file(sweep.base);
  for (std::size_t i = 0; i < sweep.space.parameters.size(); ++i) {
    const auto& p = sweep.space.parameters[i];
    const std::string value =
        p.distribution.text(0.0 + (p.distribution.categorical() ? 0 : p.distribution.low));
    std::vector<std::string> overrides = sweep.fixed;
    const auto own = enabling_overrides(sweep, p, value);
    overrides.insert(overrides.end(), own.begin(), own.end());
    try {
      (void)parse_experiment(YAML::Clone(base), sweep.base, overrides);
    } catch (const ConfigError& e) {
      std::string message = e.what();
      // Drop our own "--set path=value: " prefix: the position is the parameter's.
      for (const auto& assignment : own) {
        const std::string prefix = "--set " + assignment + ": ";
        if (message.starts_with(prefix)) {
          message = message.substr(prefix.size());
        }
      }
      diag.error(sweep.parameter_where[i], "sweep.parameters." + p.path, message);
    }
  }
}

void read_method(MapReader& s, Sweep& sweep) {
  Diagnostics& diag = s.diagnostics();
  if (s.has("method")) {
    sweep.method_node = s.child("method");
  } else {
    sweep.method_node = YAML::Node("grid");
  }
  const Spec spec(sweep.method_node, "sweep.method", diag, 0, sweep.seed);
  sweep.method = spec.type();
  if (sweep.method == "grid") {
    if (sweep.method_node.IsMap() && sweep.method_node.size() > 1) {
      diag.error(sweep.method_node, "sweep.method", "grid has no settings");
    }
    return;
  }
  if (!spec.type().empty() && sampler_registry().schema(spec.type()) == nullptr) {
    std::vector<std::string> known = sampler_registry().types();
    known.insert(known.begin(), "grid");
    diag.error(spec.type_location(), "sweep.method",
               fmt::format("unknown search method '{}' (known: {}){}", spec.type(),
                           fmt::join(known, ", "), did_you_mean(spec.type(), known)));
    return;
  }
  (void)sampler_registry().create(spec);  // checks its settings where they are written
}

void read_pruner(MapReader& s, Sweep& sweep) {
  if (!s.has("pruner")) {
    return;
  }
  const YAML::Node node = s.child("pruner");
  if (node.IsNull() || (node.IsScalar() && node.Scalar() == "none")) {
    return;
  }
  sweep.pruner_node = node;
  const Spec spec(node, "sweep.pruner", s.diagnostics(), 0, sweep.seed);
  (void)pruner_registry().create(spec);
}

void read_budgets(MapReader& s, Sweep& sweep) {
  Diagnostics& diag = s.diagnostics();
  if (s.has("trials") && s.has("max_trials")) {
    diag.error(s.child("trials"), "sweep.trials",
               "'trials' is the former name of 'max_trials'; give one of them");
  }
  for (const char* key : {"trials", "max_trials"}) {
    if (s.has(key)) {
      sweep.max_trials = s.get_or<std::int64_t>(key, 1, between(1, Sweep::kMaxTrials));
    }
  }
  if (s.has("max_epochs_total")) {
    sweep.max_epochs_total = s.get_or<std::int64_t>("max_epochs_total", 1, positive());
  }
  if (s.has("timeout")) {
    sweep.timeout_seconds = s.get_or<double>("timeout", 1.0, positive_real());
  }
  if (!sweep.grid() && !sweep.max_trials && !sweep.max_epochs_total && !sweep.timeout_seconds) {
    diag.error(s.node(), "sweep",
               fmt::format("method {} needs a budget: max_trials, max_epochs_total or timeout "
                           "(seconds)",
                           sweep.method));
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
  sweep.seed = static_cast<std::uint32_t>(
      s.get_or<std::int64_t>("seed", 0, between(0, std::numeric_limits<std::uint32_t>::max())));
  read_method(s, sweep);
  read_pruner(s, sweep);
  read_budgets(s, sweep);
  sweep.metric = s.get_or<std::string>("metric", "val_loss");
  sweep.minimize =
      s.get_or<std::string>("goal", "minimize", one_of({"minimize", "maximize"})) == "minimize";
  sweep.concurrency = s.get_or<std::int64_t>("concurrency", 1, between(1, 4096));
  sweep.fixed = s.get_or<std::vector<std::string>>("set", {});
  sweep.fixed.insert(sweep.fixed.end(), overrides.begin(), overrides.end());
  read_parameters(s, sweep);
  s.reject_unknown();
  if (sweep.grid()) {
    for (std::size_t i = 0; i < sweep.space.parameters.size(); ++i) {
      if (!sweep.space.parameters[i].distribution.categorical()) {
        diag.error(sweep.parameter_where[i], "sweep.parameters." + sweep.space.parameters[i].path,
                   "a range {min, max} needs method random or tpe (grid needs a list of values)");
      }
    }
    // Counted before anything is listed: a grid of 9 parameters x 100 values is 10^18 trials.
    const std::uint64_t count = grid_size(sweep);
    if (count > static_cast<std::uint64_t>(Sweep::kMaxTrials)) {
      diag.error(s.child("parameters"), "sweep",
                 fmt::format("the grid has {} trials, more than a sweep may have ({}); use "
                             "method tpe or random with max_trials",
                             count == UINT64_MAX ? "over 1.8e19"
                                                 : with_thousands(static_cast<long long>(count)),
                             with_thousands(Sweep::kMaxTrials)));
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

std::uint64_t grid_size(const Sweep& sweep) {
  // Conditional parameters are counted as if always present: an upper bound.
  std::uint64_t count = 1;
  for (const auto& p : sweep.space.parameters) {
    const std::uint64_t n = std::max<std::size_t>(p.distribution.choices.size(), 1);
    if (count > UINT64_MAX / n) {
      return UINT64_MAX;  // saturates: far above any limit
    }
    count *= n;
  }
  return count;
}

std::vector<Trial> expand_grid(const Sweep& sweep) {
  std::vector<ParameterValues> points{ParameterValues{}};
  for (const auto& p : sweep.space.parameters) {
    std::vector<ParameterValues> next;
    for (const auto& point : points) {
      if (!sweep.space.active(p, point)) {
        next.push_back(point);
        continue;
      }
      for (std::size_t c = 0; c < p.distribution.choices.size(); ++c) {
        ParameterValues extended = point;
        extended[p.path] = static_cast<double>(c);
        next.push_back(std::move(extended));
      }
    }
    points = std::move(next);
  }
  std::vector<Trial> trials;
  for (const auto& point : points) {
    trials.push_back(trial_of(sweep, point));
  }
  return trials;
}

std::unique_ptr<Sampler> make_sampler(const Sweep& sweep) {
  Diagnostics diag(sweep.file);
  auto sampler =
      sampler_registry().create(Spec(sweep.method_node, "sweep.method", diag, 0, sweep.seed));
  diag.throw_if_any();
  return sampler;
}

std::unique_ptr<Pruner> make_pruner(const Sweep& sweep) {
  if (!sweep.has_pruner()) {
    return nullptr;
  }
  Diagnostics diag(sweep.file);
  auto pruner =
      pruner_registry().create(Spec(sweep.pruner_node, "sweep.pruner", diag, 0, sweep.seed));
  diag.throw_if_any();
  return pruner;
}

Trial trial_of(const Sweep& sweep, const ParameterValues& values) {
  return Trial{sweep.space.texts(values)};
}

ParameterValues values_of(const Sweep& sweep, const Trial& trial) {
  ParameterValues values;
  for (const auto& [path, text] : trial.assignments) {
    if (const SearchParameter* p = sweep.space.find(path)) {
      try {
        values[path] = p->distribution.internal(text);
      } catch (const std::exception&) {
        // a value outside today's space (the file changed): the samplers do without it
      }
    }
  }
  return values;
}

}  // namespace runner
