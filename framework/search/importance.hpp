#pragma once
// How much of the spread of a sweep's results each parameter explains on its own: the
// correlation ratio eta^2 = Var(E[y | parameter]) / Var(y), with numbers grouped into up to
// five bins of equal counts and choices by value, scaled to sum to 1. It is the first-order
// part of what fANOVA (Optuna's default importance) estimates, without its random forest:
// interactions between parameters are not credited to either.
#include <string>
#include <vector>

namespace runner {

// columns[p][t]: parameter p's value text in trial t (empty: the parameter does not apply);
// y[t]: the trial's result. Returns one importance per parameter (all 0 without spread).
std::vector<double> parameter_importance(const std::vector<std::vector<std::string>>& columns,
                                         const std::vector<double>& y);

}  // namespace runner
