// Samplers spend a sweep's budget on settings not tried yet: the space's settings are counted and
// listed, random search draws without replacement, and TPE gives a repeated choice up for its
// best untried candidate; a setting is repeated only when every one has been tried.
#include <doctest/doctest.h>

#include <set>

#include "framework/search/sampler.hpp"
#include "tests/search/component_from_yaml.hpp"
#include "tests/search/search_case_types.hpp"

namespace runner {

namespace {
using test::choices;
using test::reference::float_range;
using test::reference::int_range;

// adam: 3 unit counts; sgd: 2 momenta x 3 unit counts. 9 settings.
SearchSpace small_space() {
  SearchSpace space;
  space.parameters.push_back({"optimizer.type", choices({"adam", "sgd"}), std::nullopt});
  space.parameters.push_back(
      {"optimizer.momentum", choices({"0", "0.9"}), Condition{"optimizer.type", {"sgd"}}});
  space.parameters.push_back({"units", int_range(16, 64, 24, false), std::nullopt});
  return space;
}

// A made-up loss with one best setting, 0 at sgd, momentum 0.9 (the last choice) and 40 units,
// so that TPE keeps choosing it once it has seen it.
double loss(const SearchSpace& space, const ParameterValues& v) {
  double out = std::abs(v.at("units") - 40) / 24;
  if (space.parameters[0].distribution.text(v.at("optimizer.type")) == "sgd") {
    const auto& momentum = space.parameters[1].distribution;
    out += 0.5 * (static_cast<double>(momentum.choices.size()) - 1 - v.at("optimizer.momentum"));
  } else {
    out += 2.0;
  }
  return out;
}

// Proposes `n` trials one after the other, each told the settings before it; returns them.
std::vector<ParameterValues> propose(const Sampler& sampler, const SearchSpace& space, int n,
                                     std::uint64_t seed = 3) {
  std::vector<TrialRecord> trials;
  std::vector<ParameterValues> taken;
  for (int i = 0; i < n; ++i) {
    StudyView view;
    view.space = &space;
    view.trials = trials;
    view.taken = taken;
    view.seed = seed;
    TrialRecord t;
    t.number = i;
    t.params = sampler.sample(view, i);
    t.state = TrialState::kCompleted;
    t.value = loss(space, t.params);
    trials.push_back(t);
    taken.push_back(t.params);
  }
  return taken;
}
}  // namespace

TEST_SUITE("search") {
  TEST_CASE("A search space counts and lists its distinct settings") {
    const SearchSpace space = small_space();
    CHECK(space.size(100) == 9);
    CHECK(space.size(8) == std::nullopt);  // more than the limit
    std::set<ParameterValues> seen;
    CHECK(space.for_each_setting(100, [&](const ParameterValues& v) {
      CHECK(seen.insert(v).second);
      // momentum exactly when sgd
      CHECK((v.count("optimizer.momentum") == 1) == (v.at("optimizer.type") == 1.0));
      return true;
    }));
    CHECK(seen.size() == 9);
    SearchSpace continuous = small_space();
    continuous.parameters.push_back({"rate", float_range(0.0, 0.5, std::nullopt, false), {}});
    CHECK(continuous.size(100) == std::nullopt);
    CHECK_FALSE(continuous.for_each_setting(100, [](const ParameterValues&) { return true; }));
    continuous.parameters.back().distribution.step = 0.1;  // 6 rates
    CHECK(continuous.size(100) == 54);
  }

  TEST_CASE("An untried setting is found while there is one and none after") {
    const SearchSpace space = small_space();
    std::vector<ParameterValues> all;
    (void)space.for_each_setting(100, [&](const ParameterValues& v) {
      all.push_back(v);
      return true;
    });
    StudyView view;
    view.space = &space;
    Rng rng(1);
    const std::vector<ParameterValues> all_but_one(all.begin(), all.end() - 1);
    view.taken = all_but_one;
    CHECK(untried_setting(view, TakenSettings(view), rng) == all.back());
    view.taken = all;
    CHECK(untried_setting(view, TakenSettings(view), rng) == std::nullopt);
  }

  TEST_CASE("Random search and TPE try every setting of a small space before repeating one") {
    const SearchSpace space = small_space();
    for (const char* method : {"random", "{type: tpe, startup_trials: 3}",
                               "{type: tpe, startup_trials: 3, multivariate: true}"}) {
      CAPTURE(method);
      const auto sampler = test::sampler_from_yaml(method);
      const auto proposed = propose(*sampler, space, 10);
      const std::set<ParameterValues> first_nine(proposed.begin(), proposed.begin() + 9);
      CHECK(first_nine.size() == 9);
      CHECK(first_nine.count(proposed[9]) == 1);        // the tenth can only repeat one
      CHECK(propose(*sampler, space, 10) == proposed);  // still deterministic
    }
  }

  TEST_CASE("TPE chooses untried settings by its model and not at random") {
    // 35 settings (adam: 7 unit counts; sgd: 4 momenta x 7), 12 trials, 4 of them random: the
    // sampler that avoids repeats by its own ranking finds the best setting more often than
    // random draws without replacement do.
    SearchSpace space = small_space();
    space.parameters[1].distribution = choices({"0", "0.3", "0.6", "0.9"});
    space.parameters[2].distribution = int_range(16, 64, 8, false);
    auto found_best = [&](const char* method) {
      int found = 0;
      for (std::uint64_t seed = 0; seed < 30; ++seed) {
        const auto proposed = propose(*test::sampler_from_yaml(method), space, 12, seed);
        const std::set<ParameterValues> distinct(proposed.begin(), proposed.end());
        CHECK(distinct.size() == proposed.size());
        for (const auto& v : proposed) {
          found += loss(space, v) == 0.0 ? 1 : 0;
        }
      }
      return found;
    };
    const int tpe = found_best("{type: tpe, startup_trials: 4}");
    const int random = found_best("random");
    MESSAGE("seeds of 30 that found the best setting: tpe " << tpe << ", random " << random);
    CHECK(tpe > random + 5);
  }
}

}  // namespace runner
