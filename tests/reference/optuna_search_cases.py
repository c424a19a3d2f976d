"""Reference numbers for runner's TPE density and pruners, from Optuna 3.1 itself.

Parzen cases: the log density (with Optuna 3.5's fix of the kernels' scale, below) Optuna's _ParzenEstimator (the model inside TPESampler) gives to
fixed points for fixed observations, per kind of distribution, univariate and multivariate.
Pruner cases: the decision of MedianPruner, SuccessiveHalvingPruner and HyperbandPruner for a
running trial of a study built from constructed curves (steps are epochs, counted from 1, as
runner reports them).

Run: /usr/bin/python3 tests/reference/optuna_search_cases.py > tests/search/optuna_cases.hpp
"""
import math

import numpy as np
import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.samplers._tpe.parzen_estimator import _ParzenEstimator, _ParzenEstimatorParameters
from optuna.samplers._tpe import _truncnorm as truncnorm
from optuna.samplers._tpe.sampler import default_weights
from optuna.trial import TrialState, create_trial

optuna.logging.set_verbosity(optuna.logging.ERROR)
assert optuna.__version__.startswith("3.1"), optuna.__version__

# Optuna 3.1's truncated-normal log density leaves out -log(scale) (the kernels' widths), so
# narrow kernels count for less than they should; Optuna 3.5 fixed it ("Fix logpdf for scaled
# truncnorm", commit 206e71923). runner computes the true density: the reference gets the same fix.
_logpdf_3_1 = truncnorm.logpdf


def _logpdf_fixed(x, a, b, loc=0, scale=1):
    return _logpdf_3_1(x, a, b, loc=loc, scale=scale) - np.log(scale)


truncnorm.logpdf = _logpdf_fixed


def cpp_double(x):
    if math.isinf(x):
        return "-kInf" if x < 0 else "kInf"
    return repr(float(x))


def cpp_list(xs):
    return "{" + ", ".join(cpp_double(x) for x in xs) + "}"


def dist_cpp(d):
    if isinstance(d, CategoricalDistribution):
        return "categorical({})".format(len(d.choices))
    if isinstance(d, IntDistribution):
        return "int_range({}, {}, {}, {})".format(d.low, d.high, d.step, "true" if d.log else "false")
    step = "std::nullopt" if d.step is None else repr(d.step)
    return "float_range({}, {}, {}, {})".format(repr(d.low), repr(d.high), step,
                                                "true" if d.log else "false")


PARZEN = [
    # name, {param: distribution}, observations {param: list}, points {param: list}, multivariate
    ("float", {"x": FloatDistribution(-2.0, 5.0)},
     {"x": [0.1, 3.3, -1.2, 4.9, 2.2]}, {"x": [-2.0, -0.5, 0.0, 1.7, 4.99]}, False),
    ("float, no observations", {"x": FloatDistribution(0.0, 1.0)},
     {"x": []}, {"x": [0.0, 0.25, 0.9]}, False),
    ("float log", {"lr": FloatDistribution(1e-5, 1e-1, log=True)},
     {"lr": [1e-3, 3e-4, 0.05, 2e-5]}, {"lr": [1e-5, 1e-4, 1e-3, 0.02, 0.1]}, False),
    ("float step", {"rate": FloatDistribution(0.0, 0.5, step=0.1)},
     {"rate": [0.1, 0.1, 0.4]}, {"rate": [0.0, 0.1, 0.2, 0.5]}, False),
    ("int", {"units": IntDistribution(16, 256)},
     {"units": [32, 64, 64, 200]}, {"units": [16, 40, 64, 255]}, False),
    ("int step", {"filters": IntDistribution(8, 64, step=8)},
     {"filters": [16, 64]}, {"filters": [8, 16, 40, 64]}, False),
    ("int log", {"units": IntDistribution(8, 1024, log=True)},
     {"units": [16, 700, 128]}, {"units": [8, 9, 128, 1024]}, False),
    ("categorical", {"opt": CategoricalDistribution(["adam", "sgd", "rmsprop"])},
     {"opt": [0, 0, 2]}, {"opt": [0, 1, 2]}, False),
    ("many observations", {"x": FloatDistribution(0.0, 10.0)},
     {"x": [((i * 7919) % 1000) / 100.0 for i in range(40)]}, {"x": [0.0, 3.14, 9.99]}, False),
    ("multivariate", {"x": FloatDistribution(-1.0, 1.0), "lr": FloatDistribution(1e-4, 1.0, log=True),
                      "n": IntDistribution(1, 9), "c": CategoricalDistribution(["a", "b"])},
     {"x": [0.5, -0.2, 0.9], "lr": [0.01, 0.3, 1e-3], "n": [3, 9, 1], "c": [1, 0, 1]},
     {"x": [0.0, 0.5, -1.0], "lr": [0.01, 1e-4, 0.5], "n": [3, 5, 9], "c": [0, 1, 1]}, True),
]


