// Every CHIPCERT_FAULT mode of the fault driver, through the C ABI. Modes
// that end or stall the process (hang, segv, abort) and `leak` (measured by
// RSS) run in a forked child; the parent checks how the child ended.
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "fault_test_support.hpp"

namespace {

using namespace fault_test;

// ---- faults that change results ------------------------------------------------

TEST_F(FaultTest, WrongChangesExactlyTheMiddleElementByALot) {
  Dev dev;
  Stream s(dev, CC_OP_STREAM_TRIAD, CC_DTYPE_F32, 101);
  ASSERT_EQ(s.op.Launch(), CC_OK);
  const auto good = s.Out();
  Set("CHIPCERT_FAULT", "wrong");
  ASSERT_EQ(s.op.Launch(), CC_OK);
  const auto bad = s.Out();
  const auto [count, at] = Diff(good, bad);
  EXPECT_EQ(count, 1u);
  EXPECT_EQ(at, 50u);
  EXPECT_GT(std::fabs(bad[at] - good[at]), 1000.0);
  Set("CHIPCERT_FAULT_ARG", "7");
  ASSERT_EQ(s.op.Launch(), CC_OK);
  EXPECT_EQ(Diff(good, s.Out()), std::make_pair(size_t(1), size_t(7)));
  Set("CHIPCERT_FAULT_ARG", "1e9");  // clamped to the last element
  ASSERT_EQ(s.op.Launch(), CC_OK);
  EXPECT_EQ(Diff(good, s.Out()), std::make_pair(size_t(1), size_t(100)));
}

TEST_F(FaultTest, WrongHitsRowZeroOfTheMiddleGemmMatrix) {
  cc_op_desc d = Desc(CC_OP_GEMM, CC_DTYPE_F64);
  d.u.gemm = Gemm(4, 6, 3);
  d.u.gemm.batch = 3;
  d.u.gemm.stride_a = 12, d.u.gemm.stride_b = 18, d.u.gemm.stride_c = 24;
  Dev dev;
  Op op(dev, d, {Values(36, 1), Values(54, 2), Values(72, 3)});
  ASSERT_EQ(op.Launch(), CC_OK);
  const auto good = op.Read(2, 72);
  Set("CHIPCERT_FAULT", "wrong");
  ASSERT_EQ(op.Launch(), CC_OK);
  EXPECT_EQ(Diff(good, op.Read(2, 72)), std::make_pair(size_t(1), size_t(24 + 3)));
}

TEST_F(FaultTest, NanSetsOneElement) {
  Set("CHIPCERT_FAULT", "nan");
  Dev dev;
  Stream s(dev, CC_OP_STREAM_MUL, CC_DTYPE_F64, 20);
  ASSERT_EQ(s.op.Launch(), CC_OK);
  const auto out = s.Out();
  size_t nans = 0;
  for (double v : out) nans += std::isnan(v);
  EXPECT_EQ(nans, 1u);
  EXPECT_TRUE(std::isnan(out[10]));
}

TEST_F(FaultTest, ZerosZeroesEveryOutput) {
  Set("CHIPCERT_FAULT", "zeros");
  Dev dev;
  Stream s(dev, CC_OP_STREAM_ADD, CC_DTYPE_F32, 33);
  ASSERT_EQ(s.op.Launch(), CC_OK);
  EXPECT_EQ(s.Out(), std::vector<double>(33, 0.0));
  Stream dot(dev, CC_OP_STREAM_DOT, CC_DTYPE_F64, 33);
  ASSERT_EQ(dot.op.Launch(), CC_OK);
  EXPECT_EQ(dot.Out(), std::vector<double>{0.0});
}

TEST_F(FaultTest, UlpMovesEveryElementOneUlpAwayFromZeroExceptCopy) {
  for (cc_dtype t : {CC_DTYPE_F32, CC_DTYPE_F64})
    for (cc_op_kind kind : {CC_OP_STREAM_COPY, CC_OP_STREAM_TRIAD, CC_OP_STREAM_DOT}) {
      SCOPED_TRACE(std::to_string(kind) + " " + std::to_string(t));
      unsetenv("CHIPCERT_FAULT");
      Dev dev;
      Stream s(dev, kind, t, 64);
      ASSERT_EQ(s.op.Launch(), CC_OK);
      const auto good = s.Out();
      Set("CHIPCERT_FAULT", "ulp");
      ASSERT_EQ(s.op.Launch(), CC_OK);
      const auto bad = s.Out();
      for (size_t i = 0; i < good.size(); ++i) {
        const double want =
            kind == CC_OP_STREAM_COPY || good[i] == 0 ? good[i]
            : t == CC_DTYPE_F64
                ? std::nextafter(good[i], std::copysign(INFINITY, good[i]))
                : double(std::nextafter(float(good[i]), std::copysign(INFINITY, float(good[i]))));
        EXPECT_EQ(bad[i], want) << i;
      }
    }
}

TEST_F(FaultTest, WrongAfterIsRightFirstThenWrong) {
  Dev dev;
  Stream s(dev, CC_OP_STREAM_COPY, CC_DTYPE_F32, 9);
  const auto in = s.op.Read(0, 9);
  Set("CHIPCERT_FAULT", "wrong_after");  // AFTER defaults to 1
  ASSERT_EQ(s.op.Launch(), CC_OK);
  EXPECT_EQ(s.Out(), in);
  ASSERT_EQ(s.op.Launch(), CC_OK);
  EXPECT_EQ(Diff(in, s.Out()).first, 1u);
  Set("CHIPCERT_FAULT_AFTER", "3");  // counts launches so far on this device: 2
  s.op.Write(1, in);
  ASSERT_EQ(s.op.Launch(), CC_OK);
  EXPECT_EQ(s.Out(), in);
  ASSERT_EQ(s.op.Launch(), CC_OK);
  EXPECT_NE(s.Out(), in);
}

// ---- faults that return errors ---------------------------------------------------

TEST_F(FaultTest, ErrorHonoursOpAndAfter) {
  Set("CHIPCERT_FAULT", "error");
  Set("CHIPCERT_FAULT_OP", "stream_triad");
  Set("CHIPCERT_FAULT_AFTER", "1");
  Dev dev;
  Stream add(dev, CC_OP_STREAM_ADD, CC_DTYPE_F32, 8),
      triad(dev, CC_OP_STREAM_TRIAD, CC_DTYPE_F32, 8);
  EXPECT_EQ(add.op.Launch(), CC_OK);
  EXPECT_EQ(triad.op.Launch(), CC_OK);  // first matching launch: AFTER = 1
  EXPECT_EQ(add.op.Launch(), CC_OK);
  EXPECT_EQ(triad.op.Launch(), CC_ERR_DEVICE);
  EXPECT_EQ(dev.error(), "injected device error");
  double sec = 0;
  EXPECT_EQ(triad.op.Timed(1, &sec), CC_ERR_DEVICE);
  EXPECT_EQ(add.op.Timed(1, &sec), CC_OK);
}

TEST_F(FaultTest, PrepareAllocAndOpenFailures) {
  Dev dev;
  Set("CHIPCERT_FAULT", "prepare_error");
  Set("CHIPCERT_FAULT_OP", "gemm");
  cc_kernel* k = nullptr;
  cc_op_desc gemm = Desc(CC_OP_GEMM, CC_DTYPE_F32);
  gemm.u.gemm = Gemm(1, 1, 1);
  EXPECT_EQ(T().prepare(dev.d, &gemm, &k), CC_ERR_DEVICE);
  EXPECT_EQ(dev.error(), "injected prepare failure");
  const cc_op_desc noop = Desc(CC_OP_NOOP, CC_DTYPE_F32);
  ASSERT_EQ(T().prepare(dev.d, &noop, &k), CC_OK);
  T().release(dev.d, k);
  Set("CHIPCERT_FAULT", "alloc_fail");
  cc_buffer* b = nullptr;
  EXPECT_EQ(T().alloc(dev.d, 16, &b), CC_ERR_OUT_OF_MEMORY);
  EXPECT_NE(dev.error().find("injected allocation failure"), std::string::npos);
  Set("CHIPCERT_FAULT", "open_fail");
  Dev failed;
  EXPECT_EQ(failed.status, CC_ERR_DEVICE);
  EXPECT_EQ(failed.d, nullptr);
  EXPECT_STREQ(T().last_error(nullptr), "injected open failure");
}

// ---- timing faults -------------------------------------------------------------

double Seconds(const std::function<void()>& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

TEST_F(FaultTest, SlowSleepsOnlyInMatchingLaunches) {
  Set("CHIPCERT_FAULT", "slow");
  Set("CHIPCERT_FAULT_ARG", "0.2");
  Set("CHIPCERT_FAULT_OP", "stream_copy");
  Dev dev;
  Stream copy(dev, CC_OP_STREAM_COPY, CC_DTYPE_F32, 8), mul(dev, CC_OP_STREAM_MUL, CC_DTYPE_F32, 8);
  EXPECT_GE(Seconds([&] { EXPECT_EQ(copy.op.Launch(), CC_OK); }), 0.2);
  EXPECT_EQ(copy.Out(), copy.op.Read(0, 8));
  EXPECT_LT(Seconds([&] { EXPECT_EQ(mul.op.Launch(), CC_OK); }), 0.2);
}

TEST_F(FaultTest, FlakyTimerGivesNegativeThenNanButCorrectResults) {
  Set("CHIPCERT_FAULT", "flaky_timer");
  Dev dev;
  Stream s(dev, CC_OP_STREAM_COPY, CC_DTYPE_F64, 16);
  double sec = 0;
  ASSERT_EQ(s.op.Timed(2, &sec), CC_OK);
  EXPECT_LT(sec, 0.0);
  ASSERT_EQ(s.op.Timed(1, &sec), CC_OK);
  EXPECT_TRUE(std::isnan(sec));
  ASSERT_EQ(s.op.Timed(1, &sec), CC_OK);
  EXPECT_LT(sec, 0.0);
  EXPECT_EQ(s.Out(), s.op.Read(0, 16));
  EXPECT_EQ(s.op.Launch(), CC_OK);
}

// ---- faults that end the process: run in a child ---------------------------------

struct ChildEnd {
  bool timed_out = false;  ///< still running at the deadline, then SIGKILLed
  int status = 0;          ///< waitpid status
  std::string said;        ///< what the child wrote to its pipe
};

/// Fork; the child runs `body(fd)` then _exit(0). Kill it after `timeout_s`.
ChildEnd RunChild(const std::function<void(int)>& body, double timeout_s) {
  (void)T();  // resolve the table before forking
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    body(fds[1]);
    _exit(0);  // skip gtest's and the sanitizers' exit handlers
  }
  close(fds[1]);
  ChildEnd end;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  for (;;) {
    if (waitpid(pid, &end.status, WNOHANG) == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      end.timed_out = true;
      kill(pid, SIGKILL);
      waitpid(pid, &end.status, 0);
      break;
    }
    poll(nullptr, 0, 10);
  }
  char buf[256];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) end.said.append(buf, size_t(n));
  close(fds[0]);
  return end;
}

