#include "chipcert/quota/plan.hpp"

#include <filesystem>

#include "chipcert/quota/policy.hpp"
#include "chipcert/results/json.hpp"
#include "chipcert/trust/strict.hpp"

namespace chipcert::quota {

namespace d = trust::detail;
using d::Obj;
using nlohmann::json;

namespace {

std::string resolve(std::string_view source, const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path p(path);
  if (p.is_absolute()) return path;
  return (fs::path(source).parent_path() / p).lexically_normal().string();
}

/// The items of a plan ("lines", key "quantity") or offers ("offers", key "available").
std::vector<LineItem> parse_items(const Obj& o, std::string_view list, std::string_view count_key,
                                  bool nonempty) {
  const json& a = o.array(list);
  if (nonempty && a.empty()) d::fail(o.src(), o.ptr(list), "at least one entry", "empty array");
  if (a.size() > kMaxItems)
    d::fail(o.src(), o.ptr(list), "at most " + std::to_string(kMaxItems) + " entries",
            d::describe(a));
  std::vector<LineItem> items;
  for (std::size_t i = 0; i < a.size(); ++i) {
    Obj l(a[i], o.src(), d::child(o.ptr(list), i), list == "lines" ? "a plan line" : "an offer",
          {"id", "certificate", "device", "vendor", "model", count_key, "unit_price",
           "unit_power_w"});
    LineItem it;
    it.id = l.name("id");
    for (const auto& prev : items)
      if (prev.id == it.id)
        d::fail(o.src(), l.ptr("id"), "an id not used before", d::describe(json(it.id)) + " again");
    it.certificate = l.name("certificate");
    it.certificate_path = resolve(o.src(), it.certificate);
    if (l.has("device")) it.device = l.name("device");
    it.vendor = l.name("vendor");
    it.model = l.name("model");
    it.quantity = l.integer(count_key, 0, kMaxUnits);
    it.unit_price = l.number("unit_price", 0, 1e15);
    it.unit_power_w = l.number("unit_power_w", 0, 1e9);
    items.push_back(std::move(it));
  }
  return items;
}

json parse_root(std::string_view text, std::string_view source) {
  if (text.size() > kMaxInputBytes)
    throw results::ParseError(std::string(source), "",
                              "expected at most " + std::to_string(kMaxInputBytes) +
                                  " bytes, found " + std::to_string(text.size()));
  return results::parse_json_strict(text, source);
}

}  // namespace

Plan parse_plan(std::string_view text, std::string_view source) {
  const json j = parse_root(text, source);
  Obj o(j, source, "", "a procurement plan",
        {"format", "format_version", "name", "description", "lines"});
  o.check_format("chipcert-procurement-plan");
  Plan p;
  p.name = o.name("name");
  p.description = o.has("description") ? o.str("description") : "";
  p.lines = parse_items(o, "lines", "quantity", true);
  return p;
}

Offers parse_offers(std::string_view text, std::string_view source) {
  const json j = parse_root(text, source);
  Obj o(j, source, "", "procurement offers",
        {"format", "format_version", "name", "description", "offers"});
  o.check_format("chipcert-procurement-offers");
  Offers f;
  f.name = o.name("name");
  f.description = o.has("description") ? o.str("description") : "";
  f.offers = parse_items(o, "offers", "available", true);
  return f;
}

std::string serialize_plan(const Plan& plan) {
  // Fields in the documented order, for people reading the plan.
  using ordered = nlohmann::ordered_json;
  ordered lines = ordered::array();
  for (const auto& l : plan.lines) {
    ordered j = {{"id", l.id}, {"certificate", l.certificate}};
    if (l.device) j["device"] = *l.device;
    j["vendor"] = l.vendor;
    j["model"] = l.model;
    j["quantity"] = l.quantity;
    j["unit_price"] = l.unit_price;
    j["unit_power_w"] = l.unit_power_w;
    lines.push_back(std::move(j));
  }
  ordered j = {{"format", "chipcert-procurement-plan"},
               {"format_version", 1},
               {"name", plan.name},
               {"description", plan.description},
               {"lines", std::move(lines)}};
  return j.dump(2) + "\n";
}

}  // namespace chipcert::quota
