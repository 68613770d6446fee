// The PE that the tests' hand derivations and independent references assume where they do not
// say otherwise: one lane (one MAC per PE-cycle), FP8 at 0.5 and FP16 at 0.25 MACs per cycle.
// The config's defaults are the 4-lane PE (docs/config.md); a test that derives its numbers
// for one lane pins that PE here, so a change of the defaults does not change what it checks.
#ifndef NIBBLE_TESTS_ONE_LANE_PE_H_
#define NIBBLE_TESTS_ONE_LANE_PE_H_

#include "model/timing/arch_spec.h"

namespace nibble::test {

inline timing::PeSpec one_lane_pe() {
  timing::PeSpec pe;
  pe.lanes = 1;
  pe.fp8_macs_per_cycle = 0.5;
  pe.fp16_macs_per_cycle = 0.25;
  return pe;
}

// The default ArchSpec with the one-lane PE.
inline timing::ArchSpec one_lane_arch() {
  timing::ArchSpec a;
  a.pe = one_lane_pe();
  return a;
}

}  // namespace nibble::test

#endif  // NIBBLE_TESTS_ONE_LANE_PE_H_
