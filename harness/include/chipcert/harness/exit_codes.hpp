#pragma once
/// Process exit codes. Only main() turns outcomes into these; the README's
/// table is generated from the same list by hand -- keep both in step.

namespace chipcert::harness {

enum ExitCode : int {
  kExitOk = 0,            ///< done, and every verdict was positive
  kExitVerdict = 1,       ///< done, but a case did not pass / a check failed
  kExitUsage = 2,         ///< bad flag or flag value, unknown suite, selector matching nothing
  kExitBadInput = 3,      ///< an input file is unreadable, malformed or invalid
  kExitEnvironment = 4,   ///< nothing to run on, or the system failed (I/O, disk full)
  kExitInternal = 5,      ///< a bug in chipcert
  kExitInterrupted = 130  ///< stopped by SIGINT / SIGTERM after saving what was measured
};

}  // namespace chipcert::harness
