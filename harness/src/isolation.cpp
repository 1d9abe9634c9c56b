#include "chipcert/harness/isolation.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <optional>

#include "chipcert/harness/discovery.hpp"
#include "chipcert/results/json.hpp"
#include "chipcert/workloads/dtype.hpp"
#include "fd.hpp"

extern char** environ;

namespace chipcert::harness {

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

/// Exit status of a worker whose parent stopped listening.
constexpr int kWorkerOrphaned = 120;

using detail::Fd;

bool write_all(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    const ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

std::string signal_text(int sig) {
  const char* name = sigabbrev_np(sig);
  const char* desc = strsignal(sig);
  return "signal " + std::to_string(sig) + " (SIG" + (name ? name : "?") + ", " +
         (desc ? desc : "?") + ")";
}

/// One running worker and the line reader over its event pipe.
class Worker {
 public:
  Worker(const WorkerCommand& cmd, const std::string& request) {
    int in_pipe[2], ev_pipe[2];
    if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(ev_pipe, O_CLOEXEC) != 0)
      throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    Fd in_r(in_pipe[0]), in_w(in_pipe[1]), ev_r(ev_pipe[0]), ev_w(ev_pipe[1]);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in_r.fd, 0);
    posix_spawn_file_actions_adddup2(&fa, ev_w.fd, 3);
    // Drivers may print; keep the parent's stdout for the parent.
    posix_spawn_file_actions_adddup2(&fa, 2, 1);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    // Own process group: a terminal's Ctrl-C reaches the parent only, which
    // then lets the current case finish; and a kill reaches the whole worker.
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
    std::vector<std::string> argv_store{cmd.executable};
    argv_store.insert(argv_store.end(), cmd.args.begin(), cmd.args.end());
    argv_store.emplace_back("worker");
    std::vector<char*> argv;
    for (auto& a : argv_store) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int rc = posix_spawn(&pid_, cmd.executable.c_str(), &fa, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (rc != 0)
      throw std::runtime_error("cannot start worker " + cmd.executable + ": " + std::strerror(rc));
    in_r.reset();
    ev_w.reset();
    write_all(in_w.fd, request + "\n");
    in_w.reset();
    events_ = std::move(ev_r);
  }

  ~Worker() { kill_and_reap(); }

  /// Next event line, or nullopt at EOF or when `deadline` passes (timed_out set).
  std::optional<std::string> next_line(Clock::time_point deadline, bool& timed_out) {
    timed_out = false;
    for (;;) {
      const auto nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      if (events_.fd < 0) return std::nullopt;
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        timed_out = true;
        return std::nullopt;
      }
      pollfd p{events_.fd, POLLIN, 0};
      const int r = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
      if (r < 0 && errno != EINTR) return std::nullopt;
      if (r <= 0) continue;
      char buf[65536];
      const ssize_t n = ::read(events_.fd, buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        events_.reset();
        continue;
      }
      buffer_.append(buf, static_cast<size_t>(n));
    }
  }

  /// Kill (if still running) and reap; returns a description of how it ended.
  std::string kill_and_reap() {
    if (pid_ <= 0) return ended_;
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == 0) {
      ::kill(-pid_, SIGKILL);
      ::kill(pid_, SIGKILL);
      r = waitpid(pid_, &status, 0);
      ended_ = "killed";
    } else if (r == pid_) {
      ended_ = WIFSIGNALED(status) ? "killed by " + signal_text(WTERMSIG(status))
                                   : "exited with status " + std::to_string(WEXITSTATUS(status));
    } else {
      ended_ = "vanished";
    }
    pid_ = -1;
    return ended_;
  }

  /// Wait for a worker whose pipe hit EOF to exit (bounded), then reap.
  std::string wait_exit() {
    for (int i = 0; i < 200 && pid_ > 0; ++i) {
      int status = 0;
      const pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        ended_ = WIFSIGNALED(status) ? "killed by " + signal_text(WTERMSIG(status))
                                     : "exited with status " + std::to_string(WEXITSTATUS(status));
        pid_ = -1;
        return ended_;
      }
      ::usleep(10000);
    }
    return kill_and_reap();
  }

 private:
  pid_t pid_ = -1;
  Fd events_;
  std::string buffer_;
  std::string ended_;
};

