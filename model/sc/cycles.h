// The time base of the SystemC model (docs/systemc.md, "Time"): every quantity is an integer
// number of cycles of the array clock; one cycle is one nanosecond of sc_time, which is also the
// kernel's time resolution (run_engine sets it), so a cycle count and an sc_time value are the
// same 64-bit integer. clock_ghz plays no part here: reports use it to turn cycles into seconds.
// This header is the only place that converts between the two, at TLM sockets and waits.
#ifndef NIBBLE_MODEL_SC_CYCLES_H_
#define NIBBLE_MODEL_SC_CYCLES_H_

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <systemc>

namespace nibble::sc {

inline sc_core::sc_time cycles_to_time(int64_t cycles) {
  if (cycles < 0) {
    throw std::logic_error("negative cycle count " + std::to_string(cycles));
  }
  return sc_core::sc_time::from_value(static_cast<sc_dt::uint64>(cycles));
}

inline int64_t time_to_cycles(const sc_core::sc_time& t) {
  if (t.value() > static_cast<sc_dt::uint64>(std::numeric_limits<int64_t>::max())) {
    throw std::overflow_error("simulated time beyond 2^63 cycles");
  }
  return static_cast<int64_t>(t.value());
}

inline int64_t now_cycles() { return time_to_cycles(sc_core::sc_time_stamp()); }

// Suspends the calling thread for `cycles` cycles (none for 0: no delta cycle is spent).
inline void wait_cycles(int64_t cycles) {
  if (cycles > 0) {
    sc_core::wait(cycles_to_time(cycles));
  }
}

// Suspends the calling thread until absolute cycle `at` (at once if it has passed).
inline void wait_until(int64_t at) {
  const int64_t now = now_cycles();
  if (at > now) {
    wait_cycles(at - now);
  }
}

}  // namespace nibble::sc

#endif  // NIBBLE_MODEL_SC_CYCLES_H_