void Say(int fd, const std::string& s) {
  (void)!write(fd, s.data(), s.size());
}

/// Child body: open, prepare noop, say "L", launch, say "R" and the status,
/// synchronize, say "S".
void LaunchNoop(int fd) {
  Dev dev;
  cc_kernel* k = nullptr;
  const cc_op_desc noop = Desc(CC_OP_NOOP, CC_DTYPE_F32);
  if (T().prepare(dev.d, &noop, &k) != CC_OK) return;
  Say(fd, "L");
  const cc_status s = T().launch(dev.d, k, nullptr, 0);
  Say(fd, "R" + std::to_string(s));
  T().synchronize(dev.d);
  Say(fd, "S");
}

TEST_F(FaultTest, HangBlocksLaunchUntilKilled) {
  Set("CHIPCERT_FAULT", "hang");
  const ChildEnd end = RunChild(LaunchNoop, 1.0);
  EXPECT_TRUE(end.timed_out);
  EXPECT_TRUE(WIFSIGNALED(end.status) && WTERMSIG(end.status) == SIGKILL);
  EXPECT_EQ(end.said, "L");
}

TEST_F(FaultTest, HangWithArgOneBlocksSynchronize) {
  Set("CHIPCERT_FAULT", "hang");
  Set("CHIPCERT_FAULT_ARG", "1");
  const ChildEnd end = RunChild(LaunchNoop, 1.0);
  EXPECT_TRUE(end.timed_out);
  EXPECT_EQ(end.said, "LR0");
}

