// nibble_lanes: the arithmetic of one L-lane PE step, the chunk rule (combinational).
//
//   psum_o = mac_en_i ? fp16_add(psum_i, chunk) : psum_i
//   chunk  = round16(sum of the products of the enabled lanes)
//
// as num::chunk_fp16 + num::fp16_add and datapath::pe_step (model/numerics/lanes.h,
// docs/numerics.md "Lanes: the chunk rule"):
//  - Per lane, the product in fixed point, in units of 2^lsb of the operand pair
//    (num::product_fixed, num::tree_lsb_exp2), as a ProductBits (17) bit two's complement
//    integer:
//    - INT4/UINT4 x INT4/UINT4 (lsb = 0): the small integer multiplier's product.
//    - FP4 x INT4/UINT4, either order (lsb = 2 * (1 - Fp4Bias) + phase): the integer operand
//      shifted left by 2 * (e - 1) places (0 .. 12; shifters only, no multiplier), negated
//      when the FP4 sign is set; the FP4 zero codes (e = 0, -0 included) give 0.
//    - A lane whose lane_en_i bit is 0 gives 0: a chunk shorter than Lanes contributes only
//      its own products.
//  - The lanes are summed exactly by a two's complement adder tree of ceil(log2 Lanes)
//    levels, one bit wider per level: TreeWidth = 17 + ceil(log2 Lanes) bits at the root
//    (num::tree_width_bits; one tree, sized for the widest pair, FP4 x UINT4).
//  - The root is rounded once to binary16 by nibble_fp16_round: its magnitude is placed on
//    the binary16 fixed-point grid (units of 2^-24, shifted left by lsb + 24, which is in
//    [0, 24] for every admitted bias), as nibble_product places its product; RNE,
//    subnormals, overflow to +-Inf. An exact zero sum (no lane, zero products, or a
//    cancellation) is +0: the tree has no negative zero.
//  - nibble_fp16_add adds the chunk to psum_i; mac_en_i = 0 passes psum_i through unchanged.
//  - FP4 x FP4 and FP16 operands are not PE operations: the chunk is the canonical NaN, as
//    nibble_product's product is, so the output is the canonical NaN when mac_en_i is 1.
// With Lanes = 1 and lane_en_i = 1 a chunk is one product, exact in binary16, so psum_o equals
// nibble_mac's for every input.
module nibble_lanes #(
  parameter int Lanes   = 1,                   // L, lanes of the PE (pe.lanes), in [1, 64]
  parameter int Fp4Bias = nibble_pkg::Fp4Bias  // FP4 exponent bias (Fp4Spec::bias), in [2, 13]
) (
  input  nibble_pkg::operand_fmt_t    fmt_a_i,    // format (and TPR phase) of operand A
  input  nibble_pkg::operand_fmt_t    fmt_b_i,    // format (and TPR phase) of operand B
  input  logic [Lanes-1:0][3:0]       a_i,        // 4-bit codes of A, lane i = a_i[i]
  input  logic [Lanes-1:0][3:0]       b_i,        // 4-bit codes of B, lane i = b_i[i]
  input  logic [Lanes-1:0]            lane_en_i,  // 1: lane i holds an element of the chunk
  input  logic                        mac_en_i,   // 1: accumulate the chunk; 0: pass psum_i
  input  logic [15:0]                 psum_i,     // binary16 partial sum in
  output logic [15:0]                 psum_o      // binary16 partial sum out
);

  // Two's complement bits of the widest lane product (num::kProductBits): FP4 x UINT4 reaches
  // +-15 * 2^12.
  localparam int unsigned ProductBits = 17;
  // Levels of the adder tree (num::tree_levels) and width of its root (num::tree_width_bits).
  localparam int unsigned Levels = (Lanes > 1) ? $clog2(Lanes) : 0;
  localparam int unsigned TreeWidth = ProductBits + Levels;
  localparam int unsigned Leaves = 1 << Levels;
  // The root's magnitude on the 2^-24 grid: shifted left by lsb + 24 <= 24.
  localparam int unsigned FixFrac = nibble_pkg::Fp16FixFracBits;
  localparam int unsigned MagWidth = TreeWidth + FixFrac;
  // lsb + 24 of an FP4 pair in phase 0 (2 * (1 - Fp4Bias) + 24, in [0, 22]); phase 1 adds one.
  localparam int unsigned Fp4Shift = 2 * (1 - Fp4Bias) + int'(FixFrac);

  if (Lanes < 1 || Lanes > 64) begin : gen_lanes_err
    $error("nibble_lanes: Lanes outside the admitted range [1, 64]");
  end
  if (Fp4Bias < nibble_pkg::Fp4MinBias || Fp4Bias > nibble_pkg::Fp4MaxBias) begin : gen_bias_err
    $error("nibble_lanes: Fp4Bias outside the admitted range [2, 13]");
  end

  // ---------------------------------------------------------------------------------------
  // The operand pair: which kind of product, which operand is FP4, and the rounder's shift.
  // ---------------------------------------------------------------------------------------
  logic a_fp4;
  logic b_fp4;
  logic valid;      // a PE operation: no FP16 operand, not FP4 x FP4
  logic fp4_pair;   // FP4 x INT4/UINT4 (either order); otherwise INT4/UINT4 x INT4/UINT4
  logic fp4_phase;  // TPR phase of the FP4 operand
  logic int_a_signed;
  logic int_b_signed;

  always_comb begin
    a_fp4        = fmt_a_i.fmt == nibble_pkg::FmtFp4;
    b_fp4        = fmt_b_i.fmt == nibble_pkg::FmtFp4;
    valid        = nibble_pkg::is_operand_fmt(fmt_a_i.fmt) &&
                   nibble_pkg::is_operand_fmt(fmt_b_i.fmt) && !(a_fp4 && b_fp4);
    fp4_pair     = a_fp4 || b_fp4;
    fp4_phase    = a_fp4 ? fmt_a_i.phase : fmt_b_i.phase;
    int_a_signed = fmt_a_i.fmt == nibble_pkg::FmtInt4;
    int_b_signed = fmt_b_i.fmt == nibble_pkg::FmtInt4;
  end

  // ---------------------------------------------------------------------------------------
  // Per lane: the product in units of 2^lsb (num::product_fixed).
  // ---------------------------------------------------------------------------------------
  logic [Leaves-1:0][ProductBits-1:0] leaf;  // the tree's inputs; lanes >= Lanes are 0

  for (genvar i = 0; i < Leaves; i++) begin : gen_lane
    if (i < Lanes) begin : gen_used
      logic [4:0]             int_a;    // A as a 5-bit two's complement integer
      logic [4:0]             int_b;    // B likewise
      logic [9:0]             int_prod; // INT4/UINT4 x INT4/UINT4, in [-120, 225]
      logic [3:0]             fp_code;  // the FP4 operand's code
      logic [4:0]             int_op;   // the integer operand of an FP4 pair
      logic [ProductBits-1:0] shifted;  // int_op << 2 * (e - 1), sign-extended
      logic [ProductBits-1:0] fp_prod;  // +-shifted, 0 for an FP4 zero code

      always_comb begin
        int_a    = {int_a_signed & a_i[i][3], a_i[i]};
        int_b    = {int_b_signed & b_i[i][3], b_i[i]};
        int_prod = 10'({{5{int_a[4]}}, int_a} * {{5{int_b[4]}}, int_b});  // mod 2^10, exact
        fp_code  = a_fp4 ? a_i[i] : b_i[i];
        int_op   = a_fp4 ? int_b : int_a;
        shifted  = {{(ProductBits - 5){int_op[4]}}, int_op};
        unique case (fp_code[2:0])
          3'd2:    shifted = shifted << 2;
          3'd3:    shifted = shifted << 4;
          3'd4:    shifted = shifted << 6;
          3'd5:    shifted = shifted << 8;
          3'd6:    shifted = shifted << 10;
          3'd7:    shifted = shifted << 12;
          default: ;  // e = 1: no shift; e = 0: zero, below
        endcase
        if (fp_code[2:0] == 3'd0) begin
          fp_prod = '0;
        end else if (fp_code[nibble_pkg::Fp4SignBit]) begin
          fp_prod = -shifted;
        end else begin
          fp_prod = shifted;
        end
        if (!lane_en_i[i]) begin
          leaf[i] = '0;
        end else if (fp4_pair) begin
          leaf[i] = fp_prod;
        end else begin
          leaf[i] = {{(ProductBits - 10){int_prod[9]}}, int_prod};
        end
      end
    end else begin : gen_pad
      assign leaf[i] = '0;  // padding up to a power of two: the synthesis tool removes it
    end
  end

  // ---------------------------------------------------------------------------------------
  // The adder tree: level l has Leaves >> l nodes of ProductBits + l bits; each node adds its
  // two children sign-extended by one bit, so no level can overflow and the root is exact.
  // ---------------------------------------------------------------------------------------
  logic [TreeWidth-1:0] tree_sum;  // the chunk's exact sum, in units of 2^lsb

  for (genvar l = 0; l <= Levels; l++) begin : gen_level
    localparam int unsigned Width = ProductBits + l;
    localparam int unsigned Nodes = Leaves >> l;
    logic [Nodes-1:0][Width-1:0] node;
    if (l == 0) begin : gen_leaves
      assign node = leaf;
    end else begin : gen_adders
      for (genvar j = 0; j < Nodes; j++) begin : gen_node
        logic [Width-2:0] left;
        logic [Width-2:0] right;
        assign left  = gen_level[l-1].node[2*j];
        assign right = gen_level[l-1].node[2*j+1];
        assign node[j] = {left[Width-2], left} + {right[Width-2], right};
      end
    end
  end

  assign tree_sum = gen_level[Levels].node[0];

  // ---------------------------------------------------------------------------------------
  // One rounding to binary16, then the FP16 add.
  // ---------------------------------------------------------------------------------------
  logic                 neg;       // sign of the sum (a zero sum is positive: +0)
  logic [TreeWidth-1:0] abs_sum;   // |sum| in units of 2^lsb
  logic [MagWidth-1:0]  mag;       // |sum| * 2^24, exact
  logic [15:0]          rounded;   // the chunk's sum rounded to binary16
  logic [15:0]          chunk;     // rounded, or the canonical NaN for a non-PE pair
  logic [15:0]          sum;

  always_comb begin
    neg     = tree_sum[TreeWidth-1];
    abs_sum = neg ? -tree_sum : tree_sum;
    if (!fp4_pair) begin
      mag = MagWidth'(abs_sum) << FixFrac;  // lsb = 0
    end else if (!fp4_phase) begin
      mag = MagWidth'(abs_sum) << Fp4Shift;
    end else begin
      mag = MagWidth'(abs_sum) << (Fp4Shift + 1);
    end
  end

  nibble_fp16_round #(
    .MagWidth(MagWidth),
    .FracBits(FixFrac)
  ) u_round (
    .sign_i(neg),
    .mag_i (mag),
    .fp16_o(rounded)
  );

  assign chunk = valid ? rounded : nibble_pkg::Fp16CanonicalNaN;

  nibble_fp16_add u_add (
    .a_i  (psum_i),
    .b_i  (chunk),
    .sum_o(sum)
  );

  assign psum_o = mac_en_i ? sum : psum_i;

endmodule
