#include "framework/search/sampler.hpp"

#include <cmath>

namespace runner {

SamplerRegistry& sampler_registry() {
  static SamplerRegistry registry("search method");
  return registry;
}

double sample_uniform(const Distribution& d, Rng& rng) {
  if (d.categorical()) {
    return static_cast<double>(rng.below(d.choices.size()));
  }
  const double u = rng.uniform();
  if (d.log) {
    // Integers: over [low - 0.5, high + 0.5] so the end values are as likely as the others.
    const double pad = d.kind == Distribution::Kind::kInt ? 0.5 : 0.0;
    const double lo = std::log(d.low - pad);
    const double hi = std::log(d.high + pad);
    return d.snap(std::exp(lo + u * (hi - lo)));
  }
  if (d.kind == Distribution::Kind::kInt || d.step) {
    const double q = d.step.value_or(1.0);
    const auto n = static_cast<std::uint64_t>(std::floor((d.high - d.low) / q + 1e-9)) + 1;
    return d.snap(d.low + q * static_cast<double>(rng.below(n)));
  }
  return d.low + u * (d.high - d.low);
}

Rng trial_rng(const StudyView& study, std::int64_t number) {
  return Rng(derive_seed(derive_seed(study.seed, 0x5A3B1E), static_cast<std::uint64_t>(number)));
}

ParameterValues sample_setting(const SearchSpace& space, Rng& rng) {
  ParameterValues values;
  for (const auto& p : space.parameters) {
    const double v = sample_uniform(p.distribution, rng);
    if (space.active(p, values)) {
      values[p.path] = v;
    }
  }
  return values;
}

std::optional<ParameterValues> untried_setting(const StudyView& study, const TakenSettings& taken,
                                               Rng& rng) {
  std::uint64_t untried = 0;
  const bool enumerable =
      study.space->for_each_setting(kEnumerableSettings, [&](const ParameterValues& v) {
        untried += taken.contains(v) ? 0 : 1;
        return true;
      });
  if (enumerable) {
    if (untried == 0) {
      return std::nullopt;
    }
    std::uint64_t wanted = rng.below(untried);
    std::optional<ParameterValues> chosen;
    (void)study.space->for_each_setting(kEnumerableSettings, [&](const ParameterValues& v) {
      if (taken.contains(v)) {
        return true;
      }
      if (wanted-- == 0) {
        chosen = v;
        return false;
      }
      return true;
    });
    return chosen;
  }
  constexpr int kDraws = 1000;
  for (int i = 0; i < kDraws; ++i) {
    ParameterValues v = sample_setting(*study.space, rng);
    if (!taken.contains(v)) {
      return v;
    }
  }
  return std::nullopt;
}

}  // namespace runner
