// The pruners' decisions on constructed curves, against Optuna 3.1's pruners on the same
// studies (tests/reference/optuna_search_cases.py).
#include <doctest/doctest.h>
#include <fmt/format.h>

#include "framework/search/pruner.hpp"
#include "tests/search/component_from_yaml.hpp"
#include "tests/search/optuna_cases.hpp"

namespace runner {

namespace {
std::unique_ptr<Pruner> make_pruner(const std::string& yaml) {
  return test::component_from_yaml(pruner_registry(), yaml, "sweep.pruner", "pruner.yaml");
}

std::string pruner_yaml(const test::reference::PrunerCase& c) {
  if (c.pruner == "median") {
    return fmt::format(
        "{{type: median, startup_trials: {}, warmup: {}, interval: {}, min_trials: {}}}", c.args[0],
        c.args[1], c.args[2], c.args[3]);
  }
  if (c.pruner == "asha") {
    return fmt::format(
        "{{type: asha, min_resource: {}, reduction_factor: {}, "
        "min_early_stopping_rate: {}}}",
        c.args[0], c.args[1], c.args[2]);
  }
  return fmt::format("{{type: hyperband, min_resource: {}, reduction_factor: {}}}", c.args[0],
                     c.args[1]);
}
}  // namespace

TEST_SUITE("search") {
  TEST_CASE("Median and ASHA and Hyperband prune where Optuna's pruners do") {
    const SearchSpace space;
    for (const auto& c : test::reference::kPrunerCases) {
      CAPTURE(c.name);
      const auto pruner = make_pruner(pruner_yaml(c));
      std::vector<TrialRecord> trials;
      for (const auto& curve : c.completed) {
        TrialRecord t;
        t.number = static_cast<std::int64_t>(trials.size());
        t.state = TrialState::kCompleted;
        t.intermediate = curve;
        trials.push_back(t);
      }
      for (const auto& curve : c.pruned) {
        TrialRecord t;
        t.number = static_cast<std::int64_t>(trials.size());
        t.state = TrialState::kPruned;
        t.intermediate = curve;
        trials.push_back(t);
      }
      StudyView view;
      view.space = &space;
      view.trials = trials;
      view.name = "demo";
      view.max_epochs = c.max_epochs;
      TrialRecord running;
      running.number = static_cast<std::int64_t>(trials.size());
      running.state = TrialState::kRunning;
      bool pruned = false;
      std::int64_t at = 0;
      for (const auto& [epoch, value] : c.running) {
        running.intermediate[epoch] = value;
        at = epoch;
        if (pruner->prune(view, running)) {
          pruned = true;
          break;
        }
      }
      CHECK(pruned == c.pruned_decision);
      CHECK(at == c.decided_at);
    }
  }

  TEST_CASE("Hyperband puts each trial in Optuna's bracket and the sampler learns per bracket") {
    const SearchSpace space;
    StudyView view;
    view.space = &space;
    view.name = "demo";
    view.max_epochs = 9;
    const auto hyperband = make_pruner("{type: hyperband, min_resource: 1, reduction_factor: 3}");
    const auto median = make_pruner("median");
    for (std::size_t n = 0; n < test::reference::kHyperbandBrackets.size(); ++n) {
      CAPTURE(n);
      CHECK(hyperband->group(view, static_cast<std::int64_t>(n)) ==
            test::reference::kHyperbandBrackets[n]);
      CHECK(median->group(view, static_cast<std::int64_t>(n)) == 0);
    }
  }

  TEST_CASE("Pruner settings are checked where they are written") {
    CHECK_THROWS_WITH_AS(make_pruner("{type: median, warmup: -1}"),
                         doctest::Contains("pruner.yaml:1:24: sweep.pruner.warmup"), ConfigError);
    CHECK_THROWS_WITH_AS(make_pruner("{type: medain}"), doctest::Contains("did you mean 'median'?"),
                         ConfigError);
  }
}

}  // namespace runner
