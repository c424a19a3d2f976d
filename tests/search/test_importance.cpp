// The importance estimator: a setting that decides the result gets the credit, one that does
// not gets next to none, and the trials' order does not matter.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "framework/search/importance.hpp"

namespace runner {

TEST_SUITE("search") {
  TEST_CASE("Parameter importance credits the setting that decides the result") {
    std::vector<std::string> lr;
    std::vector<std::string> units;
    std::vector<std::string> optimizer;
    std::vector<double> y;
    for (int t = 0; t < 40; ++t) {
      const double rate = 0.0001 * (1 + (t * 7) % 40);
      lr.push_back(std::to_string(rate));
      units.push_back(std::to_string(16 * (1 + (t * 3) % 5)));  // unrelated to the result
      optimizer.push_back(t % 2 == 0 ? "adam" : "sgd");         // a small effect
      y.push_back(std::abs(rate - 0.002) * 100 + (t % 2 == 0 ? 0.0 : 0.02));
    }
    const auto importance = parameter_importance({lr, units, optimizer}, y);
    REQUIRE(importance.size() == 3);
    CHECK(importance[0] > 0.8);
    CHECK(importance[1] < 0.1);
    CHECK(importance[0] + importance[1] + importance[2] == doctest::Approx(1.0));
    // The same trials in another order.
    std::vector<std::size_t> order(y.size());
    for (std::size_t i = 0; i < order.size(); ++i) {
      order[i] = (i * 13) % order.size();
    }
    std::vector<std::string> lr2, units2, optimizer2;
    std::vector<double> y2;
    for (const std::size_t i : order) {
      lr2.push_back(lr[i]);
      units2.push_back(units[i]);
      optimizer2.push_back(optimizer[i]);
      y2.push_back(y[i]);
    }
    const auto again = parameter_importance({lr2, units2, optimizer2}, y2);
    for (std::size_t p = 0; p < 3; ++p) {
      CHECK(again[p] == doctest::Approx(importance[p]));
    }
    // No spread, or one trial: nothing to explain.
    CHECK(parameter_importance({{"1", "2"}}, {0.5, 0.5}) == std::vector<double>{0.0});
    CHECK(parameter_importance({{"1"}}, {0.5}) == std::vector<double>{0.0});
  }
}

}  // namespace runner
