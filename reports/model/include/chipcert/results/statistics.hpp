#pragma once
/// Statistics as pure functions over samples. Small-sample behaviour is part
/// of the contract and unit-tested at n = 0, 1, 2, 3.

#include <span>

#include "chipcert/results/model.hpp"

namespace chipcert::results {

/// Linear-interpolated quantile (type 7, as numpy's default) of `samples`,
/// q in [0, 1]. n = 0: NaN. n = 1: the single value. Input need not be sorted.
/// Throws std::invalid_argument when q is outside [0, 1] (or NaN) or a sample
/// is not finite (sorting NaN is undefined).
double quantile(std::span<const double> samples, double q);

/// All summary statistics. n = 0: every field 0 and n = 0.
/// n = 1: min = median = mean = max = p90 = p99 = the value, stddev = cv = 0.
/// stddev is the sample (n-1) standard deviation; cv = stddev / mean, 0 when
/// mean is 0. median/p90/p99 use quantile(). Throws std::invalid_argument on a
/// non-finite sample.
Statistics summarize(std::span<const double> samples);

}  // namespace chipcert::results
