// The fleet session over MPI (Open MPI). Waiting is done by polling with
// short sleeps (MPI_Iprobe / MPI_Test), never a blocking MPI call: Open MPI
// busy-polls inside blocking calls, and a rank that finished early would
// otherwise take a core from a rank on the same node that is still measuring.

#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "chipcert/fleet/session.hpp"
#include "chipcert/results/json.hpp"
#include "chipcert/results/statistics.hpp"

namespace chipcert::fleet {

namespace {

using nlohmann::json;

constexpr int kTagLength = 101;
constexpr int kTagReport = 102;
constexpr int kTagGo = 103;
constexpr auto kPoll = std::chrono::milliseconds(20);

void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) throw std::runtime_error(std::string("MPI: ") + what + " failed");
}

/// Waits for a request with sleeps; false when stop was raised first.
bool wait_request(MPI_Request& req, const std::atomic<bool>& stop) {
  for (;;) {
    int done = 0;
    check(MPI_Test(&req, &done, MPI_STATUS_IGNORE), "MPI_Test");
    if (done) return true;
    if (stop.load()) return false;
    std::this_thread::sleep_for(kPoll);
  }
}

json report_to_json(const NodeReport& r) {
  return {{"state", to_string(r.state)},
          {"reason", r.reason},
          {"hostname", r.hostname},
          {"document", r.document ? results::to_json(*r.document) : json()}};
}

NodeReport report_from_json(const std::string& text, int rank) {
  const std::string src = "report of rank " + std::to_string(rank);
  const json j = json::parse(text);
  NodeReport r;
  const std::string state = j.at("state").get<std::string>();
  r.state = state == "ok"        ? NodeReport::State::Ok
            : state == "partial" ? NodeReport::State::Partial
            : state == "failed"  ? NodeReport::State::Failed
                                 : NodeReport::State::Missing;
  r.reason = j.at("reason").get<std::string>();
  r.hostname = j.at("hostname").get<std::string>();
  if (!j.at("document").is_null()) r.document = results::document_from_json(j["document"], src);
  return r;
}

class MpiSession final : public Session {
 public:
  MpiSession() {
    int provided = 0;
    check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    check(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
    check(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
    MPI_Comm node;
    check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node),
          "MPI_Comm_split_type");
    check(MPI_Comm_rank(node, &local_rank_), "MPI_Comm_rank");
    MPI_Comm_free(&node);
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    hostname_ = host;
  }
  // Not finalised here: a session destroyed without finalize() is leaving on
  // an error or a SIGTERM, when other ranks may be dead or waiting for us,
  // and MPI_Finalize could then block until mpirun's SIGKILL. Exiting
  // without it lets mpirun see the exit (and abort the job if it was not 0).
  ~MpiSession() override = default;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_rank() const override { return local_rank_; }
  std::string hostname() const override { return hostname_; }

  bool barrier(const std::atomic<bool>& stop) override {
    MPI_Request req;
    check(MPI_Ibarrier(MPI_COMM_WORLD, &req), "MPI_Ibarrier");
    return wait_request(req, stop);
  }

  std::vector<CollectiveResult> run_collectives(uint64_t max_bytes, int repetitions) override {
    std::vector<CollectiveResult> out;
    for (Collective op : kCollectives) {
      uint64_t last = 0;
      for (uint64_t bytes : message_sizes(max_bytes)) {
        // Operations split over ranks need a whole element per rank, so the
        // smallest sizes round up to the same buffer: measure each once.
        const CollectiveShape s = collective_shape(op, bytes, size_);
        const uint64_t actual = std::max(s.send, s.recv) * sizeof(double);
        if (actual == last) continue;
        last = actual;
        out.push_back(measure(op, bytes, repetitions));
      }
    }
    return out;
  }

  void send_report(const NodeReport& report) override {
    const std::string text = report_to_json(report).dump();
    const uint64_t length = text.size();
    MPI_Request reqs[2];
    check(MPI_Isend(&length, 1, MPI_UINT64_T, 0, kTagLength, MPI_COMM_WORLD, &reqs[0]),
          "MPI_Isend");
    check(MPI_Isend(text.data(), static_cast<int>(text.size()), MPI_CHAR, 0, kTagReport,
                    MPI_COMM_WORLD, &reqs[1]),
          "MPI_Isend");
    const std::atomic<bool> never{false};
    wait_request(reqs[0], never);
    wait_request(reqs[1], never);
  }