json case_request(const PlannedCase& pc, size_t index) {
  const auto& sc = *pc.suite_case;
  return {{"index", index},
          {"id", pc.id},
          {"workload", sc.spec.workload},
          {"dtype", workloads::dtype_name(sc.spec.dtype)},
          {"parameters", sc.spec.parameters}};
}

/// Run `batch` (indices into plan, all on one device) in one worker; returns
/// the indices not finished because the worker died (the first of them is
/// already reported as Error / TimedOut).
std::vector<size_t> run_batch(const std::vector<PlannedCase>& plan,
                              const std::vector<size_t>& batch, const RunOptions& options,
                              const WorkerCommand& cmd, RunObserver& observer,
                              const StopFlag& stop) {
  json req = {{"device", plan[batch.front()].device->info.id},
              {"seed", options.seed},
              {"repetitions", options.rules.repetitions},
              {"min_time_s", options.rules.min_time_s},
              {"cases", json::array()}};
  for (size_t i : batch) req["cases"].push_back(case_request(plan[i], i));
  Worker worker(cmd, req.dump());

  size_t next = 0;  // position in batch of the case in progress
  std::string phase = "start-up";
  auto deadline_for = [&](size_t pos) {
    const PlannedCase& pc = plan[batch[pos]];
    const double t = options.case_timeout_s > 0 ? options.case_timeout_s
                                                : default_case_timeout(pc, options.rules);
    return Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(t * 1000));
  };
  auto deadline = deadline_for(0);
  auto timeout_s = [&](size_t pos) {
    return options.case_timeout_s > 0 ? options.case_timeout_s
                                      : default_case_timeout(plan[batch[pos]], options.rules);
  };
  while (next < batch.size()) {
    bool timed_out = false;
    auto line = worker.next_line(deadline, timed_out);
    const size_t idx = batch[next];
    const PlannedCase& pc = plan[idx];
    if (!line) {
      std::string how;
      results::Status status;
      std::string reason;
      if (timed_out) {
        worker.kill_and_reap();
        status = results::Status::TimedOut;
        char buf[64];
        std::snprintf(buf, sizeof(buf), "%.0f", timeout_s(next));
        reason = std::string("no result within the ") + buf + " s case timeout (phase: " + phase +
                 "); worker killed";
      } else {
        how = worker.wait_exit();
        status = results::Status::Error;
        reason = "worker " + how + " during phase " + phase + " without a result";
      }
      observer.case_started(idx, plan.size(), pc);
      observer.case_finished(idx, plan.size(), unfinished_row(pc, status, reason));
      return {batch.begin() + static_cast<std::ptrdiff_t>(next) + 1, batch.end()};
    }
    json ev;
    try {
      ev = json::parse(*line);
    } catch (const json::exception&) {
      continue;  // not ours: a driver that wrote to fd 3; ignore the line
    }
    const std::string kind = ev.value("event", "");
    if (kind == "start") {
      phase = "setup";
      deadline = deadline_for(next);
      observer.case_started(idx, plan.size(), pc);
    } else if (kind == "phase") {
      phase = ev.value("phase", "?");
    } else if (kind == "done") {
      results::Case row;
      try {
        row = results::case_from_json(ev.at("row"), "worker", "/row");
      } catch (const std::exception& e) {
        row = unfinished_row(pc, results::Status::Error,
                             std::string("worker sent an unreadable result: ") + e.what());
      }
      observer.case_finished(idx, plan.size(), row);
      ++next;
      phase = "start-up";
      if (stop.load()) return {};
      if (next < batch.size()) deadline = deadline_for(next);
    }
  }
  worker.wait_exit();
  return {};
}

}  // namespace

const char* isolation_name(Isolation i) {
  switch (i) {
    case Isolation::None:
      return "none";
    case Isolation::Device:
      return "device";
    case Isolation::Case:
      return "case";
  }
  return "?";
}

