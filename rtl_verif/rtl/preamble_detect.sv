// 802.11a short-preamble detector: delay-and-correlate over a window of L,
// plateau of M samples, coarse CFO angle from the CORDIC (cordic_atan2.sv,
// instantiated). Bit-exact with mesh_phy/ofdm/detect_fixed.py, whose
// docstring states the arithmetic.
//
// In:  s_axis_tdata = {im, re}, signed IN_W bits each, one sample per clock;
//      s_axis_tlast ends a frame: the next sample has index 0 and sees an
//      empty history (as after reset).
// Out: one beat per detection and one closing beat per input frame:
//      m_axis_tdata = {angle (AW bits, units of 2^-AW turn), index (IDX_W
//      bits, the sample where the plateau reached M, modulo 2^IDX_W)},
//      m_axis_tuser = 1 for a detection, m_axis_tlast = 1 on the beat of the
//      frame's last sample (tuser 0 and angle 0 unless it is a detection).
//
// Pipeline (all moves on ce = the event register is free or the CORDIC takes
// it; s_axis_tready = ce):
//   S0  r[m-16] from a 16-deep delay line, q = r[m-16]·conj(r[m]) (4 real
//       multipliers) and |r[m]|² (2), moving sums C and P through L-deep
//       delay lines of q and |r|²;
//   S1  normalisation by the bit length of P: Pt = P >> s, Ct = sat(C >>> s);
//   S2  |Ct|²·2^(2TF) > (THR·Pt)² and P >= PMIN (3 squarers and THR·Pt),
//       plateau and hold-off counters, event register;
//   CORDIC atan2(Ct) (ITER + 2 stages); {det, index} wait in a small FIFO
//   beside it (it holds at most ITER + 2 events).
// The CORDIC (IN_W = MW, OUT_W = AW, ITER) computes its own guard bits, angle
// table and gain constant, the golden model's sensor_dsp.cordic.params(MW, AW,
// ITER), from tables generated from it (cordic_atan2.sv); nobody passes them.
module preamble_detect #(
    parameter int IN_W  = 12,
    parameter int L     = 32,
    parameter int M     = 24,
    parameter int THR   = 128,
    parameter int TF    = 8,
    parameter int PMIN  = 0,
    parameter int HOLD  = 0,
    parameter int MW    = 16,
    parameter int IDX_W = 16,
    parameter int AW    = 16,
    parameter int ITER  = 16
) (
    input  logic                  clk,
    input  logic                  rst,
    input  logic [2*IN_W-1:0]     s_axis_tdata,
    input  logic                  s_axis_tvalid,
    output logic                  s_axis_tready,
    input  logic                  s_axis_tlast,
    output logic [AW+IDX_W-1:0]   m_axis_tdata,
    output logic                  m_axis_tvalid,
    input  logic                  m_axis_tready,
    output logic                  m_axis_tlast,
    output logic                  m_axis_tuser
);
    localparam int LAG = 16;
    localparam int QW  = 2 * IN_W + 1;              // q parts
    localparam int EW  = 2 * IN_W;                  // |r|²
    localparam int CW  = QW + $clog2(L);            // C parts
    localparam int PW  = EW + $clog2(L);            // P
    localparam int SW  = $clog2(PW + 1);            // normalising shift
    localparam int RW  = $clog2(M + 1);
    localparam int HW  = $clog2(HOLD + 2);
    localparam int XW  = 2 * MW + 2 * TF + 2;       // comparison width
    localparam int TPW = TF + 2 + MW;               // THR·Pt
    localparam int FD  = 1 << $clog2(ITER + 3);     // index FIFO depth
    localparam int FA  = $clog2(FD);

    logic ce;
    wire  acc = s_axis_tvalid && ce;

    // ---------------- S0: products and moving sums
    wire signed [IN_W-1:0] x_re = s_axis_tdata[IN_W-1:0];
    wire signed [IN_W-1:0] x_im = s_axis_tdata[2*IN_W-1:IN_W];

    logic                   first;                 // next sample starts a frame
    logic [IDX_W-1:0]       nidx;                  // index of the next sample
    logic signed [IN_W-1:0] dre [LAG];
    logic signed [IN_W-1:0] dim [LAG];
    logic signed [QW-1:0]   qre_d [L];
    logic signed [QW-1:0]   qim_d [L];
    logic        [EW-1:0]   e_d [L];

    wire signed [IN_W-1:0] o_re = first ? '0 : dre[LAG-1];   // r[m-16]
    wire signed [IN_W-1:0] o_im = first ? '0 : dim[LAG-1];
    wire signed [QW-1:0] q_re = QW'(o_re) * QW'(x_re) + QW'(o_im) * QW'(x_im);
    wire signed [QW-1:0] q_im = QW'(o_im) * QW'(x_re) - QW'(o_re) * QW'(x_im);
    wire        [EW-1:0] e_m  = EW'(QW'(x_re) * QW'(x_re) + QW'(x_im) * QW'(x_im));
    wire signed [QW-1:0] qo_re = first ? '0 : qre_d[L-1];
    wire signed [QW-1:0] qo_im = first ? '0 : qim_d[L-1];
    wire        [EW-1:0] eo    = first ? '0 : e_d[L-1];

    logic signed [CW-1:0] c_re, c_im;
    logic        [PW-1:0] p_s;
    logic                 v0, last0, first0;
    logic [IDX_W-1:0]     idx0;

    always @(posedge clk) begin
        if (rst) begin
            first <= 1'b1;
            nidx  <= '0;
            v0    <= 1'b0;
            last0 <= 1'b0;
            first0 <= 1'b0;
            idx0  <= '0;
            c_re  <= '0;
            c_im  <= '0;
            p_s   <= '0;
            for (int i = 0; i < LAG; i++) begin
                dre[i] <= '0;
                dim[i] <= '0;
            end
            for (int i = 0; i < L; i++) begin
                qre_d[i] <= '0;
                qim_d[i] <= '0;
                e_d[i]   <= '0;
            end
        end else if (ce) begin
            v0 <= acc;
            if (acc) begin
                first  <= s_axis_tlast;
                nidx   <= s_axis_tlast ? '0 : nidx + 1'b1;
                idx0   <= first ? '0 : nidx;
                last0  <= s_axis_tlast;
                first0 <= first;
                dre[0] <= x_re;
                dim[0] <= x_im;
                for (int i = 1; i < LAG; i++) begin
                    dre[i] <= first ? '0 : dre[i-1];
                    dim[i] <= first ? '0 : dim[i-1];
                end
                qre_d[0] <= q_re;
                qim_d[0] <= q_im;
                e_d[0]   <= e_m;
                for (int i = 1; i < L; i++) begin
                    qre_d[i] <= first ? '0 : qre_d[i-1];
                    qim_d[i] <= first ? '0 : qim_d[i-1];
                    e_d[i]   <= first ? '0 : e_d[i-1];
                end
                c_re <= (first ? '0 : c_re) + CW'(q_re) - CW'(qo_re);
                c_im <= (first ? '0 : c_im) + CW'(q_im) - CW'(qo_im);
                p_s  <= (first ? '0 : p_s) + PW'(e_m) - PW'(eo);
            end
        end
    end

    // ---------------- S1: normalise by the bit length of P
    logic [SW-1:0] sh;
    always_comb begin
        sh = '0;
        for (int b = MW - 2; b < PW; b++)
            if (p_s[b]) sh = SW'(b - (MW - 2) + 1);
    end
    wire signed [CW-1:0] cs_re = c_re >>> sh;
    wire signed [CW-1:0] cs_im = c_im >>> sh;
    wire        [MW-3:0] pt_n  = (MW - 2)'(p_s >> sh);   // < 2^(MW-2) by the choice of sh

    logic pge_n;                                    // P >= PMIN
    if (PMIN > 0) begin : g_pmin
        assign pge_n = {1'b0, p_s} >= (PW + 1)'(PMIN);
    end else begin : g_no_pmin
        assign pge_n = 1'b1;
    end

    localparam logic signed [CW-1:0] CMAX = CW'((64'sd1 <<< (MW - 1)) - 64'sd1);
    localparam logic signed [CW-1:0] CMIN = -CMAX - CW'(1);
    function automatic logic signed [MW-1:0] sat(input logic signed [CW-1:0] v);
        // (no early `return`: Verilator's line coverage never counts such a branch)
        if (v > CMAX) sat = MW'(CMAX);
        else if (v < CMIN) sat = MW'(CMIN);
        else sat = MW'(v);
    endfunction

    logic signed [MW-1:0] ct_re, ct_im;
    logic        [MW-3:0] pt;
    logic                 pge, v1, last1, first1;
    logic [IDX_W-1:0]     idx1;

    always @(posedge clk) begin
        if (rst) begin
            v1 <= 1'b0;
            ct_re <= '0;
            ct_im <= '0;
            pt <= '0;
            pge <= 1'b0;
            last1 <= 1'b0;
            first1 <= 1'b0;
            idx1 <= '0;
        end else if (ce) begin
            v1     <= v0;
            ct_re  <= sat(cs_re);
            ct_im  <= sat(cs_im);
            pt     <= pt_n;
            pge    <= pge_n;
            last1  <= last0;
            first1 <= first0;
            idx1   <= idx0;
        end
    end

    // ---------------- S2: threshold, plateau, hold-off, event
    wire [XW-1:0] mag2 = XW'(ct_re * ct_re) + XW'(ct_im * ct_im);   // squares of signed MW-bit parts
    wire [XW-1:0] lhs  = mag2 << (2 * TF);
    wire [TPW-1:0] tp  = TPW'(THR) * TPW'(pt);
    wire [XW-1:0] rhs  = XW'(tp) * XW'(tp);
    wire          cond = pge && (lhs > rhs);

    logic [RW-1:0] run;
    logic [HW-1:0] hold_p;                          // hold-off samples left (0: free to fire)
    wire  [RW-1:0] run_p  = first1 ? '0 : run;
    wire           fire   = cond && (run_p == RW'(M - 1)) && (hold_p == '0);

    logic                 ev_v, ev_det, ev_last;
    logic signed [MW-1:0] ev_x, ev_y;
    logic [IDX_W-1:0]     ev_idx;
    logic                 c_ready;

    always @(posedge clk) begin
        if (rst) begin
            run <= '0;
            ev_v <= 1'b0;
            ev_det <= 1'b0;
            ev_last <= 1'b0;
            ev_x <= '0;
            ev_y <= '0;
            ev_idx <= '0;
        end else if (ce) begin
            if (v1) begin
                run  <= !cond ? '0 : (run_p == RW'(M) ? run_p : run_p + 1'b1);
            end
            ev_v    <= v1 && (fire || last1);
            ev_det  <= fire;
            ev_last <= last1;
            ev_x    <= ct_re;
            ev_y    <= ct_im;
            ev_idx  <= idx1;
        end
    end

    // The hold-off counter exists only with a hold-off (HOLD > 0): with HOLD = 0 it
    // would be loaded with 0 on every detection and never leave 0, its count-down
    // branch unreachable (a coverage point no stimulus can hit), as g_pmin above.
    if (HOLD > 0) begin : g_hold
        logic [HW-1:0] hold;
        assign hold_p = first1 ? '0 : hold;
        always @(posedge clk) begin
            if (rst) hold <= '0;
            else if (ce && v1) hold <= fire ? HW'(HOLD) : (hold_p != '0 ? hold_p - 1'b1 : '0);
        end
    end else begin : g_no_hold
        assign hold_p = '0;
    end

    assign ce = !ev_v || c_ready;
    assign s_axis_tready = ce;

    // ---------------- CORDIC angle, with {det, index} in a FIFO beside it
    logic [AW-1:0] c_ang;
    /* verilator lint_off UNUSEDSIGNAL */
    logic [MW-1:0] c_mag;                           // |Ct|: not reported
    /* verilator lint_on UNUSEDSIGNAL */

    cordic_atan2 #(.IN_W(MW), .OUT_W(AW), .ITER(ITER)) u_cordic (
        .clk, .rst,
        .s_axis_tdata({ev_y, ev_x}), .s_axis_tvalid(ev_v), .s_axis_tready(c_ready), .s_axis_tlast(ev_last),
        .m_axis_tdata({c_mag, c_ang}), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready),
        .m_axis_tlast(m_axis_tlast));

    logic [IDX_W:0] fifo [FD];
    logic [FA-1:0]  wp, rp;
    wire  push = ev_v && c_ready;
    wire  pop  = m_axis_tvalid && m_axis_tready;

    always @(posedge clk) begin
        if (push) fifo[wp] <= {ev_det, ev_idx};
    end
    always @(posedge clk) begin
        if (rst) begin
            wp <= '0;
            rp <= '0;
        end else begin
            if (push) wp <= wp + 1'b1;
            if (pop)  rp <= rp + 1'b1;
        end
    end

    assign m_axis_tuser = fifo[rp][IDX_W];
    assign m_axis_tdata = {fifo[rp][IDX_W] ? c_ang : '0, fifo[rp][IDX_W-1:0]};
endmodule
