// nibble_mac_array: the NumRows x NumCols systolic MAC array of nibble_pe, for the os, ws and is
// dataflows (dataflow_i, held for a GEMM). docs/rtl.md ("The array") states the schedule and
// the edge protocol; docs/datapath.md the same array in C++ (datapath::run_tile_detailed).
//
// Lanes. Every PE has Lanes (L) lanes (pe.lanes): an operand token carries a chunk of up to L
// consecutive k (L 4-bit codes and a lane enable mask), and a PE step adds the chunk's products
// (nibble_lanes, the chunk rule). ws/is: PE row i holds chunk i of the tile's k (the tile's
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
// the GEMM. (Then no PE's arithmetic depends combinationally on a top-level input, so a
// simulator re-evaluates only the edge PEs when the inputs change.)
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
  input  logic [RowWidth*NumCols-1:0] w_row_i,         // its row, column j in [RowWidth*j +: RowWidth]
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

  logic en;

  // Lane wires between PEs. x_*[i][j] is the row lane into PE(i, j), x_*[i][NumCols] leaves the
  // east edge; the north-south lanes likewise, [NumRows] leaving the south edge.
  // split_var (Verilator only; a comment elsewhere): each element becomes a net of its own.
  // Without it, Verilator sees one array fed by the edge inputs, so every PE's logic that
  // reads a lane was re-evaluated whenever any input changed (twice a cycle); with it, only
  // the edge PEs' is (docs/cosim.md, "Speed").
  logic              x_valid [NumRows][NumCols+1] /* verilator split_var */;
  logic              x_data  [NumRows][NumCols+1] /* verilator split_var */;
  logic              x_first [NumRows][NumCols+1] /* verilator split_var */;
  logic              x_last  [NumRows][NumCols+1] /* verilator split_var */;
  logic [Lanes-1:0][3:0] x_code [NumRows][NumCols+1] /* verilator split_var */;
  logic [Lanes-1:0]  x_en    [NumRows][NumCols+1] /* verilator split_var */;
  logic              b_valid [NumRows+1][NumCols] /* verilator split_var */;
  logic              b_data  [NumRows+1][NumCols] /* verilator split_var */;
  logic [Lanes-1:0][3:0] b_code [NumRows+1][NumCols] /* verilator split_var */;
  logic [Lanes-1:0]  b_en    [NumRows+1][NumCols] /* verilator split_var */;
  logic              p_valid [NumRows+1][NumCols] /* verilator split_var */;
  logic              p_data  [NumRows+1][NumCols] /* verilator split_var */;
  logic [15:0]       p_value [NumRows+1][NumCols] /* verilator split_var */;
  logic              w_valid [NumRows+1][NumCols] /* verilator split_var */;
  logic              w_data  [NumRows+1][NumCols] /* verilator split_var */;
  logic [RowWidth-1:0] w_row [NumRows+1][NumCols] /* verilator split_var */;
  logic [Lanes-1:0][3:0] w_code [NumRows+1][NumCols] /* verilator split_var */;
  logic [Lanes-1:0]  w_en    [NumRows+1][NumCols] /* verilator split_var */;

  // os: the bottom PE of column j did the last step of an output-completing tile in the
  // previous cycle, so every PE of the column holds its result: the column's drain starts.
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

  for (genvar i = 0; i < NumRows; i++) begin : gen_west
    assign x_valid[i][0] = row_valid_i[i];
    assign x_data[i][0] = row_data_i[i];
    assign x_first[i][0] = row_first_i[i];
    assign x_last[i][0] = row_last_i[i];
    assign x_code[i][0] = row_code_i[4*Lanes*i +: 4*Lanes];
    assign x_en[i][0] = row_en_i[Lanes*i +: Lanes];
  end

  for (genvar j = 0; j < NumCols; j++) begin : gen_north
    assign b_valid[0][j] = col_valid_i[j];
    assign b_data[0][j] = col_data_i[j];
    assign b_code[0][j] = col_code_i[4*Lanes*j +: 4*Lanes];
    assign b_en[0][j] = col_en_i[Lanes*j +: Lanes];
    // os: the drain chain enters empty from the north.
    assign p_valid[0][j] = (dataflow_q != nibble_pkg::DfOs) && psum_valid_i[j];
    assign p_data[0][j] = psum_data_i[j];
    assign p_value[0][j] = psum_i[16*j +: 16];
    assign w_valid[0][j] = w_valid_i[j];
    assign w_data[0][j] = w_data_i[j];
    assign w_row[0][j] = w_row_i[RowWidth*j +: RowWidth];
    assign w_code[0][j] = w_code_i[4*Lanes*j +: 4*Lanes];
    assign w_en[0][j] = w_en_i[Lanes*j +: Lanes];
  end

  for (genvar i = 0; i < NumRows; i++) begin : gen_rows
    for (genvar j = 0; j < NumCols; j++) begin : gen_cols
      nibble_pe #(
        .RowWidth(RowWidth),
        .Lanes   (Lanes),
        .Fp4Bias (Fp4Bias)
      ) u_pe (
        .clk_i       (clk_i),
        .rst_ni      (rst_ni),
        .row_i       (RowWidth'(i)),
        .en_i        (en),
        .dataflow_i  (dataflow_q),
        .fmt_a_i     (fmt_a_q),
        .fmt_b_i     (fmt_b_q),
        .x_valid_i   (x_valid[i][j]),
        .x_data_i    (x_data[i][j]),
        .x_first_i   (x_first[i][j]),
        .x_last_i    (x_last[i][j]),
        .x_code_i    (x_code[i][j]),
        .x_en_i      (x_en[i][j]),
        .x_valid_o   (x_valid[i][j+1]),
        .x_data_o    (x_data[i][j+1]),
        .x_first_o   (x_first[i][j+1]),
        .x_last_o    (x_last[i][j+1]),
        .x_code_o    (x_code[i][j+1]),
        .x_en_o      (x_en[i][j+1]),
        .b_valid_i   (b_valid[i][j]),
        .b_data_i    (b_data[i][j]),
        .b_code_i    (b_code[i][j]),
        .b_en_i      (b_en[i][j]),
        .b_valid_o   (b_valid[i+1][j]),
        .b_data_o    (b_data[i+1][j]),
        .b_code_o    (b_code[i+1][j]),
        .b_en_o      (b_en[i+1][j]),
        .p_valid_i   (p_valid[i][j]),
        .p_data_i    (p_data[i][j]),
        .p_value_i   (p_value[i][j]),
        .p_valid_o   (p_valid[i+1][j]),
        .p_data_o    (p_data[i+1][j]),
        .p_value_o   (p_value[i+1][j]),
        .w_valid_i   (w_valid[i][j]),
        .w_data_i    (w_data[i][j]),
        .w_row_i     (w_row[i][j]),
        .w_code_i    (w_code[i][j]),
        .w_en_i      (w_en[i][j]),
        .w_valid_o   (w_valid[i+1][j]),
        .w_data_o    (w_data[i+1][j]),
        .w_row_o     (w_row[i+1][j]),
        .w_code_o    (w_code[i+1][j]),
        .w_en_o      (w_en[i+1][j]),
        .drain_load_i(drain_load_q[j])
      );
    end
  end

  for (genvar j = 0; j < NumCols; j++) begin : gen_drain_load
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        drain_load_q[j] <= 1'b0;
      end else if (en) begin
        drain_load_q[j] <= (dataflow_q == nibble_pkg::DfOs) && x_valid[NumRows-1][j] &&
                           x_last[NumRows-1][j];
      end
    end
  end

  // Results: the bottom row's partial-sum registers, real outputs only.
  for (genvar j = 0; j < NumCols; j++) begin : gen_south
    assign res_valid_o[j] = p_valid[NumRows][j] && p_data[NumRows][j];
    assign res_o[16*j +: 16] = p_value[NumRows][j];
  end

  assign en = !(|res_valid_o) || res_ready_i;
  assign in_ready_o = en;

endmodule
