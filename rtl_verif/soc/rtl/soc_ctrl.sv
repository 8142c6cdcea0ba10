// SoC control block: console, exit, cycle counter, bus-error latch.
// Its registers are generated from rtl_verif/regs/soc_ctrl.rdl (module
// soc_ctrl_regs, rtl_verif/rtl/soc_ctrl_regs.sv; map and behaviour in
// docs/registers/soc_ctrl.md): this wrapper only adds what the registers
// read from the hardware, and keeps the SoC-side port names.
//   0x00 CONSOLE     W   [7:0] one console byte (console_valid for one clock)
//   0x04 EXIT        W   program exit code (exit_valid for one clock)
//   0x08 CYCLE_LO    R   clocks since reset, low word; the read also copies
//                        the high word of the same count into CYCLE_HI
//   0x0C CYCLE_HI    R   high word copied by the last CYCLE_LO read
//   0x10 BUSERR      R/W1C [0] ERR (sticky), [1] WRITE, [3:2] RESP of the
//                        first error response; writing 1 to bit 0 clears it
//   0x14 BUSERR_ADDR R   address of that transaction
//   0x18 ID          R   0x534F4301 ("SOC", version 1)
// The block decodes byte offsets 0x00..0x1F (the SoC's window is exactly
// that); 0x1C answers SLVERR (reads return 0). As in every generated block,
// writes to read-only registers are ignored (OKAY) and write-only ones read 0.
module soc_ctrl (
    input  logic        clk,
    input  logic        rst,
    /* verilator lint_off UNUSEDSIGNAL */
    input  logic [31:0] s_awaddr,  // window offset; bits [4:0] decoded
    input  logic [31:0] s_araddr,
    /* verilator lint_on UNUSEDSIGNAL */
    input  logic [31:0] s_wdata,
    input  logic [3:0]  s_wstrb,
    input  logic        s_awvalid,
    output logic        s_awready,
    input  logic        s_wvalid,
    output logic        s_wready,
    output logic [1:0]  s_bresp,
    output logic        s_bvalid,
    input  logic        s_bready,
    input  logic        s_arvalid,
    output logic        s_arready,
    output logic [31:0] s_rdata,
    output logic [1:0]  s_rresp,
    output logic        s_rvalid,
    input  logic        s_rready,
    // bus errors reported by the interconnect
    input  logic        err_valid,
    input  logic        err_write,
    input  logic [31:0] err_addr,
    input  logic [1:0]  err_resp,
    // to the testbench
    output logic        console_valid,
    output logic [7:0]  console_data,
    output logic        exit_valid,
    output logic [31:0] exit_code,
    output logic        bus_error      // sticky ERR
);
    logic [63:0] cycles;     // clocks since reset
    logic [31:0] cycles_hi_d; // cycles[63:32] one clock ago: the high word when the read took the low word
    logic [31:0] cycle_hi;   // CYCLE_HI
    logic        lo_read;    // a CYCLE_LO read answered in the previous clock
    logic        e_write;
    logic [1:0]  e_resp;
    logic [31:0] e_addr;

    soc_ctrl_regs u_regs (
        .clk(clk), .rst(rst),
        .s_axil_awaddr(s_awaddr[4:0]), .s_axil_awprot(3'b000), .s_axil_awvalid(s_awvalid),
        .s_axil_awready(s_awready), .s_axil_wdata(s_wdata), .s_axil_wstrb(s_wstrb), .s_axil_wvalid(s_wvalid),
        .s_axil_wready(s_wready), .s_axil_bresp(s_bresp), .s_axil_bvalid(s_bvalid), .s_axil_bready(s_bready),
        .s_axil_araddr(s_araddr[4:0]), .s_axil_arprot(3'b000), .s_axil_arvalid(s_arvalid),
        .s_axil_arready(s_arready), .s_axil_rdata(s_rdata), .s_axil_rresp(s_rresp), .s_axil_rvalid(s_rvalid),
        .s_axil_rready(s_rready),
        .console_data(console_data), .console_data_swmod(console_valid),
        .exit_code(exit_code), .exit_code_swmod(exit_valid),
        .cycle_lo_count(cycles[31:0]), .cycle_lo_count_swacc(lo_read),
        .cycle_hi_count(cycle_hi),
        .buserr_err(bus_error), .buserr_err_hwset(err_valid), .buserr_write(e_write), .buserr_resp(e_resp),
        .buserr_addr_addr(e_addr)
    );

    always_ff @(posedge clk) begin
        if (rst) begin
            cycles      <= '0;
            cycles_hi_d <= '0;
            cycle_hi    <= '0;
            e_write     <= 1'b0;
            e_resp      <= 2'b00;
            e_addr      <= '0;
        end else begin
            cycles      <= cycles + 64'd1;
            cycles_hi_d <= cycles[63:32];
            // lo_read comes the clock after the read took cycles[31:0]
            if (lo_read) cycle_hi <= cycles_hi_d;
            // the first error response while ERR is clear (ERR itself is the w1c field; a report in the
            // clock of a clearing write keeps ERR set with the earlier details: the core has one
            // transaction in flight, so in the SoC the two never meet)
            if (err_valid && !bus_error) begin
                e_write <= err_write;
                e_resp  <= err_resp;
                e_addr  <= err_addr;
            end
        end
    end
endmodule
