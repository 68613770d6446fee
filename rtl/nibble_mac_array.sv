// nibble_mac_array: the NumRows x NumCols systolic MAC array of PEs, for the os, ws and is
// dataflows (dataflow_i, held for a GEMM). docs/rtl.md ("The array") states the schedule and
// the edge protocol; docs/datapath.md the same array in C++ (datapath::run_tile_detailed).
//
// Lanes. Every PE has Lanes (L) lanes (pe.lanes): an operand token carries a chunk of up to L
// consecutive k (L 4-bit codes and a lane enable mask), and a PE step adds the chunk's products
// (nibble_arith_pkg::lanes::step, the chunk rule). ws/is: PE row i holds chunk i of the tile's k (the tile's
// k0 + i*L ..); os: wave s brings chunk s. With L = 1 every token is one element.
//
// Edges. The controller drives one token per path and cycle, already skewed (row i's token of
// wave w in cycle s + w + i, column j's in cycle s + w + j):
//  - row_*_i[i]: the streamed operand's chunk into row i (ws: A[m][k..], is: B[k..][n], os:
//    A[m][k..]) and the wave's first/last flags;
//  - col_*_i[j]: os only, B[k..][n] into column j;
//  - psum_*_i[j]: ws/is only, the initial partial sum of the wave in column j (+0 for a tile's
//    first K fold, the accumulator otherwise);
//  - w_*_i[j]: ws/is only, the preload of the next stationary tile into column j, one token
//    per cycle, addressed to a row (the row R - 1 token first gives the shortest preload).
// Results leave from the bottom row: res_valid_o[j] with res_o[j] (binary16), one per column
// and cycle; ws/is: the finished partial sum of a wave; os: the tile's results, bottom row
// first. Bubbles (tokens of unused rows and columns) never appear as results.
//
// Configuration: dataflow_i, fmt_a_i and fmt_b_i are registered every cycle, and the PEs see
// only the registers: they must be applied one cycle before a GEMM's first input and held for
// the GEMM. (No PE's logic depends combinationally on a top-level input: the PE loop reads the
// edge inputs at the clock edge, so a simulator runs no PE code when only the inputs change.)
//
// Flow control: the array advances (every register updates) in a cycle when in_ready_o is 1.
// in_ready_o is 0 only when a result is presented and res_ready_i is 0; the controller then
// holds every edge input, and the whole array waits.
module nibble_mac_array #(
  parameter int unsigned NumRows = 16,  // R: PE rows (array.rows)
  parameter int unsigned NumCols = 16,  // C: PE columns (array.cols)
  parameter int unsigned Lanes = 1,     // L: lanes per PE (pe.lanes), in [1, 64]
  parameter int          Fp4Bias = nibble_pkg::Fp4Bias,  // FP4 exponent bias, in [2, 13]
  // Derived: width of a preload token's row address.
  localparam int unsigned RowWidth = (NumRows > 1) ? $clog2(NumRows) : 1
) (
  input  logic                        clk_i,           // clock
  input  logic                        rst_ni,          // asynchronous reset, active low
  input  nibble_pkg::dataflow_e       dataflow_i,      // os, ws or is (registered)
  input  nibble_pkg::operand_fmt_t    fmt_a_i,         // format of A's elements (registered)
  input  nibble_pkg::operand_fmt_t    fmt_b_i,         // format of B's elements (registered)
  // Row lanes (west edge), one bit or code per row.
  input  logic [NumRows-1:0]          row_valid_i,     // a wave's token enters row i
  input  logic [NumRows-1:0]          row_data_i,      // it carries an element (else a bubble)
  input  logic [NumRows-1:0]          row_first_i,     // first wave of a tile
  input  logic [NumRows-1:0]          row_last_i,      // os: last step of a completing tile
  input  logic [4*Lanes*NumRows-1:0]  row_code_i,      // codes, row i lane l at 4*(L*i+l) +: 4
  input  logic [Lanes*NumRows-1:0]    row_en_i,        // lane enables, row i lane l at L*i+l
  // Column lanes (north edge), os: B.
  input  logic [NumCols-1:0]          col_valid_i,     // a step's token enters column j
  input  logic [NumCols-1:0]          col_data_i,      // it carries an element
  input  logic [4*Lanes*NumCols-1:0]  col_code_i,      // codes, column j lane l at 4*(L*j+l) +: 4
  input  logic [Lanes*NumCols-1:0]    col_en_i,        // lane enables, column j lane l at L*j+l
  // Partial-sum lanes (north edge), ws/is.
  input  logic [NumCols-1:0]          psum_valid_i,    // a wave's partial sum enters column j
  input  logic [NumCols-1:0]          psum_data_i,     // it is an output element
  input  logic [16*NumCols-1:0]       psum_i,          // binary16, column j in [16j+15:16j]
  // Preload lanes (north edge), ws/is.
  input  logic [NumCols-1:0]          w_valid_i,       // a preload token enters column j
  input  logic [NumCols-1:0]          w_data_i,        // it carries an element
  input  logic [RowWidth*NumCols-1:0] w_row_i,         // its row, column j at RowWidth*j +: RowWidth
  input  logic [4*Lanes*NumCols-1:0]  w_code_i,        // codes, column j lane l at 4*(L*j+l) +: 4
  input  logic [Lanes*NumCols-1:0]    w_en_i,          // lane enables, column j lane l at L*j+l
  output logic                        in_ready_o,      // 1: the array takes this cycle's inputs
  // Results (south edge).
  input  logic                        res_ready_i,     // the consumer takes this cycle's results
  output logic [NumCols-1:0]          res_valid_o,     // column j presents a result
  output logic [16*NumCols-1:0]       res_o            // binary16, column j in [16j+15:16j]
);

  if (NumRows < 1 || NumCols < 1) begin : gen_size_err
    $error("nibble_mac_array: NumRows and NumCols must be at least 1");
  end
  if (Lanes < 1 || Lanes > 64) begin : gen_lanes_err
    $error("nibble_mac_array: Lanes outside the admitted range [1, 64]");
  end
  if (Fp4Bias < nibble_pkg::Fp4MinBias || Fp4Bias > nibble_pkg::Fp4MaxBias) begin : gen_bias_err
    $error("nibble_mac_array: Fp4Bias outside the admitted range [2, 13]");
  end

  logic en;
  logic ws_or_is;  // the configured dataflow is ws or is

  // ---- The PEs' registers ---------------------------------------------------------------
  // One array per register, [i][j] being PE(i, j)'s. The four paths' registers are what the PE
  // passes on: x_* (row path) to PE(i, j + 1), b_*, p_* and w_* (column, partial-sum and
  // preload paths) to PE(i + 1, j); the last row's p_* are the results.
  logic                  x_valid_q     [NumRows][NumCols];  // row path: a wave's token
  logic                  x_data_q      [NumRows][NumCols];  // it carries elements
  logic                  x_first_q     [NumRows][NumCols];  // the tile's first wave
  logic                  x_last_q      [NumRows][NumCols];  // os: an output-completing last step
  logic [Lanes-1:0][3:0] x_code_q      [NumRows][NumCols];  // the chunk's codes, lane l = [l]
  logic [Lanes-1:0]      x_en_q        [NumRows][NumCols];  // its lane enables
  logic                  b_valid_q     [NumRows][NumCols];  // column path (os: B)
  logic                  b_data_q      [NumRows][NumCols];
  logic [Lanes-1:0][3:0] b_code_q      [NumRows][NumCols];
  logic [Lanes-1:0]      b_en_q        [NumRows][NumCols];
  logic                  p_valid_q     [NumRows][NumCols];  // partial-sum path / os drain chain
  logic                  p_data_q      [NumRows][NumCols];  // an output element (else a bubble)
  logic [15:0]           p_value_q     [NumRows][NumCols];  // binary16
  logic                  w_valid_q     [NumRows][NumCols];  // preload path (ws/is)
  logic                  w_data_q      [NumRows][NumCols];
  logic [RowWidth-1:0]   w_row_q       [NumRows][NumCols];  // the row the token is for
  logic [Lanes-1:0][3:0] w_code_q      [NumRows][NumCols];
  logic [Lanes-1:0]      w_en_q        [NumRows][NumCols];
  logic                  shadow_full_q [NumRows][NumCols];  // ws/is: shadow loaded, not swapped in
  logic                  shadow_data_q [NumRows][NumCols];
  logic [Lanes-1:0][3:0] shadow_code_q [NumRows][NumCols];
  logic [Lanes-1:0]      shadow_en_q   [NumRows][NumCols];
  logic                  stat_data_q   [NumRows][NumCols];  // ws/is: the stationary chunk in use
  logic [Lanes-1:0][3:0] stat_code_q   [NumRows][NumCols];
  logic [Lanes-1:0]      stat_en_q     [NumRows][NumCols];
  logic [15:0]           acc_q         [NumRows][NumCols];  // os: the accumulator
  logic                  out_full_q    [NumRows][NumCols];  // os: a result waits to drain
  logic                  out_data_q    [NumRows][NumCols];
  logic [15:0]           out_value_q   [NumRows][NumCols];

  // os: the bottom PE of column j did the last step of an output-completing tile in the
  // previous cycle, so every PE of the column holds its result: the column's drain starts.
  // Written by the PE loop (nonblocking), from the bottom PE's inputs.
  logic [NumCols-1:0] drain_load_q;

  nibble_pkg::dataflow_e    dataflow_q;
  nibble_pkg::operand_fmt_t fmt_a_q, fmt_b_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      dataflow_q <= nibble_pkg::DfOs;
      fmt_a_q    <= '0;
      fmt_b_q    <= '0;
    end else begin
      dataflow_q <= dataflow_i;
      fmt_a_q    <= fmt_a_i;
      fmt_b_q    <= fmt_b_i;
    end
  end

  assign ws_or_is = dataflow_q != nibble_pkg::DfOs;

  // ---- The PEs ---------------------------------------------------------------------------
  // One clock edge of every PE. PE(i, j) reads the registers of its west and north neighbours
  // (or the array's edge inputs) and its own, and writes its own. The loop visits the PEs from
  // the last row and column back to the first, so a PE's neighbours are read before their
  // own step overwrites them: each register takes, at the edge, the value computed from the
  // registers' values before it, as one nonblocking assignment per register would. (Written
  // as one loop, so that a simulator has one copy of the PE's code for the whole array, not one
  // per instance; docs/cosim.md, "Speed".) Outside this block only continuous assignments read
  // the PE registers (the results, in_ready_o): no other clocked process may, since the
  // registers change during the block's execution at the edge.
  //
  // ws/is: the PE multiplies the passing operand's L codes by its L stationary codes and adds
  // the chunk's sum to the passing partial sum (datapath::pe_step; is swaps the roles: A
  // stationary, B passing); the stationary mask enables the lanes, as the model takes the
  // stationary chunk's length. The stationary register takes the shadow register's value when
  // the first wave of a tile passes (swap), in the same cycle the PE computes that wave with
  // it. A preload token may be captured in the swap cycle (the swap takes the old value) but
  // not while the shadow holds a tile not yet swapped in.
  // os: the PE accumulates the chunk of A x B into its own register, from +0 at a first step;
  // A's mask enables the lanes (B's must equal it). At the last step of an output-completing
  // tile it also copies the result into its output register; drain_load_q then makes the
  // column's partial-sum registers load the results and shift them out, bottom row first.
  // A PE whose chunk is empty (mask 0) does not MAC: its partial sum passes unchanged, as the
  // model's bypass (adding +0 would turn a -0 partial sum into +0).
  // The assertions check the schedule's rules (the controller's contract; docs/rtl.md).
  always_ff @(posedge clk_i or negedge rst_ni) begin : pes
    // The loop's variables and temporaries (PE(i, j)'s inputs and step) are not in the waves:
    // after the loop they hold PE(0, 0)'s; every PE's registers are there. Tracing is back on
    // after this block.
    // verilator tracing_off
    // PE(i, j)'s inputs: its west neighbour's row path, its north neighbour's column paths.
    logic                  x_valid, x_data, x_first, x_last;
    logic [Lanes-1:0][3:0] x_code;
    logic [Lanes-1:0]      x_en;
    logic                  b_valid, b_data;
    logic [Lanes-1:0][3:0] b_code;
    logic [Lanes-1:0]      b_en;
    logic                  p_valid, p_data;
    logic [15:0]           p_value;
    logic                  w_valid, w_data;
    logic [RowWidth-1:0]   w_row;
    logic [Lanes-1:0][3:0] w_code;
    logic [Lanes-1:0]      w_en;
    // Its step.
    logic                  swap;      // ws/is: the first wave of a tile passes
    logic                  capture;   // ws/is: a preload token for this row arrives
    logic                  stat_data; // the stationary chunk this cycle (after a swap)
    logic [Lanes-1:0][3:0] stat_code;
    logic [Lanes-1:0]      stat_en;
    logic                  mac_en;
    logic [Lanes-1:0][3:0] mac_a, mac_b;
    logic [Lanes-1:0]      mac_lane_en;
    logic [15:0]           mac_psum, mac_out;
    if (!rst_ni) begin
      drain_load_q <= '0;
      for (int i = 0; i < int'(NumRows); i++) begin
        for (int j = 0; j < int'(NumCols); j++) begin
          x_valid_q[i][j] = 1'b0;
          x_data_q[i][j] = 1'b0;
          x_first_q[i][j] = 1'b0;
          x_last_q[i][j] = 1'b0;
          x_code_q[i][j] = '0;
          x_en_q[i][j] = '0;
          b_valid_q[i][j] = 1'b0;
          b_data_q[i][j] = 1'b0;
          b_code_q[i][j] = '0;
          b_en_q[i][j] = '0;
          p_valid_q[i][j] = 1'b0;
          p_data_q[i][j] = 1'b0;
          p_value_q[i][j] = '0;
          w_valid_q[i][j] = 1'b0;
          w_data_q[i][j] = 1'b0;
          w_row_q[i][j] = '0;
          w_code_q[i][j] = '0;
          w_en_q[i][j] = '0;
          shadow_full_q[i][j] = 1'b0;
          shadow_data_q[i][j] = 1'b0;
          shadow_code_q[i][j] = '0;
          shadow_en_q[i][j] = '0;
          stat_data_q[i][j] = 1'b0;
          stat_code_q[i][j] = '0;
          stat_en_q[i][j] = '0;
          acc_q[i][j] = nibble_pkg::Fp16PosZero;
          out_full_q[i][j] = 1'b0;
          out_data_q[i][j] = 1'b0;
          out_value_q[i][j] = '0;
        end
      end
    end else if (en) begin
      assert (dataflow_q inside {nibble_pkg::DfOs, nibble_pkg::DfWs, nibble_pkg::DfIs})
        else $error("nibble_mac_array: dataflow %0d is not os, ws or is", dataflow_q);
      for (int i = int'(NumRows) - 1; i >= 0; i--) begin
        for (int j = int'(NumCols) - 1; j >= 0; j--) begin
          // ---- Inputs
          if (j == 0) begin
            x_valid = row_valid_i[i];
            x_data  = row_data_i[i];
            x_first = row_first_i[i];
            x_last  = row_last_i[i];
            x_code  = row_code_i[4*Lanes*i +: 4*Lanes];
            x_en    = row_en_i[Lanes*i +: Lanes];
          end else begin
            x_valid = x_valid_q[i][j-1];
            x_data  = x_data_q[i][j-1];
            x_first = x_first_q[i][j-1];
            x_last  = x_last_q[i][j-1];
            x_code  = x_code_q[i][j-1];
            x_en    = x_en_q[i][j-1];
          end
          if (i == 0) begin
            b_valid = col_valid_i[j];
            b_data  = col_data_i[j];
            b_code  = col_code_i[4*Lanes*j +: 4*Lanes];
            b_en    = col_en_i[Lanes*j +: Lanes];
            p_valid = ws_or_is && psum_valid_i[j];  // os: the drain chain enters empty
            p_data  = psum_data_i[j];
            p_value = psum_i[16*j +: 16];
            w_valid = w_valid_i[j];
            w_data  = w_data_i[j];
            w_row   = w_row_i[RowWidth*j +: RowWidth];
            w_code  = w_code_i[4*Lanes*j +: 4*Lanes];
            w_en    = w_en_i[Lanes*j +: Lanes];
          end else begin
            b_valid = b_valid_q[i-1][j];
            b_data  = b_data_q[i-1][j];
            b_code  = b_code_q[i-1][j];
            b_en    = b_en_q[i-1][j];
            p_valid = p_valid_q[i-1][j];
            p_data  = p_data_q[i-1][j];
            p_value = p_value_q[i-1][j];
            w_valid = w_valid_q[i-1][j];
            w_data  = w_data_q[i-1][j];
            w_row   = w_row_q[i-1][j];
            w_code  = w_code_q[i-1][j];
            w_en    = w_en_q[i-1][j];
          end

          // ---- The MAC
          swap      = ws_or_is && x_valid && x_first;
          capture   = ws_or_is && w_valid && (w_row == RowWidth'(i));
          stat_data = swap ? shadow_data_q[i][j] : stat_data_q[i][j];
          stat_code = swap ? shadow_code_q[i][j] : stat_code_q[i][j];
          stat_en   = swap ? shadow_en_q[i][j] : stat_en_q[i][j];
          mac_en      = 1'b0;
          mac_a       = x_code;
          mac_b       = stat_code;
          mac_lane_en = stat_en;
          mac_psum    = p_value;
          unique case (dataflow_q)
            nibble_pkg::DfWs: begin
              mac_en = x_valid && x_data && stat_data && p_valid && p_data && (|stat_en);
            end
            nibble_pkg::DfIs: begin
              mac_en = x_valid && x_data && stat_data && p_valid && p_data && (|stat_en);
              mac_a  = stat_code;
              mac_b  = x_code;
            end
            nibble_pkg::DfOs: begin
              mac_en      = x_valid && x_data && b_valid && b_data && (|x_en);
              mac_b       = b_code;
              mac_lane_en = x_en;
              mac_psum    = x_first ? nibble_pkg::Fp16PosZero : acc_q[i][j];
            end
            default: begin
              mac_en = 1'b0;
            end
          endcase
          mac_out = nibble_arith_pkg::lanes#(Lanes, Fp4Bias)::step(
              fmt_a_q, fmt_b_q, mac_a, mac_b, mac_lane_en, mac_en, mac_psum);

          // ---- Schedule assertions (verilator --assert)
          if (ws_or_is) begin
            assert (x_valid == p_valid)
              else $error("nibble_mac_array: PE(%0d, %0d): operand and partial sum out of step",
                          i, j);
            assert (!(capture && shadow_full_q[i][j] && !swap))
              else $error(
                  "nibble_mac_array: PE(%0d, %0d): preload overwrote a tile not yet swapped in",
                  i, j);
            assert (!(swap && !shadow_full_q[i][j]))
              else $error("nibble_mac_array: PE(%0d, %0d): first wave with no preloaded tile",
                          i, j);
            assert (!(mac_en && x_en != stat_en))
              else $error(
                  "nibble_mac_array: PE(%0d, %0d): streamed and stationary chunks' lanes differ",
                  i, j);
          end else begin
            assert (x_valid == b_valid)
              else $error("nibble_mac_array: PE(%0d, %0d): A and B out of step", i, j);
            assert (!(mac_en && x_en != b_en))
              else $error("nibble_mac_array: PE(%0d, %0d): A and B chunks of different lanes",
                          i, j);
            assert (!(x_valid && x_last && out_full_q[i][j] && !drain_load_q[j]))
              else $error(
                  "nibble_mac_array: PE(%0d, %0d): a result overwrote one not yet drained",
                  i, j);
            assert (!(drain_load_q[j] && p_valid))
              else $error(
                  "nibble_mac_array: PE(%0d, %0d): drain started before the previous one left",
                  i, j);
          end

          // ---- The PE's registers
          // os: the bottom PE's last step of an output-completing tile starts the column's
          // drain in the next cycle.
          if (i == int'(NumRows) - 1) begin
            drain_load_q[j] <= !ws_or_is && x_valid && x_last;
          end
          // The partial-sum path: ws/is the MAC's result; os the drain chain's value from the
          // north or, on drain_load_q, this PE's result.
          if (!ws_or_is && drain_load_q[j]) begin
            p_valid_q[i][j] = out_full_q[i][j];
            p_data_q[i][j]  = out_data_q[i][j];
            p_value_q[i][j] = out_value_q[i][j];
          end else begin
            p_valid_q[i][j] = p_valid;
            p_data_q[i][j]  = p_data;
            p_value_q[i][j] = ws_or_is ? mac_out : p_value;
          end
          if (!ws_or_is) begin
            if (drain_load_q[j]) begin
              out_full_q[i][j] = 1'b0;
            end
            if (x_valid) begin
              acc_q[i][j] = mac_out;
              if (x_last) begin
                out_full_q[i][j]  = 1'b1;
                out_data_q[i][j]  = x_data && b_data;
                out_value_q[i][j] = mac_out;
              end
            end
          end
          if (swap) begin
            stat_data_q[i][j]   = shadow_data_q[i][j];
            stat_code_q[i][j]   = shadow_code_q[i][j];
            stat_en_q[i][j]     = shadow_en_q[i][j];
            shadow_full_q[i][j] = 1'b0;
          end
          if (capture) begin
            shadow_data_q[i][j] = w_data;
            shadow_code_q[i][j] = w_code;
            shadow_en_q[i][j]   = w_en;
            shadow_full_q[i][j] = 1'b1;
          end
          // The paths pass their tokens on; the preload path drops the one captured here.
          x_valid_q[i][j] = x_valid;
          x_data_q[i][j]  = x_data;
          x_first_q[i][j] = x_first;
          x_last_q[i][j]  = x_last;
          x_code_q[i][j]  = x_code;
          x_en_q[i][j]    = x_en;
          b_valid_q[i][j] = b_valid;
          b_data_q[i][j]  = b_data;
          b_code_q[i][j]  = b_code;
          b_en_q[i][j]    = b_en;
          w_valid_q[i][j] = w_valid && !capture;
          w_data_q[i][j]  = w_data;
          w_row_q[i][j]   = w_row;
          w_code_q[i][j]  = w_code;
          w_en_q[i][j]    = w_en;
        end
      end
    end
  end
  // verilator tracing_on

  // Results: the bottom row's partial-sum registers, real outputs only.
  for (genvar j = 0; j < NumCols; j++) begin : gen_south
    assign res_valid_o[j] = p_valid_q[NumRows-1][j] && p_data_q[NumRows-1][j];
    assign res_o[16*j +: 16] = p_value_q[NumRows-1][j];
  end

  assign en = !(|res_valid_o) || res_ready_i;
  assign in_ready_o = en;

endmodule