def parzen_cases():
    print("inline const std::vector<ParzenCase> kParzenCases = {")
    for name, space, obs, points, multivariate in PARZEN:
        params = _ParzenEstimatorParameters(
            consider_prior=True, prior_weight=1.0, consider_magic_clip=True,
            consider_endpoints=False, weights=default_weights, multivariate=multivariate)
        pe = _ParzenEstimator({k: np.asarray(v, dtype=float) for k, v in obs.items()}, space, params)
        logp = pe.log_pdf({k: np.asarray(v, dtype=int if isinstance(space[k], CategoricalDistribution)
                                          else float) for k, v in points.items()})
        names = list(space)
        print("    {{{!r}, {}, {{{}}}, {{{}}}, {{{}}}, {}}},".format(
            name, "true" if multivariate else "false",
            ", ".join(dist_cpp(space[n]) for n in names),
            ", ".join(cpp_list(obs[n]) for n in names),
            ", ".join(cpp_list(points[n]) for n in names), cpp_list(logp)).replace("'", '"'))
    print("};\n")


def curve(base, slope, epochs):
    return {e: base + slope / e for e in range(1, epochs + 1)}


def study_with(completed, pruned, name="demo"):
    study = optuna.create_study(study_name=name)
    for values in completed:
        study.add_trial(create_trial(state=TrialState.COMPLETE, value=min(values.values()),
                                     params={}, distributions={}, intermediate_values=values))
    for values in pruned:
        study.add_trial(create_trial(state=TrialState.PRUNED, params={}, distributions={},
                                     intermediate_values=values))
    return study


def decide(pruner, study, running):
    trial = study.ask()
    for step, value in running.items():
        trial.report(value, step)
    frozen = study.get_trials(deepcopy=False)[-1]
    return pruner.prune(study, frozen), frozen.number


PRUNER_CASES = []


def pruner_case(name, kind, args, completed, pruned, running, max_epochs=9):
    if kind == "median":
        pruner = optuna.pruners.MedianPruner(
            n_startup_trials=args[0], n_warmup_steps=args[1], interval_steps=args[2],
            n_min_trials=args[3])
    elif kind == "asha":
        pruner = optuna.pruners.SuccessiveHalvingPruner(
            min_resource=args[0], reduction_factor=args[1], min_early_stopping_rate=args[2])
    else:
        pruner = optuna.pruners.HyperbandPruner(
            min_resource=args[0], max_resource=max_epochs, reduction_factor=args[1])
    # Optuna's MedianPruner counts warmup steps from 0: epoch e is its step e - 1. Successive
    # halving's rungs are in resource units: epoch e is step e.
    shift = -1 if kind == "median" else 0
    study = study_with([{e + shift: v for e, v in c.items()} for c in completed],
                       [{e + shift: v for e, v in c.items()} for c in pruned])
    if kind in ("asha", "hyperband"):
        # Optuna records a trial's rung values as it passes them (system attributes): replay
        # every earlier trial's reports through the pruner, in order.
        study = optuna.create_study(study_name="demo")
        for values, state in [(c, TrialState.COMPLETE) for c in completed] + [
                (p, TrialState.PRUNED) for p in pruned]:
            t = study.ask()
            for step, value in values.items():
                t.report(value, step)
                pruner.prune(study, study.get_trials(deepcopy=False)[-1])
            if state == TrialState.COMPLETE:
                study.tell(t, min(values.values()))
            else:
                study.tell(t, state=TrialState.PRUNED)
    trial = study.ask()
    decision = None
    for epoch, value in running.items():
        trial.report(value, epoch + shift)
        decision = pruner.prune(study, study.get_trials(deepcopy=False)[-1])
        if decision:
            break
    step = epoch
    PRUNER_CASES.append((name, kind, args, completed, pruned, running, max_epochs, decision, step))


