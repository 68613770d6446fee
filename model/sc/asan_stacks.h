// AddressSanitizer and LeakSanitizer with SystemC's coroutines (docs/systemc.md, "Sanitizers").
// Two annotations that libsystemc 2.3.4 lacks, so that errors raised after the kernel started
// can be checked under ASan (issue 18, D8). Without ASan both classes are empty.
//
// libsystemc 2.3.4 tells ASan of a switch between its QuickThreads stacks when a process
// yields (__sanitizer_start_switch_fiber), but gives the main stack as bottom NULL, size 0, and
// says nothing when a process ends (sc_cor_pkg_qt::abort): once a process has run, ASan's bounds
// of the main thread's stack are {0, 0} or the stack of the last process that ended. At every
// throw ASan must unpoison the frames the exception unwinds (__asan_handle_no_return); with
// wrong bounds it skips that ("ASan is ignoring requested __asan_handle_no_return: stack type:
// default top: 0x000000000000"), the redzones of the unwound frames stay poisoned and the next
// frames there report a false stack-buffer-overflow. MainStackForAsan repairs the bounds.
//
// A process still suspended when the simulation stops (another job's, after one job's error
// stopped it) keeps its locals on its coroutine stack, memory that libsystemc maps itself and
// LeakSanitizer does not scan: their heap blocks would be reported as leaks at exit.
// ProcessStackForLsan makes the stack a root region while the process lives.
#ifndef NIBBLE_MODEL_SC_ASAN_STACKS_H_
#define NIBBLE_MODEL_SC_ASAN_STACKS_H_

#include <cstddef>
#include <cstdio>

#if defined(__SANITIZE_ADDRESS__)
#define NIBBLE_SC_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NIBBLE_SC_ASAN 1
#endif
#endif

#ifdef NIBBLE_SC_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#include <sanitizer/lsan_interface.h>
#endif

namespace nibble::sc {

#ifdef NIBBLE_SC_ASAN
namespace asan_detail {

struct StackBounds {
  const void* bottom = nullptr;
  size_t size = 0;
};

// Sets ASan's bounds of the current stack (of this thread, or of the coroutine running on it).
inline void set_current_stack(const StackBounds& b) {
  void* fake_stack = nullptr;
  __sanitizer_start_switch_fiber(&fake_stack, b.bottom, b.size);
  __sanitizer_finish_switch_fiber(fake_stack, nullptr, nullptr);
}

// The memory mapping that holds `p` (from /proc/self/maps), or {} if none does. For a stack
// mapped by libsystemc its bottom is the stack's bottom: below it lies the guard page.
inline StackBounds mapping_of(const void* p) {
  const auto at = reinterpret_cast<unsigned long>(p);
  StackBounds b;
  if (std::FILE* maps = std::fopen("/proc/self/maps", "r")) {
    char line[512];
    while (std::fgets(line, sizeof line, maps) != nullptr) {
      unsigned long begin = 0;
      unsigned long end = 0;
      if (std::sscanf(line, "%lx-%lx", &begin, &end) == 2 && begin <= at && at < end) {
        b.bottom = reinterpret_cast<const void*>(begin);
        b.size = end - begin;
        break;
      }
    }
    std::fclose(maps);
  }
  return b;
}

// The bounds of the current stack: ASan's, read by a switch to "no stack" and back on the same
// stack (nothing moves); if they do not hold this frame (a process entered by libsystemc's
// unannounced switch, above), the mapping that does, and ASan is given those.
inline StackBounds current_stack() {
  StackBounds b;
  void* fake_stack = nullptr;
  __sanitizer_start_switch_fiber(&fake_stack, nullptr, 0);
  __sanitizer_finish_switch_fiber(fake_stack, &b.bottom, &b.size);
  const char* const here = static_cast<const char*>(__builtin_frame_address(0));
  const char* const bottom = static_cast<const char*>(b.bottom);
  if (bottom == nullptr || here < bottom || here >= bottom + b.size) {
    b = mapping_of(here);
  }
  set_current_stack(b);
  return b;
}

}  // namespace asan_detail
#endif

// Around sc_start, on the main stack: reads ASan's bounds of the main stack before the kernel
// starts, gives them back when sc_start returns or throws, and then unpoisons the stack below
// its caller's frame, which is dead by then, in case an exception unwound frames there while
// the bounds were lost (the kernel and the SC_METHODs run on the main stack).
class MainStackForAsan {
 public:
#ifdef NIBBLE_SC_ASAN
  MainStackForAsan() : main_(asan_detail::current_stack()) {}
  // No instrumented frame of its own, so everything below this frame is dead stack.
  __attribute__((noinline, no_sanitize_address)) ~MainStackForAsan() {
    asan_detail::set_current_stack(main_);
    const char* const here = static_cast<const char*>(__builtin_frame_address(0));
    const char* const bottom = static_cast<const char*>(main_.bottom);
    if (bottom != nullptr && bottom < here && here <= bottom + main_.size) {
      __asan_unpoison_memory_region(bottom, static_cast<size_t>(here - bottom));
    }
  }
#else
  MainStackForAsan() {}  // user-provided: no unused-variable warning where it is declared
#endif
  MainStackForAsan(const MainStackForAsan&) = delete;
  MainStackForAsan& operator=(const MainStackForAsan&) = delete;

 private:
#ifdef NIBBLE_SC_ASAN
  asan_detail::StackBounds main_;
#endif
};

// First thing in an SC_THREAD: its coroutine stack is a LeakSanitizer root region until the
// thread function returns (or unwinds).
class ProcessStackForLsan {
 public:
#ifdef NIBBLE_SC_ASAN
  ProcessStackForLsan() : stack_(asan_detail::current_stack()) {
    if (stack_.bottom != nullptr) {
      __lsan_register_root_region(stack_.bottom, stack_.size);
    }
  }
  ~ProcessStackForLsan() {
    if (stack_.bottom != nullptr) {
      __lsan_unregister_root_region(stack_.bottom, stack_.size);
    }
  }
#else
  ProcessStackForLsan() {}
#endif
  ProcessStackForLsan(const ProcessStackForLsan&) = delete;
  ProcessStackForLsan& operator=(const ProcessStackForLsan&) = delete;

 private:
#ifdef NIBBLE_SC_ASAN
  asan_detail::StackBounds stack_;
#endif
};

}  // namespace nibble::sc

#endif  // NIBBLE_MODEL_SC_ASAN_STACKS_H_
