#include "framework/search/parzen_estimator.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "framework/search/truncated_normal.hpp"

namespace runner {

namespace tn = truncated_normal;

std::vector<double> default_weights(std::size_t n) {
  if (n < 25) {
    return std::vector<double>(n, 1.0);
  }
  // numpy.linspace(1/n, 1, n - 25) followed by 25 ones.
  std::vector<double> w;
  const std::size_t ramp = n - 25;
  const double start = 1.0 / static_cast<double>(n);
  for (std::size_t i = 0; i < ramp; ++i) {
    w.push_back(ramp == 1 ? start
                          : start + (1.0 - start) * static_cast<double>(i) /
                                        static_cast<double>(ramp - 1));
  }
  w.insert(w.end(), 25, 1.0);
  return w;
}

double ParzenEstimator::to_scale(const Dimension& d, double internal) const {
  return d.log ? std::log(internal) : internal;
}

double ParzenEstimator::from_scale(const Dimension& d, double value) const {
  return d.distribution->snap(d.log ? std::exp(value) : value);
}

ParzenEstimator::ParzenEstimator(const std::vector<const SearchParameter*>& parameters,
                                 const std::vector<std::vector<double>>& observations,
                                 const ParzenSettings& settings) {
  const std::size_t n = observations.empty() ? 0 : observations.front().size();
  const bool prior = settings.consider_prior || n == 0;
  weights_ = default_weights(n);
  if (prior) {
    weights_.push_back(settings.prior_weight);
  }
  const double total = std::accumulate(weights_.begin(), weights_.end(), 0.0);
  for (double& w : weights_) {
    w /= total;
  }
  const std::size_t components = weights_.size();
  // Scott's rule for the joint estimator (as in BOHB and Optuna): one bandwidth for all.
  const double sigma0 = 0.2 * std::pow(static_cast<double>(std::max<std::size_t>(n, 1)),
                                       -1.0 / (static_cast<double>(parameters.size()) + 4));

  for (std::size_t k = 0; k < parameters.size(); ++k) {
    const Distribution& dist = parameters[k]->distribution;
    Dimension d;
    d.distribution = &dist;
    d.categorical = dist.categorical();
    if (d.categorical) {
      const std::size_t choices = dist.choices.size();
      const double base = settings.prior_weight / static_cast<double>(prior ? n + 1 : n);
      d.choice_weights.assign(components, std::vector<double>(choices, base));
      for (std::size_t j = 0; j < n; ++j) {
        d.choice_weights[j][static_cast<std::size_t>(observations[k][j])] += 1;
      }
      for (auto& row : d.choice_weights) {
        const double sum = std::accumulate(row.begin(), row.end(), 0.0);
        for (double& w : row) {
          w /= sum;
        }
      }
      dims_.push_back(std::move(d));
      continue;
    }
    const bool is_int = dist.kind == Distribution::Kind::kInt;
    d.log = dist.log;
    if (dist.log) {
      d.low = std::log(is_int ? dist.low - 0.5 : dist.low);
      d.high = std::log(is_int ? dist.high + 0.5 : dist.high);
    } else if (is_int || dist.step) {
      d.q = dist.step.value_or(1.0);
      d.low = dist.low - 0.5 * d.q;
      d.high = dist.high + 0.5 * d.q;
    } else {
      d.low = dist.low;
      d.high = dist.high;
    }
    for (std::size_t j = 0; j < n; ++j) {
      d.mus.push_back(to_scale(d, observations[k][j]));
    }
    if (prior) {
      d.mus.push_back(0.5 * (d.low + d.high));
    }
    const std::size_t m = d.mus.size();
    d.sigmas.assign(m, 0.0);
    if (settings.multivariate) {
      std::fill(d.sigmas.begin(), d.sigmas.end(), sigma0 * (d.high - d.low));
    } else {
      // Each kernel as wide as the larger gap to its neighbours (the range's ends count as
      // neighbours), except at the ends without consider_endpoints.
      std::vector<std::size_t> order(m);
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(),
                       [&](std::size_t x, std::size_t y) { return d.mus[x] < d.mus[y]; });
      std::vector<double> sorted{d.low};
      for (const std::size_t i : order) {
        sorted.push_back(d.mus[i]);
      }
      sorted.push_back(d.high);
      std::vector<double> s(m);
      for (std::size_t i = 0; i < m; ++i) {
        s[i] = std::max(sorted[i + 1] - sorted[i], sorted[i + 2] - sorted[i + 1]);
      }
      if (!settings.consider_endpoints && sorted.size() >= 4) {
        s.front() = sorted[2] - sorted[1];
        s.back() = sorted[sorted.size() - 2] - sorted[sorted.size() - 3];
      }
      for (std::size_t i = 0; i < m; ++i) {
        d.sigmas[order[i]] = s[i];
      }
    }
    const double max_sigma = d.high - d.low;
    const double min_sigma = settings.consider_magic_clip
                                 ? (d.high - d.low) / std::min(100.0, 1.0 + static_cast<double>(m))
                                 : 1e-12;
    for (double& s : d.sigmas) {
      s = std::clamp(s, min_sigma, max_sigma);
    }
    if (prior) {
      d.sigmas.back() = d.high - d.low;
    }
    dims_.push_back(std::move(d));
  }
}