def pruner_cases():
    good = [curve(0.3, 0.5, 9), curve(0.32, 0.4, 9), curve(0.35, 0.3, 9), curve(0.28, 0.6, 9),
            curve(0.4, 0.2, 9), curve(0.31, 0.45, 9)]
    pruner_case("median: a bad curve stops at its first epoch", "median", [5, 0, 1, 1], good, [],
                curve(0.9, 0.5, 9))
    pruner_case("median: a good curve runs on", "median", [5, 0, 1, 1], good, [],
                curve(0.2, 0.3, 9))
    pruner_case("median: not before startup trials complete", "median", [10, 0, 1, 1], good, [],
                curve(0.9, 0.5, 9))
    pruner_case("median: warmup and interval", "median", [2, 3, 2, 1], good, [],
                {e: 0.3 + 0.5 / e + (0.4 if e >= 4 else 0.0) for e in range(1, 10)})
    pruner_case("median: min_trials", "median", [1, 0, 1, 7], good, [], curve(0.9, 0.5, 9))
    crossing = {e: 0.6 - 0.04 * e for e in range(1, 10)}
    pruner_case("median: a slow starter is judged by its best so far", "median", [3, 0, 1, 1],
                good, [], crossing)
    many = [curve(0.2 + 0.03 * k, 0.5 - 0.02 * k, 9) for k in range(12)]
    pruner_case("asha: the worst stops at the first rung", "asha", [1, 3, 0], many, [],
                curve(0.9, 0.5, 9))
    pruner_case("asha: a good one passes every rung", "asha", [1, 3, 0], many, [],
                curve(0.1, 0.3, 9))
    pruner_case("asha: middling stops at a later rung", "asha", [1, 2, 0], many, [],
                {e: 0.2 + 0.5 / e + 0.02 * e for e in range(1, 10)})
    pruner_case("asha: early stopping rate skips rungs", "asha", [1, 3, 1], many, [],
                curve(0.9, 0.5, 9))
    pruner_case("hyperband: brackets", "hyperband", [1, 3], many, [], curve(0.6, 0.5, 9))
    pruner_case("hyperband: a good trial", "hyperband", [1, 3], many, [], curve(0.1, 0.2, 9))


def print_pruner_cases():
    def curve_cpp(c):
        return "{" + ", ".join("{{{}, {}}}".format(k, repr(v)) for k, v in sorted(c.items())) + "}"
    print("inline const std::vector<PrunerCase> kPrunerCases = {")
    for name, kind, args, completed, pruned, running, max_epochs, decision, step in PRUNER_CASES:
        print('    {{"{}", "{}", {{{}}}, {{{}}}, {{{}}}, {}, {}, {}, {}}},'.format(
            name, kind, ", ".join(str(a) for a in args),
            ", ".join(curve_cpp(c) for c in completed), ", ".join(curve_cpp(c) for c in pruned),
            curve_cpp(running), max_epochs, "true" if decision else "false", step))
    print("};\n")


def bracket_ids():
    """HyperbandPruner's bracket of trials 0-29 of a study named "demo" (max_resource 9)."""
    pruner = optuna.pruners.HyperbandPruner(min_resource=1, max_resource=9, reduction_factor=3)
    study = optuna.create_study(study_name="demo", pruner=pruner)
    pruner._try_initialization(study)
    ids = []
    for number in range(30):
        trial = study.ask()
        assert trial.number == number
        ids.append(pruner._get_bracket_id(study, study.get_trials(deepcopy=False)[-1]))
    print("// HyperbandPruner(min_resource=1, max_resource=9, reduction_factor=3)'s bracket of")
    print('// trials 0-29 of the study "demo".')
    print("inline const std::vector<std::size_t> kHyperbandBrackets = {" +
          ", ".join(str(i) for i in ids) + "};\n")


print("#pragma once")
print("// Generated by tests/reference/optuna_search_cases.py (Optuna {}); do not edit.".format(
    optuna.__version__))
print("#include <limits>\n#include <map>\n#include <string>\n#include <vector>\n")
print('#include "tests/search/search_case_types.hpp"\n')
print("namespace runner::test::reference {\n")
print("constexpr double kInf = std::numeric_limits<double>::infinity();\n")
parzen_cases()
pruner_cases()
print_pruner_cases()
bracket_ids()
print("}  // namespace runner::test::reference")
