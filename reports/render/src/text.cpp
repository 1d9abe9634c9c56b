#include "text.hpp"

#include <cmath>
#include <cstdio>

namespace chipcert::reports {

std::string xml_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto u = static_cast<unsigned char>(ch);
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        if (u < 0x20 && ch != '\t' && ch != '\n' && ch != '\r')
          out += "\xEF\xBF\xBD";
        else
          out += ch;
    }
  }
  return out;
}

namespace detail {

std::string md_cell(std::string_view s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '|':
        out += "\\|";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '`':
        out += "\\`";
        break;
      case '\n':
      case '\r':
      case '\t':
        out += ' ';
        break;
      default:
        out += ch;
    }
  }
  return out;
}

std::string fixed(double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, value);
  return buf;
}

std::string si(double value, std::string_view unit) {
  if (!std::isfinite(value)) return "n/a";
  if (value == 0) return "0 " + std::string(unit);
  static constexpr const char* kBig[] = {"", "K", "M", "G", "T", "P", "E"};
  static constexpr const char* kSmall[] = {"", "m", "u", "n", "p"};
  double v = std::fabs(value);
  const char* prefix = "";
  int i = 0;
  if (v >= 999.5) {
    while (v >= 999.5 && i < 6) {
      v /= 1000.0;
      ++i;
    }
    prefix = kBig[i];
  } else if (v < 1.0) {
    while (v < 0.9995 && i < 4) {
      v *= 1000.0;
      ++i;
    }
    prefix = kSmall[i];
  }
  const int decimals = v >= 99.95 ? 0 : v >= 9.995 ? 1 : 2;
  return (value < 0 ? "-" : "") + fixed(v, decimals) + " " + prefix + std::string(unit);
}

std::string plain(double value) {
  if (!std::isfinite(value)) return "0";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.6f", value);
  std::string s = buf;
  // Trim trailing zeros: "12.500000" -> "12.5", "3.000000" -> "3".
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  if (s == "-0") s = "0";
  return s;
}

std::string slug(std::string_view s) {
  std::string out;
  for (char ch : s) {
    if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))
      out += ch;
    else if (ch >= 'A' && ch <= 'Z')
      out += static_cast<char>(ch - 'A' + 'a');
    else if (!out.empty() && out.back() != '-')
      out += '-';
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "x" : out;
}

}  // namespace detail
}  // namespace chipcert::reports