  std::optional<Report> next_report(const std::atomic<bool>& stop) override {
    MPI_Status st;
    for (;;) {
      int flag = 0;
      check(MPI_Iprobe(MPI_ANY_SOURCE, kTagLength, MPI_COMM_WORLD, &flag, &st), "MPI_Iprobe");
      if (flag) break;
      if (stop.load()) return std::nullopt;
      std::this_thread::sleep_for(kPoll);
    }
    const int from = st.MPI_SOURCE;
    uint64_t length = 0;
    check(MPI_Recv(&length, 1, MPI_UINT64_T, from, kTagLength, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
          "MPI_Recv");
    std::string text(length, '\0');
    MPI_Request req;
    check(MPI_Irecv(text.data(), static_cast<int>(length), MPI_CHAR, from, kTagReport,
                    MPI_COMM_WORLD, &req),
          "MPI_Irecv");
    if (!wait_request(req, stop)) return std::nullopt;
    Report r;
    r.rank = from;
    try {
      r.node = report_from_json(text, from);
    } catch (const std::exception& e) {
      // A report rank 0 cannot read is that rank's failure, not the fleet's.
      r.node = {NodeReport::State::Failed, std::string("unreadable report: ") + e.what(), "", {}};
    }
    return r;
  }

  void send_go(int rank) override {
    int token = 1;
    check(MPI_Send(&token, 1, MPI_INT, rank, kTagGo, MPI_COMM_WORLD), "MPI_Send");
  }

  bool wait_go(const std::atomic<bool>& stop) override {
    int token = 0;
    MPI_Request req;
    check(MPI_Irecv(&token, 1, MPI_INT, 0, kTagGo, MPI_COMM_WORLD, &req), "MPI_Irecv");
    return wait_request(req, stop);
  }

  void finalize() override {
    if (finalized_) return;
    finalized_ = true;
    MPI_Finalize();
  }

 private:
  CollectiveResult measure(Collective op, uint64_t bytes, int repetitions) {
    const CollectiveShape s = collective_shape(op, bytes, size_);
    const std::vector<double> input = crafted_input(op, s, rank_, size_);
    const double* send = input.data();
    std::vector<double> recv(s.recv, -2.0);
    const int ns = static_cast<int>(s.send);
    const int nr = static_cast<int>(s.recv);
    const int block = static_cast<int>(s.recv / static_cast<uint64_t>(size_));
    auto launch = [&] {
      switch (op) {
        case Collective::Allreduce:
          return MPI_Allreduce(send, recv.data(), ns, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
        case Collective::Allgather:
          return MPI_Allgather(send, ns, MPI_DOUBLE, recv.data(), ns, MPI_DOUBLE, MPI_COMM_WORLD);
        case Collective::ReduceScatter:
          return MPI_Reduce_scatter_block(send, recv.data(), nr, MPI_DOUBLE, MPI_SUM,
                                          MPI_COMM_WORLD);
        case Collective::Broadcast:
          // In place: the root's buffer is the input, the others' the output.
          return MPI_Bcast(recv.data(), nr, MPI_DOUBLE, 0, MPI_COMM_WORLD);
        case Collective::Alltoall:
          return MPI_Alltoall(send, block, MPI_DOUBLE, recv.data(), block, MPI_DOUBLE,
                              MPI_COMM_WORLD);
      }
      return MPI_ERR_OTHER;
    };
    auto reset = [&] {
      if (op == Collective::Broadcast)
        recv = input;  // non-roots hold -1: overwritten or wrong
      else
        std::fill(recv.begin(), recv.end(), -2.0);
    };
    uint64_t wrong = 0;
    reset();
    check(launch(), to_string(op));  // warm-up, and the first check
    wrong += wrong_elements(op, s, rank_, size_, recv);
    std::vector<double> times;
    for (int i = 0; i < repetitions; ++i) {
      reset();
      check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
      const double t0 = MPI_Wtime();
      check(launch(), to_string(op));
      double t = MPI_Wtime() - t0;
      // The operation is done when its slowest rank is done.
      check(MPI_Allreduce(MPI_IN_PLACE, &t, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD),
            "MPI_Allreduce");
      times.push_back(t);
    }
    // Checked again after timing: right once and wrong later still fails.
    wrong += wrong_elements(op, s, rank_, size_, recv);
    check(MPI_Allreduce(MPI_IN_PLACE, &wrong, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD),
          "MPI_Allreduce");
    CollectiveResult r;
    r.op = op;
    r.bytes = std::max(s.send, s.recv) * sizeof(double);
    r.ranks = size_;
    r.repetitions = repetitions;
    r.latency_s = results::quantile(times, 0.5);
    r.wrong = wrong;
    return r;
  }

  int rank_ = 0;
  int size_ = 1;
  int local_rank_ = 0;
  std::string hostname_;
  bool finalized_ = false;
};

}  // namespace

std::unique_ptr<Session> start_session() {
  return std::make_unique<MpiSession>();
}

}  // namespace chipcert::fleet
