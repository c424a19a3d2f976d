// TPE's density against Optuna 3.1's own (tests/reference/optuna_search_cases.py), and the
// truncated normal under it against closed forms.
#include <doctest/doctest.h>

#include <cmath>

#include "framework/search/parzen_estimator.hpp"
#include "framework/search/truncated_normal.hpp"
#include "tests/search/optuna_cases.hpp"

namespace runner {

TEST_SUITE("search") {
  TEST_CASE("The truncated normal's quantile and log mass are accurate into the tails") {
    namespace tn = truncated_normal;
    for (const double p : {1e-300, 1e-20, 1e-5, 0.02, 0.3, 0.5, 0.77, 0.99, 1 - 1e-12}) {
      CAPTURE(p);
      const double x = tn::ndtri(p);
      CHECK(0.5 * std::erfc(-x / std::sqrt(2.0)) == doctest::Approx(p).epsilon(1e-12));
    }
    // log(Phi(b) - Phi(a)) by erfc where it is representable, and the asymptotic tail below.
    CHECK(tn::log_gauss_mass(-1, 2) ==
          doctest::Approx(
              std::log(0.5 * std::erfc(-2 / std::sqrt(2.0)) - 0.5 * std::erfc(1 / std::sqrt(2.0))))
              .epsilon(1e-14));
    CHECK(tn::log_gauss_mass(7, 8) == doctest::Approx(std::log(0.5 * std::erfc(7 / std::sqrt(2.0)) -
                                                               0.5 * std::erfc(8 / std::sqrt(2.0))))
                                          .epsilon(1e-12));
    // Phi(-40) = 3.655893540915e-350: below the smallest double, its log is not.
    CHECK(tn::log_ndtr(-40) == doctest::Approx(-804.6084420137538).epsilon(1e-12));
    // The quantile stays inside its interval, also for an interval in the far tail.
    for (const double q : {0.0, 0.3, 1.0}) {
      const double x = tn::ppf(q, 9, 9.5);
      CHECK(x >= 9);
      CHECK(x <= 9.5);
    }
  }

  TEST_CASE("The Parzen estimator's log density is Optuna's") {
    for (const auto& c : test::reference::kParzenCases) {
      CAPTURE(c.name);
      std::vector<SearchParameter> params;
      for (std::size_t k = 0; k < c.distributions.size(); ++k) {
        params.push_back({fmt::format("p{}", k), c.distributions[k], std::nullopt});
      }
      std::vector<const SearchParameter*> pointers;
      for (const auto& p : params) {
        pointers.push_back(&p);
      }
      ParzenSettings settings;
      settings.multivariate = c.multivariate;
      const ParzenEstimator estimator(pointers, c.observations, settings);
      const auto log_pdf = estimator.log_pdf(c.points);
      REQUIRE(log_pdf.size() == c.log_pdf.size());
      for (std::size_t i = 0; i < log_pdf.size(); ++i) {
        CAPTURE(i);
        CHECK(log_pdf[i] == doctest::Approx(c.log_pdf[i]).epsilon(1e-9));
      }
    }
  }

  TEST_CASE("Optuna's observation weights are flat for the newest 25 and a ramp below") {
    CHECK(default_weights(3) == std::vector<double>{1, 1, 1});
    const auto w = default_weights(30);
    REQUIRE(w.size() == 30);
    CHECK(w[0] == doctest::Approx(1.0 / 30));
    CHECK(w[4] == doctest::Approx(1.0));
    CHECK(w[2] == doctest::Approx(1.0 / 30 + 2 * (1 - 1.0 / 30) / 4));
    CHECK(w[29] == 1.0);
  }
}

}  // namespace runner
