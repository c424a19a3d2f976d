#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "layers/kernels/global_pool.hpp"

namespace runner::test {

TEST_SUITE("global_pool") {
  // The kernels work a group of registers of channels at a time; every channel must still get
  // a plain loop's bits: the sum in pixel order times 1 / pixels, and the first strictly
  // greatest value (ties are frequent here, and a NaN never wins) with its pixel.
  TEST_CASE("global pooling gives a plain loop's bits and first winners for any channel count") {
    for (const long channels : {3L, 8L, 37L, 72L}) {
      CAPTURE(channels);
      const kernels::GlobalPoolGeometry g{5, 7, channels};
      std::vector<float> x(static_cast<std::size_t>(g.batch * g.pixels * channels));
      for (std::size_t i = 0; i < x.size(); ++i) {
        x[i] = std::round(4 * std::sin(0.7 * static_cast<double>(i))) / 2;  // many ties
      }
      x[5] = std::nanf("");
      x[static_cast<std::size_t>(channels + 6)] = std::nanf("");
      std::vector<float> avg(static_cast<std::size_t>(g.batch * channels));
      std::vector<float> max(avg.size());
      std::vector<std::int32_t> argmax(avg.size(), -1);
      kernels::global_avg_pool_forward(g, x.data(), avg.data());
      kernels::global_max_pool_forward(g, x.data(), max.data(), argmax.data());
      long differ = 0;
      for (long n = 0; n < g.batch; ++n) {
        for (long c = 0; c < channels; ++c) {
          float sum = 0.0F;
          float best = x[static_cast<std::size_t>(n * g.pixels * channels + c)];
          std::int32_t winner = 0;
          for (long p = 0; p < g.pixels; ++p) {
            const float v = x[static_cast<std::size_t>((n * g.pixels + p) * channels + c)];
            sum += v;
            if (v > best) {
              best = v;
              winner = static_cast<std::int32_t>(p);
            }
          }
          const auto at = static_cast<std::size_t>(n * channels + c);
          const bool same_max = best == max[at] || (std::isnan(best) && std::isnan(max[at]));
          const bool same_avg =
              std::isnan(sum) ? std::isnan(avg[at]) : avg[at] == sum * (1.0F / 7.0F);
          differ += (same_max && winner == argmax[at] && same_avg) ? 0 : 1;
        }
      }
      CHECK(differ == 0);
    }
  }
}

}  // namespace runner::test
