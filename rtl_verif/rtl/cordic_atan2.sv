// Pipelined CORDIC atan2 (vectoring mode), one sample per clock, bit-exact
// with sensor_dsp/cordic.py (see its docstring for the format).
//
// In:  s_axis_tdata = {y, x}, signed IN_W bits each.
// Out: m_axis_tdata = {magnitude (unsigned IN_W bits), angle (unsigned OUT_W
//      bits, units of 2^-OUT_W turn)}; tlast follows its sample.
// Latency ITER + 2 clocks: pre-rotation, ITER micro-rotations, output stage.
// The whole pipeline advances when the output register is free, so
// back-pressure stalls it without losing samples.
// ANGLES (A_i, ZW bits each, A_0 in the low bits) and KINV come from the
// golden model (sensor_dsp.cordic.params), so both use the same constants.
module cordic_atan2 #(
    parameter int IN_W  = 16,
    parameter int OUT_W = 16,
    parameter int ITER  = 16,
    parameter int G     = 6,                  // guard bits: ceil(log2 ITER) + 2
    parameter int ZW    = OUT_W + G,
    parameter logic [ITER*ZW-1:0] ANGLES = '0,
    parameter int KINV  = 39797
) (
    input  logic                  clk,
    input  logic                  rst,
    input  logic [2*IN_W-1:0]     s_axis_tdata,
    input  logic                  s_axis_tvalid,
    output logic                  s_axis_tready,
    input  logic                  s_axis_tlast,
    output logic [IN_W+OUT_W-1:0] m_axis_tdata,
    output logic                  m_axis_tvalid,
    input  logic                  m_axis_tready,
    output logic                  m_axis_tlast
);
    localparam int KF = 16;
    localparam int XW = IN_W + G + 3;          // |(x, y)| * K_n < 2.4 * 2^(IN_W-1+G)
    localparam int MW = XW + KF + 1;

    logic signed [XW-1:0] xs [ITER+1];
    logic signed [XW-1:0] ys [ITER+1];
    logic        [ZW-1:0] zs [ITER+1];
    logic                 vs [ITER+1];
    logic                 ls [ITER+1];
    logic                 zero [ITER+1];

    wire ce = !m_axis_tvalid || m_axis_tready;
    assign s_axis_tready = ce;

    wire signed [IN_W-1:0] x_in = s_axis_tdata[IN_W-1:0];
    wire signed [IN_W-1:0] y_in = s_axis_tdata[2*IN_W-1:IN_W];
    wire signed [XW-1:0]   x_ext = XW'(x_in);
    wire signed [XW-1:0]   y_ext = XW'(y_in);

    // output stage: round the angle, remove the CORDIC gain from x
    wire signed [MW-1:0] prod = MW'(xs[ITER]) * MW'(KINV);
    wire [IN_W-1:0]  mag_o = IN_W'((prod + (MW'(1) <<< (KF - 1 + G))) >>> (KF + G));
    wire [OUT_W-1:0] ang_o = OUT_W'((zs[ITER] + (ZW'(1) << (G - 1))) >> G);

    always @(posedge clk) begin
        if (rst) begin
            for (int i = 0; i <= ITER; i++) begin
                vs[i] <= 1'b0;
                ls[i] <= 1'b0;
                zero[i] <= 1'b0;
                xs[i] <= '0;
                ys[i] <= '0;
                zs[i] <= '0;
            end
            m_axis_tvalid <= 1'b0;
            m_axis_tlast  <= 1'b0;
            m_axis_tdata  <= '0;
        end else if (ce) begin
            // pre-rotation into the right half-plane
            vs[0]   <= s_axis_tvalid;
            ls[0]   <= s_axis_tlast;
            zero[0] <= (x_in == 0) && (y_in == 0);
            xs[0]   <= (x_in < 0 ? -x_ext : x_ext) <<< G;
            ys[0]   <= (x_in < 0 ? -y_ext : y_ext) <<< G;
            zs[0]   <= (x_in < 0) ? (ZW'(1) << (ZW - 1)) : '0;
            // micro-rotations
            for (int i = 0; i < ITER; i++) begin
                vs[i+1]   <= vs[i];
                ls[i+1]   <= ls[i];
                zero[i+1] <= zero[i];
                if (ys[i] >= 0) begin
                    xs[i+1] <= xs[i] + (ys[i] >>> i);
                    ys[i+1] <= ys[i] - (xs[i] >>> i);
                    zs[i+1] <= zs[i] + ANGLES[i*ZW +: ZW];
                end else begin
                    xs[i+1] <= xs[i] - (ys[i] >>> i);
                    ys[i+1] <= ys[i] + (xs[i] >>> i);
                    zs[i+1] <= zs[i] - ANGLES[i*ZW +: ZW];
                end
            end
            m_axis_tvalid <= vs[ITER];
            m_axis_tlast  <= ls[ITER];
            m_axis_tdata  <= zero[ITER] ? '0 : {mag_o, ang_o};
        end
    end
endmodule
