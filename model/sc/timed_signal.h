// A signal written at future cycles without changing anyone's schedule: set_at(cycle, value)
// queues a value and an SC_METHOD of this module applies it when the time comes. The model's
// threads know a transfer's or a tile's start and end when they issue it; waiting for those
// times just to write a wave would add context switches (and, for the DMA, reorder its work).
// Used only for the VCD waves (docs/systemc.md, "Waves"); disabled, set_at does nothing.
#ifndef NIBBLE_MODEL_SC_TIMED_SIGNAL_H_
#define NIBBLE_MODEL_SC_TIMED_SIGNAL_H_

#include <cstdint>
#include <map>
#include <string>
#include <systemc>

#include "model/sc/cycles.h"

namespace nibble::sc {

template <typename T>
class TimedSignal : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(TimedSignal);
  TimedSignal(const sc_core::sc_module_name& name, bool enabled)
      : sc_core::sc_module(name), signal_("value"), enabled_(enabled) {
    SC_METHOD(apply);
    sensitive << due_;
    dont_initialize();
  }

  // The value takes effect at cycle `at` (>= now); of several values for one cycle the last
  // set wins.
  void set_at(int64_t at, const T& value) {
    if (!enabled_) {
      return;
    }
    pending_[at] = value;
    notify_next();
  }

  const sc_core::sc_signal<T>& signal() const { return signal_; }
  bool enabled() const { return enabled_; }

 private:
  void apply() {
    const int64_t now = now_cycles();
    while (!pending_.empty() && pending_.begin()->first <= now) {
      signal_.write(pending_.begin()->second);
      pending_.erase(pending_.begin());
    }
    notify_next();
  }

  void notify_next() {
    if (!pending_.empty()) {
      const int64_t now = now_cycles();
      const int64_t at = pending_.begin()->first;
      due_.notify(cycles_to_time(at > now ? at - now : 0));
    }
  }

  sc_core::sc_signal<T> signal_;
  sc_core::sc_event due_;
  std::map<int64_t, T> pending_;
  bool enabled_;
};

}  // namespace nibble::sc

#endif  // NIBBLE_MODEL_SC_TIMED_SIGNAL_H_
