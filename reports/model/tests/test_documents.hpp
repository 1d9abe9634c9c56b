#pragma once
// Documents shared by the results model tests.

#include <string>

#include "chipcert/results/model.hpp"

namespace chipcert::results::testing {

/// Every field set to a non-default value, two devices, two cases (one with
/// statistics and verification, one without), strings that need escaping.
Document full_document();

/// A default-constructed document: what the reader must accept at minimum.
Document minimal_document();

/// Contents of reports/schema/examples/<name> in the source tree.
std::string read_example(const std::string& name);
std::string example_path(const std::string& name);

}  // namespace chipcert::results::testing
