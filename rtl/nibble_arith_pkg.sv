// nibble_arith_pkg: the arithmetic rules of nibble's RTL, each written once, as functions: the
// binary16 rounder, the binary16 adder and the L-lane PE step (the chunk rule).
//
// The modules nibble_fp16_round, nibble_fp16_add and nibble_lanes put these functions behind
// ports (their testbenches check them bit for bit against model/numerics), nibble_product and
// nibble_scale_unit round through nibble_fp16_round, and the PE loop of nibble_mac_array calls
// lanes::step for every PE. A function whose widths depend on a parameter is a static method of
// a parameterized class, which is how IEEE 1800-2017 (section 13.8, "Parameterized tasks and
// functions") gives parameterized subroutines; the classes hold no state.
package nibble_arith_pkg;

  // -----------------------------------------------------------------------------------------
  // The one binary16 rounder (num: round_pack in model/numerics/minifloat.cc).
  //
  // Rounds an exact real value, given as sign and unsigned fixed-point magnitude, once to
  // binary16: round to nearest, ties to even; subnormals kept; overflow gives +-Inf. A zero
  // magnitude gives a zero with the given sign (callers apply their own signed-zero rules).
  //
  // value = mag * 2^-FracBits (FracBits >= 24). Let p be the index of the leading one of mag.
  //  - p >= FracBits - 14 (value >= 2^-14): normal. Biased exponent field p - FracBits + 15; the
  //    11 significand bits are mag[p -: 11]; the bits below them are discarded.
  //  - otherwise: subnormal, field 0. The significand is mag in units of 2^-24, i.e. the bits
  //    from index FracBits - 24 upwards.
  // Either way `lsb` is the index of the lowest kept bit, guard = mag[lsb - 1] and sticky = OR
  // of the bits below the guard; the result rounds up iff guard & (sticky | kept LSB). The
  // rounding increment is added to {field, mantissa} as one 15-bit integer: a mantissa carry
  // moves into the exponent (a subnormal can round up to 2^-14, 65504 + ulp/2 to +Inf) exactly
  // as IEEE 754 requires. A field >= 31 before rounding is an overflow: +-Inf.
  // The leading one is found by a binary search over halves (a logarithmic shifter), IdxWidth
  // steps.
  // -----------------------------------------------------------------------------------------
  class fp16_round #(
    int unsigned MagWidth = 41,  // width of the magnitude
    int unsigned FracBits = 24   // fractional bits of the magnitude, at least 24
  );
    localparam int unsigned IdxWidth = $clog2(MagWidth + 1);
    // Index of the 2^-14 bit (smallest normal) and of the 2^-24 bit (subnormal quantum).
    localparam int unsigned NormalIdx = FracBits - 14;
    localparam int unsigned SubnormalLsb = FracBits - 24;

    static function logic [15:0] round(logic sign, logic [MagWidth-1:0] mag);
      logic [MagWidth-1:0] rest;      // mag shifted right while the leading one is searched
      logic [IdxWidth-1:0] lead;      // index of the leading one (0 when mag is zero)
      logic [IdxWidth-1:0] lsb;       // index of the lowest kept bit
      logic                is_normal;
      logic [4:0]          field;     // biased exponent before rounding
      logic [9:0]          kept;      // (mag >> lsb) without the hidden bit: the mantissa field
      logic [MagWidth-1:0] low_mask;  // bits below lsb
      logic [MagWidth-1:0] half;      // the guard bit's weight: 1 << (lsb - 1), 0 when lsb == 0
      logic                guard;
      logic                sticky;
      logic                round_up;
      logic [14:0]         magnitude;
      rest = mag;
      lead = '0;
      for (int step = int'(IdxWidth) - 1; step >= 0; step--) begin
        if ((rest >> (1 << step)) != '0) begin
          rest = rest >> (1 << step);
          lead = lead | IdxWidth'(1 << step);
        end
      end
      is_normal = 32'(lead) >= NormalIdx;
      if (is_normal && (32'(lead) - NormalIdx + 1 >= 31)) begin
        return {sign, nibble_pkg::Fp16PosInf[14:0]};
      end
      field     = is_normal ? 5'(32'(lead) - NormalIdx + 1) : 5'd0;
      lsb       = is_normal ? IdxWidth'(32'(lead) - 10) : IdxWidth'(SubnormalLsb);
      kept      = 10'(mag >> lsb);  // the hidden bit (index 10) is implied by field
      low_mask  = ~({MagWidth{1'b1}} << lsb);
      half      = (lsb == '0) ? '0 : (MagWidth'(1) << (lsb - 1'b1));
      guard     = |(mag & half);
      sticky    = |(mag & low_mask & ~half);
      round_up  = guard & (sticky | kept[0]);
      magnitude = {field, kept} + 15'(round_up);
      return {sign, magnitude};
    endfunction
  endclass

  // -----------------------------------------------------------------------------------------
  // binary16 + binary16, rounded once (num::fp16_add, model/numerics/fp16.cc; docs/numerics.md
  // "FP16"):
  //  - Specials first: any NaN operand, or Inf + (-Inf), gives the canonical NaN 16'h7E00
  //    (payloads and NaN signs are not propagated); Inf + Inf of one sign and Inf + finite give
  //    that Inf.
  //  - Finite operands: the exact sum, rounded once to nearest, ties to even, subnormals kept,
  //    overflow to +-Inf.
  //  - An exact zero sum is +0, except (-0) + (-0) = -0.
  // Algorithm: align to a wide fixed point exactly, add, normalize and round once.
  //  1. Every finite binary16 value is an integer multiple of 2^-24 (the smallest subnormal)
  //     below 2^16, so |x| * 2^24 is a 40-bit integer: the mantissa (with the hidden bit for a
  //     normal) shifted left by field - 1 (field 0: not shifted).
  //  2. Signed-magnitude add of the two 40-bit integers: equal signs add (41 bits), opposite
  //     signs subtract the smaller magnitude from the larger, whose sign the result takes. No
  //     bit is lost, so the sum is exact.
  //  3. fp16_round normalizes the exact sum and rounds it once (RNE, overflow to Inf).
  // -----------------------------------------------------------------------------------------
  localparam int unsigned AddFixWidth = nibble_pkg::Fp16FixWidth;

  // |x| * 2^24 for a finite binary16 x, from its magnitude bits x[14:0].
  function automatic logic [AddFixWidth-1:0] fp16_to_fixed(logic [14:0] x);
    logic [nibble_pkg::Fp16ExpWidth-1:0] field;
    logic [nibble_pkg::Fp16ManWidth:0]   significand;
    field       = x[14:nibble_pkg::Fp16ManWidth];
    significand = {field != '0, x[nibble_pkg::Fp16ManWidth-1:0]};
    return (field == '0) ? AddFixWidth'(significand) :
                           AddFixWidth'(significand) << (field - 1'b1);
  endfunction

  function automatic logic [15:0] fp16_add(logic [15:0] a, logic [15:0] b);
    localparam int unsigned ManWidth = nibble_pkg::Fp16ManWidth;
    logic                 a_special;  // exponent field all ones: Inf or NaN
    logic                 b_special;
    logic [AddFixWidth-1:0] a_fix;
    logic [AddFixWidth-1:0] b_fix;
    logic [AddFixWidth:0] mag;        // |a + b| * 2^24, exact
    logic                 neg;        // sign of a nonzero sum
    a_special = &a[14:ManWidth];
    b_special = &b[14:ManWidth];
    if ((a_special && a[ManWidth-1:0] != '0) || (b_special && b[ManWidth-1:0] != '0)) begin
      return nibble_pkg::Fp16CanonicalNaN;
    end
    if (a_special && b_special) begin
      return (a[15] == b[15]) ? a : nibble_pkg::Fp16CanonicalNaN;
    end
    if (a_special) begin
      return a;
    end
    if (b_special) begin
      return b;
    end
    a_fix = fp16_to_fixed(a[14:0]);
    b_fix = fp16_to_fixed(b[14:0]);
    if (a[15] == b[15]) begin
      mag = {1'b0, a_fix} + {1'b0, b_fix};
      neg = a[15];
    end else if (a_fix >= b_fix) begin
      mag = {1'b0, a_fix - b_fix};
      neg = a[15];
    end else begin
      mag = {1'b0, b_fix - a_fix};
      neg = b[15];
    end
    if (mag == '0) begin
      return (a[15] && b[15]) ? nibble_pkg::Fp16NegZero : nibble_pkg::Fp16PosZero;
    end
    return fp16_round#(AddFixWidth + 1, nibble_pkg::Fp16FixFracBits)::round(neg, mag);
  endfunction

  // Two's complement bits of the widest lane product (num::kProductBits): FP4 x UINT4 reaches
  // +-15 * 2^12.
  localparam int unsigned LaneProductBits = 17;

  // One lane's product in units of 2^lsb (num::product_fixed), as a LaneProductBits two's
  // complement integer (the rules: lanes below). fp4_pair: one operand is FP4 (a_fp4: it is
  // A); a_signed / b_signed: INT4 rather than UINT4. A function of the package rather than of
  // the class lanes, so that a simulator inlines it into the step.

  function automatic logic [LaneProductBits-1:0] lane_product(logic fp4_pair, logic a_fp4,
                                                               logic a_signed, logic b_signed,
                                                               logic [3:0] a, logic [3:0] b);
    logic [4:0]                 int_a;     // A as a 5-bit two's complement integer
    logic [4:0]                 int_b;     // B likewise
    logic [9:0]                 int_prod;  // INT4/UINT4 x INT4/UINT4, in [-120, 225]
    logic [3:0]                 fp_code;   // the FP4 operand's code
    logic [4:0]                 int_op;    // the integer operand of an FP4 pair
    logic [LaneProductBits-1:0] shifted;   // int_op << 2 * (e - 1), sign-extended
    int_a = {a_signed & a[3], a};
    int_b = {b_signed & b[3], b};
    if (!fp4_pair) begin
      int_prod = 10'({{5{int_a[4]}}, int_a} * {{5{int_b[4]}}, int_b});  // mod 2^10, exact
      return {{(LaneProductBits - 10){int_prod[9]}}, int_prod};
    end
    fp_code = a_fp4 ? a : b;
    int_op  = a_fp4 ? int_b : int_a;
    if (fp_code[2:0] == 3'd0) begin
      return '0;  // e = 0: an FP4 zero
    end
    // e >= 1: shifted left by 2 * (e - 1)
    shifted = {{(LaneProductBits - 5){int_op[4]}}, int_op} << {fp_code[2:0] - 3'd1, 1'b0};
    return fp_code[nibble_pkg::Fp4SignBit] ? -shifted : shifted;
  endfunction


  // -----------------------------------------------------------------------------------------
  // One step of an L-lane PE, the chunk rule (num::chunk_fp16 + num::fp16_add and
  // datapath::pe_step, model/numerics/lanes.h; docs/numerics.md "Lanes: the chunk rule"):
  //
  //   step = mac_en ? fp16_add(psum, chunk) : psum
  //   chunk = round16(sum of the products of the enabled lanes)
  //
  //  - Per lane, the product in fixed point, in units of 2^lsb of the operand pair
  //    (num::product_fixed, num::tree_lsb_exp2), as a ProductBits (17) bit two's complement
  //    integer:
  //    - INT4/UINT4 x INT4/UINT4 (lsb = 0): the small integer multiplier's product.
  //    - FP4 x INT4/UINT4, either order (lsb = 2 * (1 - Fp4Bias) + phase): the integer operand
  //      shifted left by 2 * (e - 1) places (0 .. 12; shifters only, no multiplier), negated
  //      when the FP4 sign is set; the FP4 zero codes (e = 0, -0 included) give 0.
  //    - A lane whose lane_en bit is 0 gives 0: a chunk shorter than Lanes contributes only its
  //      own products.
  //  - The lanes are summed exactly, as by a two's complement adder tree of ceil(log2 Lanes)
  //    levels: TreeWidth = 17 + ceil(log2 Lanes) bits hold the root (num::tree_width_bits; one
  //    tree, sized for the widest pair, FP4 x UINT4), so no partial sum overflows, and an exact
  //    sum does not depend on the order of its additions. The function adds the lanes in
  //    order; a synthesis tool balances such a sum into a tree.
  //  - The root is rounded once to binary16 by fp16_round: its magnitude is placed on the
  //    binary16 fixed-point grid (units of 2^-24, shifted left by lsb + 24, which is in [0, 24]
  //    for every admitted bias); RNE, subnormals, overflow to +-Inf. An exact zero sum (no lane,
  //    zero products, or a cancellation) is +0: the tree has no negative zero.
  //  - fp16_add adds the chunk to psum; mac_en = 0 passes psum through unchanged.
  //  - FP4 x FP4 and FP16 operands are not PE operations: the chunk is the canonical NaN, as
  //    nibble_product's product is, so the result is the canonical NaN when mac_en is 1.
  // With Lanes = 1 and lane_en = 1 a chunk is one product, exact in binary16, so the step
  // equals nibble_mac's for every input.
  // -----------------------------------------------------------------------------------------
  class lanes #(
    int Lanes   = 1,                   // L, lanes of the PE (pe.lanes), in [1, 64]
    int Fp4Bias = nibble_pkg::Fp4Bias  // FP4 exponent bias (Fp4Spec::bias), in [2, 13]
  );
    localparam int unsigned ProductBits = LaneProductBits;
    // Levels of the adder tree (num::tree_levels) and width of its root (num::tree_width_bits).
    localparam int unsigned Levels = (Lanes > 1) ? $clog2(Lanes) : 0;
    localparam int unsigned TreeWidth = ProductBits + Levels;
    // The root's magnitude on the 2^-24 grid: shifted left by lsb + 24 <= 24.
    localparam int unsigned FixFrac = nibble_pkg::Fp16FixFracBits;
    localparam int unsigned MagWidth = TreeWidth + FixFrac;
    // lsb + 24 of an FP4 pair in phase 0 (2 * (1 - Fp4Bias) + 24, in [0, 22]); phase 1 adds one.
    localparam int unsigned Fp4Shift = 2 * (1 - Fp4Bias) + int'(FixFrac);

    static function logic [15:0] step(
      nibble_pkg::operand_fmt_t fmt_a,    // format (and TPR phase) of operand A
      nibble_pkg::operand_fmt_t fmt_b,    // format (and TPR phase) of operand B
      logic [Lanes-1:0][3:0]    a,        // 4-bit codes of A, lane i = a[i]
      logic [Lanes-1:0][3:0]    b,        // 4-bit codes of B, lane i = b[i]
      logic [Lanes-1:0]         lane_en,  // 1: lane i holds an element of the chunk
      logic                     mac_en,   // 1: accumulate the chunk; 0: pass psum
      logic [15:0]              psum      // binary16 partial sum in
    );
      logic                 a_fp4;
      logic                 b_fp4;
      logic                 fp4_pair;   // FP4 x INT4/UINT4 (either order)
      logic [TreeWidth-1:0] sum;        // the exact sum of the enabled lanes' products
      logic                 neg;        // sign of the sum (a zero sum is positive: +0)
      logic [TreeWidth-1:0] abs_sum;    // |sum| in units of 2^lsb
      logic [MagWidth-1:0]  mag;        // |sum| * 2^24, exact
      if (!mac_en) begin
        return psum;
      end
      a_fp4 = fmt_a.fmt == nibble_pkg::FmtFp4;
      b_fp4 = fmt_b.fmt == nibble_pkg::FmtFp4;
      if (!nibble_pkg::is_operand_fmt(fmt_a.fmt) || !nibble_pkg::is_operand_fmt(fmt_b.fmt) ||
          (a_fp4 && b_fp4)) begin
        return fp16_add(psum, nibble_pkg::Fp16CanonicalNaN);  // not a PE operation
      end
      fp4_pair = a_fp4 || b_fp4;
      // The adder tree's sum: the enabled lanes' products, sign-extended to the root's width.
      // Every node of the tree is exact, so its sum is the one written here in lane order.
      sum = '0;
      for (int i = 0; i < Lanes; i++) begin
        if (lane_en[i]) begin
          sum = sum + TreeWidth'(signed'(lane_product(fp4_pair, a_fp4,
                                                      fmt_a.fmt == nibble_pkg::FmtInt4,
                                                      fmt_b.fmt == nibble_pkg::FmtInt4, a[i],
                                                      b[i])));
        end
      end
      neg     = sum[TreeWidth-1];
      abs_sum = neg ? -sum : sum;
      if (!fp4_pair) begin
        mag = MagWidth'(abs_sum) << FixFrac;  // lsb = 0
      end else if (!(a_fp4 ? fmt_a.phase : fmt_b.phase)) begin
        mag = MagWidth'(abs_sum) << Fp4Shift;
      end else begin
        mag = MagWidth'(abs_sum) << (Fp4Shift + 1);
      end
      return fp16_add(psum, fp16_round#(MagWidth, FixFrac)::round(neg, mag));
    endfunction
  endclass

endpackage
