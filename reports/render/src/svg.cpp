#include "svg.hpp"

#include <algorithm>
#include <cmath>

#include "text.hpp"

namespace chipcert::reports::detail {

namespace {

// Colour-blind-safe palette (Okabe-Ito), one colour per series.
constexpr const char* kPalette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                    "#E69F00", "#56B4E9", "#F0E442", "#000000"};
const char* colour(size_t i) {
  return kPalette[i % (sizeof(kPalette) / sizeof(kPalette[0]))];
}

std::string open_svg(const std::string& id, const char* cls, double w, double h,
                     const std::string& label) {
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"" + xml_escape(id) + "\" class=\"" + cls +
         "\" width=\"" + plain(w) + "\" height=\"" + plain(h) + "\" viewBox=\"0 0 " + plain(w) +
         " " + plain(h) + "\" role=\"img\" aria-label=\"" + xml_escape(label) + "\">\n<title>" +
         xml_escape(label) + "</title>\n";
}

std::string text(double x, double y, const std::string& s, const char* cls,
                 const char* anchor = "start") {
  return "<text x=\"" + plain(x) + "\" y=\"" + plain(y) + "\" class=\"" + cls +
         "\" text-anchor=\"" + anchor + "\">" + xml_escape(s) + "</text>\n";
}

std::string line(double x1, double y1, double x2, double y2, const char* cls) {
  return "<line x1=\"" + plain(x1) + "\" y1=\"" + plain(y1) + "\" x2=\"" + plain(x2) + "\" y2=\"" +
         plain(y2) + "\" class=\"" + cls + "\"/>\n";
}

std::string rect(double x, double y, double w, double h, const char* cls, const char* fill,
                 const std::string& tip) {
  return "<rect x=\"" + plain(x) + "\" y=\"" + plain(y) + "\" width=\"" + plain(std::max(w, 1.0)) +
         "\" height=\"" + plain(h) + "\" class=\"" + cls + "\" fill=\"" + fill + "\"><title>" +
         xml_escape(tip) + "</title></rect>\n";
}

std::string empty_chart(const std::string& id, const char* cls, const std::string& why) {
  return open_svg(id, cls, 480, 60, why) +
         "<rect x=\"0.5\" y=\"0.5\" width=\"479\" height=\"59\" class=\"frame\"/>\n" +
         text(240, 35, why, "empty", "middle") + "</svg>\n";
}

/// Decades covering [lo, hi] with some margin: [10^a, 10^b], a < b.
std::pair<double, double> decades(double lo, double hi) {
  double a = std::floor(std::log10(lo / 1.5));
  double b = std::ceil(std::log10(hi * 1.5));
  if (b <= a) b = a + 1;
  return {std::pow(10.0, a), std::pow(10.0, b)};
}

/// Linear axis ticks: about five "nice" steps from 0 (or lo) to hi.
double nice_step(double span) {
  const double raw = span / 5.0;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (raw <= m * mag) return m * mag;
  return 10.0 * mag;
}

}  // namespace