TEST_F(FaultTest, HangWaitsForItsLaunch) {
  Set("CHIPCERT_FAULT", "hang");
  Set("CHIPCERT_FAULT_AFTER", "1");
  const ChildEnd end = RunChild(LaunchNoop, 10.0);
  EXPECT_FALSE(end.timed_out);
  EXPECT_EQ(end.said, "LR0S");
}

TEST_F(FaultTest, SegvKillsTheProcessBySignal) {
  Set("CHIPCERT_FAULT", "segv");
  const ChildEnd end = RunChild(LaunchNoop, 10.0);
  EXPECT_FALSE(end.timed_out);
  EXPECT_TRUE(WIFSIGNALED(end.status) && WTERMSIG(end.status) == SIGSEGV) << end.status;
  EXPECT_EQ(end.said, "L");
}

TEST_F(FaultTest, AbortKillsTheProcessBySigabrt) {
  Set("CHIPCERT_FAULT", "abort");
  const ChildEnd end = RunChild(LaunchNoop, 10.0);
  EXPECT_FALSE(end.timed_out);
  EXPECT_TRUE(WIFSIGNALED(end.status) && WTERMSIG(end.status) == SIGABRT) << end.status;
  EXPECT_EQ(end.said, "L");
}

TEST_F(FaultTest, NoneLetsTheChildFinish) {
  const ChildEnd end = RunChild(LaunchNoop, 10.0);
  EXPECT_TRUE(WIFEXITED(end.status) && WEXITSTATUS(end.status) == 0);
  EXPECT_EQ(end.said, "LR0S");
}