std::vector<std::vector<double>> ParzenEstimator::sample(Rng& rng, std::size_t size) const {
  // Which component each point comes from, by the components' weights.
  std::vector<std::size_t> active(size);
  for (auto& a : active) {
    const double u = rng.uniform();
    double cumulative = 0;
    a = weights_.size() - 1;
    for (std::size_t c = 0; c < weights_.size(); ++c) {
      cumulative += weights_[c];
      if (u < cumulative) {
        a = c;
        break;
      }
    }
  }
  std::vector<std::vector<double>> out(dims_.size(), std::vector<double>(size));
  for (std::size_t k = 0; k < dims_.size(); ++k) {
    const Dimension& d = dims_[k];
    for (std::size_t i = 0; i < size; ++i) {
      const double u = rng.uniform();
      if (d.categorical) {
        const auto& w = d.choice_weights[active[i]];
        double cumulative = 0;
        std::size_t choice = 0;
        while (choice + 1 < w.size() && cumulative + w[choice] <= u) {
          cumulative += w[choice];
          ++choice;
        }
        out[k][i] = static_cast<double>(choice);
        continue;
      }
      const double mu = d.mus[active[i]];
      const double sigma = d.sigmas[active[i]];
      const double z = tn::ppf(u, (d.low - mu) / sigma, (d.high - mu) / sigma);
      out[k][i] = from_scale(d, mu + sigma * z);
    }
  }
  return out;
}

std::vector<double> ParzenEstimator::log_pdf(
    const std::vector<std::vector<double>>& samples) const {
  const std::size_t size = samples.empty() ? 0 : samples.front().size();
  const std::size_t components = weights_.size();
  std::vector<double> out(size);
  std::vector<double> per_component(components);
  for (std::size_t i = 0; i < size; ++i) {
    std::fill(per_component.begin(), per_component.end(), 0.0);
    for (std::size_t k = 0; k < dims_.size(); ++k) {
      const Dimension& d = dims_[k];
      for (std::size_t c = 0; c < components; ++c) {
        double lp = 0;
        if (d.categorical) {
          lp = std::log(d.choice_weights[c][static_cast<std::size_t>(samples[k][i])]);
        } else if (d.q == 0) {
          const double x = to_scale(d, samples[k][i]);
          const double mu = d.mus[c];
          const double sigma = d.sigmas[c];
          lp = tn::log_pdf(x, (d.low - mu) / sigma, (d.high - mu) / sigma, mu, sigma);
        } else {
          // A discrete value owns the mass of its step around it.
          const double x = samples[k][i];
          const double mu = d.mus[c];
          const double sigma = d.sigmas[c];
          const double lower = std::max(x - d.q / 2, d.low);
          const double upper = std::min(x + d.q / 2, d.high);
          lp = tn::log_gauss_mass((lower - mu) / sigma, (upper - mu) / sigma) -
               tn::log_gauss_mass((d.low - mu) / sigma, (d.high - mu) / sigma);
        }
        per_component[c] += lp;
      }
    }
    double top = -std::numeric_limits<double>::infinity();
    for (std::size_t c = 0; c < components; ++c) {
      per_component[c] += std::log(weights_[c]);
      top = std::max(top, per_component[c]);
    }
    if (!std::isfinite(top)) {
      out[i] = top;
      continue;
    }
    double sum = 0;
    for (std::size_t c = 0; c < components; ++c) {
      sum += std::exp(per_component[c] - top);
    }
    out[i] = std::log(sum) + top;
  }
  return out;
}

}  // namespace runner