std::string roofline_svg(const std::string& id, const DeviceFigures& f,
                         const std::vector<const results::Case*>& cases,
                         const std::map<std::string, double>& theoretical) {
  struct Pt {
    double x, y;
    const results::Case* c;
  };
  std::vector<Pt> pts;
  std::vector<std::string> dtypes;
  for (const auto& [dtype, m] : f.compute_roof) dtypes.push_back(dtype);
  for (const auto* c : cases) {
    if (c->status != results::Status::Passed || !c->rates.flop_per_s) continue;
    if (!(c->flop > 0) || !(c->bytes > 0) || !(*c->rates.flop_per_s > 0)) continue;
    pts.push_back({c->flop / c->bytes, *c->rates.flop_per_s, c});
    if (std::find(dtypes.begin(), dtypes.end(), c->dtype) == dtypes.end())
      dtypes.push_back(c->dtype);
  }
  const double bw = f.bandwidth ? f.bandwidth->value : 0;
  if (pts.empty() && f.compute_roof.empty() && bw <= 0)
    return empty_chart(id, "chart-roofline",
                       "No roofline: no passed case with FLOP and byte counts, no peak, no STREAM");

  // Data ranges: points, ridge points, and the roofs themselves.
  std::vector<double> xs, ys;
  for (const auto& p : pts) xs.push_back(p.x), ys.push_back(p.y);
  for (const auto& [dtype, m] : f.compute_roof) {
    ys.push_back(m.value);
    if (bw > 0) xs.push_back(m.value / bw);
  }
  for (const auto& [dtype, v] : theoretical) ys.push_back(v);
  if (xs.empty()) xs = {0.1, 100.0};
  // Plain variables, not a structured binding: the lambdas below capture
  // them, which clang 14 (the fuzz build) rejects for bindings.
  const auto xr =
      decades(*std::min_element(xs.begin(), xs.end()), *std::max_element(xs.begin(), xs.end()));
  const double x0 = xr.first, x1 = xr.second;
  // The bandwidth line's right end is far above every roof (81.6 GB/s at
  // 10^4 FLOP/byte is 816 TFLOP/s): with a compute roof to bend it, the axis
  // ends a decade above the highest roof or point instead.
  const double compute_top = ys.empty() ? 0 : *std::max_element(ys.begin(), ys.end());
  if (bw > 0) ys.push_back(bw * x0), ys.push_back(bw * x1);
  const auto yr =
      decades(*std::min_element(ys.begin(), ys.end()), *std::max_element(ys.begin(), ys.end()));
  double y0 = yr.first, y1 = yr.second;
  if (!f.compute_roof.empty()) y1 = std::min(y1, decades(compute_top, compute_top).second);
  // Keep the bandwidth line's left end from dragging the axis down too far.
  if (!f.compute_roof.empty() || !pts.empty()) {
    double top = 0;
    for (double y : ys) top = std::max(top, y);
    y0 = std::max(y0, std::pow(10.0, std::floor(std::log10(top)) - 6));
  }

  const double W = 760, H = 440, L = 90, R = 170, T = 20, B = 50;
  const double pw = W - L - R, ph = H - T - B;
  auto sx = [&](double x) { return L + pw * (std::log10(x / x0) / std::log10(x1 / x0)); };
  auto sy = [&](double y) {
    const double v = std::clamp(y, y0, y1);
    return T + ph * (1.0 - std::log10(v / y0) / std::log10(y1 / y0));
  };

  std::string s = open_svg(id, "chart-roofline", W, H,
                           "Roofline: FLOP/s against arithmetic intensity (FLOP/byte), log-log");
  s += "<rect x=\"" + plain(L) + "\" y=\"" + plain(T) + "\" width=\"" + plain(pw) + "\" height=\"" +
       plain(ph) + "\" class=\"plot\"/>\n";
  for (double x = x0; x <= x1 * 1.0001; x *= 10) {
    s += line(sx(x), T, sx(x), T + ph, "grid");
    s += text(sx(x), T + ph + 16, plain(x), "tick", "middle");
  }
  for (double y = y0; y <= y1 * 1.0001; y *= 10) {
    s += line(L, sy(y), L + pw, sy(y), "grid");
    s += text(L - 6, sy(y) + 4, si(y, "FLOP/s"), "tick", "end");
  }
  s += text(L + pw / 2, H - 10, "arithmetic intensity (FLOP/byte)", "axis-label", "middle");

  // Roofs: min(peak, bw * x) per dtype, or each alone when the other is missing.
  size_t ci = 0;
  for (const auto& [dtype, m] : f.compute_roof) {
    const char* col = colour(
        static_cast<size_t>(std::find(dtypes.begin(), dtypes.end(), dtype) - dtypes.begin()));
    std::string pts_attr;
    if (bw > 0) {
      const double ridge = std::clamp(m.value / bw, x0, x1);
      const double start = std::clamp(y0 / bw, x0, x1);
      pts_attr = plain(sx(start)) + "," + plain(sy(bw * start)) + " " + plain(sx(ridge)) + "," +
                 plain(sy(m.value)) + " ";
    } else {
      pts_attr = plain(sx(x0)) + "," + plain(sy(m.value)) + " ";
    }
    pts_attr += plain(sx(x1)) + "," + plain(sy(m.value));
    const bool peak = f.roof_from_peak.count(dtype) && f.roof_from_peak.at(dtype);
    s += "<polyline class=\"roof\" fill=\"none\" stroke=\"" + std::string(col) + "\" points=\"" +
         pts_attr + "\"><title>" +
         xml_escape(dtype + (peak ? " peak " : " best GEMM ") + si(m.value, "FLOP/s") + " (" +
                    m.case_id + ")") +
         "</title></polyline>\n";
    s += text(L + pw + 6, sy(m.value) + 4 + 12.0 * static_cast<double>(ci++ % 2),
              dtype + (peak ? " peak " : " GEMM ") + si(m.value, "FLOP/s"), "roof-label");
  }
  // The host CPU's theoretical peaks (clock x cores x ops/cycle), dashed,
  // above the measured roofs they bound.
  for (const auto& [dtype, v] : theoretical) {
    const auto at = std::find(dtypes.begin(), dtypes.end(), dtype);
    if (at == dtypes.end()) continue;  // nothing of that dtype on the chart
    const char* col = colour(static_cast<size_t>(at - dtypes.begin()));
    s += "<line class=\"roof theoretical\" x1=\"" + plain(L) + "\" y1=\"" + plain(sy(v)) +
         "\" x2=\"" + plain(L + pw) + "\" y2=\"" + plain(sy(v)) + "\" stroke=\"" + col +
         "\"><title>" + xml_escape(dtype + " theoretical " + si(v, "FLOP/s")) + "</title></line>\n";
    s += text(L + 4, sy(v) - 4, dtype + " theoretical " + si(v, "FLOP/s"), "roof-label");
  }
  if (bw > 0) {
    if (f.compute_roof.empty())
      s += line(sx(x0), sy(bw * x0), sx(x1), sy(bw * x1), "roof bandwidth");
    const double lx = std::clamp(y0 * 10 / bw, x0, x1);
    s += text(sx(lx) + 4, sy(bw * lx) - 6, "memory " + si(bw, "B/s"), "roof-label");
  }

  // Points, labelled; labels alternate above and below to limit overlap.
  size_t n = 0;
  for (const auto& p : pts) {
    const char* col = colour(
        static_cast<size_t>(std::find(dtypes.begin(), dtypes.end(), p.c->dtype) - dtypes.begin()));
    const double cx = sx(p.x), cy = sy(p.y);
    s += "<circle cx=\"" + plain(cx) + "\" cy=\"" + plain(cy) +
         "\" r=\"4\" class=\"point\" fill=\"" + col + "\"><title>" +
         xml_escape(p.c->id + ": " + si(p.y, "FLOP/s") + " at " + fixed(p.x, 2) + " FLOP/byte") +
         "</title></circle>\n";
    s += text(cx + 6, cy + (n++ % 2 ? 14 : -6), p.c->workload + "/" + short_name(*p.c),
              "point-label");
  }
  // Legend: one swatch per dtype.
  double ly = T + ph - 14.0 * static_cast<double>(dtypes.size());
  for (size_t i = 0; i < dtypes.size(); ++i, ly += 14) {
    s += "<rect x=\"" + plain(L + pw + 8) + "\" y=\"" + plain(ly - 9) +
         "\" width=\"10\" height=\"10\" class=\"swatch\" fill=\"" + colour(i) + "\"/>\n";
    s += text(L + pw + 22, ly, dtypes[i], "legend");
  }
  return s + "</svg>\n";
}