void run_isolated(const std::vector<PlannedCase>& plan, const RunOptions& options,
                  const WorkerCommand& worker, Isolation isolation, RunObserver& observer,
                  const StopFlag& stop) {
  if (isolation == Isolation::None) {
    // In-process, still honouring stop between cases.
    std::unique_ptr<workloads::Device> dev;
    const DeviceEntry* open_for = nullptr;
    std::string open_error;
    for (size_t i = 0; i < plan.size() && !stop.load(); ++i) {
      const PlannedCase& pc = plan[i];
      if (pc.device != open_for) {
        dev.reset();
        open_error.clear();
        open_for = pc.device;
        try {
          dev = std::make_unique<workloads::Device>(*pc.device->driver->table, pc.device->index);
        } catch (const std::exception& e) {
          open_error = e.what();
        }
      }
      observer.case_started(i, plan.size(), pc);
      results::Case row = run_case(pc, dev.get(), options);
      if (!dev && !open_error.empty()) row.reason = open_error;
      observer.case_finished(i, plan.size(), row);
    }
    return;
  }
  // Group consecutive cases of one device (the plan is device-major).
  size_t i = 0;
  while (i < plan.size() && !stop.load()) {
    std::vector<size_t> batch;
    if (isolation == Isolation::Case) {
      batch.push_back(i++);
    } else {
      const DeviceEntry* d = plan[i].device;
      while (i < plan.size() && plan[i].device == d) batch.push_back(i++);
    }
    while (!batch.empty() && !stop.load())
      batch = run_batch(plan, batch, options, worker, observer, stop);
  }
}

int worker_main(const DriverOptions& driver_options, int in_fd, int out_fd) {
  std::string request;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(in_fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    request.append(buf, static_cast<size_t>(n));
  }
  // A worker must not outlive its parent (killed with SIGKILL, say): nobody
  // would read its results, and it would hold the device.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  auto emit = [out_fd](const json& j) {
    if (!write_all(out_fd, j.dump() + "\n")) std::_Exit(kWorkerOrphaned);
  };
  const json req = json::parse(request);
  const DriverSet drivers = load_drivers(driver_options);
  const Topology topo;
  const Discovery found = discover(drivers, topo);
  const std::string device_id = req.at("device").get<std::string>();
  const DeviceEntry* entry = nullptr;
  for (const auto& d : found.devices)
    if (d.info.id == device_id) entry = &d;

  RunOptions options;
  options.seed = req.at("seed").get<uint64_t>();
  options.rules.repetitions = req.at("repetitions").get<int>();
  options.rules.min_time_s = req.at("min_time_s").get<double>();

  std::unique_ptr<workloads::Device> dev;
  std::string open_error;
  if (!entry) {
    open_error = "device " + device_id + " is not present in the worker";
  } else {
    try {
      dev = std::make_unique<workloads::Device>(*entry->driver->table, entry->index);
    } catch (const std::exception& e) {
      open_error = e.what();
    }
  }
  // The worker rebuilds each planned case from the request alone.
  DeviceEntry fallback;
  fallback.info.id = device_id;
  for (const auto& c : req.at("cases")) {
    const size_t index = c.at("index").get<size_t>();
    emit({{"event", "start"}, {"index", index}});
    SuiteCase sc;
    sc.spec.workload = c.at("workload").get<std::string>();
    sc.spec.dtype = *workloads::dtype_from_name(c.at("dtype").get<std::string>());
    sc.spec.parameters = c.at("parameters");
    sc.workload = workloads::find_workload(sc.spec.workload);
    PlannedCase pc{&sc, entry ? entry : &fallback, c.at("id").get<std::string>()};
    results::Case row;
    if (!sc.workload) {
      row = unfinished_row(pc, results::Status::Error, "unknown workload in worker request");
    } else if (!dev) {
      row = unfinished_row(pc, results::Status::Error, "device could not be opened: " + open_error);
    } else {
      row = run_case(pc, dev.get(), options, [&](const char* phase) {
        emit({{"event", "phase"}, {"phase", phase}});
      });
    }
    emit({{"event", "done"}, {"index", index}, {"row", results::to_json(row)}});
  }
  return 0;
}

}  // namespace chipcert::harness
