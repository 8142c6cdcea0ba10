// Pipelined CORDIC atan2 (vectoring mode), one sample per clock, bit-exact
// with sensor_dsp/cordic.py (see its docstring for the format).
//
// In:  s_axis_tdata = {y, x}, signed IN_W bits each.
// Out: m_axis_tdata = {magnitude (unsigned IN_W bits), angle (unsigned OUT_W
//      bits, units of 2^-OUT_W turn)}; tlast follows its sample.
// Latency ITER + 2 clocks: pre-rotation, ITER micro-rotations, output stage.
// The whole pipeline advances when the output register is free, so
// back-pressure stalls it without losing samples.
// ANGLES (A_i, ZW bits each, A_0 in the low bits) and KINV are the golden
// model's (sensor_dsp.cordic.params): by default computed here, for any
// IN_W/OUT_W/ITER the model accepts (4..30, 4..30, 1..30), from tables
// generated from it (the region below; rtl_verif/regs/consts.py checks every
// angle against the model); the runner passes the model's values explicitly.
module cordic_atan2 #(
    parameter int IN_W  = 16,
    parameter int OUT_W = 16,
    parameter int ITER  = 16,
    parameter int G     = $clog2(ITER) + 2,   // guard bits: ceil(log2 ITER) + 2 (2 for ITER = 1)
    parameter int ZW    = OUT_W + G,
    parameter logic [ITER*ZW-1:0] ANGLES = angle_table(ITER, ZW),
    parameter int KINV  = kinv_of(ITER)
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
    /* verilator coverage_off */ // constant functions: evaluated at elaboration only (parameter defaults)
    // BEGIN GENERATED cordic_consts by `python -m rtl_verif.regs` from sensor_dsp/cordic.py (atan table, KINV) - do not edit
    // atan(2^-i) / 2pi turns with 96 fraction bits (exact), i = 0..29
    function automatic [95:0] atan_turns(input integer i);
        begin
            atan_turns = 96'h0;
            case (i)
                0: atan_turns = 96'h200000000000000000000000;
                1: atan_turns = 96'h12e4051d9df3080000000000;
                2: atan_turns = 96'h09fb385b5ee39e8000000000;
                3: atan_turns = 96'h051111d41ddd9a4000000000;
                4: atan_turns = 96'h028b0d430e589b0000000000;
                5: atan_turns = 96'h0145d7e15904628000000000;
                6: atan_turns = 96'h00a2f61e5c28263000000000;
                7: atan_turns = 96'h00517c5511d442b000000000;
                8: atan_turns = 96'h0028be5346d0c33800000000;
                9: atan_turns = 96'h00145f2ebb30ab3800000000;
                10: atan_turns = 96'h000a2f980091ba7b80000000;
                11: atan_turns = 96'h000517cc14a80cb740000000;
                12: atan_turns = 96'h00028be60cdfec61a0000000;
                13: atan_turns = 96'h000145f306c172f250000000;
                14: atan_turns = 96'h0000a2f9836ae91158000000;
                15: atan_turns = 96'h0000517cc1b6ba7bb4000000;
                16: atan_turns = 96'h000028be60db85fc3a000000;
                17: atan_turns = 96'h0000145f306dc815e9000000;
                18: atan_turns = 96'h00000a2f9836e4adee000000;
                19: atan_turns = 96'h00000517cc1b726b56400000;
                20: atan_turns = 96'h0000028be60db93837000000;
                21: atan_turns = 96'h00000145f306dc9c6d000000;
                22: atan_turns = 96'h000000a2f9836e4e40b00000;
                23: atan_turns = 96'h000000517cc1b727219c0000;
                24: atan_turns = 96'h00000028be60db9390f80000;
                25: atan_turns = 96'h000000145f306dc9c8810000;
                26: atan_turns = 96'h0000000a2f9836e4e4410000;
                27: atan_turns = 96'h0000000517cc1b727220c000;
                28: atan_turns = 96'h000000028be60db939106000;
                29: atan_turns = 96'h0000000145f306dc9c883000;
                default: ;
            endcase
        end
    endfunction
    // round(2^16 / K_n), K_n = prod_i sqrt(1 + 2^-2i), n = 1..30 iterations
    function automatic [31:0] kinv_of(input integer n);
        begin
            kinv_of = 32'h0;
            case (n)
                1: kinv_of = 32'h0000b505;
                2: kinv_of = 32'h0000a1e9;
                3: kinv_of = 32'h00009d13;
                4: kinv_of = 32'h00009bdd;
                5: kinv_of = 32'h00009b8f;
                6: kinv_of = 32'h00009b7b;
                7: kinv_of = 32'h00009b77;
                8: kinv_of = 32'h00009b75;
                9: kinv_of = 32'h00009b75;
                10: kinv_of = 32'h00009b75;
                11: kinv_of = 32'h00009b75;
                12: kinv_of = 32'h00009b75;
                13: kinv_of = 32'h00009b75;
                14: kinv_of = 32'h00009b75;
                15: kinv_of = 32'h00009b75;
                16: kinv_of = 32'h00009b75;
                17: kinv_of = 32'h00009b75;
                18: kinv_of = 32'h00009b75;
                19: kinv_of = 32'h00009b75;
                20: kinv_of = 32'h00009b75;
                21: kinv_of = 32'h00009b75;
                22: kinv_of = 32'h00009b75;
                23: kinv_of = 32'h00009b75;
                24: kinv_of = 32'h00009b75;
                25: kinv_of = 32'h00009b75;
                26: kinv_of = 32'h00009b75;
                27: kinv_of = 32'h00009b75;
                28: kinv_of = 32'h00009b75;
                29: kinv_of = 32'h00009b75;
                30: kinv_of = 32'h00009b75;
                default: ;
            endcase
        end
    endfunction
    // END GENERATED cordic_consts

    // A_i = round(atan(2^-i) / 2pi * 2^zw) for i < n, A_0 in the low bits
    function automatic [ITER*ZW-1:0] angle_table(input integer n, input integer zw);
        integer i;
        reg [95:0] d;
        begin
            angle_table = '0;
            for (i = 0; i < n; i = i + 1) begin
                d = atan_turns(i) + (96'd1 << (95 - zw));
                angle_table[i*ZW +: ZW] = ZW'(d >> (96 - zw));
            end
        end
    endfunction
    /* verilator coverage_on */

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