std::string bar_chart_svg(const std::string& id, const std::vector<Bar>& bars,
                          const std::string& unit) {
  if (bars.empty()) return empty_chart(id, "chart-bars", "No passed case to chart");
  double vmax = 0;
  for (const auto& b : bars) vmax = std::max(vmax, b.value);
  if (!(vmax > 0)) vmax = 1;
  const double W = 760, L = 230, R = 110, T = 10, row = 22;
  const double H = T + row * static_cast<double>(bars.size()) + 34;
  const double pw = W - L - R;
  std::string s = open_svg(id, "chart-bars", W, H, "Bar chart in " + unit);
  const double step = nice_step(vmax);
  for (double v = 0; v <= vmax * 1.0001; v += step) {
    const double x = L + pw * v / vmax;
    s += line(x, T, x, H - 28, "grid");
    s += text(x, H - 12, si(v, unit), "tick", "middle");
  }
  double y = T;
  for (size_t i = 0; i < bars.size(); ++i, y += row) {
    const auto& b = bars[i];
    s += text(L - 6, y + 15, b.label, "bar-label", "end");
    s += rect(L, y + 3, pw * b.value / vmax, row - 6, "bar", colour(0),
              b.label + ": " + si(b.value, unit) + (b.note.empty() ? "" : " (" + b.note + ")"));
    s += text(L + pw * b.value / vmax + 4, y + 15, si(b.value, unit), "bar-value");
  }
  return s + "</svg>\n";
}

