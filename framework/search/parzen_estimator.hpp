#pragma once
// The kernel density TPE fits to one group of trials (the best ones, or the rest), as Optuna
// 3.1's _ParzenEstimator: one component per observation plus a prior component, truncated
// normals on the (log) range for numbers, smoothed one-hot weights for choices.
#include <vector>

#include "framework/core/rng.hpp"
#include "framework/search/search_space.hpp"

namespace runner {

struct ParzenSettings {
  bool consider_prior = true;
  double prior_weight = 1.0;
  bool consider_magic_clip = true;
  bool consider_endpoints = false;
  bool multivariate = false;
};

// The weights Optuna gives n observations in trial order: flat for the newest 25, a ramp from
// 1/n below them.
std::vector<double> default_weights(std::size_t n);

class ParzenEstimator {
 public:
  // observations[k][j]: parameter k's internal value in observation j (every observation has
  // every parameter of `parameters`).
  ParzenEstimator(const std::vector<const SearchParameter*>& parameters,
                  const std::vector<std::vector<double>>& observations,
                  const ParzenSettings& settings);

  // `size` points (samples[k][i]: parameter k of point i), internal values.
  [[nodiscard]] std::vector<std::vector<double>> sample(Rng& rng, std::size_t size) const;
  // The log density of each point.
  [[nodiscard]] std::vector<double> log_pdf(const std::vector<std::vector<double>>& samples) const;

 private:
  struct Dimension {
    bool categorical = false;
    bool log = false;
    double low = 0, high = 0;  // bounds on the transformed (log) scale, widened by half a step
    double q = 0;              // the step on that scale (0: continuous)
    std::vector<double> mus, sigmas;
    std::vector<std::vector<double>> choice_weights;  // [component][choice]
    const Distribution* distribution = nullptr;
  };
  [[nodiscard]] double to_scale(const Dimension& d, double internal) const;
  [[nodiscard]] double from_scale(const Dimension& d, double value) const;

  std::vector<double> weights_;  // per component, summing to 1
  std::vector<Dimension> dims_;
};

}  // namespace runner
