// Soft-decision Viterbi decoder, K = 7, g0 = 133 / g1 = 171 (IEEE 802.11a-1999,
// 17.3.5.5), bit-exact with the golden model mesh_phy/viterbi.py.
//
// Input: one trellis step per beat, s_axis_tdata = {sb, sa}, each a signed
// SOFT_W-bit soft value in +-(2^(SOFT_W-1)-1), positive = "bit 0 more likely",
// 0 = erasure (punctured rates arrive depunctured). s_axis_tuser on the last
// beat: 1 = the encoder was terminated (flush from state 0), 0 = flush from
// the best state (802.11a pads after the tail).
// Output: one decoded bit per beat, tlast on a frame's last bit.
//
// Architecture (one step per clock):
// * add-compare-select for all 64 states in one clock; path metrics are
//   PM_W-bit modulo counters compared by the sign of their difference, so no
//   normalisation is needed (spread < 2^(PM_W-1) by construction);
// * register-exchange survivors, TB_LEN bits per state: after step t >=
//   TB_LEN-1 the oldest bit of the best state's survivor leaves the decoder —
//   latency TB_LEN-1 steps, then one bit per clock;
// * at tlast the chosen final state's survivor is flushed, one bit per clock,
//   while the input is held off: a frame of N steps takes N + min(N, TB_LEN)
//   clocks.
module viterbi_dec #(
    parameter int SOFT_W = 6,
    parameter int TB_LEN = 64,
    parameter logic [6:0] G0 = 7'o133,
    parameter logic [6:0] G1 = 7'o171
) (
    input  logic                clk,
    input  logic                rst,
    input  logic [2*SOFT_W-1:0] s_axis_tdata,
    input  logic                s_axis_tvalid,
    output logic                s_axis_tready,
    input  logic                s_axis_tlast,
    input  logic                s_axis_tuser,
    output logic                m_axis_tdata,
    output logic                m_axis_tvalid,
    input  logic                m_axis_tready,
    output logic                m_axis_tlast
);
    localparam int PM_W = SOFT_W + 8;
    localparam int Q    = (1 << (SOFT_W - 1)) - 1;
    localparam int CW   = $clog2(TB_LEN + 1);
    localparam int IW   = $clog2(TB_LEN);  // TB_LEN >= 2
    localparam logic [PM_W-1:0] HALF = PM_W'(1) << (PM_W - 1);
    localparam logic [PM_W-1:0] INIT = PM_W'(32 * Q);

    // a < b in modulo arithmetic: the difference is negative
    function automatic logic lt(input logic [PM_W-1:0] a, input logic [PM_W-1:0] b);
        logic [PM_W-1:0] d;
        d = a - b;
        return d >= HALF;
    endfunction

    // Expected coded pair {b, a} for input x leaving state ps.
    function automatic logic [1:0] code_out(input logic [5:0] ps, input logic x);
        logic [6:0] win;
        win = {x, ps};
        return {^(win & G1), ^(win & G0)};
    endfunction

    // Start of a frame: state 0 at 0, every other state at 32Q.
    /* verilator coverage_off */ // constant function: evaluated at elaboration only (PM_START)
    function automatic logic [64*PM_W-1:0] pm_start();
        logic [64*PM_W-1:0] v;
        for (int s = 0; s < 64; s++) v[s*PM_W +: PM_W] = (s == 0) ? '0 : INIT;
        return v;
    endfunction
    /* verilator coverage_on */
    localparam logic [64*PM_W-1:0] PM_START = pm_start();

    logic [64*PM_W-1:0]   pm;
    localparam int SW = TB_LEN - 1;  // stored survivor bits: the oldest is read from sv_next
    logic [64*SW-1:0]     sv;
    logic [CW-1:0]        cnt;        // steps of this frame, saturating at TB_LEN
    logic                 flushing;
    logic [TB_LEN-1:0]    flush_sv;
    logic [CW-1:0]        flush_cnt;

    wire signed [SOFT_W-1:0] sa = s_axis_tdata[SOFT_W-1:0];
    wire signed [SOFT_W-1:0] sb = s_axis_tdata[2*SOFT_W-1:SOFT_W];
    wire [PM_W-1:0] sa_ext = PM_W'(sa);  // sign-extended
    wire [PM_W-1:0] sb_ext = PM_W'(sb);

    // Branch metrics, index {b, a} of the expected pair: (Q +- sa) + (Q +- sb).
    logic [PM_W-1:0] bm [4];
    always @* begin
        for (int e = 0; e < 4; e++) begin
            bm[e] = PM_W'(2 * Q)
                  + ((e & 1) != 0 ? sa_ext : -sa_ext)
                  + ((e & 2) != 0 ? sb_ext : -sb_ext);
        end
    end

    // Add-compare-select: new state ns from ps = {ns[4:0], x}, input ns[5].
    logic [64*PM_W-1:0]   pm_next;
    logic [64*TB_LEN-1:0] sv_next;
    for (genvar ns = 0; ns < 64; ns++) begin : g_acs
        localparam logic [5:0] P0 = 6'((ns % 32) * 2);
        localparam logic [5:0] P1 = P0 | 6'd1;
        localparam logic       X  = 1'(ns / 32);
        wire [PM_W-1:0] c0 = pm[P0*PM_W +: PM_W] + bm[code_out(P0, X)];
        wire [PM_W-1:0] c1 = pm[P1*PM_W +: PM_W] + bm[code_out(P1, X)];
        wire            take1 = lt(c1, c0);  // predecessor 1 only when strictly better
        assign pm_next[ns*PM_W +: PM_W] = take1 ? c1 : c0;
        assign sv_next[ns*TB_LEN +: TB_LEN] =
            take1 ? {sv[P1*SW +: SW], X} : {sv[P0*SW +: SW], X};
    end

    // Best state of the new metrics: smallest, lowest index on ties.
    logic [5:0] best;
    always @* begin
        logic [PM_W-1:0] bv;
        best = 6'd0;
        bv   = pm_next[0 +: PM_W];
        for (int s = 1; s < 64; s++) begin
            if (lt(pm_next[s*PM_W +: PM_W], bv)) begin
                best = 6'(s);
                bv   = pm_next[s*PM_W +: PM_W];
            end
        end
    end

    wire out_free = !m_axis_tvalid || m_axis_tready;
    assign s_axis_tready = out_free && !flushing;
    wire step = s_axis_tvalid && s_axis_tready;

    wire [5:0]        final_state = s_axis_tuser ? 6'd0 : best;
    wire [TB_LEN-1:0] best_sv     = sv_next[best*TB_LEN +: TB_LEN];
    wire [CW-1:0]     n_flush     = (cnt == CW'(TB_LEN)) ? CW'(TB_LEN) : cnt + CW'(1);

    always_ff @(posedge clk) begin
        if (rst) begin
            pm            <= PM_START;
            sv            <= '0;
            cnt           <= '0;
            flushing      <= 1'b0;
            flush_sv      <= '0;
            flush_cnt     <= '0;
            m_axis_tvalid <= 1'b0;
            m_axis_tdata  <= 1'b0;
            m_axis_tlast  <= 1'b0;
        end else if (out_free) begin
            m_axis_tvalid <= 1'b0;
            if (flushing) begin
                m_axis_tvalid <= 1'b1;
                m_axis_tdata  <= flush_sv[IW'(flush_cnt - CW'(1))];
                m_axis_tlast  <= (flush_cnt == CW'(1));
                flush_cnt     <= flush_cnt - CW'(1);
                if (flush_cnt == CW'(1)) flushing <= 1'b0;
            end else if (step) begin
                if (s_axis_tlast) begin
                    flushing  <= 1'b1;
                    flush_sv  <= sv_next[final_state*TB_LEN +: TB_LEN];
                    flush_cnt <= n_flush;
                    pm        <= PM_START;
                    sv        <= '0;
                    cnt       <= '0;
                end else begin
                    pm <= pm_next;
                    for (int k = 0; k < 64; k++) sv[k*SW +: SW] <= sv_next[k*TB_LEN +: SW];
                    if (cnt != CW'(TB_LEN)) cnt <= cnt + CW'(1);
                    if (cnt >= CW'(TB_LEN - 1)) begin
                        m_axis_tvalid <= 1'b1;
                        m_axis_tdata  <= best_sv[TB_LEN-1];
                        m_axis_tlast  <= 1'b0;
                    end
                end
            end
        end
    end
endmodule