std::string latency_svg(const std::string& id, const std::vector<LatencyRow>& rows) {
  if (rows.empty()) return empty_chart(id, "chart-latency", "No latency percentiles");
  double vmax = 0;
  for (const auto& r : rows) vmax = std::max({vmax, r.p50, r.p90, r.p99});
  if (!(vmax > 0)) vmax = 1;
  const double W = 760, L = 230, R = 110, T = 26, bar = 12, group = 3 * bar + 12;
  const double H = T + group * static_cast<double>(rows.size()) + 34;
  const double pw = W - L - R;
  std::string s = open_svg(id, "chart-latency", W, H, "Latency percentiles p50, p90, p99");
  const char* names[] = {"p50", "p90", "p99"};
  for (int k = 0; k < 3; ++k) {
    s += "<rect x=\"" + plain(L + 70.0 * k) +
         "\" y=\"6\" width=\"10\" height=\"10\" class=\"swatch\" fill=\"" +
         colour(static_cast<size_t>(k)) + "\"/>\n";
    s += text(L + 70.0 * k + 14, 15, names[k], "legend");
  }
  const double step = nice_step(vmax);
  for (double v = 0; v <= vmax * 1.0001; v += step) {
    const double x = L + pw * v / vmax;
    s += line(x, T, x, H - 28, "grid");
    s += text(x, H - 12, si(v, "s"), "tick", "middle");
  }
  double y = T;
  for (const auto& r : rows) {
    s += text(L - 6, y + 2 * bar, r.label, "bar-label", "end");
    const double vals[] = {r.p50, r.p90, r.p99};
    for (int k = 0; k < 3; ++k) {
      const double by = y + bar * k;
      s += rect(L, by + 1, pw * vals[k] / vmax, bar - 2, "bar", colour(static_cast<size_t>(k)),
                r.label + " " + names[k] + ": " + si(vals[k], "s"));
      s += text(L + pw * vals[k] / vmax + 4, by + bar - 2, si(vals[k], "s"), "bar-value");
    }
    y += group;
  }
  return s + "</svg>\n";
}

std::string loss_svg(const std::string& id, const std::vector<double>& loss) {
  if (loss.empty()) return empty_chart(id, "chart-loss", "Empty loss curve");
  double lo = *std::min_element(loss.begin(), loss.end());
  double hi = *std::max_element(loss.begin(), loss.end());
  if (hi - lo < 1e-12) hi = lo + 1;
  const double step = nice_step(hi - lo);
  lo = std::floor(lo / step) * step;
  hi = std::ceil(hi / step) * step;
  const double W = 760, H = 300, L = 70, R = 20, T = 14, B = 44;
  const double pw = W - L - R, ph = H - T - B;
  const double nsteps = static_cast<double>(std::max<size_t>(loss.size() - 1, 1));
  auto sx = [&](double i) { return L + pw * i / nsteps; };
  auto sy = [&](double v) { return T + ph * (1 - (v - lo) / (hi - lo)); };
  std::string s = open_svg(id, "chart-loss", W, H, "Training loss per step");
  s += "<rect x=\"" + plain(L) + "\" y=\"" + plain(T) + "\" width=\"" + plain(pw) + "\" height=\"" +
       plain(ph) + "\" class=\"plot\"/>\n";
  for (double v = lo; v <= hi + step * 1e-6; v += step) {
    s += line(L, sy(v), L + pw, sy(v), "grid");
    s += text(L - 6, sy(v) + 4, fixed(v, step < 0.1 ? 3 : step < 1 ? 2 : 1), "tick", "end");
  }
  const double xstep = std::max(1.0, nice_step(nsteps));
  for (double i = 0; i <= nsteps + 1e-9; i += xstep)
    s += text(sx(i), T + ph + 16, fixed(i, 0), "tick", "middle");
  s += text(L + pw / 2, H - 8, "step", "axis-label", "middle");
  std::string pts;
  for (size_t i = 0; i < loss.size(); ++i)
    pts += (i ? " " : "") + plain(sx(static_cast<double>(i))) + "," + plain(sy(loss[i]));
  if (loss.size() == 1) pts += " " + plain(sx(1)) + "," + plain(sy(loss[0]));
  s += "<polyline class=\"loss\" fill=\"none\" stroke=\"" + std::string(colour(0)) +
       "\" points=\"" + pts + "\"><title>" +
       xml_escape("loss " + fixed(loss.front(), 4) + " to " + fixed(loss.back(), 4) + " in " +
                  std::to_string(loss.size()) + " steps") +
       "</title></polyline>\n";
  return s + "</svg>\n";
}

}  // namespace chipcert::reports::detail
