// A test-only preload library (LD_PRELOAD) that widens the race windows of publishing an output
// folder: every rename(), renameat() and renameat2() whose source path holds ".partial-" (a
// StagedDir's hidden staging folder, or a file in it) first sleeps NIBBLE_TEST_RENAME_DELAY_MS
// milliseconds, then renames as asked (only the first NIBBLE_TEST_RENAME_DELAY_COUNT such
// renames, when that is set). Two runs into the same folder then reach their
// check-then-rename steps together, and a SIGKILL can land between the renames of one commit,
// every time instead of once in a million. Used by test_outputs_race.cc and
// test_outputs_crash.cc; nothing else loads it.
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <time.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace {

void delay_if_staging(const char* from) {
  const char* ms = std::getenv("NIBBLE_TEST_RENAME_DELAY_MS");
  if (ms == nullptr || from == nullptr || std::strstr(from, ".partial-") == nullptr) {
    return;
  }
  static long delayed = 0;
  const char* count = std::getenv("NIBBLE_TEST_RENAME_DELAY_COUNT");
  if (count != nullptr && delayed >= std::strtol(count, nullptr, 10)) {
    return;
  }
  ++delayed;
  const long n = std::strtol(ms, nullptr, 10);
  timespec t{n / 1000, (n % 1000) * 1000000L};
  while (nanosleep(&t, &t) != 0 && errno == EINTR) {
  }
}

template <typename F>
F next(const char* name) {
  return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}

}  // namespace

extern "C" {

int rename(const char* from, const char* to) {
  static const auto real = next<int (*)(const char*, const char*)>("rename");
  delay_if_staging(from);
  return real(from, to);
}

int renameat(int from_dir, const char* from, int to_dir, const char* to) {
  static const auto real = next<int (*)(int, const char*, int, const char*)>("renameat");
  delay_if_staging(from);
  return real(from_dir, from, to_dir, to);
}

int renameat2(int from_dir, const char* from, int to_dir, const char* to, unsigned flags) {
  static const auto real = next<int (*)(int, const char*, int, const char*, unsigned)>("renameat2");
  delay_if_staging(from);
  return real(from_dir, from, to_dir, to, flags);
}

}  // extern "C"
