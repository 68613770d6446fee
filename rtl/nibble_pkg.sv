// nibble_pkg: the one format table of nibble's RTL.
//
// Mirrors model/numerics/format.h (num::Format, format_bits) and the constants of
// model/numerics/fp4.h and fp16.h. Every module takes its formats, widths and constants from
// here; docs/rtl.md lists the SV <-> C++ names.
//
// The FP4 bias is a parameter of each module that decodes or produces FP4 (Fp4Bias, default
// Fp4Bias below = num::kFp4DefaultBias); this package only holds the default and the admitted
// range.
package nibble_pkg;

  // Formats of the 4-bit datapath. The operand formats are Int4, Uint4 and Fp4 (the 4-bit
  // formats a PE multiplies, num::is_4bit); the scale unit outputs any of the four. The
  // encodings of Int4, Uint4 and Fp4 equal the C++ enum's ordinals (num::Format::kInt4 = 0,
  // kUint4 = 1, kFp4 = 2); FP8 and FP32 are not in the RTL.
  typedef enum logic [1:0] {
    FmtInt4  = 2'd0,  // signed two's complement [-8, 7]        (num::Format::kInt4)
    FmtUint4 = 2'd1,  // unsigned [0, 15]                        (num::Format::kUint4)
    FmtFp4   = 2'd2,  // radix-4 FP4, sign + 3-bit exponent      (num::Format::kFp4)
    FmtFp16  = 2'd3   // IEEE 754 binary16, output format only   (num::Format::kFp16)
  } fmt_e;

  // Storage width of one element of a format, in bits (num::format_bits).
  localparam int unsigned CodeWidth = 4;   // int4, uint4, fp4
  localparam int unsigned Fp16Width = 16;  // fp16
  function automatic int unsigned fmt_bits(fmt_e fmt);
    return (fmt == FmtFp16) ? Fp16Width : CodeWidth;
  endfunction

  // True for the formats a 4-bit PE multiplies (num::is_4bit).
  function automatic logic is_operand_fmt(fmt_e fmt);
    return fmt != FmtFp16;
  endfunction

  // One operand of a PE: its format and, for Fp4, the two-phase-rounding phase (0: grid 4^k,
  // 1: grid 2 * 4^k). num::Operand4 {format, fp4.phase}; the bias is a module parameter.
  typedef struct packed {
    fmt_e fmt;    // FmtInt4, FmtUint4 or FmtFp4
    logic phase;  // TPR phase when fmt == FmtFp4, ignored otherwise
  } operand_fmt_t;

  // Output of the scale unit: format and, for Fp4, the TPR phase. num::OutputSpec {format,
  // fp4.phase} with rounding = rne (stochastic rounding is not in the RTL).
  typedef struct packed {
    fmt_e fmt;    // FmtInt4, FmtUint4, FmtFp4 or FmtFp16
    logic phase;  // TPR phase when fmt == FmtFp4, ignored otherwise
  } output_fmt_t;

  // FP4 bias: default and admitted range (num::kFp4DefaultBias, kFp4MinBias, kFp4MaxBias).
  // In [2, 13] every FP4 x INT4/UINT4 product is exact in binary16 (docs/numerics.md).
  localparam int Fp4Bias = 7;
  localparam int Fp4MinBias = 2;
  localparam int Fp4MaxBias = 13;

  // FP4 code fields: bit 3 is the sign, bits 2..0 the exponent field (0 = zero).
  localparam int unsigned Fp4SignBit = 3;
  localparam int unsigned Fp4ExpWidth = 3;

  // IEEE 754 binary16: sign 1, exponent 5 (bias 15), mantissa 10.
  localparam int unsigned Fp16ExpWidth = 5;
  localparam int unsigned Fp16ManWidth = 10;
  localparam int Fp16ExpBias = 15;
  // Every finite binary16 value is an integer multiple of 2^-Fp16FixFracBits (the smallest
  // subnormal), below 2^(Fp16FixWidth - Fp16FixFracBits) in magnitude.
  localparam int unsigned Fp16FixFracBits = 24;
  localparam int unsigned Fp16FixWidth = 40;

  localparam logic [15:0] Fp16PosZero = 16'h0000;
  localparam logic [15:0] Fp16NegZero = 16'h8000;
  localparam logic [15:0] Fp16One = 16'h3C00;
  localparam logic [15:0] Fp16Max = 16'h7BFF;           // 65504
  localparam logic [15:0] Fp16MinNormal = 16'h0400;     // 2^-14
  localparam logic [15:0] Fp16MinSubnormal = 16'h0001;  // 2^-24
  localparam logic [15:0] Fp16PosInf = 16'h7C00;
  localparam logic [15:0] Fp16NegInf = 16'hFC00;
  localparam logic [15:0] Fp16CanonicalNaN = 16'h7E00;  // every NaN result

  // Dataflow of the MAC array (rtl/nibble_mac_array.sv), chosen at run time. The encodings
  // equal the ordinals of timing::Dataflow (kOs = 0, kWs = 1, kIs = 2).
  typedef enum logic [1:0] {
    DfOs = 2'd0,  // output stationary: A along the rows, B down the columns, C in the PEs
    DfWs = 2'd1,  // weight stationary: B in the PEs, A along the rows, partial sums down
    DfIs = 2'd2   // input stationary: A in the PEs, B along the rows, partial sums down
  } dataflow_e;

endpackage
