// `chipcert conformance`: checks a driver against the contracts of the driver
// ABI, one line per check. Every check runs in its own forked child: the
// parent never calls into a driver (so forking shares no driver state), and a
// check that crashes, hangs or aborts is a FAIL line, not the end of the report.

#include <dlfcn.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "chipcert/harness/drivers.hpp"
#include "cli.hpp"
#include "conformance.hpp"

namespace chipcert::cli {

namespace {

namespace fs = std::filesystem;
using conformance::Check;
using conformance::Failure;
using conformance::Progress;
using conformance::Target;

/// A driver to check: a built-in (by name) or a plugin file.
struct Candidate {
  std::string name;  ///< table name; for a plugin, known after the load check
  std::string source;
  cc_driver_entry_fn builtin = nullptr;
};

struct Outcome {
  bool pass = false;
  std::string reason;
  double seconds = 0;
};

std::string one_line(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  std::replace(s.begin(), s.end(), '\r', ' ');
  return s;
}

void write_all(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    const ssize_t w = ::write(fd, s.data() + done, s.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    done += size_t(w);
  }
}

/// Runs `body` in a forked child; its result comes back over a pipe as
/// "S<step>", then "P<reason>" or "F<reason>" lines.
Outcome run_in_child(const std::function<std::string(const Progress&)>& body, double timeout_s) {
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  int fds[2];
  if (::pipe(fds) != 0) return {false, std::string("pipe: ") + std::strerror(errno), 0};
  std::cout.flush();
  std::cerr.flush();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return {false, std::string("fork: ") + std::strerror(errno), 0};
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::setpgid(0, 0);  // the parent kills the whole group on a timeout
    ::close(fds[0]);
    ::dup2(2, 1);  // a chatty driver must not corrupt the report on stdout
    const int out = fds[1];
    const Progress progress = [out](const std::string& s) {
      write_all(out, "S" + one_line(s) + "\n");
    };
    try {
      const std::string r = body(progress);
      write_all(out, "P" + one_line(r) + "\n");
    } catch (const std::exception& e) {
      write_all(out, "F" + one_line(e.what()) + "\n");
    } catch (...) {
      write_all(out, "Fan exception that is not a std::exception\n");
    }
    ::_exit(0);  // no atexit handlers, no destructors of the parent's state
  }
  ::close(fds[1]);
  std::string data, step, verdict;
  bool timed_out = false;
  for (;;) {
    const double left = timeout_s - elapsed();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(std::min(left, 1.0) * 1000) + 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    char buf[4096];
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: the child exited or closed the pipe
    data.append(buf, size_t(n));
    for (size_t nl; (nl = data.find('\n')) != std::string::npos; data.erase(0, nl + 1)) {
      const std::string line = data.substr(0, nl);
      if (line.empty()) continue;
      if (line[0] == 'S') step = line.substr(1);
      if (line[0] == 'P' || line[0] == 'F') verdict = line;
    }
  }
  ::close(fds[0]);
  if (timed_out) {
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const double secs = elapsed();
  const std::string where = step.empty() ? "" : " during " + step;
  if (timed_out)
    return {false, "timed out after " + std::to_string(int(timeout_s)) + " s" + where, secs};
  if (!verdict.empty()) return {verdict[0] == 'P', verdict.substr(1), secs};
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = sigabbrev_np(sig);
    return {false,
            "crashed: killed by signal " + std::to_string(sig) + " (SIG" + (name ? name : "?") +
                ")" + where,
            secs};
  }
  return {false,
          "exited with status " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) +
              where + " without a result (a driver must never exit())",
          secs};
}

Target make_target(const Candidate& c) {
  Target t;
  if (c.builtin != nullptr) {
    t.entry = c.builtin;
  } else {
    void* h = ::dlopen(c.source.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) throw Failure(std::string("dlopen: ") + ::dlerror());
    t.entry = reinterpret_cast<cc_driver_entry_fn>(::dlsym(h, CC_DRIVER_ENTRY_SYMBOL));
    if (t.entry == nullptr) throw Failure("no symbol " CC_DRIVER_ENTRY_SYMBOL);
  }
  t.table = t.entry(CC_DRIVER_ABI_VERSION);
  return t;
}

std::vector<std::string> plugin_files(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> found;
      for (const auto& e : fs::directory_iterator(p, ec))
        if (e.path().extension() == ".so" && !e.is_directory()) found.push_back(e.path().string());
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(p);  // a missing file fails its load check with the reason
    }
  }
  return files;
}

struct Options {
  std::string driver;
  double check_timeout_s = 60;
  bool json = false;
};

