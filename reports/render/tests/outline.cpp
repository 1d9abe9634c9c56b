#include "outline.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <stdexcept>
#include <vector>

namespace chipcert::reports::testing {

namespace {

std::string attr(const std::string& tag, const std::string& name) {
  const std::string key = " " + name + "=\"";
  const auto p = tag.find(key);
  if (p == std::string::npos) return "";
  const auto e = tag.find('"', p + key.size());
  return tag.substr(p + key.size(), e - p - key.size());
}

}  // namespace

std::string html_outline(const std::string& html) {
  static const std::set<std::string> kVoid = {"meta", "br", "hr", "img", "input", "link"};
  static const std::set<std::string> kText = {"h1", "h2", "h3", "th", "dt", "title"};
  std::string out;
  std::vector<std::string> stack;
  std::map<std::string, int> svg_counts;
  size_t i = 0;
  while ((i = html.find('<', i)) != std::string::npos) {
    if (html.compare(i, 4, "<!--") == 0) {
      i = html.find("-->", i);
      continue;
    }
    const auto end = html.find('>', i);
    if (end == std::string::npos) throw std::runtime_error("unterminated tag");
    const std::string tag = html.substr(i, end - i + 1);
    i = end + 1;
    if (tag.rfind("<!", 0) == 0) continue;
    const bool closing = tag[1] == '/';
    size_t n = closing ? 2 : 1;
    std::string name;
    while (n < tag.size() && (std::isalnum(static_cast<unsigned char>(tag[n])) || tag[n] == '-'))
      name += tag[n++];
    const bool in_svg = std::find(stack.begin(), stack.end(), "svg") != stack.end();
    if (closing) {
      if (stack.empty() || stack.back() != name)
        throw std::runtime_error("</" + name + "> closes <" + (stack.empty() ? "" : stack.back()) +
                                 ">");
      stack.pop_back();
      if (name == "svg") {
        std::string line(2 * stack.size() + 2, ' ');
        line += "[";
        for (const auto& [k, v] : svg_counts) line += k + " x" + std::to_string(v) + " ";
        out += line + "]\n";
        svg_counts.clear();
      }
      continue;
    }
    const bool self_closing = tag[tag.size() - 2] == '/';
    if (in_svg) {
      ++svg_counts[name];
    } else {
      std::string line(2 * stack.size(), ' ');
      line += name;
      if (const auto id = attr(tag, "id"); !id.empty()) line += "#" + id;
      for (std::string cls = attr(tag, "class"); !cls.empty();) {
        const auto sp = cls.find(' ');
        line += "." + cls.substr(0, sp);
        cls = sp == std::string::npos ? "" : cls.substr(sp + 1);
      }
      const bool status_cell = name == "td" && attr(tag, "class").rfind("status-", 0) == 0;
      if ((kText.count(name) || status_cell) && (stack.empty() || stack.back() != "svg")) {
        const auto lt = html.find('<', i);
        line += " \"" + html.substr(i, lt - i) + "\"";
      }
      out += line + "\n";
    }
    if (!self_closing && !kVoid.count(name)) stack.push_back(name);
  }
  if (!stack.empty()) throw std::runtime_error("<" + stack.back() + "> never closed");
  return out;
}

}  // namespace chipcert::reports::testing
