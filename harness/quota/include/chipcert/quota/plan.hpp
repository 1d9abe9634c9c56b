#pragma once
/// Procurement plans and offers: the line items a buyer proposes
/// (`"format": "chipcert-procurement-plan"`) and the certified devices a
/// seller offers (`"format": "chipcert-procurement-offers"`), both version 1.
/// Each item names a certificate file and the device model it claims; prices
/// and power are per unit. harness/quota/README.md documents the formats.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chipcert::quota {

/// One plan line or one offer.
struct LineItem {
  std::string id;           ///< unique in the file; messages name it
  std::string certificate;  ///< as written in the file
  /// `certificate` resolved against the directory of the file that names it
  /// (an absolute path stays as it is).
  std::string certificate_path;
  std::optional<std::string> device;  ///< device id in the certificate; needed when it has several
  std::string vendor;                 ///< the vendor the line claims
  std::string model;                  ///< the device model (name) the line claims
  int64_t quantity = 0;               ///< plan: units bought; offers: units available
  double unit_price = 0;
  double unit_power_w = 0;
};

struct Plan {
  std::string name;
  std::string description;
  std::vector<LineItem> lines;
};

struct Offers {
  std::string name;
  std::string description;
  std::vector<LineItem> offers;  ///< quantity = units available
};

/// Parse a plan strictly: format "chipcert-procurement-plan", version 1,
/// unique line ids, quantity in [0, kMaxUnits], price and power finite and
/// >= 0. Throws results::ParseError naming `source` and the JSON pointer.
Plan parse_plan(std::string_view text, std::string_view source);

/// Parse offers strictly: format "chipcert-procurement-offers", version 1,
/// "available" instead of "quantity". Throws results::ParseError.
Offers parse_offers(std::string_view text, std::string_view source);

/// The plan as a file parse_plan reads back (2-space JSON, trailing newline);
/// certificate paths are written as given in `certificate`.
std::string serialize_plan(const Plan& plan);

}  // namespace chipcert::quota
