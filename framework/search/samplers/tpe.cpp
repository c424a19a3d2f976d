// Tree-structured Parzen Estimator, as Optuna 3.1's TPESampler with its defaults: random draws
// for the first `startup_trials`, then the best gamma(n) = min(ceil(n/10), 25) trials (pruned
// ones ranked by how far they got) against the rest; of `candidates` draws from the good
// trials' density l(x), the one with the highest l(x)/g(x) wins. Univariate by default (one
// estimator per parameter); `multivariate: true` fits one joint estimator over the parameters
// every trial has (Scott's-rule bandwidth), the conditional ones still one by one.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "framework/search/parzen_estimator.hpp"
#include "framework/search/sampler.hpp"

namespace runner {
namespace {

struct Scored {
  const TrialRecord* trial;
  double step;   // -inf for completed trials, -last epoch for pruned ones: lower ranks first
  double score;  // the metric, negated when maximizing
};

class TpeSampler final : public Sampler {
 public:
  static const Schema& schema() {
    static const Schema s = [] {
      Schema out("tpe", "Tree-structured Parzen Estimator (Optuna's default sampler)");
      out.integer("startup_trials", "random trials before the model is used", 10)
          .at_least(0)
          .integer("candidates", "draws from the good trials' density to choose among", 24)
          .at_least(1)
          .flag("multivariate", "one joint density over the parameters every trial has", false)
          .real("prior_weight", "weight of the uniform prior component", 1.0)
          .above(0)
          .flag("consider_endpoints", "kernels at the range's ends as wide as their gap", false);
      return out;
    }();
    return s;
  }
  static std::unique_ptr<Sampler> create(const Params& p) {
    return std::make_unique<TpeSampler>(p);
  }

  explicit TpeSampler(const Params& p)
      : startup_(p.integer("startup_trials")),
        candidates_(static_cast<std::size_t>(p.integer("candidates"))) {
    settings_.multivariate = p.flag("multivariate");
    settings_.prior_weight = p.real("prior_weight");
    settings_.consider_endpoints = p.flag("consider_endpoints");
  }

  [[nodiscard]] ParameterValues sample(const StudyView& study, std::int64_t number) const override {
    Rng rng = trial_rng(study, number);
    const std::vector<Scored> scored = score(study);
    ParameterValues values;
    if (static_cast<std::int64_t>(scored.size()) < startup_) {
      for (const auto& p : study.space->parameters) {
        const double v = sample_uniform(p.distribution, rng);
        if (study.space->active(p, values)) {
          values[p.path] = v;
        }
      }
      return values;
    }
    // Below: the best gamma(n) trials; above: the rest; each in trial order (for the weights).
    const std::size_t n = scored.size();
    const std::size_t n_below = std::min<std::size_t>(
        static_cast<std::size_t>(std::ceil(0.1 * static_cast<double>(n))), 25);
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      if (scored[a].step != scored[b].step) {
        return scored[a].step < scored[b].step;
      }
      return scored[a].score < scored[b].score;
    });
    std::vector<std::size_t> below(order.begin(), order.begin() + static_cast<long>(n_below));
    std::vector<std::size_t> above(order.begin() + static_cast<long>(n_below), order.end());
    std::sort(below.begin(), below.end());
    std::sort(above.begin(), above.end());

    std::vector<const SearchParameter*> joint;
    if (settings_.multivariate) {
      for (const auto& p : study.space->parameters) {
        if (!p.condition && !p.distribution.single()) {
          joint.push_back(&p);
        }
      }
      if (!joint.empty()) {
        const auto chosen = propose(joint, scored, below, above, rng);
        for (std::size_t k = 0; k < joint.size(); ++k) {
          values[joint[k]->path] = chosen[k];
        }
      }
    }
    for (const auto& p : study.space->parameters) {
      if (values.count(p.path) != 0 || !study.space->active(p, values)) {
        continue;
      }
      if (p.distribution.single()) {
        values[p.path] = p.distribution.categorical() ? 0.0 : p.distribution.low;
        continue;
      }
      values[p.path] = propose({&p}, scored, below, above, rng).front();
    }
    return values;
  }

 private:
  // Completed trials with a value and pruned trials, as Optuna's _get_observation_pairs.
  static std::vector<Scored> score(const StudyView& study) {
    const double sign = study.minimize ? 1.0 : -1.0;
    constexpr double kInf = std::numeric_limits<double>::infinity();
    std::vector<Scored> out;
    for (const auto& t : study.trials) {
      if (t.state == TrialState::kCompleted && t.value && !std::isnan(*t.value)) {
        out.push_back({&t, -kInf, sign * *t.value});
      } else if (t.state == TrialState::kPruned) {
        if (const auto step = t.last_step()) {
          const double v = t.intermediate.at(*step);
          out.push_back({&t, -static_cast<double>(*step), std::isnan(v) ? kInf : sign * v});
        } else {
          out.push_back({&t, 1.0, 0.0});
        }
      }
    }
    return out;
  }

  // The candidate with the best l(x)/g(x) for `params`, from the trials of each group that have
  // all of them.
  [[nodiscard]] std::vector<double> propose(const std::vector<const SearchParameter*>& params,
                                            const std::vector<Scored>& scored,
                                            const std::vector<std::size_t>& below,
                                            const std::vector<std::size_t>& above, Rng& rng) const {
    auto observations = [&](const std::vector<std::size_t>& group) {
      std::vector<std::vector<double>> obs(params.size());
      for (const std::size_t i : group) {
        const auto& values = scored[i].trial->params;
        const bool has_all = std::all_of(params.begin(), params.end(),
                                         [&](const auto* p) { return values.count(p->path) != 0; });
        if (!has_all) {
          continue;
        }
        for (std::size_t k = 0; k < params.size(); ++k) {
          obs[k].push_back(values.at(params[k]->path));
        }
      }
      return obs;
    };
    const ParzenEstimator good(params, observations(below), settings_);
    const ParzenEstimator bad(params, observations(above), settings_);
    const auto samples = good.sample(rng, candidates_);
    const auto log_l = good.log_pdf(samples);
    const auto log_g = bad.log_pdf(samples);
    std::size_t best = 0;
    for (std::size_t i = 1; i < candidates_; ++i) {
      if (log_l[i] - log_g[i] > log_l[best] - log_g[best]) {
        best = i;
      }
    }
    std::vector<double> out;
    for (std::size_t k = 0; k < params.size(); ++k) {
      out.push_back(samples[k][best]);
    }
    return out;
  }

  std::int64_t startup_;
  std::size_t candidates_;
  ParzenSettings settings_;
};

}  // namespace
RUNNER_REGISTER_SAMPLER(TpeSampler);
}  // namespace runner
