// CORDIC atan2 unit: the streaming core cordic_atan2 behind a register block
// (cordic_csr_regs, generated from rtl_verif/regs/cordic_csr.rdl; map in
// docs/registers/cordic_csr.md).
//
// Stream mode (CTRL.BUS_MODE = 0): s_axis {y, x} -> core -> m_axis {magnitude,
// angle}, exactly as cordic_atan2 (same latency and back-pressure); every
// result also lands in RESULT. Bus mode: s_axis is held off; a write to
// SAMPLE sends (X, Y) through the core and its result lands in RESULT only
// (STATUS.RESULT_VALID, IRQ_STATUS.RESULT). Results are routed by the mode at
// the time they leave the core: change BUS_MODE only while STATUS.BUSY = 0.
// Diagnostics: a result with magnitude < AMP_MIN sets STATUS.LOW_AMP (until
// the next result), counts in LOW_AMP_COUNT and sets IRQ_STATUS.LOW_AMP.
// IN_W and OUT_W must be at most 16 (the RESULT and SAMPLE fields).
module cordic_csr #(
    parameter int IN_W  = 16,
    parameter int OUT_W = 16,
    parameter int ITER  = 16
) (
    input  logic                  clk,
    input  logic                  rst,
    // AXI4-Lite slave (registers)
    input  logic [5:0]            s_axil_awaddr,
    input  logic [2:0]            s_axil_awprot,
    input  logic                  s_axil_awvalid,
    output logic                  s_axil_awready,
    input  logic [31:0]           s_axil_wdata,
    input  logic [3:0]            s_axil_wstrb,
    input  logic                  s_axil_wvalid,
    output logic                  s_axil_wready,
    output logic [1:0]            s_axil_bresp,
    output logic                  s_axil_bvalid,
    input  logic                  s_axil_bready,
    input  logic [5:0]            s_axil_araddr,
    input  logic [2:0]            s_axil_arprot,
    input  logic                  s_axil_arvalid,
    output logic                  s_axil_arready,
    output logic [31:0]           s_axil_rdata,
    output logic [1:0]            s_axil_rresp,
    output logic                  s_axil_rvalid,
    input  logic                  s_axil_rready,
    // AXI4-Stream samples and results (as cordic_atan2)
    input  logic [2*IN_W-1:0]     s_axis_tdata,
    input  logic                  s_axis_tvalid,
    output logic                  s_axis_tready,
    input  logic                  s_axis_tlast,
    output logic [IN_W+OUT_W-1:0] m_axis_tdata,
    output logic                  m_axis_tvalid,
    input  logic                  m_axis_tready,
    output logic                  m_axis_tlast,
    output logic                  irq
);
    localparam int CW = $clog2(ITER + 4);  // samples in flight: at most ITER + 2

    logic              bus_mode, clr_counters;
    logic [15:0]       sample_x, sample_y, amp_min;
    logic              sample_x_mod, sample_y_mod, result_read;
    logic              irq_result, irq_low, irq_en_result, irq_en_low;
    logic [31:0]       samples, low_count;  // counters, for software
    // core
    logic              c_in_valid, c_in_ready, c_out_valid, c_out_ready, c_out_last;
    logic [IN_W+OUT_W-1:0] c_out_data;
    // bus path and results
    logic              inj_pend;            // a SAMPLE write waits for the core
    logic [CW-1:0]     in_flight;
    logic [15:0]       res_angle, res_mag;
    logic              res_valid, res_low;

    wire [IN_W-1:0]  r_mag   = c_out_data[IN_W+OUT_W-1:OUT_W];
    wire [OUT_W-1:0] r_angle = c_out_data[OUT_W-1:0];
    wire             result  = c_out_valid && c_out_ready;
    wire             low     = 16'(r_mag) < amp_min;

    cordic_csr_regs u_regs (
        .clk, .rst,
        .s_axil_awaddr, .s_axil_awprot, .s_axil_awvalid, .s_axil_awready,
        .s_axil_wdata, .s_axil_wstrb, .s_axil_wvalid, .s_axil_wready,
        .s_axil_bresp, .s_axil_bvalid, .s_axil_bready,
        .s_axil_araddr, .s_axil_arprot, .s_axil_arvalid, .s_axil_arready,
        .s_axil_rdata, .s_axil_rresp, .s_axil_rvalid, .s_axil_rready,
        .params_in_w(8'(IN_W)), .params_out_w(8'(OUT_W)), .params_iter(8'(ITER)),
        .ctrl_bus_mode(bus_mode), .ctrl_clr_counters(clr_counters),
        .status_busy(in_flight != '0 || inj_pend), .status_result_valid(res_valid), .status_low_amp(res_low),
        .sample_x, .sample_x_swmod(sample_x_mod), .sample_y, .sample_y_swmod(sample_y_mod),
        .result_angle(res_angle), .result_angle_swacc(result_read), .result_mag(res_mag),
        .amp_min_value(amp_min),
        .samples_count(samples), .samples_count_incr(result), .samples_count_hwclr(clr_counters),
        .low_amp_count_count(low_count), .low_amp_count_count_incr(result && low),
        .low_amp_count_count_hwclr(clr_counters),
        .irq_status_result(irq_result), .irq_status_result_hwset(result && bus_mode),
        .irq_status_low_amp(irq_low), .irq_status_low_amp_hwset(result && low),
        .irq_enable_result(irq_en_result), .irq_enable_low_amp(irq_en_low)
    );

    assign c_in_valid    = bus_mode ? inj_pend : s_axis_tvalid;
    assign s_axis_tready = !bus_mode && c_in_ready;
    assign c_out_ready   = bus_mode || m_axis_tready;
    assign m_axis_tvalid = !bus_mode && c_out_valid;
    assign m_axis_tdata  = c_out_data;
    assign m_axis_tlast  = c_out_last;
    assign irq = (irq_result && irq_en_result) || (irq_low && irq_en_low);

    cordic_atan2 #(.IN_W(IN_W), .OUT_W(OUT_W), .ITER(ITER)) u_core (
        .clk, .rst,
        .s_axis_tdata(bus_mode ? {sample_y[IN_W-1:0], sample_x[IN_W-1:0]} : s_axis_tdata),
        .s_axis_tvalid(c_in_valid), .s_axis_tready(c_in_ready), .s_axis_tlast(!bus_mode && s_axis_tlast),
        .m_axis_tdata(c_out_data), .m_axis_tvalid(c_out_valid), .m_axis_tready(c_out_ready),
        .m_axis_tlast(c_out_last)
    );

    always_ff @(posedge clk) begin
        if (rst) begin
            inj_pend  <= 1'b0;
            in_flight <= '0;
            res_angle <= 16'd0;
            res_mag   <= 16'd0;
            res_valid <= 1'b0;
            res_low   <= 1'b0;
        end else begin
            if ((sample_x_mod || sample_y_mod) && bus_mode) inj_pend <= 1'b1;
            else if (c_in_valid && c_in_ready && bus_mode) inj_pend <= 1'b0;
            in_flight <= in_flight + CW'(c_in_valid && c_in_ready) - CW'(result);
            if (result_read) res_valid <= 1'b0;
            if (result) begin  // after the read: a result in the clock of a read stays valid
                res_angle <= 16'(r_angle);
                res_mag   <= 16'(r_mag);
                res_valid <= 1'b1;
                res_low   <= low;
            end
        end
    end

    /* verilator lint_off UNUSEDSIGNAL */
    wire unused = ^{samples, low_count, sample_x[15:IN_W == 16 ? 15 : IN_W], sample_y[15:IN_W == 16 ? 15 : IN_W]};
    /* verilator lint_on UNUSEDSIGNAL */
endmodule
