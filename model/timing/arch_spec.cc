#include "model/timing/arch_spec.h"

namespace nibble::timing {

const char* dataflow_name(Dataflow d) {
  switch (d) {
    case Dataflow::kOs:
      return "os";
    case Dataflow::kWs:
      return "ws";
    case Dataflow::kIs:
      return "is";
  }
  return "?";
}

std::optional<Dataflow> parse_dataflow(std::string_view name) {
  for (Dataflow d : {Dataflow::kOs, Dataflow::kWs, Dataflow::kIs}) {
    if (name == dataflow_name(d)) {
      return d;
    }
  }
  return std::nullopt;
}

const char* timing_mode_name(TimingMode m) {
  switch (m) {
    case TimingMode::kCompat:
      return "compat";
    case TimingMode::kRealistic:
      return "realistic";
  }
  return "?";
}

std::optional<TimingMode> parse_timing_mode(std::string_view name) {
  for (TimingMode m : {TimingMode::kCompat, TimingMode::kRealistic}) {
    if (name == timing_mode_name(m)) {
      return m;
    }
  }
  return std::nullopt;
}

const char* tiling_name(Tiling t) {
  switch (t) {
    case Tiling::kSearch:
      return "search";
    case Tiling::kGreedy:
      return "greedy";
  }
  return "?";
}

std::optional<Tiling> parse_tiling(std::string_view name) {
  for (Tiling t : {Tiling::kSearch, Tiling::kGreedy}) {
    if (name == tiling_name(t)) {
      return t;
    }
  }
  return std::nullopt;
}

}  // namespace nibble::timing
