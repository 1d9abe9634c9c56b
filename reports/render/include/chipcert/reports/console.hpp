#pragma once
/// Console rendering of results: one line per case while running, and a
/// table per device at the end. Reads the results model only.

#include <string>

#include "chipcert/results/model.hpp"

namespace chipcert::reports {

/// "passed  gemm/m512_n512_k512/fp32@cpu:0  1.23 ms  218.5 GFLOP/s" or the
/// status and reason for a case that did not pass.
std::string case_line(const results::Case& c);

/// Per device: a table of cases with status, median time, CV and rate;
/// then a count of cases by status.
std::string render_console(const results::Document& doc);

/// "1.23 ms", "45.1 us", "2.00 s".
std::string format_seconds(double s);
/// "218.5 GFLOP/s", "81.2 GB/s", "1.2 M/s" for a case's headline rate, "" if none.
std::string headline_rate(const results::Case& c);

}  // namespace chipcert::reports