/// Resident set size of this process in MiB.
double RssMiB() {
  std::ifstream f("/proc/self/statm");
  long pages = 0, resident = 0;
  f >> pages >> resident;
  return double(resident) * double(sysconf(_SC_PAGESIZE)) / (1 << 20);
}

/// Child body: RSS growth over 3 noop launches, in MiB, as text.
void GrowthOfThreeLaunches(int fd) {
  Dev dev;
  cc_kernel* k = nullptr;
  const cc_op_desc noop = Desc(CC_OP_NOOP, CC_DTYPE_F32);
  if (T().prepare(dev.d, &noop, &k) != CC_OK) return;
  const double before = RssMiB();
  for (int i = 0; i < 3; ++i)
    if (T().launch(dev.d, k, nullptr, 0) != CC_OK) return;
  Say(fd, std::to_string(RssMiB() - before));
}

TEST_F(FaultTest, LeakGrowsResidentMemoryByArgMiBPerLaunch) {
  const ChildEnd clean = RunChild(GrowthOfThreeLaunches, 30.0);
  ASSERT_FALSE(clean.said.empty());
  EXPECT_LT(std::stod(clean.said), 4.0);
  Set("CHIPCERT_FAULT", "leak");
  Set("CHIPCERT_FAULT_ARG", "16");
  const ChildEnd leak = RunChild(GrowthOfThreeLaunches, 30.0);
  ASSERT_FALSE(leak.said.empty());
  EXPECT_GE(std::stod(leak.said), 3 * 16 - 2.0);
  EXPECT_LT(std::stod(leak.said), 3 * 16 + 8.0);
}

}  // namespace
