// Tree-structured Parzen Estimator, as Optuna 3.1's TPESampler with its defaults: random draws
// for the first `startup_trials`, then the best gamma(n) = min(ceil(n/10), 25) trials (pruned
// ones ranked by how far they got) against the rest; of `candidates` draws from the good
// trials' density l(x), the one with the highest l(x)/g(x) wins. Univariate by default (one
// estimator per parameter); `multivariate: true` fits one joint estimator over the parameters
// every trial has (Scott's-rule bandwidth), the conditional ones still one by one. One change
// from Optuna: a choice that repeats a tried setting gives way to the best untried one.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <queue>
#include <set>

#include "framework/search/parzen_estimator.hpp"
#include "framework/search/sampler.hpp"

namespace runner {
namespace {

struct Scored {
  const TrialRecord* trial;
  double step;   // -inf for completed trials, -last epoch for pruned ones: lower ranks first
  double score;  // the metric, negated when maximizing
};

// The scored trials, and which of them are the good (below) and the other (above) group.
struct Groups {
  const std::vector<Scored>& scored;
  const std::vector<std::size_t>& below;
  const std::vector<std::size_t>& above;
};

// Points drawn for some parameters (points[i][k]: parameter k of point i), each with its
// log l(x) - log g(x).
struct Candidates {
  std::vector<std::vector<double>> points;
  std::vector<double> score;
};

// The distinct candidates of a block of parameters, best first.
using Block = Candidates;

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
    const TakenSettings taken(study);
    if (static_cast<std::int64_t>(scored.size()) < startup_) {
      ParameterValues values = sample_setting(*study.space, rng);
      if (taken.contains(values)) {
        values = untried_setting(study, taken, rng).value_or(values);
      }
      return values;
    }
    ParameterValues values;
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
    if (taken.contains(values)) {
      const Groups groups{scored, below, above};
      values = best_untried(study, groups, joint, taken, rng).value_or(values);
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

  // The candidate with the best l(x)/g(x) for `params`: the first of the best, as Optuna's argmax.
  [[nodiscard]] std::vector<double> propose(const std::vector<const SearchParameter*>& params,
                                            const std::vector<Scored>& scored,
                                            const std::vector<std::size_t>& below,
                                            const std::vector<std::size_t>& above, Rng& rng) const {
    const Candidates c = candidates(params, scored, below, above, rng);
    std::size_t best = 0;
    for (std::size_t i = 1; i < c.score.size(); ++i) {
      if (c.score[i] > c.score[best]) {
        best = i;
      }
    }
    return c.points[best];
  }

  // `candidates_` draws from the good trials' density l(x) for `params`, each with its
  // log l(x) - log g(x); the densities fitted to the trials of each group that have all of them.
  [[nodiscard]] Candidates candidates(const std::vector<const SearchParameter*>& params,
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
    Candidates out;
    for (std::size_t i = 0; i < candidates_; ++i) {
      std::vector<double> point;
      for (std::size_t k = 0; k < params.size(); ++k) {
        point.push_back(samples[k][i]);
      }
      out.points.push_back(std::move(point));
      out.score.push_back(log_l[i] - log_g[i]);
    }
    return out;
  }

  // When TPE's choice was tried before: the untried setting whose candidates score best in sum,
  // found best-first over the candidates of each block of parameters (the joint ones together
  // with `multivariate`, every other parameter alone); else any untried setting.
  [[nodiscard]] std::optional<ParameterValues> best_untried(
      const StudyView& study, const Groups& groups,
      const std::vector<const SearchParameter*>& joint, const TakenSettings& taken,
      Rng& rng) const {
    std::vector<Block> blocks;
    std::map<std::string, std::pair<std::size_t, std::size_t>> where;  // path -> block, place
    auto add_block = [&](const std::vector<const SearchParameter*>& params) {
      const Candidates c = candidates(params, groups.scored, groups.below, groups.above, rng);
      Block block;
      for (std::size_t k = 0; k < params.size(); ++k) {
        where[params[k]->path] = {blocks.size(), k};
      }
      // Distinct points, best first (the first drawn among equals, as propose's argmax).
      std::vector<std::size_t> order(c.score.size());
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(),
                       [&](std::size_t a, std::size_t b) { return c.score[a] > c.score[b]; });
      for (const std::size_t i : order) {
        if (std::find(block.points.begin(), block.points.end(), c.points[i]) ==
            block.points.end()) {
          block.points.push_back(c.points[i]);
          block.score.push_back(c.score[i]);
        }
      }
      blocks.push_back(std::move(block));
    };
    if (!joint.empty()) {
      add_block(joint);
    }
    for (const auto& p : study.space->parameters) {
      if (where.count(p.path) == 0 && !p.distribution.single()) {
        add_block({&p});
      }
    }
    auto setting = [&](const std::vector<std::size_t>& pick) {
      ParameterValues v;
      for (const auto& p : study.space->parameters) {
        if (!study.space->active(p, v)) {
          continue;
        }
        if (const auto it = where.find(p.path); it != where.end()) {
          const auto [b, k] = it->second;
          v[p.path] = blocks[b].points[pick[b]][k];
        } else {
          v[p.path] = p.distribution.categorical() ? 0.0 : p.distribution.low;
        }
      }
      return v;
    };
    auto total = [&](const std::vector<std::size_t>& pick) {
      double sum = 0;
      for (std::size_t b = 0; b < blocks.size(); ++b) {
        sum += blocks[b].score[pick[b]];
      }
      return sum;
    };
    using Entry = std::pair<double, std::vector<std::size_t>>;
    auto lower = [](const Entry& a, const Entry& b) {
      return a.first != b.first ? a.first < b.first : a.second > b.second;
    };
    std::priority_queue<Entry, std::vector<Entry>, decltype(lower)> frontier(lower);
    std::set<std::vector<std::size_t>> seen;
    const std::vector<std::size_t> first(blocks.size(), 0);
    frontier.emplace(total(first), first);
    seen.insert(first);
    constexpr int kMaxPicks = 10'000;
    for (int n = 0; n < kMaxPicks && !frontier.empty(); ++n) {
      const std::vector<std::size_t> pick = frontier.top().second;
      frontier.pop();
      ParameterValues v = setting(pick);
      if (!taken.contains(v)) {
        return v;
      }
      for (std::size_t b = 0; b < blocks.size(); ++b) {
        std::vector<std::size_t> next = pick;
        if (++next[b] < blocks[b].points.size() && seen.insert(next).second) {
          frontier.emplace(total(next), std::move(next));
        }
      }
    }
    return untried_setting(study, taken, rng);
  }

  std::int64_t startup_;
  std::size_t candidates_;
  ParzenSettings settings_;
};

}  // namespace
RUNNER_REGISTER_SAMPLER(TpeSampler);
}  // namespace runner
