// Viterbi decoder unit: the streaming decoder viterbi_dec behind a register
// block (viterbi_csr_regs, generated from rtl_verif/regs/viterbi_csr.rdl; map
// in docs/registers/viterbi_csr.md).
//
// Stream mode (CTRL.BUS_MODE = 0): s_axis -> decoder -> m_axis exactly as
// viterbi_dec (tuser on the last beat: terminated). Bus mode: s_axis is held
// off and m_axis idle; each DIN write is one trellis step ({SB, SA}, LAST,
// TERMINATED; bytes not written count as 0) and its write response waits
// until the decoder takes the step; decoded bits queue in a 64-entry FIFO and
// a DOUT read pops up to 24 of them (never past a frame's last bit). The
// decoder stalls while the FIFO is full, so a driver reads DOUT at least every
// 24 steps (then at most 48 bits wait) and never blocks in a DIN write.
// A DIN write in stream mode is answered at once and ignored. CTRL.ABORT
// resets the decoder and empties the FIFO.
module viterbi_csr #(
    parameter int SOFT_W = 6,
    parameter int TB_LEN = 64
) (
    input  logic                clk,
    input  logic                rst,
    // AXI4-Lite slave (registers)
    input  logic [5:0]          s_axil_awaddr,
    input  logic [2:0]          s_axil_awprot,
    input  logic                s_axil_awvalid,
    output logic                s_axil_awready,
    input  logic [31:0]         s_axil_wdata,
    input  logic [3:0]          s_axil_wstrb,
    input  logic                s_axil_wvalid,
    output logic                s_axil_wready,
    output logic [1:0]          s_axil_bresp,
    output logic                s_axil_bvalid,
    input  logic                s_axil_bready,
    input  logic [5:0]          s_axil_araddr,
    input  logic [2:0]          s_axil_arprot,
    input  logic                s_axil_arvalid,
    output logic                s_axil_arready,
    output logic [31:0]         s_axil_rdata,
    output logic [1:0]          s_axil_rresp,
    output logic                s_axil_rvalid,
    input  logic                s_axil_rready,
    // AXI4-Stream steps and bits (as viterbi_dec)
    input  logic [2*SOFT_W-1:0] s_axis_tdata,
    input  logic                s_axis_tvalid,
    output logic                s_axis_tready,
    input  logic                s_axis_tlast,
    input  logic                s_axis_tuser,
    output logic                m_axis_tdata,
    output logic                m_axis_tvalid,
    input  logic                m_axis_tready,
    output logic                m_axis_tlast,
    output logic                irq
);
    localparam int DEPTH = 64;  // DOUT FIFO entries (STATUS.OUT_LEVEL is 7 bits)
    localparam int POP   = 24;  // bits per DOUT read

    logic        bus_mode, abort, clr_counters;
    logic [31:0] ext_data, ext_biten;
    logic        din_req, din_ack, dout_req;
    logic        irq_done, irq_en_done;
    logic [31:0] frames, bits, steps;  // counters, for software
    // decoder
    logic        c_in_valid, c_in_ready, c_out_valid, c_out_ready, c_out_data, c_out_last;
    // bus path
    logic        din_pend;
    logic [17:0] din_q;                // {TERMINATED, LAST, SB, SA}
    logic        frame_busy;
    logic        fbit [DEPTH];
    logic        flast [DEPTH];
    logic [6:0]  wptr, rptr;           // one more bit than the index: level = wptr - rptr

    wire [6:0]  level = wptr - rptr;
    wire        step  = c_in_valid && c_in_ready;
    wire        bit_out = c_out_valid && c_out_ready;

    // the bits a DOUT read pops: up to POP, stopping after a frame's last bit
    logic [23:0] pop_bits;
    logic [4:0]  pop_n;
    logic        pop_last;
    always @* begin
        logic stop;
        logic [5:0] idx;
        pop_bits = 24'd0;
        pop_n    = 5'd0;
        pop_last = 1'b0;
        stop     = 1'b0;
        for (int k = 0; k < POP; k++) begin
            idx = 6'(rptr) + 6'(k);
            if (!stop && 7'(k) < level) begin
                pop_bits[k] = fbit[idx];
                pop_n       = 5'(k + 1);
                if (flast[idx]) begin
                    pop_last = 1'b1;
                    stop     = 1'b1;
                end
            end
        end
    end

    viterbi_csr_regs u_regs (
        .clk, .rst,
        .s_axil_awaddr, .s_axil_awprot, .s_axil_awvalid, .s_axil_awready,
        .s_axil_wdata, .s_axil_wstrb, .s_axil_wvalid, .s_axil_wready,
        .s_axil_bresp, .s_axil_bvalid, .s_axil_bready,
        .s_axil_araddr, .s_axil_arprot, .s_axil_arvalid, .s_axil_arready,
        .s_axil_rdata, .s_axil_rresp, .s_axil_rvalid, .s_axil_rready,
        .ext_wr_data(ext_data), .ext_wr_biten(ext_biten),
        .params_soft_w(8'(SOFT_W)), .params_tb_len(8'(TB_LEN)),
        .ctrl_bus_mode(bus_mode), .ctrl_abort(abort), .ctrl_clr_counters(clr_counters),
        .status_busy(frame_busy), .status_out_level(level),
        .din_wr_req(din_req), .din_wr_ack(din_ack),
        .dout_rd_req(dout_req), .dout_rd_ack(dout_req),
        .dout_rd_data({pop_last, 2'b00, pop_n, pop_bits}),
        .frames_count(frames), .frames_count_incr(bit_out && c_out_last), .frames_count_hwclr(clr_counters),
        .bits_count(bits), .bits_count_incr(bit_out), .bits_count_hwclr(clr_counters),
        .steps_count(steps), .steps_count_incr(step), .steps_count_hwclr(clr_counters),
        .irq_status_frame_done(irq_done), .irq_status_frame_done_hwset(bit_out && c_out_last),
        .irq_enable_frame_done(irq_en_done)
    );

    assign c_in_valid    = bus_mode ? din_pend : s_axis_tvalid;
    assign s_axis_tready = !bus_mode && c_in_ready;
    assign c_out_ready   = bus_mode ? level != 7'(DEPTH) : m_axis_tready;
    assign m_axis_tvalid = !bus_mode && c_out_valid;
    assign m_axis_tdata  = c_out_data;
    assign m_axis_tlast  = c_out_last;
    assign din_ack       = bus_mode ? step : din_req;  // stream mode: answered, ignored
    assign irq = irq_done && irq_en_done;

    viterbi_dec #(.SOFT_W(SOFT_W), .TB_LEN(TB_LEN)) u_dec (
        .clk, .rst(rst || abort),
        .s_axis_tdata(bus_mode ? {din_q[8 +: SOFT_W], din_q[0 +: SOFT_W]} : s_axis_tdata),
        .s_axis_tvalid(c_in_valid), .s_axis_tready(c_in_ready),
        .s_axis_tlast(bus_mode ? din_q[16] : s_axis_tlast),
        .s_axis_tuser(bus_mode ? din_q[17] : s_axis_tuser),
        .m_axis_tdata(c_out_data), .m_axis_tvalid(c_out_valid), .m_axis_tready(c_out_ready),
        .m_axis_tlast(c_out_last)
    );

    always_ff @(posedge clk) begin
        if (rst || abort) begin
            din_pend   <= 1'b0;
            din_q      <= 18'd0;
            frame_busy <= 1'b0;
            wptr       <= 7'd0;
            rptr       <= 7'd0;
        end else begin
            if (din_req && bus_mode) begin
                din_pend <= 1'b1;
                din_q    <= 18'(ext_data & ext_biten);
            end else if (step) begin
                din_pend <= 1'b0;
            end
            if (step && !(bus_mode ? din_q[16] : s_axis_tlast)) frame_busy <= 1'b1;
            if (bit_out && c_out_last) frame_busy <= 1'b0;
            if (bit_out && bus_mode) begin
                fbit[wptr[5:0]]  <= c_out_data;
                flast[wptr[5:0]] <= c_out_last;
                wptr <= wptr + 7'd1;
            end
            if (dout_req) rptr <= rptr + 7'(pop_n);
        end
    end

    /* verilator lint_off UNUSEDSIGNAL */
    wire unused = ^{frames, bits, steps, ext_data[31:18], ext_biten[31:18], din_q[15:8+SOFT_W],
                    din_q[7:SOFT_W]};
    /* verilator lint_on UNUSEDSIGNAL */
endmodule