int run_conformance(const GlobalOptions& g, const Options& opt) {
  const harness::DriverOptions dopts = driver_options(g);
  if (dopts.plugin_paths.empty() && opt.driver.empty())
    throw UsageError("conformance: give --driver-path DIR|FILE (a plugin) or --driver NAME");
  const std::vector<Check> checks = conformance::all_checks();

  nlohmann::json doc{{"format", "chipcert-conformance"},
                     {"format_version", 1},
                     {"abi_version", CC_DRIVER_ABI_VERSION},
                     {"drivers", nlohmann::json::array()},
                     {"load_failures", nlohmann::json::array()}};
  std::vector<Candidate> candidates;
  if (dopts.builtins && !opt.driver.empty())
    for (const auto& b : harness::builtin_drivers())
      if (opt.driver == b.name) candidates.push_back({b.name, "builtin", b.entry});
  for (const auto& file : plugin_files(dopts.plugin_paths)) {
    Candidate c{"", file, nullptr};
    const Outcome o = run_in_child(
        [&c](const Progress&) {
          if (!fs::exists(c.source)) throw Failure("no such file");
          const Target t = make_target(c);
          const std::string why = harness::validate_driver_table(t.table, CC_DRIVER_ABI_VERSION);
          if (!why.empty()) throw Failure(why);
          return std::string(t.table->name);
        },
        opt.check_timeout_s);
    if (o.pass) {
      c.name = o.reason;
      if (opt.driver.empty() || opt.driver == c.name) candidates.push_back(c);
    } else {
      doc["load_failures"].push_back({{"source", file}, {"reason", o.reason}});
      if (!opt.json) std::cout << "FAIL  load " << file << ": " << o.reason << "\n";
    }
  }
  if (candidates.empty() && opt.driver.empty() && !doc["load_failures"].empty()) {
    // Plugins that do not even load are a negative verdict, not a missing input.
    doc["conformant"] = false;
    if (opt.json) std::cout << doc.dump(2) << "\n";
    return harness::kExitVerdict;
  }
  if (candidates.empty()) {
    std::cerr << "chipcert conformance: no driver "
              << (opt.driver.empty() ? "could be loaded" : "named \"" + opt.driver + "\" found")
              << " in the driver path" << (dopts.builtins ? " or the built-in drivers" : "")
              << "\n";
    return harness::kExitEnvironment;
  }

  bool all_ok = doc["load_failures"].empty() || !opt.driver.empty();
  for (const Candidate& c : candidates) {
    if (!opt.json) std::cout << "conformance: driver \"" << c.name << "\" (" << c.source << ")\n";
    nlohmann::json jd{{"name", c.name}, {"source", c.source}, {"checks", nlohmann::json::array()}};
    int passed = 0;
    for (const Check& check : checks) {
      const Outcome o = run_in_child(
          [&](const Progress& p) { return check.run(make_target(c), p); }, opt.check_timeout_s);
      passed += o.pass ? 1 : 0;
      jd["checks"].push_back({{"id", check.id},
                              {"description", check.description},
                              {"status", o.pass ? "pass" : "fail"},
                              {"reason", o.reason},
                              {"seconds", o.seconds}});
      if (!opt.json) {
        std::string id = check.id;
        id.resize(std::max<size_t>(id.size(), 22), ' ');
        std::cout << (o.pass ? "PASS  " : "FAIL  ") << id << " " << o.reason << "\n" << std::flush;
      }
    }
    const bool ok = passed == int(checks.size());
    all_ok = all_ok && ok;
    jd["passed"] = passed;
    jd["failed"] = int(checks.size()) - passed;
    jd["conformant"] = ok;
    doc["drivers"].push_back(jd);
    if (!opt.json)
      std::cout << c.name << ": " << passed << " of " << checks.size()
                << " checks passed: " << (ok ? "CONFORMANT" : "NOT CONFORMANT") << "\n";
  }
  doc["conformant"] = all_ok;
  if (opt.json) std::cout << doc.dump(2) << "\n";
  return all_ok ? harness::kExitOk : harness::kExitVerdict;
}

}  // namespace

void add_conformance_command(CLI::App& app, const GlobalOptions& g, Action& action) {
  auto* cmd = app.add_subcommand(
      "conformance",
      "Check a driver plugin against the driver ABI's contracts (one line per check)");
  auto opt = std::make_shared<Options>();
  cmd->add_option("--driver", opt->driver,
                  "Check only the driver of this name (a plugin's or a built-in's)");
  cmd->add_option("--check-timeout", opt->check_timeout_s,
                  "Seconds before a check's child process is killed (default 60)")
      ->check(CLI::Range(1.0, 3600.0));
  cmd->add_flag("--json", opt->json, "Machine-readable output");
  cmd->callback([&g, &action, opt] { action = [&g, opt] { return run_conformance(g, *opt); }; });
}

}  // namespace chipcert::cli

namespace chipcert::cli::conformance {

void require(bool ok, const std::string& why) {
  if (!ok) throw Failure(why);
}

const cc_driver_v1& table(const Target& t) {
  const std::string why = harness::validate_driver_table(t.table, CC_DRIVER_ABI_VERSION);
  require(why.empty(), "no usable driver table: " + why);
  return *t.table;
}

std::string error_text(const cc_driver_v1& d, cc_device* dev) {
  const char* e = d.last_error(dev);
  return e == nullptr ? std::string("(last_error returned NULL)")
                      : std::string(e, strnlen(e, 4096));
}

}  // namespace chipcert::cli::conformance
